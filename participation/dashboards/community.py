"""The organiser's dashboard of one community (issue 4, point 6): plain dicts, drawn by ``participation.charts``.

Everything residents said, the field survey and the money come from ``plan_inputs`` (one result, as the workbook
and the JSON use it); only the works progress is read here, from the community's plan if it has one. Read-only:
nothing is changed, so nothing is audited.
"""
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import CATEGORIES, CatalogueItem, Community, Plan, PlanItem, PlanVersion, PlanWork
from participation.models.fieldsurvey import CONDITIONS, NEEDS_WORK
from participation.models.plans import WORK_STATUSES
from participation.plans.figures import community_estimates, participation_counts
from participation.plans.inputs import plan_inputs

NOT_SURVEYED = "not_surveyed"
SUPPRESSED, MIN_CELL = "<5", 5   # as on the survey's results page (surveys.results.summaries)


def community_dashboard(community: Community) -> dict:
    """{"community", "survey", "summary", "estimates", "flags", "heatmap", "needs", "priority", "willingness",
    "findings", "works"}: shares and rates are fractions 0–1 (None without answers), money Decimal yuan;
    ``estimates`` are the community's labelled investment figures (participation.plans.figures)."""
    inputs = plan_inputs(community)
    items, budget, stats = inputs["items"], inputs["budget"], inputs["participation"]
    counts = participation_counts(stats["households"], stats["vacant"], stats["responded"],
                                  stats["responded_vacant"], surveyed=inputs["survey"] is not None)
    dashboard = {
        "community": inputs["community"],
        "survey": inputs["survey"],
        "estimates": community_estimates(community),
        "summary": {
            **counts, "area_rate": stats["area_rate"],
            "estimated_cost": budget["estimated_cost"], "optional_cost": budget["optional_cost"],
            "cost_per_household": budget["cost_per_household"], "envelope": budget["envelope"],
            "gap": budget["gap"], "flags": len(inputs["flags"]),
        },
        "flags": inputs["flags"],
        "heatmap": [{"label": building["label"], "rate": building["rate"],
                     "units": [{key: unit[key] for key in ("label", "households", "vacant", "eligible", "responded",
                                                           "responded_vacant", "rate", "area_rate")}
                               for unit in building["units"]]}
                    for building in stats["buildings"]],
        "needs": [_item(row, "respondents", "need_count", "need_share", "need_share_area")
                  for row in items if row["asked"] and row["respondents"]],
        "priority": sorted((_item(row, "first_choice", points=row["priority_points"])
                            for row in items if row["priority_points"]),
                           key=lambda row: (-row["points"], -row["first_choice"], row["code"])),
        "willingness": [_item(row, "need_count", "share_willing", "share_rate")
                        for row in items if row["category"] != "basic" and row["share_rate"] is not None],
        "findings": _findings(items),
        "works": works_progress(community),
    }
    if inputs["survey"] is not None and inputs["survey"]["confidential"]:
        _suppress(dashboard)
    return dashboard


def _suppress(dashboard: dict) -> None:
    """A confidential survey shows staff totals only: an item count of 1–4 households becomes "<5", and the share
    or points it would reveal go (who answered is not an answer: participation stays exact)."""
    def small(value) -> bool:
        return isinstance(value, int) and 0 < value < MIN_CELL

    for row in dashboard["needs"]:
        if small(row["respondents"]) or small(row["need_count"]):
            row["need_share"] = row["need_share_area"] = None
        row.update({key: SUPPRESSED for key in ("respondents", "need_count") if small(row[key])})
    for row in dashboard["priority"]:
        if small(row["first_choice"]):
            row["first_choice"] = SUPPRESSED
        if row["points"] < MIN_CELL:
            row["points"] = None
    for row in dashboard["willingness"]:
        if small(row["need_count"]) or small(row["share_willing"]):
            row["share_rate"] = None
        row.update({key: SUPPRESSED for key in ("need_count", "share_willing") if small(row[key])})


def _item(row: dict, *keys: str, **extra) -> dict:
    return {"code": row["code"], "name": row["name"], "category": row["category"],
            **{key: row[key] for key in keys}, **extra}


def _findings(items: list[dict]) -> dict:
    """How many catalogue items the field survey found in each condition, per category and in all."""
    conditions = CONDITIONS + (NOT_SURVEYED,)
    categories = [category for category in CATEGORIES if any(row["category"] == category for row in items)]
    categories += sorted({row["category"] for row in items} - set(categories))   # a locality's extra classes
    by_category = {category: dict.fromkeys(conditions, 0) for category in categories}
    for row in items:
        condition = row["finding"]["condition"] if row["finding"] is not None else NOT_SURVEYED
        by_category[row["category"]][condition] += 1
    totals = {condition: sum(counts[condition] for counts in by_category.values()) for condition in conditions}
    return {"conditions": conditions, "by_category": by_category, "totals": totals,
            "total": sum(totals.values()) - totals[NOT_SURVEYED],
            "needs_work": [_item(row, condition=row["finding"]["condition"]) for row in items
                           if row["finding"] is not None and row["finding"]["condition"] in NEEDS_WORK]}


def works_progress(community: Community) -> dict | None:
    """Works on the community's plan, or None without a plan: the status of each item with a works row, and the
    items of the adopted version that have none yet counted as not started."""
    plan = db.session.scalar(select(Plan).where(Plan.community_id == community.id))
    if plan is None:
        return None
    rows = db.session.execute(
        select(CatalogueItem.code, CatalogueItem.name, PlanWork.status, PlanWork.finished_on)
        .join(PlanWork, PlanWork.item_id == CatalogueItem.id).where(PlanWork.plan_id == plan.id)
        .order_by(CatalogueItem.code)).all()
    adopted = db.session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan.id,
                                                          PlanVersion.status == "adopted")
                                .order_by(PlanVersion.number.desc()).limit(1))
    waiting = []
    if adopted is not None:
        with_works = select(PlanWork.item_id).where(PlanWork.plan_id == plan.id)
        waiting = db.session.execute(
            select(CatalogueItem.code, CatalogueItem.name)
            .join(PlanItem, PlanItem.item_id == CatalogueItem.id)
            .where(PlanItem.version_id == adopted.id, PlanItem.included.is_(True), PlanItem.item_id.not_in(with_works))
            .order_by(CatalogueItem.code)).all()
    counts = dict(db.session.execute(select(PlanWork.status, func.count(PlanWork.id))
                                     .where(PlanWork.plan_id == plan.id).group_by(PlanWork.status)).all())
    progress = {status: int(counts.get(status, 0)) for status in WORK_STATUSES}
    progress["not_started"] += len(waiting)
    items = [{"code": code, "name": name, "status": status, "finished_on": finished_on}
             for code, name, status, finished_on in rows]
    items += [{"code": code, "name": name, "status": "not_started", "finished_on": None} for code, name in waiting]
    return {**progress, "total": sum(progress.values()), "adopted_version": adopted.number if adopted else None,
            "items": sorted(items, key=lambda item: item["code"])}
