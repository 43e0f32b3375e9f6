"""Residents' satisfaction rating (居民满意度评价) within joint acceptance (联合验收), and the acceptance record.

    open a round (a finished item, or the whole project when every item is finished)
      → households in scope rate 满意 / 基本满意 / 不满意 (once each, changeable until close)
      → close: counts, and the locality's ``acceptance_pass`` rule for the round's year, in exact integers
         passed ─▶ the subject may go into a joint acceptance record
         failed ─▶ a 整改 ticket (construction quality) dispatched to the contractor with its deadline;
                   once that ticket is completed or closed, a re-rating is the next round
    record: organiser, owner representative and supervisor each sign; refused while the last round of a covered
    subject is open or failed.

The pass rule (``acceptance_pass``: ``satisfied_share`` of the responses are 满意 or 基本满意, and
``participation_share`` of the households in scope responded; both "at least") is locality data marked as a
default to be confirmed. A year without both keys is 未配置: the round stays open and cannot close with a result —
never a guess. Operations never commit; every change is audited.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.extensions import db
from participation.formatting import BEIJING
from participation.labels import NOT_CONFIGURED
from participation.models import Building, CatalogueItem, Community, ComplaintCategory, Household, Plan, PlanWork, Unit
from participation.models.acceptance import (MAX_COMMENT, PROJECT, RATINGS, AcceptanceRating, AcceptanceRecord,
                                             AcceptanceRecordSubject, RatingResponse)
from participation.models.types import utcnow
from participation.audit import record
from participation.reference.locality import rule_for
from participation.complaints.operations import act, file_ticket
from participation.permissions import can_manage_community, can_view_community

RULE_KIND = "acceptance_pass"
RULE_KEYS = ("satisfied_share", "participation_share")
RECTIFICATION_CATEGORY = "construction_quality"
TICKET_DONE = ("completed", "closed")
# The 整改 ticket comes from an inspection, not from a resident's complaint: the ``patrol`` channel keeps it out of
# the residents' complaint rates, as the supervisors' findings are.
TICKET_CHANNEL = "patrol"
MAX_RESULT_TEXT = 2000


class AcceptanceRefused(ValueError):
    """Not allowed now or by this person; the message is shown as it is and nothing changed."""


# --- subjects -----------------------------------------------------------------------------------------------------

def subject_of(item: CatalogueItem | None) -> str:
    return PROJECT if item is None else f"item:{item.id}"


def plan_of(community: Community) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.community_id == community.id))


def works_of(plan: Plan | None) -> list[PlanWork]:
    if plan is None:
        return []
    return list(db.session.scalars(select(PlanWork).join(CatalogueItem, CatalogueItem.id == PlanWork.item_id)
                                   .where(PlanWork.plan_id == plan.id).order_by(CatalogueItem.code)))


def subjects(community: Community) -> list[dict]:
    """What can be rated: every item of the plan's works (finished or not) and the whole project."""
    plan = plan_of(community)
    works = works_of(plan)
    rows = [{"subject": subject_of(work.item), "item": work.item, "finished": work.status == "finished",
             "finished_on": work.finished_on} for work in works]
    rows.append({"subject": PROJECT, "item": None, "finished": bool(works) and all(r["finished"] for r in rows),
                 "finished_on": None})
    return rows


def rounds_of(community: Community) -> list[AcceptanceRating]:
    return list(db.session.scalars(select(AcceptanceRating).where(AcceptanceRating.community_id == community.id)
                                   .order_by(AcceptanceRating.subject, AcceptanceRating.number)))


def last_round(plan: Plan, subject: str) -> AcceptanceRating | None:
    return db.session.scalar(select(AcceptanceRating).where(AcceptanceRating.plan_id == plan.id,
                                                            AcceptanceRating.subject == subject)
                             .order_by(AcceptanceRating.number.desc()).limit(1))


