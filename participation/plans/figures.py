"""The community's investment as three labelled figures (issue 15, point 7), and its participation as one count.

Pages, exports and the API used to show whatever total was at hand — the plan inputs' suggestions on the
dashboard, the newest draft on the plan page, the version in force on the city overview — each called "estimated
cost". Every surface now shows these figures with their label, all computed here:

- ``field_survey`` (摸底测算): the items the field survey found needing work (``NEEDS_WORK``), quantity × unit cost,
  the quantity from the finding, else from the roster by the item's unit (the needs survey's elevator item: the
  单元 able to take one) — item by item as ``plan_inputs`` computes ``estimated_cost``, rounded to the fen per item;
- ``version_in_force`` (现行方案): the adopted version's included items; None while no version is adopted;
- ``after_votes`` (表决后): the version in force — or, before one is adopted, the newest draft — less its included
  items whose latest final owner vote (民法典 Art. 278) did not pass, the outcome ``vote_items.item_outcomes`` shows
  (the latest final vote by when it became final); None without a plan.

``headline`` names the one figure a single-number surface (the city overview's row and total) shows: after the
votes where the community has a plan version, else the field-survey estimate.

``estimates_of(communities)`` answers for many communities in a few set-based queries (the city overview: no
query per community); ``community_estimates(community)`` is the same function for one. ``participation_counts``
is the one definition of the response count and rate (DESIGN §6): households that answered, vacant units apart,
over the households not marked vacant; vacant units that answered are counted beside it, never in it.
"""
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, case, cast, false, func, null, select

from participation.extensions import db
from participation.models import (Building, CatalogueItem, Community, FieldFinding, Household, Plan, PlanItem,
                                  PlanVersion, Unit, Vote, vote_items)
from participation.models.fieldsurvey import NEEDS_WORK
from participation.survey_facts import facts as survey_facts

CENT = Decimal("0.01")
KINDS = ("field_survey", "version_in_force", "after_votes")
LABELS = {"field_survey": _l("Field-survey estimate"), "version_in_force": _l("Version in force"),
          "after_votes": _l("After the owner votes")}
EXPLANATIONS = {
    "field_survey": _l("Items the field survey found needing work, quantity × unit cost."),
    "version_in_force": _l("The included items of the adopted plan version."),
    "after_votes": _l("The version in force (or the newest draft) less the items whose owner vote did not pass."),
}


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _run(statement):
    """Core rows on the session's connection (the city lists up to ~1,400 communities)."""
    return db.session.connection().execute(statement)


def labels() -> dict:
    """{kind: label} in the request's language."""
    return {kind: str(LABELS[kind]) for kind in KINDS}


def community_estimates(community: Community) -> dict:
    """{"field_survey", "version_in_force", "after_votes" (Decimal yuan or None), "headline" (a kind), "labels"
    ({kind: words}), "explanations", "version" (the number after_votes starts from, or None), "adopted" (bool),
    "failed_items" (codes of included items taken out by a failed vote)}."""
    return estimates_of([community.id])[community.id]


def estimates_for_code(code: str) -> dict | None:
    """``community_estimates`` of the community with ``code`` (None when there is none)."""
    community_id = db.session.scalar(select(Community.id).where(Community.code == code))
    return None if community_id is None else estimates_of([community_id])[community_id]


def estimates_of(communities, *, roster: dict | None = None, elevator=None) -> dict[int, dict]:
    """``community_estimates`` for every community id in ``communities`` (a list of ids or a SELECT of them).

    ``roster`` ({id: {"households", "area", "units", "buildings", "elevator_units"}}) and ``elevator`` (the
    subquery (cid, item_id) of each needs survey's elevator item) may be given by a caller that has them already."""
    ids = [cid for (cid,) in _run(select(Community.id).where(Community.id.in_(communities)))]
    roster = roster if roster is not None else roster_of(communities)
    field = _field_survey(communities, roster, elevator if elevator is not None else _elevator(communities))
    versions = _versions(communities)
    failed = _failed_votes(communities)
    words, explained = labels(), {kind: str(EXPLANATIONS[kind]) for kind in KINDS}
    result = {}
    for cid in ids:
        chosen = versions.get(cid)
        in_force = after = None
        failed_items = []
        if chosen is not None:
            if chosen["adopted"]:
                in_force = chosen["total"]
            failed_items = sorted(code for code in chosen["items"] if failed.get((cid, code)) is False)
            after = _money(chosen["total"] - sum((chosen["items"][code] for code in failed_items), Decimal(0)))
        result[cid] = {
            "field_survey": field.get(cid, Decimal("0.00")), "version_in_force": in_force, "after_votes": after,
            "headline": "after_votes" if chosen is not None else "field_survey",
            "labels": words, "explanations": explained,
            "version": None if chosen is None else chosen["number"],
            "adopted": bool(chosen and chosen["adopted"]), "failed_items": failed_items,
        }
    return result


