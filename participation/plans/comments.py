"""The plan's comment period (方案公示 / 征求意见): publishing a plan version for comment, closing the period,
locking the final version, residents' support / objection / comment per item, moderation, answers, and the tallies
(per item, and ``objections_by_item`` for the plan inputs' flags).

Rules (DESIGN §4, research/domain.md: the plan-comment round, e.g. 7 days):
- Only the plan's latest version, not superseded and not locked, is published, once; one period of a plan is
  upcoming or open at a time. A period runs from ``opens_on`` to ``closes_on`` (local days, both included), opens
  today or later and lasts at least ``MIN_DAYS`` (a product default to be confirmed locally) and at most
  ``MAX_DAYS``.
- A household has one comment per item per version and one on the whole plan (UNIQUE in the database); it may
  change it while the period is open. "Other" needs words; words are at most ``COMMENT_MAX`` characters.
- Moderation hides a comment's words with a reason, and may show them again; nothing is deleted. Tallies count
  every household's stance, hidden or not: hiding rude words must not silence an objection.
- The final version is locked once adopted and after its comment period closed; a locked plan takes no new version
  and no other adoption (participation.plans.operations asks ``locked_version``).

Operations flush, never commit, and audit every change; a refusal raises ``CommentRefused`` (a ``PlanRefused``)
with a message per field and changes nothing.
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.audit import record
from participation.extensions import db
from participation.models import (COMMENT_MAX, STANCES, Community, Household, Plan, PlanComment, PlanCommentPeriod,
                                  PlanItem, PlanVersion, User)
from participation.models.types import utcnow
from participation.plans import messages
from participation.plans.operations import PlanRefused, latest_version, plan_for, today

MIN_DAYS = 7          # product default: a plan-comment round of at least 7 days, opening and closing day included
MAX_DAYS = 90
MAX_REASON = 500
MAX_ANSWER = 2000
MAX_NOTE = 2000


class CommentRefused(PlanRefused):
    """A refused comment-period change; ``errors`` maps a field ("" for the whole change) to its message."""


# --- reading -------------------------------------------------------------------------------------------------------

def period_for(version: PlanVersion | None) -> PlanCommentPeriod | None:
    if version is None or version.id is None:
        return None
    return db.session.scalar(select(PlanCommentPeriod).where(PlanCommentPeriod.version_id == version.id))


def periods_of(plan: Plan | None) -> list[PlanCommentPeriod]:
    """The plan's periods, newest version first."""
    if plan is None:
        return []
    return list(db.session.scalars(select(PlanCommentPeriod).join(PlanVersion)
                                   .where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.number.desc())))


def current_period(community: Community) -> PlanCommentPeriod | None:
    """What residents see: the period of the newest published version (open, upcoming or closed)."""
    periods = periods_of(plan_for(community))
    return periods[0] if periods else None


def locked_version(plan: Plan | None) -> PlanVersion | None:
    """The plan's locked final version, if any."""
    for period in periods_of(plan):
        if period.locked_at is not None:
            return period.version
    return None


def item_by_code(version: PlanVersion, code: str) -> PlanItem | None:
    return next((item for item in version.items if item.item.code == code), None)


def comment_on(version: PlanVersion, comment_id: int) -> PlanComment | None:
    """The comment ``comment_id`` if it is one on ``version``."""
    return db.session.scalar(select(PlanComment).where(PlanComment.id == comment_id,
                                                       PlanComment.version_id == version.id))


def household_comments(household: Household, version: PlanVersion) -> dict[int | None, PlanComment]:
    """The household's comments on ``version``: plan item id (None: the whole plan) → comment."""
    rows = db.session.scalars(select(PlanComment).where(PlanComment.version_id == version.id,
                                                        PlanComment.household_id == household.id))
    return {row.plan_item_id: row for row in rows}


def comments_of(version: PlanVersion, *, stance: str | None = None, hidden: bool | None = None) -> list[PlanComment]:
    """Every comment on ``version`` for the staff list, oldest first."""
    query = select(PlanComment).where(PlanComment.version_id == version.id)
    if stance in STANCES:
        query = query.where(PlanComment.stance == stance)
    if hidden is not None:
        query = query.where(PlanComment.hidden_at.isnot(None) if hidden else PlanComment.hidden_at.is_(None))
    return list(db.session.scalars(query.order_by(PlanComment.created_at, PlanComment.id)))