# --- the pass rule ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PassRule:
    year: int
    satisfied_share: Decimal | None
    participation_share: Decimal | None
    source: str | None

    @property
    def configured(self) -> bool:
        return self.satisfied_share is not None and self.participation_share is not None

    def describe(self) -> str:
        if not self.configured:
            return str(NOT_CONFIGURED)
        return _("Satisfied and basically satisfied at least %(satisfied)s of the responses, and responses from at "
                 "least %(participation)s of the households in scope",
                 satisfied=_percent(self.satisfied_share), participation=_percent(self.participation_share))


def _percent(share: Decimal) -> str:
    text = format((share * 100).normalize(), "f")
    return f"{text} %"


def round_year(round_: AcceptanceRating) -> int:
    return round_.opens_at.astimezone(BEIJING).year


def pass_rule(community: Community, year: int) -> PassRule:
    """The locality's ``acceptance_pass`` rule in ``year``; both keys or it is not configured (未配置)."""
    locality = community.district.locality
    found = {key: rule_for(locality, RULE_KIND, key, year) for key in RULE_KEYS}
    values = {key: rule.number_value if rule is not None and rule.unit == "fraction" else None
              for key, rule in found.items()}
    sources = [rule.source for rule in found.values() if rule is not None]
    return PassRule(year, values["satisfied_share"], values["participation_share"],
                    "；".join(dict.fromkeys(sources)) or None)


def decide(rule: PassRule, *, eligible: int, responses: int, content: int) -> bool:
    """Whether the counts pass the rule, in exact rational arithmetic (each share "at least"). No responses never
    passes: there is nothing to be satisfied with."""
    if not rule.configured:
        raise AcceptanceRefused(_("The pass rule for %(year)d is not configured (未配置): the round cannot close with "
                                  "a result. An administrator adds the rule to the locality first.", year=rule.year))
    if eligible <= 0 or responses <= 0:
        return False
    return (Fraction(responses, eligible) >= Fraction(rule.participation_share)
            and Fraction(content, responses) >= Fraction(rule.satisfied_share))


# --- who is in scope ----------------------------------------------------------------------------------------------

def _households_count(community_id: int, building_ids: list[int] | None) -> int:
    """Households of the community, or of the listed buildings only."""
    query = (select(func.count(Household.id)).join(Unit, Unit.id == Household.unit_id)
             .join(Building, Building.id == Unit.building_id).where(Building.community_id == community_id))
    if building_ids is not None:
        query = query.where(Building.id.in_(building_ids))
    return db.session.scalar(query) or 0


def eligible_count(round_: AcceptanceRating) -> int:
    return _households_count(round_.community_id, [b.id for b in round_.buildings]
                             if round_.scope == "buildings" else None)


def in_scope(round_: AcceptanceRating, household: Household) -> bool:
    building = household.unit.building
    if building.community_id != round_.community_id:
        return False
    return round_.scope == "community" or any(b.id == building.id for b in round_.buildings)


def counts(round_: AcceptanceRating) -> dict:
    rows = dict(db.session.execute(select(RatingResponse.rating, func.count()).where(
        RatingResponse.round_id == round_.id).group_by(RatingResponse.rating)).all())
    tally = {rating: rows.get(rating, 0) for rating in RATINGS}
    return {"eligible": eligible_count(round_), "responses": sum(tally.values()), **tally}


def visible_results(round_: AcceptanceRating, user=None) -> dict:
    """What a reader sees of a round: while it is open with hidden tallies, the participation only; otherwise the
    counts by rating and, once closed, the result with the rule applied."""
    if round_.status == "closed":
        numbers = {"eligible": round_.eligible, "responses": round_.responses, "satisfied": round_.satisfied,
                   "basically_satisfied": round_.basically_satisfied, "dissatisfied": round_.dissatisfied}
    else:
        numbers = counts(round_)
    hidden = round_.is_open and round_.hide_tallies
    shown = {"eligible": numbers["eligible"], "responses": numbers["responses"], "hidden": hidden,
             "participation": _share(numbers["responses"], numbers["eligible"])}
    if not hidden:
        content = numbers["satisfied"] + numbers["basically_satisfied"]
        shown.update({rating: numbers[rating] for rating in RATINGS},
                     content_share=_share(content, numbers["responses"]))
    if round_.status == "closed":
        shown.update(result=round_.result, rule_text=round_.rule_text, rule_source=round_.rule_source,
                     rule_year=round_.rule_year)
    return shown


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


