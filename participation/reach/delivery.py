"""The delivery engine: claims due deliveries, applies the rules, sends, and records what happened (DESIGN §10).

At least once, never twice at the same time: a batch is claimed by ONE conditional UPDATE (pending and due →
sending, with a lease and the worker's name; on PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``, so
two workers take disjoint batches instead of waiting on each other) and the claim is committed before anything is
sent. A worker that dies mid-batch leaves rows in ``sending``; when their lease has run out the sweep puts them
back to pending (``reclaim_expired``). The idempotency key travels to the provider, which can recognise the rare
resend after such a crash.

Every outcome commits on its own, so a failure on one message never undoes another's record.
"""
import logging
import os
import re
import socket
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from participation.audit import record
from participation.extensions import db
from participation.labels import mask_phone
from participation.models import Community, Delivery, DeliveryAttempt, Notification, User
from participation.models.types import utcnow
from participation.reach import outbox
from participation.reach.channels import DeliveryError, Sms, sms as sms_channel, wecom
from participation.reach.kinds import kind as kind_of
from participation.reach.rules import Verdict, robot_verdict, sms_verdict
from participation.reach.settings import sms_config

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)          # longer than a batch takes to send (timeouts are 10 s a message)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
ENDED = ("sent", "failed", "skipped")
SECRET_PARAMS = {"entry.code": ("code",)}     # needed only until the SMS is sent (the code is kept hashed)
PHONE = re.compile(r"(?<!\d)(?:\+?86)?1\d{10}(?!\d)")


@dataclass
class Counts:
    """What a run did, as ``flask worker --burst`` prints it."""
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    reclaimed: int = 0

    def add(self, other: "Counts") -> "Counts":
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    def as_dict(self) -> dict:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def worker_name() -> str:
    """Who claimed a row: host and process, so an admin reading the log can tell two workers apart."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def masked(text: str) -> str:
    """``text`` with every mobile number masked: provider errors sometimes quote the number they refused."""
    return PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, then four times longer each time, never more than 6 hours."""
    return min(FIRST_BACKOFF * 4 ** max(attempts - 1, 0), MAX_BACKOFF)


def deliver_due(*, ids=None, limit: int = 200, now: datetime | None = None, worker: str | None = None) -> Counts:
    """Deliver everything due at ``now`` (only ``ids``, when given — a hand-over after a commit), batch by batch,
    until nothing due is left. Commits its own work."""
    worker = worker or worker_name()
    counts = Counts()
    config = sms_config()
    db.session.commit()     # end the read of the settings: each claim below is its own short transaction
    wanted = sorted(set(ids)) if ids is not None else None
    session = db.session()
    # What a batch reads (its messages, households, robots) is loaded once with the claim and stays loaded over
    # each outcome's commit; the delivery row itself is read again before it is sent (``_attempt``).
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        while True:
            moment = now or utcnow()
            claimed = claim(wanted, limit, moment, worker)
            if not claimed:
                return counts
            batch = _load(claimed)   # held: the session's identity map keeps objects only while referenced
            for delivery_id in claimed:
                counts.add(_deliver_one(delivery_id, moment, worker, config))
            del batch
    finally:
        session.expire_on_commit = expire_on_commit


