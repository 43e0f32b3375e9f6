"""一区一案 in versions: the budget organisers enter, the draft adopted from the plan inputs' suggestions, edited
versions (each changed item with its reason), adopting a version, and the works on the adopted plan's items.

Operations take the acting user, flush, never commit, and write an audit row for every change. A refused change
raises ``PlanRefused`` with a message per field ("" for the whole change) and leaves the database as it was.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.formatting import beijing_today
from participation.handlers import Refused
from participation.lifecycle.overrides import GateRefused, passes
from participation.models import (FUNDING_LINES, WORK_STATUSES, CatalogueItem, Community, CommunityBudget, Plan,
                                  PlanCommentPeriod, PlanItem, PlanVersion, PlanWork, User)
from participation.models.plans import is_planned
from participation.models.types import utcnow
from participation.plans import gates
from participation.reference.locality import FIRST_YEAR, LAST_YEAR

CENT = Decimal("0.01")
BUDGET_MONEY_FIELDS = ("envelope",) + FUNDING_LINES
BUDGET_FIELDS = ("plan_year",) + BUDGET_MONEY_FIELDS + ("raises_maintenance_fund", "note")
MONEY_LIMIT = Decimal("1e12")         # Numeric(14, 2): 12 digits before the point
UNIT_COST_LIMIT = Decimal("1e10")     # Numeric(12, 2)
MAX_TEXT = 2000
MIN_CELL = 5                          # anything residents see: fewer respondents than this is not shown
SUPPRESSED = "<5"
_WIDE = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")


class PlanRefused(Refused):
    """A refused change; ``errors`` maps a field (or an item code, or "" for the whole change) to its message."""


def today() -> date:
    """Works are dated in local (Beijing) time, as the people on site write them."""
    return beijing_today()


def parse_amount(value, *, limit: Decimal = MONEY_LIMIT) -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, message) from what a person typed ("1,234.5", "１２"); empty is (None, None):
    not known yet, which is not 0."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = ("" if value is None else str(value)).translate(_WIDE).replace(",", "").replace(" ", "").strip()
        if not text:
            return None, None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, _("Enter a number, such as 150000 or 12.5.")
    if not number.is_finite():
        return None, _("Enter a number, such as 150000 or 12.5.")
    if number < 0:
        return None, _("The amount cannot be negative.")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        return None, _("Use at most 2 decimal places.")
    if number >= limit:
        return None, _("The number has too many digits.")
    return number.quantize(CENT), None


# --- reading ---------------------------------------------------------------------------------------------------

def budget_for(community: Community) -> CommunityBudget | None:
    return db.session.scalar(select(CommunityBudget).where(CommunityBudget.community_id == community.id))


def plan_for(community: Community) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.community_id == community.id))


def version_by_number(plan: Plan | None, number: int) -> PlanVersion | None:
    if plan is None:
        return None
    return next((version for version in plan.versions if version.number == number), None)


def latest_version(plan: Plan | None) -> PlanVersion | None:
    return plan.versions[-1] if plan is not None and plan.versions else None


def adopted_version(plan: Plan | None) -> PlanVersion | None:
    if plan is None:
        return None
    return next((version for version in plan.versions if version.status == "adopted"), None)


def locked_number(plan: Plan | None) -> int | None:
    """The number of the plan's locked final version (participation.plans.comments.lock), or None."""
    if plan is None or plan.id is None:
        return None
    return db.session.scalar(select(PlanVersion.number).join(PlanCommentPeriod)
                             .where(PlanVersion.plan_id == plan.id, PlanCommentPeriod.locked_at.isnot(None)))


def _refuse_if_locked(plan: Plan) -> None:
    number = locked_number(plan)
    if number is not None:
        raise PlanRefused({"": _("Version %(number)d is the locked final plan: it can no longer be changed.",
                                 number=number)})


def works_by_item(plan: Plan | None) -> dict[int, PlanWork]:
    return {} if plan is None else {work.item_id: work for work in plan.works}


# --- the budget ------------------------------------------------------------------------------------------------