# --- opening and closing rounds -----------------------------------------------------------------------------------

def _manager(actor, community: Community) -> None:
    if not can_manage_community(actor, community):
        raise AcceptanceRefused(_("Only the community's organisers may do this."))


def open_round(actor, community: Community, subject: str, *, closes_at: datetime, hide_tallies: bool = True,
               buildings: list[Building] | None = None, now: datetime | None = None) -> AcceptanceRating:
    """A round for a finished item (or the whole project), numbered after the subject's last round. A re-rating
    needs the last round failed and its 整改 ticket completed or closed."""
    _manager(actor, community)
    now = now or utcnow()
    plan = plan_of(community)
    row = next((r for r in subjects(community) if r["subject"] == subject), None) if plan is not None else None
    if row is None:
        raise AcceptanceRefused(_("Choose an item of the plan's works, or the whole project."))
    if not row["finished"]:
        raise AcceptanceRefused(_("The works on %(subject)s are not finished: residents rate finished works only.",
                                  subject=subject_name(row["item"])))
    if closes_at <= now:
        raise AcceptanceRefused(_("Choose a closing time in the future."))
    buildings = list(buildings or [])
    if any(building.community_id != community.id for building in buildings):
        raise AcceptanceRefused(_("That building is not in this community."))
    if _households_count(community.id, [b.id for b in buildings] if buildings else None) == 0:
        raise AcceptanceRefused(_("No household is in this scope."))
    previous = last_round(plan, subject)
    if previous is not None:
        if previous.is_open:
            raise AcceptanceRefused(_("A round for this is already open."))
        if previous.result == "passed":
            raise AcceptanceRefused(_("Round %(number)d passed: there is nothing to rate again.",
                                      number=previous.number))
        if previous.ticket is not None and previous.ticket.state not in TICKET_DONE:
            raise AcceptanceRefused(_("The rectification ticket %(receipt)s is not completed yet: re-rate after it.",
                                      receipt=previous.ticket.receipt))
    round_ = AcceptanceRating(
        community=community, plan=plan, subject=subject, item=row["item"],
        number=(previous.number + 1) if previous else 1, previous=previous,
        scope="buildings" if buildings else "community", buildings=buildings, opens_at=now, closes_at=closes_at,
        hide_tallies=bool(hide_tallies), status="open", created_by_id=getattr(actor, "id", None))
    db.session.add(round_)
    db.session.flush()
    record(actor, "acceptance.open", round_, community=community, subject=subject, number=round_.number,
           scope=round_.scope, buildings=[b.name for b in buildings], closes_at=closes_at.isoformat(),
           hide_tallies=round_.hide_tallies)
    return round_