def tallies(version: PlanVersion) -> dict[int | None, dict]:
    """Per plan item id (None: the whole plan): households that support, object, said something else, in all, and
    how many of those comments are hidden. Hidden comments count (their words are hidden, not the stance)."""
    counts: dict[int | None, dict] = {}
    rows = db.session.execute(
        select(PlanComment.plan_item_id, PlanComment.stance, PlanComment.hidden_at.isnot(None), func.count())
        .where(PlanComment.version_id == version.id)
        .group_by(PlanComment.plan_item_id, PlanComment.stance, PlanComment.hidden_at.isnot(None)))
    for item_id, stance, hidden, count in rows:
        row = counts.setdefault(item_id, {"support": 0, "object": 0, "other": 0, "total": 0, "hidden": 0})
        row[stance] += count
        row["total"] += count
        if hidden:
            row["hidden"] += count
    return counts


def empty_tally() -> dict:
    return {"support": 0, "object": 0, "other": 0, "total": 0, "hidden": 0}


def objections_by_item(community: Community) -> dict:
    """The comment period of the community's newest published version: catalogue item code → {"object",
    "support", "total", "version"} (items nobody commented on are left out). Empty when nothing was published."""
    period = current_period(community)
    if period is None:
        return {}
    version = period.version
    counts = tallies(version)
    result = {}
    for item in version.items:
        row = counts.get(item.id)
        if row:
            result[item.item.code] = {"object": row["object"], "support": row["support"], "total": row["total"],
                                      "version": version.number}
    return result


# --- the organisers' side ------------------------------------------------------------------------------------------

