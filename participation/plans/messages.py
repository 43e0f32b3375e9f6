"""What the plan's comment period (方案公示) tells people, and whom (DESIGN §4 and §10), through
``participation.reach.outbox`` inside the transaction of the event. Flush, never commit.

    comment_opened(period) -> int     # every household of the community, once the period is open (optional kind)
    tell_opened_periods(now) -> int   # the periodic job: periods published ahead whose first day has come
    objection(comment) -> int         # a household objects: the community's organisers and robots, once per comment

An objection message names the community, the version and the item — never the household, its address or its
words (which may hold anything): the organisers read those on the comments page, where moderation applies.
"""
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.models import Building, PlanComment, PlanCommentPeriod
from participation.models.types import utcnow
from participation.plans.operations import today
from participation.reach.recipients import households_with_places, staff_of, tell_households, tell_staff
from participation.reach.words import closing_day, default_language


def _period_end(period: PlanCommentPeriod) -> datetime:
    """The moment the period ends: the midnight after its last day (``closing_day`` reads it as that last day)."""
    return beijing_midnight(period.closes_on + timedelta(days=1))


def comment_opened(period: PlanCommentPeriod, day: date | None = None) -> int:
    """Tell every household of the community that the plan is open for comment — once the period is open on ``day``
    (today): a period published to open later is told on its first day by ``tell_opened_periods``. Once per
    household and period."""
    if not period.is_open(day or today()):
        return 0
    community = period.version.plan.community
    with default_language():
        params = {"community": community.name, "deadline": closing_day(_period_end(period))}
        text = _("The renovation plan of %(community)s is open for comments until %(deadline)s: support or object "
                 "to each item on your household page, or tell the community office.", **params)
    return tell_households(households_with_places(Building.community_id == community.id), "plan.comment_opened",
                           text, params, link=f"/r/{community.code}/plan",
                           prefix=f"plan.comment_opened:{period.id}:")


def tell_opened_periods(now: datetime | None = None) -> int:
    """The periodic job: every period open today (its households not all told yet) is told; how many messages."""
    day = (now or utcnow()).astimezone(BEIJING).date()
    periods = db.session.scalars(select(PlanCommentPeriod).where(
        PlanCommentPeriod.opens_on <= day, PlanCommentPeriod.closes_on >= day, PlanCommentPeriod.closed_at.is_(None))
        .order_by(PlanCommentPeriod.id)).all()
    return sum(comment_opened(period, day) for period in periods)


def objection(comment: PlanComment) -> int:
    """A household's objection (on an item or the whole plan) to the organisers and the community's robots."""
    if comment.stance != "object":
        return 0
    version = comment.period.version
    community = version.plan.community
    with default_language():
        subject = comment.plan_item.item.name if comment.plan_item is not None else _("the whole plan")
        text = _("A household objects to %(subject)s in version %(number)d of the plan of %(community)s.",
                 subject=subject, number=version.number, community=community.name)
    written = tell_staff(staff_of(community, "organiser"), "plan.objection", text, community=community,
                         link=f"/c/{community.code}/plan/versions/{version.number}/comments?stance=object",
                         dedupe_key=f"plan.objection:{comment.id}")
    db.session.flush()
    return written
