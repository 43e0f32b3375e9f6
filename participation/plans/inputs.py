"""Plan inputs (一区一案, DESIGN §6): one entry point, ``plan_inputs(community)``, plain dicts out.

Everything a community's renovation plan starts from, in the shape the web page, the workbook, the JSON and the
printed notice all render: participation; per catalogue item the field survey's finding, the quantity and cost,
what residents said (need by headcount and area, Borda priority, willingness to share the cost) and a suggestion
with its reason in words; the budget envelope against the cost, the funding split with the locality's elevator
subsidy for the plan year, and the gap; the flags.

The counts come from SQL: residents' answers from the survey's tallies (through ``participation.survey_facts``, which
surveys implements, so participation never imports it), the roster and the findings from a few GROUP BY
queries. The rules' thresholds are locality data (``plan_threshold``), product defaults rather than policy.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import get_locale, gettext as _
from sqlalchemy import func, select, true

from participation.aftercare.operations import aftercare_outcome
from participation.complaints.rates import complaint_hotspots
from participation.elevators.operations import elevator_overview
from participation.extensions import db
from participation.formatting import number
from participation.labels import label
from participation.models import (CATEGORIES, FUNDING_LINES, Building, CatalogueItem, Community, CommunityBudget,
                                  District, FieldFinding, Household, Locality, Unit)
from participation.models.fieldsurvey import NEEDS_WORK
from participation.models.plans import PLANNED, is_planned
from participation.plans.comments import objections_by_item
from participation.plans.gates import VOTE_STATUS_LABELS, failed_reason, status_of, vote_states
from participation.plans.vote_items import item_outcomes
from participation.reference.locality import current_year, describe, rule_for, rules_for_year
from participation.survey_facts import facts as survey_facts

CENT = Decimal("0.01")
# Product defaults, used only where the locality has no rule of its own for the year.
DEFAULT_THRESHOLDS = {
    "improvement_need_share": Decimal("0.5"), "improvement_budget_allows_share": Decimal("0.3333"),
    "upgrade_need_share": Decimal("0.5"), "upgrade_cost_share_willing": Decimal("0.5"),
    "response_rate_flag": Decimal("0.5"), "building_response_rate_flag": Decimal("0.3"),
    "objection_share_flag": Decimal("0.3333"),
    "cost_per_household_min": Decimal("10000"), "cost_per_household_max": Decimal("40000"),
    # Households objecting to an item in the plan's comment period (方案公示): 5, the smallest count shown to
    # residents anywhere (operations/plans.MIN_CELL), unless the locality's rule says otherwise.
    "comment_objections_flag": Decimal("5"),
}
ORDER = {category: index for index, category in enumerate(CATEGORIES)}


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _exact(share) -> Decimal:
    """A share as given (a float rounded to 4 places) as the Decimal it was written as, to compare with a
    threshold kept as NUMERIC: 0.3333 must meet a threshold of 0.3333."""
    return Decimal(str(share))


def _then(first: str, second: str) -> str:
    """Two sentences of a reason: Chinese runs them on, English leaves a space."""
    return first + ("" if str(get_locale() or "zh").startswith("zh") else " ") + second


def _percent(share) -> str:
    return f"{Decimal(str(share)) * 100:.0f}%"


@dataclass
class _Context:
    community: Community
    year: int
    thresholds: dict
    totals: dict
    needs: dict | None
    elevator_code: str | None


def plan_inputs(community: Community, *, year: int | None = None) -> dict:
    """The community's plan inputs for ``year`` (the budget's plan year, else this year)."""
    budget = db.session.scalar(select(CommunityBudget).where(CommunityBudget.community_id == community.id))
    year = year or (budget.plan_year if budget is not None else current_year())
    district, locality = db.session.execute(select(District, Locality).join(Locality)
                                            .where(District.id == community.district_id)).one()
    thresholds = dict(DEFAULT_THRESHOLDS)
    thresholds.update({key: Decimal(rule.number_value) for key, rule in
                       rules_for_year(locality, "plan_threshold", year).items() if rule.number_value is not None})
    needs = _needs(community)
    context = _Context(community, year, thresholds, roster_figures(community), needs,
                       (needs or {}).get("elevator_item"))
    items = _items(context)
    _apply_budget(items, budget)
    _vote_outcomes(community, items)
    funding = _funding(context, items, budget, locality)
    participation = _participation(context)
    return {
        "community": {"code": community.code, "name": community.name, "district": district.name,
                      "status": community.status, "year_built": community.year_built, "plan_year": year},
        "survey": needs["survey"] if needs else None,
        "roster": context.totals,
        "participation": participation,
        "items": items,
        "budget": funding,
        "elevators": elevator_overview(community, year),
        "aftercare": _aftercare(community),
        "flags": _flags(context, participation, items, funding),
        "comments": needs["comments"] if needs else [],
        "thresholds": {key: float(value) for key, value in thresholds.items()},
    }


def _needs(community: Community) -> dict | None:
    answers = survey_facts()
    return answers.community_needs(community) if answers is not None else None


def roster_figures(community: Community) -> dict:
    """Households (vacant apart), registered area, 单元 (and those that can take an elevator), buildings: two
    aggregates over the community's roster, in one round trip."""
    households = (select(func.count(Household.id), func.coalesce(func.sum((Household.occupancy == "vacant")
                                                                         .cast(db.Integer)), 0),
                         func.coalesce(func.sum(Household.area), 0))
                  .join(Unit, Unit.id == Household.unit_id).join(Building, Building.id == Unit.building_id)
                  .where(Building.community_id == community.id).subquery())
    units = (select(func.count(Unit.id), func.coalesce(func.sum(Unit.elevator_possible.cast(db.Integer)), 0),
                    func.count(Building.id.distinct()))
             .join(Building, Building.id == Unit.building_id).where(Building.community_id == community.id).subquery())
    households, vacant, area, units, elevator_units, buildings = db.session.execute(
        select(*households.c, *units.c).select_from(households.join(units, true()))).one()   # one row each
    return {"households": int(households), "vacant": int(vacant), "area": money(area or 0), "units": int(units),
            "elevator_units": int(elevator_units), "buildings": int(buildings)}