def claim(ids, limit: int, now: datetime, worker: str) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``worker`` in one statement and commit the claim."""
    due = (select(Delivery.id).where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
           .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
    if ids is not None:
        if not ids:
            return []
        due = due.where(Delivery.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        # Picked once, as a materialised CTE: a plain ``IN (subquery)`` may be re-run for every row the UPDATE
        # scans, each run skipping the rows this statement already changed — and claiming far more than ``limit``.
        due = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
    else:
        due = due.cte("due")
    statement = (update(Delivery).where(Delivery.id.in_(select(due.c.id)), Delivery.state == "pending")
                 .values(state="sending", claimed_until=now + LEASE, claimed_by=worker,
                         attempts=Delivery.attempts + 1)
                 .returning(Delivery.id))
    claimed = sorted(db.session.execute(statement, execution_options={"synchronize_session": False}).scalars())
    db.session.commit()
    return claimed


def _load(ids: list[int]) -> list[Delivery]:
    """The claimed batch with what sending it reads, read afresh (a delivery retried within one long run may still
    be in the session from its earlier try). The caller holds the list while it sends: unreferenced, the loaded rows
    would leave the identity map and each delivery would read its message again (bench/notifications.py
    ``--held-batch-ab``: 2.08× the messages per second on PostgreSQL)."""
    return db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)).execution_options(populate_existing=True).options(
        joinedload(Delivery.notification).options(
            joinedload(Notification.household), joinedload(Notification.community), joinedload(Notification.robot),
            selectinload(Notification.deliveries)))).unique().all()


def reclaim_expired(now: datetime | None = None) -> int:
    """Deliveries whose worker stopped before recording an outcome (its lease ran out) go back to pending, with a
    log row; one that has used its last attempt fails instead, so a message that kills workers stops being tried."""
    now = now or utcnow()
    stuck = db.session.scalars(select(Delivery).where(Delivery.state == "sending", Delivery.claimed_until < now)
                               .order_by(Delivery.id).with_for_update(skip_locked=True)).all()
    limit = max_attempts()
    for delivery in stuck:
        note = f"lease expired: worker {delivery.claimed_by} stopped before recording an outcome"
        db.session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, outcome="error", error=note,
                                       worker=delivery.claimed_by))
        delivery.last_error = note
        delivery.claimed_until = delivery.claimed_by = None
        if delivery.attempts >= limit:
            _fail(delivery, now)
        else:
            delivery.state, delivery.next_attempt_at = "pending", now
        logger.warning("delivery %s reclaimed after its lease expired", delivery.id,
                       extra={"event": "delivery.reclaimed", "delivery_id": delivery.id})
    db.session.commit()
    return len(stuck)


def sweep(now: datetime | None = None, worker: str | None = None) -> Counts:
    """The periodic sweep: reclaim what crashed workers left, then deliver everything due."""
    reclaimed = reclaim_expired(now)
    counts = deliver_due(now=now, worker=worker, limit=int(current_app.config.get("DELIVERY_BATCH", 200)))
    counts.reclaimed += reclaimed
    return counts


def retry(delivery: Delivery, actor) -> Delivery:
    """An admin's retry of a failed delivery: due now, with its attempts counted afresh, handed to the queue after
    the commit (the sweep would take it within a minute anyway); audited, no commit."""
    if delivery.state != "failed":
        raise ValueError(f"delivery {delivery.id} is {delivery.state}, not failed")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.claimed_until = delivery.claimed_by = None
    notification = delivery.notification
    notification.sent_at = None
    record(actor, "delivery.retry", delivery, community=delivery.community_id, channel_name=delivery.channel,
           kind=notification.kind)
    db.session.flush()
    db.session.info.setdefault(outbox.FLUSHED, []).append(delivery.id)   # queued after the commit, as a new one
    return delivery


def max_attempts() -> int:
    return int(current_app.config.get("DELIVERY_MAX_ATTEMPTS", 5))


# --- one delivery ---------------------------------------------------------------------------------------------------

def _deliver_one(delivery_id: int, now: datetime, worker: str, config) -> Counts:
    try:
        counts = _attempt(delivery_id, now, worker, config)
        db.session.commit()
        return counts
    except Exception:
        # A fault of ours (not the channel's): the row stays claimed and the sweep retries it after the lease.
        db.session.rollback()
        logger.exception("delivery %s could not be processed", delivery_id)
        return Counts()


def _attempt(delivery_id: int, now: datetime, worker: str, config) -> Counts:
    holder = db.session.execute(select(Delivery.state, Delivery.claimed_by).where(Delivery.id == delivery_id)).first()
    if holder is None or tuple(holder) != ("sending", worker):
        return Counts()     # reclaimed by the sweep after our lease ran out: the other worker has it now
    delivery = db.session.get(Delivery, delivery_id)     # loaded with the batch (``_load``)
    message = delivery.notification
    verdict = sms_verdict(message, config, now) if delivery.channel == "sms" else robot_verdict(message, now)
    if verdict.action == "skip":
        _settle(delivery, "skipped", now, skip_reason=verdict.reason)
        return Counts(skipped=1)
    if verdict.action == "defer":
        _defer(delivery, verdict, now, worker)
        return Counts(deferred=1)
    delivery.template = verdict.template
    try:
        provider_id = _send(delivery, message, config)
    except Exception as error:   # the channel's failure, whatever its type: recorded, retried or failed
        return _record_error(delivery, error, now, worker)
    _settle(delivery, "sent", now, provider_id=provider_id)
    db.session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, outcome="sent", provider_id=provider_id,
                                   worker=worker))
    return Counts(sent=1)


def _send(delivery: Delivery, message: Notification, config) -> str:
    if delivery.channel == "wecom":
        return wecom.send(message.robot.webhook_url, message.text, key=delivery.idempotency_key,
                          timeout=config.timeout_seconds)
    entry = kind_of(message.kind)
    params = {name: str((message.params or {}).get(name, "")) for name in entry.sms_params}
    community = message.community.code if message.community is not None else None
    outgoing = Sms(phone=message.household.phone, kind=message.kind, template=delivery.template, params=params,
                   community=community, key=delivery.idempotency_key)
    return sms_channel.sender(config).send(outgoing)


def _record_error(delivery: Delivery, error: Exception, now: datetime, worker: str) -> Counts:
    text = masked(str(error) or type(error).__name__)[:2000]
    if isinstance(error, DeliveryError):
        logger.warning("delivery %s (%s) failed: %s", delivery.id, delivery.channel, text,
                       extra={"event": "delivery.error", "delivery_id": delivery.id, "channel": delivery.channel,
                              "temporary": error.temporary})
        temporary = error.temporary
    else:
        # An unexpected exception: the traceback is logged (ours to fix), the text stored for the admin.
        logger.error("delivery %s (%s) raised %s", delivery.id, delivery.channel, type(error).__name__,
                     exc_info=(type(error), error, error.__traceback__),
                     extra={"event": "delivery.crashed", "delivery_id": delivery.id, "channel": delivery.channel})
        text = f"{type(error).__name__}: {text}"
        temporary = True
    db.session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, outcome="error", error=text, worker=worker,
                                   provider_id=getattr(error, "provider_id", None)))
    delivery.last_error = text
    delivery.claimed_until = delivery.claimed_by = None
    if not temporary or delivery.attempts >= max_attempts():
        _fail(delivery, now)
        return Counts(failed=1)
    delivery.state, delivery.next_attempt_at = "pending", now + backoff(delivery.attempts)
    return Counts(retry=1)


def _defer(delivery: Delivery, verdict: Verdict, now: datetime, worker: str) -> None:
    """Not tried, so not an attempt: the claim's count is undone."""
    delivery.state, delivery.next_attempt_at = "pending", verdict.until
    delivery.attempts = max(delivery.attempts - 1, 0)
    delivery.claimed_until = delivery.claimed_by = None
    db.session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, outcome="deferred", worker=worker,
                                   error=f"held until {verdict.until.isoformat()}"))


