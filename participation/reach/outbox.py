"""Writing messages: the only way any feature says something to someone (DESIGN §10).

Call these inside the transaction of the event that causes the message — the message commits with the event or
not at all. Each writes the in-app copy (a ``Notification``) and one ``Delivery`` per outside channel it may go
out on; whether a delivery is finally sent (quiet hours, the daily cap, the household's opt-out, a template code
in the settings) is decided when the worker sends it, by ``participation.reach.delivery``. After the commit the new
deliveries are handed to the queue (``app.extensions[HAND_OVER]``, set by ``participation.reach.queue``); a
periodic sweep picks up anything left behind.

``dedupe_key`` is for events a periodic job may see more than once ("due within 24 hours", a reminder): a key
already written makes the call write nothing and return None.
"""
import uuid

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from participation.extensions import db
from participation.models import Delivery, Household, Notification, User, WecomRobot
from participation.reach.kinds import RESIDENT, STAFF, kind as kind_of

PENDING = "reach.pending"      # session.info: deliveries added in this transaction, not flushed yet
FLUSHED = "reach.flushed"      # session.info: their ids, once flushed; handed to the queue after the commit
HAND_OVER = "reach.hand_over"  # app.extensions: the queue's ``hand_over(ids)``; it must never raise


def to_household(household: Household, kind: str, text: str, *, params: dict | None = None, ticket=None,
                 link: str | None = None, dedupe_key: str | None = None) -> Notification | None:
    """A message to a household: in-app always; by SMS when its kind has a template and the roster has a phone."""
    entry = kind_of(kind)
    if entry.audience != RESIDENT:
        raise ValueError(f"{kind} is a message to staff")
    if _already_written(dedupe_key):
        return None
    values = {name: str((params or {})[name]) for name in entry.sms_params}   # exactly the template's values
    community_id = household.unit.building.community_id
    message = Notification(household_id=household.id, community_id=community_id, kind=kind, text=text,
                           params=values, link=link, dedupe_key=dedupe_key,
                           ticket_id=getattr(ticket, "id", None))
    db.session.add(message)
    if entry.sms_params and household.phone:
        _deliver(message, "sms", community_id)
    return message


def to_user(user: User, kind: str, text: str, *, community=None, ticket=None, link: str | None = None,
            dedupe_key: str | None = None) -> Notification | None:
    """A message to a staff member: in-app (their to-do shows it)."""
    if kind_of(kind).audience != STAFF:
        raise ValueError(f"{kind} is a message to residents")
    if _already_written(dedupe_key):
        return None
    message = Notification(user_id=user.id, community_id=getattr(community, "id", None), kind=kind, text=text,
                           link=link, dedupe_key=dedupe_key, ticket_id=getattr(ticket, "id", None))
    db.session.add(message)
    return message


def to_robots(kind: str, text: str, *, community=None, organisation=None, ticket=None,
              dedupe_key: str | None = None) -> list[Notification]:
    """A message to the 企业微信 groups that asked for ``kind``: the community's robots and the organisation's."""
    if not kind_of(kind).robot:
        raise ValueError(f"{kind} is not a kind robots take")
    groups = []
    if community is not None:
        groups.append(WecomRobot.community_id == community.id)
    if organisation is not None:
        groups.append(WecomRobot.organisation_id == organisation.id)
    if not groups:
        return []
    robots = db.session.scalars(select(WecomRobot).where(WecomRobot.active.is_(True), db.or_(*groups))
                                .order_by(WecomRobot.id)).all()
    written = []
    for robot in robots:
        if kind not in (robot.kinds or []):
            continue
        key = f"{dedupe_key}:r{robot.id}" if dedupe_key else None
        if _already_written(key):
            continue
        written.append(to_robot(robot, kind, text, community=community, ticket=ticket, dedupe_key=key))
    return written


def to_robot(robot: WecomRobot, kind: str, text: str, *, community=None, ticket=None,
             dedupe_key: str | None = None) -> Notification:
    """A message to one robot's group, whatever it subscribed to (the robots page's test message)."""
    if kind_of(kind).audience != STAFF:
        raise ValueError(f"{kind} is a message to residents")
    community_id = getattr(community, "id", None) or robot.community_id
    message = Notification(robot_id=robot.id, community_id=community_id, kind=kind, text=text, dedupe_key=dedupe_key,
                           ticket_id=getattr(ticket, "id", None))
    db.session.add(message)
    _deliver(message, "wecom", community_id)
    return message


def _already_written(dedupe_key: str | None) -> bool:
    if dedupe_key is None:
        return False
    with db.session.no_autoflush:
        pending = any(isinstance(obj, Notification) and obj.dedupe_key == dedupe_key for obj in db.session.new)
    return pending or db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) \
        is not None


def _deliver(message: Notification, channel: str, community_id: int | None) -> Delivery:
    delivery = Delivery(notification=message, channel=channel, community_id=community_id,
                        idempotency_key=f"{channel}-{uuid.uuid4().hex}", state="pending")
    db.session.add(delivery)
    db.session.info.setdefault(PENDING, []).append(delivery)
    return delivery


# --- handing over after the commit --------------------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _collect_ids(session, _context) -> None:
    pending = session.info.get(PENDING)
    if pending:
        session.info.setdefault(FLUSHED, []).extend(delivery.id for delivery in pending if delivery.id is not None)
        session.info[PENDING] = [delivery for delivery in pending if delivery.id is None]


@event.listens_for(Session, "after_commit")
def _hand_over(session) -> None:
    ids = session.info.pop(FLUSHED, None)
    session.info.pop(PENDING, None)
    if ids and has_app_context():
        hand_over = current_app.extensions.get(HAND_OVER)   # set by participation.reach.queue.init_app
        if hand_over is not None:
            hand_over(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(FLUSHED, None)
    session.info.pop(PENDING, None)