def _quantity(item: CatalogueItem, finding: FieldFinding | None, context: _Context) -> tuple[Decimal, str]:
    """(quantity, where it comes from): the field survey's measured quantity, else the roster by the item's unit
    (an elevator: the 单元 marked as able to take one)."""
    if finding is not None and finding.quantity is not None:
        return Decimal(finding.quantity), "field_survey"
    totals = context.totals
    if item.code == context.elevator_code and item.quantity_unit == "per_unit":
        return Decimal(totals["elevator_units"]), "roster_elevator_units"
    by_unit = {"per_m2_area": totals["area"], "per_household": totals["households"], "per_unit": totals["units"],
               "per_building": totals["buildings"], "lump_sum": 1}
    return Decimal(by_unit.get(item.quantity_unit, 0)), "roster"


def _items(context: _Context) -> list[dict]:
    catalogue = db.session.scalars(select(CatalogueItem).where(CatalogueItem.retired_at.is_(None))).all()
    findings = {finding.item_id: finding for finding in db.session.scalars(
        select(FieldFinding).where(FieldFinding.community_id == context.community.id))}
    said = (context.needs or {}).get("items", {})
    rows = []
    for item in sorted(catalogue, key=lambda i: (ORDER.get(i.category, len(ORDER)), i.code)):
        finding = findings.get(item.id)
        quantity, source = _quantity(item, finding, context)
        need = said.get(item.code) or {}
        respondents = need.get("respondents") or 0
        row = {
            "code": item.code, "name": item.name, "category": item.category, "group": item.group,
            "quantity_unit": item.quantity_unit, "unit_cost": money(item.unit_cost), "owner_matter": item.owner_matter,
            "finding": None if finding is None else {
                "condition": finding.condition, "quantity": None if finding.quantity is None else Decimal(finding.quantity),
                "note": finding.note},
            "quantity": quantity, "quantity_source": source, "estimated_cost": money(quantity * item.unit_cost),
            "asked": bool(need), "respondents": respondents,
            "need_count": need.get("need_count", 0), "neutral_count": need.get("neutral_count", 0),
            "no_count": need.get("no_count", 0),
            "need_share": need.get("need_share"), "need_share_area": need.get("need_share_area"),
            "no_share": round(need.get("no_count", 0) / respondents, 4) if respondents else None,
            "priority_points": need.get("priority_points", 0), "first_choice": need.get("first_choice", 0),
            "share_willing": need.get("share_willing"), "share_rate": need.get("share_rate"),
        }
        row["suggestion"], row["reason"] = _suggest(row, context.thresholds)
        row["if_budget_allows"] = row["suggestion"] == "include_if_budget"
        rows.append(row)
    return rows


