"""The in-app copy of every message (issue 16, point 3): a household's 我的消息 and a staff member's messages, read or
unread, whatever the SMS or the robot did — and what that was, in words a resident understands.

A message is read when its reader said so (the "mark all as read" button): pages never write on GET (STYLE.md
rule 6), so opening the page alone changes nothing. The words for an SMS come from the message's delivery and the
same rules the worker applies (``participation.reach.rules``), so the page never promises what the worker will
not do.
"""
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import Community, Delivery, Household, Notification, User, WecomRobot
from participation.models.types import utcnow
from participation.permissions import visible_communities
from participation.reach.kinds import KINDS
from participation.reach.rules import quiet_until

PAGE_SIZE = 20
NEWEST_ON_TODO = 3      # messages the staff 工作台 shows under its unread line
ROBOT_ROWS = 30         # robot messages an organiser's page lists

ONLY_IN_APP = _l("In-app message only")
# What happened to a message's SMS, for the household that received it.
SMS_WORDS = {
    "sent": _l("SMS sent"),
    "failed": _l("SMS could not be sent"),
    "sending": _l("SMS being sent"),
    "after_quiet": _l("SMS will be sent after 8 a.m."),
    "opted_out": _l("SMS not sent: you chose not to receive this kind of SMS"),
    "capped": _l("SMS not sent: today's number of SMS to your household was reached"),
}
# A robot delivery's state, for the organiser who needs to know whether the group was told.
ROBOT_WORDS = {
    "sent": _l("Sent to the group"),
    "failed": _l("Not delivered to the group"),
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "skipped": _l("Not sent: the robot is switched off"),
    "skipped_other": _l("Not sent"),
}


@dataclass(frozen=True)
class Page:
    """One page of messages, newest first, as the page draws it."""
    items: list
    page: int
    pages: int
    total: int


# --- reading ------------------------------------------------------------------------------------------------------

def _page(where, page: int) -> Page:
    total = db.session.scalar(select(func.count(Notification.id)).where(where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = db.session.scalars(select(Notification).where(where).options(selectinload(Notification.deliveries))
                               .order_by(Notification.id.desc()).offset((page - 1) * PAGE_SIZE)
                               .limit(PAGE_SIZE)).all()
    return Page(list(items), page, pages, total)


def household_messages(household: Household, page: int = 1) -> Page:
    """The household's messages, newest first (the id follows the order they were written in)."""
    return _page(Notification.household_id == household.id, page)


def user_messages(user: User, page: int = 1) -> Page:
    """A staff member's own messages (those written to their account), newest first."""
    return _page(Notification.user_id == user.id, page)


def household_unread(household: Household) -> int:
    return _unread(Notification.household_id == household.id)


def user_unread(user: User) -> int:
    return _unread(Notification.user_id == user.id)


def _unread(where) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(where, Notification.read_at.is_(None))) or 0


def household_newest(household: Household) -> int | None:
    """The id "mark all as read" reaches up to: the newest message when the page was drawn."""
    return db.session.scalar(select(func.max(Notification.id)).where(Notification.household_id == household.id))


def user_newest(user: User) -> int | None:
    return db.session.scalar(select(func.max(Notification.id)).where(Notification.user_id == user.id))


def todo_messages(user: User) -> dict:
    """The staff 工作台's messages block: {"unread", "newest": [{"id", "text", "when", "link", "unread"}]} — the
    newest few, read or not, ready to draw."""
    newest = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(NEWEST_ON_TODO)).all()
    return {"unread": user_unread(user),
            "newest": [{"id": message.id, "text": message.text, "when": when(message.created_at),
                        "link": link_of(message), "unread": message.read_at is None} for message in newest]}


def robot_messages(user: User) -> list[Notification] | None:
    """For organisers: the newest messages to the 企业微信 robots of their communities' groups, with their
    deliveries, so they know whether a group was told; None for other roles (the page then has no such table)."""
    if user.role != "organiser":
        return None
    scope = visible_communities(user).with_only_columns(Community.id).order_by(None)
    return list(db.session.scalars(
        select(Notification).join(WecomRobot, WecomRobot.id == Notification.robot_id)
        .where(WecomRobot.community_id.in_(scope))
        .options(selectinload(Notification.deliveries), selectinload(Notification.robot))
        .order_by(Notification.id.desc()).limit(ROBOT_ROWS)))


# --- words ----------------------------------------------------------------------------------------------------------

def sms_state(message: Notification, now: datetime | None = None) -> str:
    """What happened to the message's SMS, as a key of ``SMS_WORDS`` or "in_app" (no SMS goes out for it: no phone
    on the roster, no template for its kind, SMS switched off)."""
    sms = [delivery for delivery in message.deliveries if delivery.channel == "sms"]
    if not sms:
        return "in_app"
    delivery = max(sms, key=lambda row: row.id)
    if delivery.state in ("sent", "failed"):
        return delivery.state
    if delivery.state == "skipped":
        return delivery.skip_reason if delivery.skip_reason in ("opted_out", "capped") else "in_app"
    now = now or utcnow()
    urgent = KINDS[message.kind].urgent if message.kind in KINDS else False
    # Held for the night: the worker set it back to 08:00 without counting an attempt (a retry after an error
    # counts one), or it has not been looked at yet and the night has begun.
    held = delivery.state == "pending" and delivery.attempts == 0 and delivery.next_attempt_at > now
    if not urgent and (held or quiet_until(now) is not None):
        return "after_quiet"
    return "sending"


def sms_words(message: Notification, now: datetime | None = None):
    state = sms_state(message, now)
    return ONLY_IN_APP if state == "in_app" else SMS_WORDS[state]


def link_of(message: Notification) -> str | None:
    """The message's "去看看" path, only when it stays inside this site (the outbox writes paths, never URLs)."""
    link = message.link or ""
    return link if link.startswith("/") and not link.startswith(("//", "/\\")) else None


def robot_words(delivery: Delivery):
    if delivery.state == "skipped" and delivery.skip_reason != "inactive":
        return ROBOT_WORDS["skipped_other"]
    return ROBOT_WORDS[delivery.state]


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """"12月7日 14:05" in Beijing time (the year too when it is not this year's), in the page's language."""
    if moment is None:
        return ""
    local, today = moment.astimezone(BEIJING), (now or utcnow()).astimezone(BEIJING)
    locale = get_locale() or "zh_Hans_CN"
    day = format_skeleton("MMMd" if local.year == today.year else "yMMMd", local, locale=locale, fuzzy=True)
    return f"{day} {format_skeleton('Hm', local, locale=locale, fuzzy=True)}"


# --- marking read ---------------------------------------------------------------------------------------------------

def mark_household_read(household: Household, upto: int, now: datetime | None = None) -> int:
    """The household's unread messages up to id ``upto`` (the newest its page showed) become read; how many. No
    commit."""
    return _mark_read(Notification.household_id == household.id, upto, now)


def mark_user_read(user: User, upto: int, now: datetime | None = None) -> int:
    """The staff member's unread messages up to id ``upto`` become read; how many. No commit."""
    return _mark_read(Notification.user_id == user.id, upto, now)


def _mark_read(where, upto: int, now: datetime | None) -> int:
    result = db.session.execute(update(Notification).where(where, Notification.id <= upto,
                                                           Notification.read_at.is_(None))
                                .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0