def _settle(delivery: Delivery, state: str, now: datetime, *, skip_reason=None, provider_id=None) -> None:
    delivery.state, delivery.skip_reason = state, skip_reason
    delivery.claimed_until = delivery.claimed_by = None
    if state == "sent":
        delivery.sent_at, delivery.provider_id, delivery.last_error = now, provider_id, None
    _close_notification(delivery.notification, now)


def _fail(delivery: Delivery, now: datetime) -> None:
    """Given up: the active admins who see it are told in-app (once per delivery); their page offers a retry."""
    _settle(delivery, "failed", now)
    message = delivery.notification
    # The admins whose failure list shows it (participation.reach.admin): the city's, and the district's.
    community = db.session.get(Community, delivery.community_id) if delivery.community_id else None
    scope = User.district_id.is_(None)
    if community is not None:
        scope = scope | (User.district_id == community.district_id)
    admins = db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True), scope)
                                .order_by(User.id)).all()
    words = {"kind": str(kind_of(message.kind).label), "attempts": delivery.attempts}
    if delivery.channel == "sms":
        text = _("An SMS (%(kind)s) could not be delivered after %(attempts)d attempts.", **words)
    else:
        text = _("A WeCom group robot message (%(kind)s) could not be delivered after %(attempts)d attempts.",
                 **words)
    for admin in admins:
        outbox.to_user(admin, "delivery.failed", text, link=f"/admin/messages/{message.id}",
                       dedupe_key=f"delivery.failed:{delivery.id}:{admin.id}")


def _close_notification(message: Notification, now: datetime) -> None:
    """Every delivery ended: the message is done, and a secret it carried for its SMS (an entry code) is blanked,
    so the database keeps no code a page or a dump could show."""
    if all(delivery.state in ENDED for delivery in message.deliveries):
        message.sent_at = now
        secret = SECRET_PARAMS.get(message.kind, ())
        if secret and any((message.params or {}).get(name) for name in secret):
            message.params = {name: "" if name in secret else value for name, value in message.params.items()}