def _suggest(row: dict, limits: dict) -> tuple[str, str]:
    """DESIGN §6's default rules, before the budget and the owner vote are applied."""
    category, finding = row["category"], row["finding"]
    if category == "basic":
        if finding is None:
            return "reserve", _("Basic item not yet in the field survey: survey it before deciding.")
        if finding["condition"] in NEEDS_WORK:
            return "include", _("Basic item the field survey found %(condition)s: include wherever needed "
                                "(应改尽改); residents set its priority, they do not veto it.",
                                condition=label("condition", finding["condition"]))
        return "exclude", _("Basic item the field survey found %(condition)s.",
                            condition=label("condition", finding["condition"]))
    share, area_share = row["need_share"], row["need_share_area"]
    if not row["respondents"] or share is None:
        return "reserve", _("No resident has answered about this item yet.")
    lowest = _exact(min(share, area_share if area_share is not None else share))
    said = _("%(share)s of the households that answered need it (%(area)s by area).", share=_percent(share),
             area=_percent(area_share if area_share is not None else share))
    if category == "improvement":
        if lowest > limits["improvement_need_share"]:
            return "include", _then(said, _("Above %(limit)s by headcount and by area: include, in priority "
                                             "order within the budget.",
                                             limit=_percent(limits["improvement_need_share"])))
        if lowest >= limits["improvement_budget_allows_share"]:
            return "include_if_budget", _then(said, _("From %(limit)s: include if the budget allows.",
                                                       limit=_percent(limits["improvement_budget_allows_share"])))
        return "exclude", _then(said, _("Under %(limit)s: leave it out of this plan.",
                                         limit=_percent(limits["improvement_budget_allows_share"])))
    # upgrade (and a locality's extra classes): need, and supporters willing to share the cost
    if lowest <= limits["upgrade_need_share"]:
        return "reserve", _then(said, _("Not above %(limit)s: keep it in reserve.",
                                         limit=_percent(limits["upgrade_need_share"])))
    willing = row["share_rate"]
    if willing is None or _exact(willing) <= limits["upgrade_cost_share_willing"]:
        return "reserve", _then(said, _("Too few of its supporters would share the cost (%(willing)s, more than "
                                         "%(limit)s needed): keep it in reserve.",
                                         willing=_percent(willing or 0),
                                         limit=_percent(limits["upgrade_cost_share_willing"])))
    return "include", _then(said, _("%(willing)s of its supporters would share the cost: include.",
                                     willing=_percent(willing)))