def save_budget(actor: User, community: Community, fields: dict, *, override_reason: str | None = None
                ) -> CommunityBudget:
    """The plan year (2000–2100), the envelope and each funding line: an empty line is unknown (None), not 0. A new
    amount from the maintenance fund passes the gate ``maintenance_fund_vote`` (a passed matter-5 vote), and so does
    raising the fund (a passed matter-6 vote)."""
    errors, values = {}, {}
    year_text = str(fields.get("plan_year") or "").translate(_WIDE).strip()
    if not year_text:
        errors["plan_year"] = _("Enter the plan year.")
    elif not year_text.isdigit() or not FIRST_YEAR <= int(year_text) <= LAST_YEAR:
        errors["plan_year"] = _("A year is a whole number from %(first)d to %(last)d.", first=FIRST_YEAR,
                                last=LAST_YEAR)
    else:
        values["plan_year"] = int(year_text)
    for name in BUDGET_MONEY_FIELDS:
        values[name], message = parse_amount(fields.get(name))
        if message:
            errors[name] = message
    note = (fields.get("note") or "").strip()
    if len(note) > MAX_TEXT:
        errors["note"] = _("The note is too long (at most %(max)d characters).", max=MAX_TEXT)
    values["note"] = note or None
    values["raises_maintenance_fund"] = bool(fields.get("raises_maintenance_fund"))
    if errors:
        raise PlanRefused(errors)
    budget = budget_for(community)
    fund = values["maintenance_fund"]
    missing = []
    if fund and fund != getattr(budget, "maintenance_fund", None):
        missing += gates.maintenance_fund_missing(community)
    if values["raises_maintenance_fund"] and not getattr(budget, "raises_maintenance_fund", False):
        missing += gates.fund_raising_missing(community)
    if missing:
        passes(actor, community, "maintenance_fund_vote", missing, reason=override_reason)
    if budget is None:
        budget = CommunityBudget(community_id=community.id, plan_year=values["plan_year"])
        db.session.add(budget)
        values["updated_by_id"] = getattr(actor, "id", None)
        apply_changes(budget, values, BUDGET_FIELDS)
        record(actor, "community_budget.create", budget, community=community,
               **{name: values[name] for name in BUDGET_FIELDS})
        return budget
    changes = apply_changes(budget, values | {"updated_by_id": getattr(actor, "id", None)}, BUDGET_FIELDS)
    if changes:
        record(actor, "community_budget.update", budget, community=community, changes=changes)
    return budget


# --- versions --------------------------------------------------------------------------------------------------

def _catalogue(codes) -> dict[str, CatalogueItem]:
    return {item.code: item for item in db.session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(codes)))}


def adopt_suggestions(actor: User, community: Community, result: dict) -> Plan:
    """The community's plan with version 1, a draft holding every item of ``result`` (``plan_inputs``) as the
    inputs suggest: included when the suggestion is "include" or "needs a vote" (not "if the budget allows")."""
    if plan_for(community) is not None:
        raise PlanRefused({"": _("This community already has a plan: edit it to make a new version.")})
    catalogue = _catalogue([row["code"] for row in result["items"]])
    states = gates.vote_states(community)      # an item whose owner vote failed is out, saying so
    plan = Plan(community_id=community.id, created_by_id=getattr(actor, "id", None))
    version = PlanVersion(number=1, status="draft", created_by_id=getattr(actor, "id", None))
    plan.versions.append(version)
    for position, row in enumerate(result["items"], start=1):
        quantity, unit_cost = Decimal(row["quantity"]).quantize(CENT), Decimal(row["unit_cost"]).quantize(CENT)
        failed = states.get(row["code"], {}).get("status") == "failed"
        version.items.append(PlanItem(
            item_id=catalogue[row["code"]].id, position=position,
            included=is_planned(row) and not failed,
            quantity=quantity, unit_cost=unit_cost, cost=Decimal(row["estimated_cost"]).quantize(CENT),
            suggestion=row["suggestion"], change_reason=gates.failed_reason(states[row["code"]]) if failed else None))
    db.session.add(plan)
    db.session.flush()
    record(actor, "plan.adopt_suggestions", plan, community=community, version=1,
           included=[item.item.code for item in version.items if item.included], total_cost=version.total_cost)
    return plan


def _row_values(item: PlanItem, change: dict | None, errors: dict) -> dict:
    """The item's values in the new version, from the change asked for (missing keys keep the old value)."""
    change = change or {}
    included = item.included if change.get("included") is None else bool(change["included"])
    values = {"included": included}
    for name, limit in (("quantity", MONEY_LIMIT), ("unit_cost", UNIT_COST_LIMIT)):
        raw = change.get(name)
        if raw is None or raw == "":
            values[name] = getattr(item, name)
            continue
        amount, message = parse_amount(raw, limit=limit)
        if message:
            errors[f"{item.item.code}.{name}"] = _("%(item)s: %(message)s", item=item.item.name, message=message)
            amount = getattr(item, name)
        values[name] = amount
    values["cost"] = (values["quantity"] * values["unit_cost"]).quantize(CENT, rounding=ROUND_HALF_UP)
    if values["cost"] >= MONEY_LIMIT:
        errors[f"{item.item.code}.quantity"] = _("%(item)s: the cost has too many digits.", item=item.item.name)
    return values