def close_round(actor, round_: AcceptanceRating, *, now: datetime | None = None) -> AcceptanceRating:
    """Close with the result of the year's rule; a failing round files the 整改 ticket and dispatches it to the
    contractor. Refused (still open) when the rule is not configured."""
    community = round_.community
    _manager(actor, community)
    if not round_.is_open:
        raise AcceptanceRefused(_("This round is already closed."))
    now = now or utcnow()
    rule = pass_rule(community, round_year(round_))
    numbers = counts(round_)
    content = numbers["satisfied"] + numbers["basically_satisfied"]
    passed = decide(rule, eligible=numbers["eligible"], responses=numbers["responses"], content=content)
    round_.status, round_.closed_at, round_.closed_by_id = "closed", now, getattr(actor, "id", None)
    for key in ("eligible", "responses", *RATINGS):
        setattr(round_, key, numbers[key])
    round_.result = "passed" if passed else "failed"
    round_.rule_text, round_.rule_source, round_.rule_year = rule.describe(), rule.source, rule.year
    db.session.flush()
    record(actor, "acceptance.close", round_, community=community, subject=round_.subject, number=round_.number,
           result=round_.result, rule_year=rule.year, rule=round_.rule_text, source=rule.source, **numbers)
    if not passed:
        _rectification_ticket(actor, round_, numbers, now)
    return round_


def _rectification_ticket(actor, round_: AcceptanceRating, numbers: dict, now: datetime) -> None:
    community = round_.community
    category = db.session.scalar(select(ComplaintCategory).where(
        ComplaintCategory.locality_id == community.district.locality_id,
        ComplaintCategory.code == RECTIFICATION_CATEGORY, ComplaintCategory.retired_at.is_(None)))
    if category is None:
        raise AcceptanceRefused(_("The complaint category for construction quality is missing: the rectification "
                                  "ticket cannot be filed. Nothing was changed."))
    description = _("Joint acceptance: the residents' rating of %(subject)s failed in round %(number)d "
                    "(%(responses)d of %(eligible)d households rated; %(dissatisfied)d dissatisfied). Rectify "
                    "(整改) and report back; a re-rating follows.", subject=subject_name(round_.item),
                    number=round_.number, responses=numbers["responses"], eligible=numbers["eligible"],
                    dissatisfied=numbers["dissatisfied"])
    comments = [r.comment for r in round_.ratings if r.comment and r.rating == "dissatisfied"]
    if comments:
        description += "\n" + "\n".join(f"- {comment}" for comment in comments)
    ticket = file_ticket(actor, community, category=category, description=description[:4000],
                         channel=TICKET_CHANNEL,
                         place=_("Joint acceptance"), now=now)
    round_.ticket = ticket
    if community.contractor is not None:
        act(actor, ticket, "dispatch", agency=community.contractor, now=now)
    db.session.flush()
    record(actor, "acceptance.rectification", round_, community=community, receipt=ticket.receipt,
           agency=community.contractor.name if community.contractor else None, due_at=ticket.due_at.isoformat())


def can_rerate(round_: AcceptanceRating) -> bool:
    return (round_.status == "closed" and round_.result == "failed"
            and (round_.ticket is None or round_.ticket.state in TICKET_DONE)
            and last_round(round_.plan, round_.subject).id == round_.id)


def subject_name(item: CatalogueItem | None) -> str:
    return item.name if item is not None else _("The whole project")


# --- residents rate -----------------------------------------------------------------------------------------------

def open_rounds_for(household: Household, now: datetime | None = None) -> list[AcceptanceRating]:
    """The open rounds this household may rate now."""
    now = now or utcnow()
    rounds = db.session.scalars(select(AcceptanceRating).where(
        AcceptanceRating.community_id == household.unit.building.community_id, AcceptanceRating.status == "open")
        .order_by(AcceptanceRating.id))
    return [r for r in rounds if r.closes_at > now and in_scope(r, household)]


def response_of(round_: AcceptanceRating, household: Household) -> RatingResponse | None:
    return db.session.scalar(select(RatingResponse).where(RatingResponse.round_id == round_.id,
                                                          RatingResponse.household_id == household.id))