def _apply_budget(items: list[dict], budget: CommunityBudget | None) -> None:
    """Basic items first, then improvement and upgrade items in priority order (Borda points, then need): once the
    envelope is used up, what is left becomes "include if the budget allows". Then items that change shared parts
    (民法典 Art. 278) need an owner vote first."""
    envelope = budget.envelope if budget is not None else None
    used = sum((row["estimated_cost"] for row in items if row["category"] == "basic" and row["suggestion"] == "include"),
               Decimal("0.00"))
    ranked = sorted((row for row in items if row["category"] != "basic" and row["suggestion"] == "include"),
                    key=lambda row: (-row["priority_points"], -(row["need_share"] or 0), row["code"]))
    for row in ranked:
        if envelope is not None and used + row["estimated_cost"] > envelope:
            row["suggestion"], row["if_budget_allows"] = "include_if_budget", True
            row["reason"] = _then(row["reason"], _("The envelope of %(envelope)s yuan is used up by items with more "
                                                   "priority: include if the budget allows.",
                                                   envelope=number(envelope, 0)))
            continue
        used += row["estimated_cost"]
    for row in items:
        if row["owner_matter"] and row["suggestion"] in ("include", "include_if_budget"):
            row["suggestion"] = "needs_vote"
            row["reason"] = _then(row["reason"], _("It changes the owners' shared parts (民法典 Art. 278, item "
                                                   "%(matter)s): an owner vote must pass first.",
                                                   matter=row["owner_matter"]))


def _vote_outcomes(community: Community, items: list[dict]) -> None:
    """Items with an owner matter carry their latest final owner vote (``vote``, None before one is final; see
    operations/vote_items.py) and the reason says what it decided. Every item has its vote's status
    (``vote_status``: not_needed / pending / running / passed / failed, and ``vote_status_label``): a passed vote
    lets an item that needed it be included; a failed one excludes it, with the vote's words as the reason."""
    outcomes = item_outcomes(community)
    states = vote_states(community, outcomes)
    for row in items:
        found = outcomes.get(row["code"]) if row["owner_matter"] else None
        row["vote"] = found
        status = status_of(states, row["code"], row["owner_matter"])
        row["vote_status"], row["vote_status_label"] = status, str(VOTE_STATUS_LABELS[status])
        if status == "failed":
            row["suggestion"], row["if_budget_allows"] = "exclude", False
            row["reason"] = _then(row["reason"], failed_reason(states[row["code"]]))
            continue
        if found is None or row["suggestion"] != "needs_vote":
            continue
        if found["passed"]:
            row["suggestion"] = "include_if_budget" if row["if_budget_allows"] else "include"
            row["reason"] = _then(row["reason"], _("The owners' vote “%(title)s” passed.", title=found["title"]))


def _aftercare(community: Community) -> dict:
    """The property-management mode and fee the owners decided (the latest final after-care vote, when it
    passed); both None — "not decided yet" — otherwise. ``vote`` names that latest final vote either way."""
    found = aftercare_outcome(community)
    decided = found is not None and found["passed"]
    return {"property_mode": found["mode"] if decided else None, "property_fee": found["fee"] if decided else None,
            "decided": decided, "mode_label": found["mode_label"] if decided else None,
            "vote": None if found is None else {"vote_id": found["vote_id"], "mode": found["mode"],
                                                "fee": found["fee"], "passed": found["passed"],
                                                "finalised_at": found["finalised_at"],
                                                "reasons": found["figures"]["reasons"]}}


def _funding(context: _Context, items: list[dict], budget: CommunityBudget | None, locality) -> dict:
    planned = sum((row["estimated_cost"] for row in items if is_planned(row)), Decimal("0.00"))
    optional = sum((row["estimated_cost"] for row in items if row["if_budget_allows"]), Decimal("0.00"))
    lines = {line: (money(value) if value is not None else None)
             for line, value in (budget.funding() if budget is not None else dict.fromkeys(FUNDING_LINES)).items()}
    elevator = next((row for row in items if row["code"] == context.elevator_code), None)
    elevators = int(elevator["quantity"]) if elevator is not None and is_planned(elevator) else 0
    rule = rule_for(locality, "elevator_subsidy", "per_elevator", context.year) if locality is not None else None
    subsidy = money(Decimal(rule.number_value) * elevators) if rule is not None and rule.number_value else None
    lines["elevator_subsidy"] = subsidy
    total = sum((value for value in lines.values() if value is not None), Decimal("0.00"))
    households = context.totals["households"]
    return {
        "plan_year": context.year, "envelope": None if budget is None or budget.envelope is None else money(budget.envelope),
        "estimated_cost": planned, "optional_cost": optional, "funding": lines, "funding_total": money(total),
        "gap": money(planned - total), "elevators": elevators,
        "elevator_subsidy_rule": describe(rule), "elevator_subsidy_configured": rule is not None,
        "cost_per_household": money(planned / households) if households else None,
        "envelope_left": None if budget is None or budget.envelope is None else money(budget.envelope - planned),
    }