def _parse_day(value, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    text = ("" if value is None else str(value)).strip()
    if not text:
        errors[field] = _("Enter a date.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = _("Enter a date like 2026-03-01.")
        return None


def publish(actor: User, version: PlanVersion, opens_on, closes_on, *, note: str | None = None) -> PlanCommentPeriod:
    """Show ``version`` (the plan's latest) to residents for comment from ``opens_on`` to ``closes_on``."""
    plan = version.plan
    errors: dict[str, str] = {}
    if locked_version(plan) is not None:
        errors[""] = _("The plan is locked: its final version was fixed, so no version can be published.")
    elif version is not latest_version(plan) or version.status == "superseded":
        errors[""] = _("Only the newest version of the plan can be published for comment.")
    elif period_for(version) is not None:
        errors[""] = _("Version %(number)d was already published for comment.", number=version.number)
    else:
        now = today()
        busy = next((period for period in periods_of(plan) if period.state(now) != "closed"), None)
        if busy is not None:
            errors[""] = _("Version %(number)d is still open for comment: close its period first.",
                           number=busy.version.number)
    first = _parse_day(opens_on, "opens_on", errors)
    last = _parse_day(closes_on, "closes_on", errors)
    if first is not None and first < today():
        errors["opens_on"] = _("The period cannot start in the past.")
    if first is not None and last is not None and "closes_on" not in errors:
        days = (last - first).days + 1
        if days < MIN_DAYS:
            errors["closes_on"] = _("The period must last at least %(days)d days (the first and last day included).",
                                    days=MIN_DAYS)
        elif days > MAX_DAYS:
            errors["closes_on"] = _("The period can last at most %(days)d days.", days=MAX_DAYS)
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        errors["note"] = _("The note is too long (at most %(max)d characters).", max=MAX_NOTE)
    if errors:
        raise CommentRefused(errors)
    period = PlanCommentPeriod(version_id=version.id, opens_on=first, closes_on=last, measures=version.measures,
                               note=note, published_by_id=getattr(actor, "id", None))
    db.session.add(period)
    db.session.flush()
    record(actor, "plan_comment_period.publish", period, community=plan.community_id, version=version.number,
           opens_on=first, closes_on=last)
    messages.comment_opened(period)
    return period


def close(actor: User, period: PlanCommentPeriod) -> PlanCommentPeriod:
    """Close the period now (before its last day)."""
    if period.state(today()) == "closed":
        raise CommentRefused({"": _("The comment period is already closed.")})
    period.closed_at, period.closed_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    record(actor, "plan_comment_period.close", period, community=period.version.plan.community_id,
           version=period.version.number, closes_on=period.closes_on)
    return period


def lock(actor: User, version: PlanVersion) -> PlanCommentPeriod:
    """Fix ``version`` as the final plan: it must be adopted, and its comment period closed."""
    plan = version.plan
    period = period_for(version)
    if locked_version(plan) is not None:
        raise CommentRefused({"": _("The plan is already locked.")})
    if version.status != "adopted":
        raise CommentRefused({"": _("Only the adopted version can be locked as the final plan.")})
    if period is None:
        raise CommentRefused({"": _("Publish this version for comment first: the final plan is shown to "
                                    "residents before it is fixed.")})
    if period.state(today()) != "closed":
        raise CommentRefused({"": _("Wait until the comment period has closed, or close it.")})
    period.locked_at, period.locked_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    record(actor, "plan_version.lock", version, community=plan.community_id, number=version.number)
    return period


def _comment_or_refuse(comment: PlanComment | None) -> PlanComment:
    if comment is None:
        raise CommentRefused({"comment": _("Choose a comment of this version.")})
    return comment


def hide(actor: User, comment: PlanComment, reason: str | None) -> PlanComment:
    """Hide a comment's words from residents, with the reason; the comment stays."""
    comment = _comment_or_refuse(comment)
    reason = (reason or "").strip()
    if comment.hidden_at is not None:
        raise CommentRefused({"": _("This comment is already hidden.")})
    if not reason:
        raise CommentRefused({"reason": _("Say why the comment is hidden.")})
    if len(reason) > MAX_REASON:
        raise CommentRefused({"reason": _("The reason is too long (at most %(max)d characters).", max=MAX_REASON)})
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = utcnow(), getattr(actor, "id", None), reason
    db.session.flush()
    record(actor, "plan_comment.hide", comment, community=comment.period.version.plan.community_id, reason=reason)
    return comment


def unhide(actor: User, comment: PlanComment) -> PlanComment:
    comment = _comment_or_refuse(comment)
    if comment.hidden_at is None:
        raise CommentRefused({"": _("This comment is not hidden.")})
    reason = comment.hidden_reason
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = None, None, None
    db.session.flush()
    record(actor, "plan_comment.unhide", comment, community=comment.period.version.plan.community_id,
           was_hidden_for=reason)
    return comment


def answer(actor: User, comment: PlanComment, text: str | None) -> PlanComment:
    """The organisers' answer, which the household reads on its plan page (a new answer replaces the old one)."""
    comment = _comment_or_refuse(comment)
    text = (text or "").strip()
    if not text:
        raise CommentRefused({"answer": _("Write the answer.")})
    if len(text) > MAX_ANSWER:
        raise CommentRefused({"answer": _("The answer is too long (at most %(max)d characters).", max=MAX_ANSWER)})
    before = comment.answer
    if text == before:
        return comment
    comment.answer, comment.answered_by_id, comment.answered_at = text, getattr(actor, "id", None), utcnow()
    db.session.flush()
    record(actor, "plan_comment.answer", comment, community=comment.period.version.plan.community_id,
           answer=text, replaced=before)
    return comment


# --- the residents' side -------------------------------------------------------------------------------------------

def comment(household: Household, period: PlanCommentPeriod, item: PlanItem | None, stance: str, body: str | None, *,
            channel: str = "web", staff: User | None = None) -> PlanComment:
    """The household's stance (and words) on ``item`` of the period's version, or on the whole plan (None); a
    second call changes it while the period is open."""
    version = period.version
    errors: dict[str, str] = {}
    if not period.is_open(today()):
        errors[""] = _("The comment period is closed: comments can no longer be made or changed.") \
            if period.state(today()) == "closed" else _("The comment period has not started yet.")
    if household.unit.building.community_id != version.plan.community_id:
        errors[""] = _("This plan is not your community's.")
    if item is not None and item.version_id != version.id:
        errors["item"] = _("Choose an item of this plan.")
    if stance not in STANCES:
        errors["stance"] = _("Choose support, object or another opinion.")
    body = (body or "").strip() or None
    if body and len(body) > COMMENT_MAX:
        errors["body"] = _("The comment is too long (at most %(max)d characters).", max=COMMENT_MAX)
    elif stance == "other" and body is None:
        errors["body"] = _("Please write your opinion.")
    if errors:
        raise CommentRefused(errors)
    item_id = None if item is None else item.id
    community = version.plan.community_id
    detail = {"version": version.number, "item": None if item is None else item.item.code, "household": household.id}
    for last in (False, True):
        existing = household_comments(household, version).get(item_id)
        if existing is not None:
            if (existing.stance, existing.body) == (stance, body):
                return existing
            before = (existing.stance, existing.body)
            existing.stance, existing.body, existing.updated_at = stance, body, utcnow()
            existing.channel, existing.entered_by_id = channel, getattr(staff, "id", None)
            db.session.flush()
            record(staff, "plan_comment.update", existing, community=community, channel=channel,
                   changes={"stance": [before[0], stance], "body": [before[1], body]}, **detail)
            messages.objection(existing)
            return existing
        row = PlanComment(period_id=period.id, version_id=version.id, plan_item_id=item_id, household_id=household.id,
                          stance=stance, body=body, channel=channel, entered_by_id=getattr(staff, "id", None))
        try:
            with db.session.begin_nested():     # two taps at once: the second finds the first and changes it
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            if last:
                raise
            continue
        record(staff, "plan_comment.create", row, community=community, channel=channel, stance=stance, **detail)
        messages.objection(row)
        return row
    raise AssertionError("unreachable")