def edit_version(actor: User, plan: Plan, changes: dict, measures: str | None, reason: str | None) -> PlanVersion:
    """Version N+1 from the latest: ``changes`` maps an item code to {"included", "quantity", "unit_cost",
    "reason"}; the cost is quantity × unit cost; every changed item needs its reason; nothing changed is refused."""
    latest = latest_version(plan)
    if latest is None:
        raise PlanRefused({"": _("This plan has no version yet.")})
    _refuse_if_locked(plan)
    errors = {}
    measures = (measures or "").strip() or None
    reason = (reason or "").strip() or None
    known = {item.item.code for item in latest.items}
    for code in set(changes) - known:
        errors[code] = _("%(code)s is not an item of this plan.", code=code)
    states = gates.vote_states(plan.community)
    rows, changed = [], []
    for item in latest.items:
        change = changes.get(item.item.code)
        values = _row_values(item, change, errors)
        item_reason = ((change or {}).get("reason") or "").strip() or None
        if values["included"] and states.get(item.item.code, {}).get("status") == "failed":
            values["included"] = False        # the owners said no: out, with the vote's words as the reason
            item_reason = " ".join(filter(None, (gates.failed_reason(states[item.item.code]), item_reason)))
        is_changed = any(values[name] != getattr(item, name) for name in ("included", "quantity", "unit_cost"))
        if is_changed and item_reason is None:
            errors[f"{item.item.code}.reason"] = _("%(item)s changed: say why.", item=item.item.name)
        if item_reason and len(item_reason) > MAX_TEXT:
            errors[f"{item.item.code}.reason"] = _("%(item)s: the reason is too long (at most %(max)d characters).",
                                item=item.item.name, max=MAX_TEXT)
        rows.append((item, values, item_reason if is_changed else None))
        if is_changed:
            changed.append(item.item.code)
    for name, text in (("measures", measures), ("reason", reason)):
        if text and len(text) > MAX_TEXT:
            errors[name] = _("The text is too long (at most %(max)d characters).", max=MAX_TEXT)
    if not errors and not changed and measures == latest.measures:
        errors[""] = _("Nothing changed: change an item or the policy measures to make a new version.")
    if not errors and reason is None:
        errors["reason"] = _("Say why this version is made.")
    if errors:
        raise PlanRefused(errors)
    version = PlanVersion(number=latest.number + 1, status="draft", measures=measures, reason=reason,
                          created_by_id=getattr(actor, "id", None))
    for item, values, item_reason in rows:
        version.items.append(PlanItem(item_id=item.item_id, position=item.position, suggestion=item.suggestion,
                                      change_reason=item_reason, **values))
    plan.versions.append(version)
    db.session.flush()
    record(actor, "plan_version.create", version, community=plan.community_id, number=version.number,
           changed=changed, measures_changed=measures != latest.measures, reason=reason,
           total_cost=version.total_cost)
    return version


def adopt_version(actor: User, version: PlanVersion, *, override_reason: str | None = None) -> PlanVersion:
    """Adopt a draft: the version adopted before is superseded; each included item gets its works row. Gates
    ``adopt_comment_period`` and ``adopt_owner_votes`` (participation.plans.gates): refused with every missing
    condition of both, unless an administrator gives a reason."""
    if version.status != "draft":
        raise PlanRefused({"": _("Only a draft version can be adopted; version %(number)d is not a draft.",
                                 number=version.number)})
    plan = version.plan
    _refuse_if_locked(plan)
    refusals = []
    for gate, missing in (("adopt_comment_period", gates.comment_period_missing(version)),
                          ("adopt_owner_votes", gates.owner_votes_missing(version))):
        try:
            passes(actor, plan.community, gate, missing, reason=override_reason, version=version)
        except GateRefused as refused:
            refusals.extend(refused.missing)
    if refusals:
        raise GateRefused(refusals)
    previous = adopted_version(plan)
    if previous is not None:
        previous.status = "superseded"
    version.status, version.adopted_at = "adopted", utcnow()
    have = works_by_item(plan)
    new_works = [PlanWork(plan=plan, item_id=item.item_id, status="not_started",
                          updated_by_id=getattr(actor, "id", None))
                 for item in version.items if item.included and item.item_id not in have]
    db.session.add_all(new_works)
    db.session.flush()
    record(actor, "plan_version.adopt", version, community=plan.community_id, number=version.number,
           superseded=None if previous is None else previous.number, new_works=len(new_works))
    return version


