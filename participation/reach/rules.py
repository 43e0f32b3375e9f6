"""The rules an SMS is held to before it goes out (DESIGN §10), each found here and nowhere else.

Quiet hours are Beijing's night (21:00–08:00): an elderly resident woken by a survey notice learns to ignore the
sender. The daily cap keeps one household from getting a flood when several events fall on one day (urgent kinds —
an entry code the household asked for — are neither held nor counted). A household may refuse what the law does
not require (``kinds.Kind.optional``); its choice is PIPL consent, kept as history, the newest row holding.

``participation.reach.delivery`` applies them in order; pages (the inbox's opt-out switch, the admin's counts) call
the same functions so a page never says something the worker does differently.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from participation.audit import record
from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.models import Delivery, Household, Notification, SmsConsent
from participation.models.reach import CONSENT_ACTORS, CONSENT_CHOICES
from participation.reach.channels import SmsConfig
from participation.reach.kinds import KINDS, kind as kind_of

QUIET_START = time(21, 0)    # Beijing wall clock
QUIET_END = time(8, 0)
URGENT_KINDS = tuple(name for name, entry in KINDS.items() if entry.urgent)
ROBOT_PER_MINUTE = 20        # 企业微信: a robot takes about 20 messages a minute, then answers 45009
TEMPLATED_PROVIDERS = ("aliyun", "tencent")   # they send only approved templates; the file backend needs none


@dataclass(frozen=True)
class Verdict:
    """What to do with one delivery now: ``send`` (with ``template``), ``skip`` for ``reason`` (a
    ``models.reach.SKIP_REASONS`` word), or ``defer`` until ``until`` (not an attempt: nothing was tried)."""
    action: str
    reason: str | None = None
    until: datetime | None = None
    template: str | None = None


def sms_verdict(message: Notification, config: SmsConfig, now: datetime) -> Verdict:
    """The SMS rules in their order: the backend off; no approved template for the kind; the household refused an
    optional kind; no phone any more; quiet hours (not for urgent kinds); the daily cap (not for urgent kinds)."""
    entry = kind_of(message.kind)
    if config.provider == "off":
        return Verdict("skip", "off")
    template = (config.templates or {}).get(message.kind)
    if not template:
        if config.provider in TEMPLATED_PROVIDERS:
            return Verdict("skip", "no_template")
        template = message.kind
    if entry.optional and opted_out(message.household_id):
        return Verdict("skip", "opted_out")
    if message.household is None or not message.household.phone:
        return Verdict("skip", "no_phone")
    if not entry.urgent:
        until = quiet_until(now)
        if until is not None:
            return Verdict("defer", until=until)
        if sms_sent_today(message.household_id, now) >= config.daily_cap:
            return Verdict("skip", "capped")
    return Verdict("send", template=template)


def robot_verdict(message: Notification, now: datetime) -> Verdict:
    """A robot switched off since the message was written is skipped; a busy one waits a minute rather than being
    answered 45009 (which would cost an attempt)."""
    robot = message.robot
    if robot is None or not robot.active:
        return Verdict("skip", "inactive")
    recent = db.session.scalar(
        select(func.count(Delivery.id)).join(Notification, Delivery.notification_id == Notification.id)
        .where(Notification.robot_id == robot.id, Delivery.channel == "wecom", Delivery.state == "sent",
               Delivery.sent_at > now - timedelta(minutes=1))) or 0
    if recent >= ROBOT_PER_MINUTE:
        return Verdict("defer", until=now + timedelta(minutes=1))
    return Verdict("send")


def beijing_day(now: datetime) -> date:
    """The Beijing date of ``now`` (an aware instant): the day a cap counts and quiet hours end in."""
    return now.astimezone(BEIJING).date()


def quiet_hours_on() -> bool:
    """``QUIET_HOURS=off`` turns them off (tests, drills, the development server); on everywhere else."""
    if not has_app_context():
        return True
    return str(current_app.config.get("QUIET_HOURS", "on")).strip().lower() not in ("off", "0", "false", "no")


def quiet_until(now: datetime) -> datetime | None:
    """When quiet hours that hold at ``now`` end (the next 08:00 in Beijing, as aware UTC), or None when an SMS may
    go now."""
    if not quiet_hours_on():
        return None
    local = now.astimezone(BEIJING)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=BEIJING).astimezone(now.tzinfo)


def sms_sent_today(household_id: int, now: datetime) -> int:
    """SMS that reached the household this Beijing day, not counting urgent kinds (what the daily cap counts)."""
    start = beijing_midnight(beijing_day(now))
    end = start + timedelta(days=1)
    return db.session.scalar(
        select(func.count(Delivery.id)).join(Notification, Delivery.notification_id == Notification.id)
        .where(Notification.household_id == household_id, Delivery.channel == "sms", Delivery.state == "sent",
               Delivery.sent_at >= start, Delivery.sent_at < end, Notification.kind.not_in(URGENT_KINDS))) or 0


def opted_out(household_id: int) -> bool:
    """Whether the household's newest choice refuses the SMS it may refuse."""
    choice = db.session.scalar(select(SmsConsent.choice).where(SmsConsent.household_id == household_id)
                               .order_by(SmsConsent.id.desc()).limit(1))
    return choice == "opt_out"


def record_consent(household: Household, choice: str, *, actor: str, user=None, note: str | None = None) -> SmsConsent:
    """Record the household's choice (``opt_out`` / ``opt_in``) as said by the resident or taken down by staff
    (``user``), with an audit row; no commit. The history stays: what held on a day can be shown later."""
    if choice not in CONSENT_CHOICES:
        raise ValueError(f"unknown consent choice {choice!r}")
    if actor not in CONSENT_ACTORS:
        raise ValueError(f"unknown consent actor {actor!r}")
    consent = SmsConsent(household_id=household.id, choice=choice, actor=actor, user_id=getattr(user, "id", None),
                         note=note)
    db.session.add(consent)
    db.session.flush()
    record(user, f"sms_consent.{choice}", consent, community=household.community, by=actor,
           household_id=household.id)
    return consent