def estimates_json(estimates: dict) -> dict:
    """The figures as the JSON API gives them: yuan as numbers to the fen, null where there is none."""
    return {**{kind: None if estimates[kind] is None else float(estimates[kind]) for kind in KINDS},
            "headline": estimates["headline"], "labels": estimates["labels"], "version": estimates["version"],
            "adopted": estimates["adopted"], "failed_items": estimates["failed_items"]}


def headline(estimates: dict) -> tuple[Decimal | None, str]:
    """(the figure, its kind) a single-number surface shows."""
    kind = estimates["headline"]
    return estimates[kind], kind


def roster_of(communities) -> dict[int, dict]:
    """Per community: households, vacant ones, registered area (to the hundredth of a m², as ``plan_inputs``),
    单元, 单元 able to take an elevator, buildings — two GROUP BYs."""
    homes = _run(
        select(Building.community_id, func.count(Household.id),
               func.coalesce(func.sum(case((Household.occupancy == "vacant", 1), else_=0)), 0),
               func.coalesce(func.sum(Household.area), 0))
        .join(Unit, Unit.building_id == Building.id).join(Household, Household.unit_id == Unit.id)
        .where(Building.community_id.in_(communities)).group_by(Building.community_id)).all()
    parts = _run(
        select(Building.community_id, func.count(Unit.id),
               func.coalesce(func.sum(case((Unit.elevator_possible, 1), else_=0)), 0),
               func.count(Building.id.distinct()))
        .outerjoin(Unit, Unit.building_id == Building.id)
        .where(Building.community_id.in_(communities)).group_by(Building.community_id)).all()
    figures = {cid: {"households": int(households), "vacant": int(vacant), "area": _money(str(area or 0)),
                     "units": 0, "elevator_units": 0, "buildings": 0}
               for cid, households, vacant, area in homes}
    empty = {"households": 0, "vacant": 0, "area": Decimal("0.00")}
    for cid, units, elevator_units, buildings in parts:
        figures.setdefault(cid, dict(empty)).update(units=int(units), elevator_units=int(elevator_units),
                                                    buildings=int(buildings))
    return figures


def _elevator(communities):
    """The subquery (cid, item_id) of the elevator item of each community's needs survey (empty without a survey
    engine or a needs survey)."""
    answers = survey_facts()
    surveys = answers.needs_surveys(select(Community.id).where(Community.id.in_(communities))) \
        if answers is not None else {}
    if not surveys:
        return select(cast(null(), Integer).label("cid"), cast(null(), Integer).label("item_id")) \
            .where(false()).subquery()
    return answers.elevator_items([survey_id for survey_id, _closed in surveys.values()])