def rate(household: Household, round_: AcceptanceRating, rating: str, *, comment: str | None = None,
         photo_path: str | None = None, channel: str = "web", staff=None,
         now: datetime | None = None) -> RatingResponse:
    """The household's rating: a new one, or its earlier one changed (until the round closes)."""
    now = now or utcnow()
    if not round_.is_open or round_.closes_at <= now:
        raise AcceptanceRefused(_("This rating is closed."))
    if not in_scope(round_, household):
        raise AcceptanceRefused(_("Your home is not among the households asked in this rating."))
    if rating not in RATINGS:
        raise AcceptanceRefused(_("Choose 满意, 基本满意 or 不满意."))
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise AcceptanceRefused(_("At most %(count)d characters, please.", count=MAX_COMMENT))
    response = response_of(round_, household)
    before = response.rating if response is not None else None
    if response is None:
        response = RatingResponse(round=round_, household_id=household.id, created_at=now)
        db.session.add(response)
    response.rating, response.comment, response.channel = rating, comment, channel
    response.staff_id, response.updated_at = getattr(staff, "id", None), now
    if photo_path is not None:
        response.photo_path = photo_path
    db.session.flush()
    record(staff, "acceptance.rate" if before is None else "acceptance.rate_change", response,
           community=round_.community_id, channel=channel, round=round_.id, household=household.id,
           before=before, rating=rating, comment=bool(comment), photo=photo_path is not None)
    return response


# --- the joint acceptance record ----------------------------------------------------------------------------------

def create_record(actor, community: Community, chosen: list[str], result_text: str) -> AcceptanceRecord:
    _manager(actor, community)
    plan = plan_of(community)
    known = {row["subject"] for row in subjects(community)} if plan is not None else set()
    chosen = list(dict.fromkeys(chosen or []))
    if not chosen or any(subject not in known for subject in chosen):
        raise AcceptanceRefused(_("Choose the items the record covers."))
    result_text = (result_text or "").strip()
    if not result_text:
        raise AcceptanceRefused(_("Write the result of the joint acceptance."))
    if len(result_text) > MAX_RESULT_TEXT:
        raise AcceptanceRefused(_("At most %(count)d characters, please.", count=MAX_RESULT_TEXT))
    row = AcceptanceRecord(community=community, plan=plan, result_text=result_text,
                           created_by_id=getattr(actor, "id", None),
                           subjects=[AcceptanceRecordSubject(subject=subject) for subject in chosen])
    db.session.add(row)
    db.session.flush()
    record(actor, "acceptance.record", row, community=community, subjects=chosen)
    return row


def signing_role(actor, record_: AcceptanceRecord) -> str | None:
    """Which signature this person gives: an organiser who runs the community, an owner representative of it, or a
    user of the agency that supervises it (监理)."""
    community = record_.community
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None
    if actor.role == "organiser" and can_manage_community(actor, community):
        return "organiser"
    if actor.role == "owner_rep" and can_view_community(actor, community):
        return "owner_rep"
    if actor.role == "agency" and actor.organisation_id is not None \
            and actor.organisation_id == community.supervisor_id:
        return "supervisor"
    return None


def blocking_subjects(record_: AcceptanceRecord) -> list[str]:
    """Covered subjects whose last round is missing, open or failed: the record cannot be signed while any is."""
    blocked = []
    for row in record_.subjects:
        last = last_round(record_.plan, row.subject)
        if last is None or last.result != "passed":
            blocked.append(row.subject)
    return blocked


def sign_record(actor, record_: AcceptanceRecord, *, now: datetime | None = None) -> str:
    role = signing_role(actor, record_)
    if role is None:
        raise AcceptanceRefused(_("Only the organiser, an owner representative or the supervisor signs the record."))
    if getattr(record_, f"{role}_signed_at") is not None:
        raise AcceptanceRefused(_("This signature is already given."))
    if blocking_subjects(record_):
        raise AcceptanceRefused(_("The last rating of an item the record covers has not passed: the record cannot be "
                                  "signed."))
    now = now or utcnow()
    setattr(record_, f"{role}_id", actor.id)
    setattr(record_, f"{role}_signed_at", now)
    db.session.flush()
    record(actor, "acceptance.sign", record_, community=record_.community_id, role=role)
    return role
