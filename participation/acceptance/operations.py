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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.acceptance import messages
from participation.acceptance.queries import (TICKET_DONE, blocking_subjects, counts, households_count, in_scope,
                                              last_round, plan_of, response_of, signing_role, subject_name, subjects)
from participation.audit import record
from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.formatting import BEIJING
from participation.handlers import Refused
from participation.labels import NOT_CONFIGURED
from participation.lifecycle.overrides import passes
from participation.models import Building, Community, ComplaintCategory, Household
from participation.models.acceptance import (MAX_COMMENT, RATINGS, AcceptanceRating, AcceptanceRecord,
                                             AcceptanceRecordSubject, RatingResponse)
from participation.models.types import utcnow
from participation.permissions import can_manage_community
from participation.reference.locality import rule_for

RULE_KIND = "acceptance_pass"
RULE_KEYS = ("satisfied_share", "participation_share")
RECTIFICATION_CATEGORY = "construction_quality"
# The 整改 ticket comes from an inspection, not from a resident's complaint: the ``patrol`` channel keeps it out of
# the residents' complaint rates, as the supervisors' findings are.
TICKET_CHANNEL = "patrol"
MAX_RESULT_TEXT = 2000


class AcceptanceRefused(Refused):
    """Not allowed now or by this person; the message is shown as it is and nothing changed."""


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


# --- opening and closing rounds -----------------------------------------------------------------------------------

def _manager(actor, community: Community) -> None:
    if not can_manage_community(actor, community):
        raise AcceptanceRefused(_("Only the community's organisers may do this."))


def open_round(actor, community: Community, subject: str, *, closes_at: datetime, hide_tallies: bool = True,
               buildings: list[Building] | None = None, now: datetime | None = None,
               override_reason: str | None = None) -> AcceptanceRating:
    """A round for a finished item (or the whole project), numbered after the subject's last round: the gate
    ``rating_finished_items`` names each unfinished item (an administrator may override it with a reason). A
    re-rating needs the last round failed and its 整改 ticket completed or closed."""
    _manager(actor, community)
    now = now or utcnow()
    plan = plan_of(community)
    row = next((r for r in subjects(community) if r["subject"] == subject), None) if plan is not None else None
    if row is None:
        raise AcceptanceRefused(_("Choose an item of the plan's works, or the whole project."))
    unfinished = [row] if row["item"] is not None else [r for r in subjects(community) if r["item"] is not None]
    passes(actor, community, "rating_finished_items",
           [_("The works on %(subject)s are not finished: residents rate finished works only.",
              subject=subject_name(r["item"])) for r in unfinished if not r["finished"]]
           or ([] if row["finished"] else [_("No works are recorded for the plan yet.")]), reason=override_reason)
    if closes_at <= now:
        raise AcceptanceRefused(_("Choose a closing time in the future."))
    buildings = list(buildings or [])
    if any(building.community_id != community.id for building in buildings):
        raise AcceptanceRefused(_("That building is not in this community."))
    if households_count(community.id, [b.id for b in buildings] if buildings else None) == 0:
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
    messages.rating_opened(round_)
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
    else:
        messages.cosign_waiting(community)   # a record covering this subject may be signable now
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


# --- residents rate -----------------------------------------------------------------------------------------------

def rate(household: Household, round_: AcceptanceRating, rating: str, *, comment: str | None = None,
         photo_path: str | None = None, channel: str = "web", staff=None,
         now: datetime | None = None) -> RatingResponse:
    """The household's rating: a new one, or its earlier one changed (until the round closes). Two taps at once
    make one rating: the second finds the row the first made and changes it."""
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
    values = {"rating": rating, "comment": comment, "channel": channel, "staff_id": getattr(staff, "id", None),
              "updated_at": now}
    if photo_path is not None:
        values["photo_path"] = photo_path
    for last in (False, True):
        response = response_of(round_, household)
        before = response.rating if response is not None else None
        if response is not None:
            for name, value in values.items():
                setattr(response, name, value)
            db.session.flush()
            break
        response = RatingResponse(round_id=round_.id, household_id=household.id, created_at=now, **values)
        try:
            with db.session.begin_nested():     # UNIQUE (round, household): the other tap's row wins
                db.session.add(response)
                db.session.flush()
        except IntegrityError:
            if last:
                raise
            continue
        break
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
    messages.cosign_waiting(community)
    return row


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