def version_changes(old: PlanVersion | None, new: PlanVersion) -> list[dict]:
    """The table of changed items: each item whose inclusion, quantity or unit cost differs from ``old``."""
    if old is None:
        return []
    before = {item.item_id: item for item in old.items}
    rows = []
    for item in new.items:
        was = before.get(item.item_id)
        if was is not None and (was.included, was.quantity, was.unit_cost) == (item.included, item.quantity,
                                                                                item.unit_cost):
            continue
        rows.append({
            "code": item.item.code, "name": item.item.name,
            "included": (None if was is None else was.included, item.included),
            "quantity": (None if was is None else was.quantity, item.quantity),
            "unit_cost": (None if was is None else was.unit_cost, item.unit_cost),
            "cost": (None if was is None else was.cost, item.cost),
            "reason": item.change_reason,
        })
    return rows


# --- works -----------------------------------------------------------------------------------------------------

def set_work(actor: User, plan: Plan, item: CatalogueItem, status: str, *, started_on: date | None = None,
             finished_on: date | None = None, note: str | None = None,
             override_reason: str | None = None) -> PlanWork:
    """The works on one included item of the adopted version: finished needs a finish date, and no date lies in
    the future. Starting works (not started → in progress or finished) passes the gate ``works_joint_review``."""
    adopted = adopted_version(plan)
    in_plan = adopted is not None and any(row.item_id == item.id and row.included for row in adopted.items)
    if not in_plan:
        raise PlanRefused({"": _("%(item)s is not in the adopted plan.", item=item.name)})
    errors = {}
    if status not in WORK_STATUSES:
        errors["status"] = _("Choose a status.")
    if status != "finished":
        finished_on = None
    elif finished_on is None:
        errors["finished_on"] = _("Enter the date the works finished.")
    now = today()
    for name, day in (("started_on", started_on), ("finished_on", finished_on)):
        if day is not None and day > now:
            errors[name] = _("The date cannot be in the future.")
    if started_on and finished_on and finished_on < started_on and "finished_on" not in errors:
        errors["finished_on"] = _("The works cannot finish before they start.")
    note = (note or "").strip() or None
    if note and len(note) > MAX_TEXT:
        errors["note"] = _("The note is too long (at most %(max)d characters).", max=MAX_TEXT)
    if errors:
        raise PlanRefused(errors)
    work = works_by_item(plan).get(item.id)
    if status != "not_started" and (work is None or work.status == "not_started"):
        passes(actor, plan.community, "works_joint_review", gates.joint_review_missing(adopted),
               reason=override_reason, version=adopted)
    if work is None:
        work = PlanWork(plan=plan, item_id=item.id, status="not_started")
        db.session.add(work)
    fields = ("status", "started_on", "finished_on", "note")
    changes = apply_changes(work, {"status": status, "started_on": started_on, "finished_on": finished_on,
                                   "note": note, "updated_by_id": getattr(actor, "id", None)}, fields)
    if changes:
        record(actor, "plan_work.update", work, community=plan.community_id, item=item.code, changes=changes)
    return work


# --- what residents see ----------------------------------------------------------------------------------------

def small(count) -> bool:
    return count is not None and 0 < count < MIN_CELL


def public_items(result: dict) -> list[dict]:
    """The items of the plan inputs as a notice shows them: an item that fewer than 5 households answered about
    shows no counts or shares (SUPPRESSED), so no household's answer can be read off a public page."""
    rows = []
    for row in result["items"]:
        hidden = small(row["respondents"])
        rows.append({
            "code": row["code"], "name": row["name"], "category": row["category"],
            "respondents": SUPPRESSED if hidden else row["respondents"],
            "need_share": SUPPRESSED if hidden else row["need_share"],
            "need_share_area": SUPPRESSED if hidden else row["need_share_area"],
            "priority_points": SUPPRESSED if hidden else row["priority_points"],
            "suppressed": hidden,
        })
    return rows


def public_participation(result: dict) -> dict:
    """Whole-community participation for a notice: a response count under 5 is suppressed like any small cell."""
    stats = result["participation"]
    responded = stats.get("responded") or 0
    return {"eligible": stats.get("eligible"), "responded": SUPPRESSED if small(responded) else responded,
            "rate": None if small(responded) else stats.get("rate")}