def _participation(context: _Context) -> dict:
    needs = context.needs
    if needs is None:
        households, vacant = context.totals["households"], context.totals["vacant"]
        return {"households": households, "vacant": vacant, "eligible": households - vacant, "responded": 0,
                "responded_vacant": 0, "drafts": 0, "rate": None, "rate_all": None, "area_rate": None,
                "area_total": context.totals["area"], "buildings": []}
    return needs["participation"]


def _flags(context: _Context, participation: dict, items: list[dict], funding: dict) -> list[dict]:
    limits, flags = context.thresholds, []
    if context.needs is None:
        flags.append({"kind": "no_survey", "message": _("No needs survey yet: the suggestions rest on the field "
                                                        "survey alone.")})
    elif participation["rate"] is not None and _exact(participation["rate"]) < limits["response_rate_flag"]:
        flags.append({"kind": "low_response", "message": _(
            "Only %(rate)s of the households answered (under %(limit)s).", rate=_percent(participation["rate"]),
            limit=_percent(limits["response_rate_flag"]))})
    for building in participation.get("buildings", []):
        if building["rate"] is not None and _exact(building["rate"]) < limits["building_response_rate_flag"]:
            flags.append({"kind": "low_building_response", "building": building["label"], "message": _(
                "%(building)s: only %(rate)s answered (under %(limit)s).", building=building["label"],
                rate=_percent(building["rate"]), limit=_percent(limits["building_response_rate_flag"]))})
    for row in items:
        if row["suggestion"] in PLANNED and row["no_share"] is not None \
                and _exact(row["no_share"]) >= limits["objection_share_flag"]:
            flags.append({"kind": "strong_objection", "item": row["code"], "message": _(
                "%(item)s is in the plan but %(share)s of the households that answered do not want it.",
                item=row["name"], share=_percent(row["no_share"]))})
    objections = objections_by_item(context.community)
    for row in items:
        counted = objections.get(row["code"])
        if counted and counted["object"] >= limits["comment_objections_flag"]:
            flags.append({"kind": "comment_objections", "item": row["code"], "version": counted["version"],
                          "object": counted["object"], "support": counted["support"], "message": _(
                "%(item)s: strong objections in the comment period on version %(version)d (%(object)d households "
                "object, %(support)d support).", item=row["name"], version=counted["version"],
                object=counted["object"], support=counted["support"])})
    unsurveyed = [row["code"] for row in items if row["category"] == "basic" and row["finding"] is None]
    if unsurveyed:
        flags.append({"kind": "not_surveyed", "items": unsurveyed, "message": _(
            "%(count)d basic items are not in the field survey yet.", count=len(unsurveyed))})
    for spot in complaint_hotspots(context.community):
        flags.append({"kind": "complaint_hotspot", **spot})
    per_household = funding["cost_per_household"]
    if per_household is not None and funding["estimated_cost"] > 0 and not (
            limits["cost_per_household_min"] <= per_household <= limits["cost_per_household_max"]):
        flags.append({"kind": "cost_per_household", "message": _(
            "The estimated cost is %(cost)s yuan per household, outside %(low)s–%(high)s yuan.",
            cost=number(per_household, 0), low=number(limits['cost_per_household_min'], 0),
            high=number(limits['cost_per_household_max'], 0))})
    return flags