def _field_survey(communities, roster: dict, elevator) -> dict[int, Decimal]:
    """{community id: cost of the items the field survey found needing work}, item by item as plan_inputs.

    Measured quantities row by row; the rest in one GROUP BY: an item whose quantity is a whole count (households,
    单元, buildings, elevators) costs a whole number of fen, so summing the unit costs first is exact; an area
    quantity is rounded per item, so those are grouped by unit cost."""
    is_elevator = and_(CatalogueItem.quantity_unit == "per_unit", CatalogueItem.id == elevator.c.item_id)
    unit = case((func.coalesce(is_elevator, False), "elevator"), else_=CatalogueItem.quantity_unit)
    by_area = CatalogueItem.quantity_unit == "per_m2_area"
    found = (select(FieldFinding.community_id).join(CatalogueItem, CatalogueItem.id == FieldFinding.item_id)
             .where(FieldFinding.community_id.in_(communities), FieldFinding.condition.in_(NEEDS_WORK),
                    CatalogueItem.retired_at.is_(None)))
    costs: dict[int, Decimal] = {}

    def add(cid, cost):
        costs[cid] = costs.get(cid, Decimal("0.00")) + cost

    for cid, unit_cost, measured in _run(found.add_columns(CatalogueItem.unit_cost, FieldFinding.quantity)
                                         .where(FieldFinding.quantity.is_not(None))).all():
        add(cid, _money(Decimal(measured) * Decimal(unit_cost)))
    for cid, unit_cost, items in _run(found.add_columns(CatalogueItem.unit_cost, func.count())
                                      .where(FieldFinding.quantity.is_(None), by_area)
                                      .group_by(FieldFinding.community_id, CatalogueItem.unit_cost)).all():
        area = (roster.get(cid) or {}).get("area", 0)
        add(cid, _money(Decimal(area) * Decimal(unit_cost)) * items)
    for cid, quantity_unit, unit_costs in _run(
            found.add_columns(unit, func.sum(CatalogueItem.unit_cost))
            .outerjoin(elevator, elevator.c.cid == FieldFinding.community_id)
            .where(FieldFinding.quantity.is_(None), ~by_area)
            .group_by(FieldFinding.community_id, unit)).all():
        totals = roster.get(cid) or {}
        count = {"elevator": totals.get("elevator_units", 0), "per_household": totals.get("households", 0),
                 "per_unit": totals.get("units", 0), "per_building": totals.get("buildings", 0),
                 "lump_sum": 1}.get(quantity_unit, 0)
        add(cid, _money(str(unit_costs or 0)) * count)
    return costs


def _versions(communities) -> dict[int, dict]:
    """{community id: {"number", "adopted", "total", "items" ({code: cost} of the included items)}} for the version
    after_votes starts from: the adopted one, else the newest."""
    rows = _run(select(Plan.community_id, PlanVersion.id, PlanVersion.number, PlanVersion.status)
                .join(PlanVersion, PlanVersion.plan_id == Plan.id).where(Plan.community_id.in_(communities))).all()
    chosen: dict[int, tuple] = {}
    for cid, version_id, number, status in rows:
        key = (status == "adopted", number)
        if cid not in chosen or key > chosen[cid][0]:
            chosen[cid] = (key, version_id)
    by_version = {version_id: {"number": key[1], "adopted": key[0], "items": {}, "cid": cid}
                  for cid, (key, version_id) in chosen.items()}
    if by_version:
        for version_id, code, cost in _run(
                select(PlanItem.version_id, CatalogueItem.code, PlanItem.cost)
                .join(CatalogueItem, CatalogueItem.id == PlanItem.item_id)
                .where(PlanItem.version_id.in_(list(by_version)), PlanItem.included.is_(True))):
            by_version[version_id]["items"][code] = _money(cost)
    result = {}
    for version in by_version.values():
        version["total"] = _money(sum(version["items"].values(), Decimal(0)))
        result[version.pop("cid")] = version
    return result


def _failed_votes(communities) -> dict[tuple[int, str], bool]:
    """{(community id, item code): passed} of each item's latest final owner vote (by when it became final)."""
    latest = {}
    for cid, code, passed in _run(
            select(Vote.community_id, CatalogueItem.code, Vote.result_passed)
            .join(vote_items, vote_items.c.vote_id == Vote.id)
            .join(CatalogueItem, CatalogueItem.id == vote_items.c.item_id)
            .where(Vote.community_id.in_(communities), Vote.status == "final")
            .order_by(Vote.finalised_at, Vote.id)):
        latest[(cid, code)] = bool(passed)
    return latest


def participation_counts(households: int, vacant: int, responded: int, responded_vacant: int = 0, *,
                         surveyed: bool = True) -> dict:
    """The one response count (DESIGN §6): ``responded`` households that are not vacant over ``eligible`` (the
    households not marked vacant); vacant units that answered stay apart, and ``submitted`` (every submitted
    answer, as the survey's own pages count them) is both together. Without a needs survey the rate is None."""
    eligible = households - vacant
    return {"households": households, "vacant": vacant, "eligible": eligible, "responded": responded,
            "responded_vacant": responded_vacant, "submitted": responded + responded_vacant,
            "rate": round(float(Decimal(responded) / Decimal(eligible)), 4) if eligible and surveyed else None}
