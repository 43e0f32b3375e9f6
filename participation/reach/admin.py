"""What admins read and do about delivery (``/admin/messages``): the state of the last days, the deliveries that
failed and their retry, one message's log, and the SMS settings (``admin_settings``) and counts (``admin_counts``).

A city-wide admin sees every delivery; a district admin those counted against the communities of the district
(``permissions.visible_communities``) — a message that names no community (an organisation's robot) is the city's.
Recipients are shown masked: a household as its community and 楼栋-单元-房号 with the phone as 138****5678, a
robot by its name; the text of an SMS never holds more than its template's values anyway.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.handlers import Refused
from participation.labels import mask_phone
from participation.models import (Building, Community, Delivery, DeliveryAttempt, Household, Notification,
                                  SmsSettings, Unit, User)
from participation.models.reach import CHANNELS, DELIVERY_STATES
from participation.models.types import utcnow
from participation.permissions import visible_communities
from participation.reach import delivery as engine
from participation.reach.kinds import KINDS
from participation.reach.settings import environment_templates, settings_row
from participation.spreadsheets import workbook_bytes

OVERVIEW_DAYS = 7
FAILED_SHOWN = 200          # the newest failures on the page; the total says how many more there are
RECENT_SHOWN = 20
RETRY_ALL_LIMIT = 1000      # one click retries at most this many, so a request stays short; click again for more

STATE_LABELS = {"pending": _l("Waiting to be sent"), "sending": _l("Being sent"), "sent": _l("Sent"),
                "failed": _l("Delivery failed"), "skipped": _l("Not sent")}
CHANNEL_LABELS = {"sms": _l("SMS"), "wecom": _l("WeCom group robot")}
SKIP_REASON_LABELS = {
    "opted_out": _l("The household opted out of this kind of message"),
    "capped": _l("The household reached today's SMS limit"),
    "no_phone": _l("No phone number on the roster"),
    "no_template": _l("No template code set for this kind of message"),
    "off": _l("SMS sending is switched off"),
    "inactive": _l("The robot is switched off"),
}
# The same reasons in a word or two, for the columns of the counts
SKIP_REASON_SHORT = {"opted_out": _l("Opted out"), "capped": _l("Daily limit reached"), "no_phone": _l("No phone"),
                     "no_template": _l("No template"), "off": _l("SMS off"), "inactive": _l("Robot off")}
OUTCOME_LABELS = {"sent": _l("Sent"), "error": _l("Error"), "deferred": _l("Deferred (quiet hours or rate limit)")}


def kind_label(name: str) -> str:
    entry = KINDS.get(name)
    return str(entry.label) if entry else name


def household_place(household: Household) -> str:
    """曙光里小区 1-2-502: the community and 楼栋-单元-房号, as a 社区 worker finds the household on the roster."""
    unit = household.unit
    building = unit.building
    return f"{building.community.name} {building.name}-{unit.name}-{household.room}"


def recipient(message: Notification) -> str:
    """Who a message is to, masked for a page: household and phone, a robot's name, or a staff member."""
    if message.household is not None:
        phone = mask_phone(message.household.phone)
        return f"{household_place(message.household)} {phone}".strip()
    if message.robot is not None:
        return message.robot.name
    if message.user is not None:
        return message.user.display_name
    return ""


# --- scope ------------------------------------------------------------------------------------------------------

def _in_scope(query, user: User, column):
    """Narrow ``query`` to what ``user`` may see: everything for a city-wide admin, the district's communities
    for a district admin."""
    if user.district_id is None:
        return query
    communities = visible_communities(user).with_only_columns(Community.id).order_by(None)
    return query.where(column.in_(communities))


def visible_message(user: User, notification_id: int) -> Notification | None:
    """The message with its deliveries and their logs, or None when it does not exist or is out of scope."""
    query = (select(Notification).where(Notification.id == notification_id)
             .options(selectinload(Notification.deliveries).selectinload(Delivery.attempt_log)))
    return db.session.scalar(_in_scope(query, user, Notification.community_id))


def visible_delivery(user: User, delivery_id: int) -> Delivery | None:
    return db.session.scalar(_in_scope(select(Delivery).where(Delivery.id == delivery_id), user,
                                       Delivery.community_id))


# --- the overview -------------------------------------------------------------------------------------------------

def state_counts(user: User, *, now: datetime | None = None, days: int = OVERVIEW_DAYS) -> dict:
    """{channel: {state: count}} of the deliveries written in the last ``days`` days, every state present."""
    since = (now or utcnow()) - timedelta(days=days)
    query = _in_scope(select(Delivery.channel, Delivery.state, func.count())
                      .where(Delivery.created_at >= since).group_by(Delivery.channel, Delivery.state),
                      user, Delivery.community_id)
    counts = {channel: dict.fromkeys(DELIVERY_STATES, 0) for channel in CHANNELS}
    for channel, state, count in db.session.execute(query):
        counts[channel][state] = count
    return counts


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as the overview lists it: when it last moved, and to whom (masked)."""
    delivery: Delivery
    at: datetime
    kind: str
    recipient: str


def _rows(user: User, *, state: str | None, limit: int) -> list[DeliveryRow]:
    last_try = (select(DeliveryAttempt.delivery_id, func.max(DeliveryAttempt.at).label("at"))
                .group_by(DeliveryAttempt.delivery_id).subquery())
    moved = func.coalesce(last_try.c.at, Delivery.created_at)
    query = (select(Delivery, moved).outerjoin(last_try, last_try.c.delivery_id == Delivery.id)
             .order_by(moved.desc(), Delivery.id.desc()).limit(limit)
             .options(selectinload(Delivery.notification).options(
                 selectinload(Notification.household).selectinload(Household.unit).selectinload(Unit.building)
                 .selectinload(Building.community),
                 selectinload(Notification.robot), selectinload(Notification.user))))
    if state is not None:
        query = query.where(Delivery.state == state)
    rows = db.session.execute(_in_scope(query, user, Delivery.community_id)).all()
    return [DeliveryRow(delivery=delivery, at=at, kind=kind_label(delivery.notification.kind),
                        recipient=recipient(delivery.notification)) for delivery, at in rows]


def failed_deliveries(user: User, *, limit: int = FAILED_SHOWN) -> tuple[list[DeliveryRow], int]:
    """The newest failed deliveries (newest last try first) and how many failed in all."""
    total = db.session.scalar(_in_scope(select(func.count()).select_from(Delivery).where(Delivery.state == "failed"),
                                        user, Delivery.community_id))
    return _rows(user, state="failed", limit=limit), total


def recent_deliveries(user: User, *, limit: int = RECENT_SHOWN) -> list[DeliveryRow]:
    """The latest deliveries in any state: what just went out, or is waiting (quiet hours, the queue)."""
    return _rows(user, state=None, limit=limit)


# --- retries ------------------------------------------------------------------------------------------------------

def retry_one(delivery: Delivery, actor: User) -> None:
    """An admin's retry of one failed delivery: due now, its attempts counted afresh (``delivery.retry``, audited).
    Anything not failed is refused: a pending one is on its way already, a sent one must not go twice."""
    if delivery.state != "failed":
        raise Refused(_("This delivery has not failed (it is “%(state)s”), so there is nothing to retry.",
                        state=STATE_LABELS.get(delivery.state, delivery.state)))
    engine.retry(delivery, actor)
    db.session.flush()


def retry_all(actor: User, *, limit: int = RETRY_ALL_LIMIT) -> int:
    """Retry every failed delivery the admin sees, oldest first, at most ``limit``; returns how many."""
    query = _in_scope(select(Delivery).where(Delivery.state == "failed").order_by(Delivery.id).limit(limit),
                      actor, Delivery.community_id)
    deliveries = db.session.scalars(query).all()
    for delivery in deliveries:
        engine.retry(delivery, actor)
    db.session.flush()
    return len(deliveries)


# --- SMS counts per community and month ---------------------------------------------------------------------------

SKIPS_COUNTED = ("opted_out", "capped", "no_template", "no_phone", "off")   # an SMS's reasons (robots' aside)


def beijing_months(now: datetime, count: int) -> list[tuple[str, datetime, datetime]]:
    """The last ``count`` months in Beijing, oldest first, each ("2026-12", first instant, first of the next)."""
    here = now.astimezone(BEIJING)
    year, month = here.year, here.month
    months = []
    for _step in range(count):
        start = beijing_midnight(date(year, month, 1))
        after = beijing_midnight(date(year + month // 12, month % 12 + 1, 1))
        months.append((f"{year:04d}-{month:02d}", start, after))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _by_month(column, months):
    """The month label of ``column`` as a SQL expression: one range per month, so the database compares UTC
    instants with the Beijing months' bounds and no database needs time-zone functions."""
    return case(*[((column >= start) & (column < after), label) for label, start, after in months], else_=None)


@dataclass
class SmsCounts:
    months: list[str]
    communities: list[Community]
    sent: dict            # (community id or None, month) → SMS sent
    skipped: dict         # (month, reason) → SMS not sent
    reasons: tuple = SKIPS_COUNTED

    def community_total(self, community_id) -> int:
        return sum(self.sent.get((community_id, month), 0) for month in self.months)

    def month_total(self, month: str) -> int:
        return sum(count for (_community, counted), count in self.sent.items() if counted == month)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def unplaced(self) -> bool:
        """Some SMS were counted against no community (one deleted since, or a message of no community)."""
        return any(community is None for community, _month in self.sent)


def sms_counts(user: User, *, now: datetime | None = None, months: int = 12) -> SmsCounts:
    """SMS sent per community and Beijing month of ``sent_at`` over the last ``months`` months, and SMS not sent
    by reason and month (of when they were written): what the providers bill, and what did not go and why."""
    periods = beijing_months(now or utcnow(), months)
    first, end = periods[0][1], periods[-1][2]
    sent = _in_scope(select(Delivery.community_id, _by_month(Delivery.sent_at, periods).label("month"))
                     .where(Delivery.channel == "sms", Delivery.state == "sent",
                            Delivery.sent_at >= first, Delivery.sent_at < end), user, Delivery.community_id).subquery()
    skipped = _in_scope(select(Delivery.skip_reason, _by_month(Delivery.created_at, periods).label("month"))
                        .where(Delivery.channel == "sms", Delivery.state == "skipped",
                               Delivery.created_at >= first, Delivery.created_at < end),
                        user, Delivery.community_id).subquery()
    sent_counts = {(community_id, month): count for community_id, month, count in db.session.execute(
        select(sent.c.community_id, sent.c.month, func.count()).group_by(sent.c.community_id, sent.c.month))}
    skipped_counts = {(month, reason): count for reason, month, count in db.session.execute(
        select(skipped.c.skip_reason, skipped.c.month, func.count()).group_by(skipped.c.skip_reason,
                                                                               skipped.c.month))}
    ids = {community_id for community_id, _month in sent_counts if community_id is not None}
    communities = db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.code)).all()
    return SmsCounts(months=[label for label, _start, _after in periods], communities=list(communities),
                     sent=sent_counts, skipped=skipped_counts)


def sms_counts_xlsx(counts: SmsCounts) -> bytes:
    """The counts as a workbook: one sheet of communities × months with totals, one of what was not sent."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("SMS sent")
    sheet.append([_("Community code"), _("Community")] + counts.months + [_("Total")])
    rows = [(community.id, community.code, community.name) for community in counts.communities]
    if counts.unplaced:
        rows.append((None, "", _("No community")))
    for community_id, code, name in rows:
        sheet.append([code, name] + [counts.sent.get((community_id, month), 0) for month in counts.months]
                     + [counts.community_total(community_id)])
    sheet.append(["", _("Total")] + [counts.month_total(month) for month in counts.months] + [counts.total])
    skipped = book.create_sheet(_("SMS not sent"))
    skipped.append([_("Month (Beijing time)")] + [str(SKIP_REASON_SHORT[reason]) for reason in counts.reasons])
    for month in counts.months:
        skipped.append([month] + [counts.skipped.get((month, reason), 0) for reason in counts.reasons])
    return workbook_bytes(book)


# --- the SMS settings ---------------------------------------------------------------------------------------------

FROM_ENVIRONMENT = "env"    # the provider choice that leaves the row empty
PROVIDER_LABELS = {"off": _l("Off (no SMS)"), "file": _l("File (for development)"), "aliyun": _l("Alibaba Cloud SMS"),
                   "tencent": _l("Tencent Cloud SMS")}
TEMPLATE_CODE = re.compile(r"[A-Za-z0-9_]{1,40}")
ALIYUN_TEMPLATE = re.compile(r"SMS_[0-9]{1,36}")
SIGN_NAME_LENGTH = (2, 12)   # what both providers accept for a sign name
APP_ID = re.compile(r"[0-9]{1,20}")
REGION = re.compile(r"[a-z]{2}-[a-z0-9-]{2,27}")
DAILY_CAP_RANGE = (1, 50)
SCALAR_SETTINGS = ("provider", "sign_name", "app_id", "region", "daily_cap")


def template_field(kind: str) -> str:
    """The settings form's field of ``kind``'s template code: survey.opened → template_survey_opened."""
    return "template_" + kind.replace(".", "_")


def template_variables(kind: str) -> dict:
    """The variables ``kind``'s approved template must declare, written each provider's way."""
    names = KINDS[kind].sms_params
    return {"aliyun": " ".join("${%s}" % name for name in names),
            "tencent": " ".join("{%d}" % number for number in range(1, len(names) + 1))}


def environment_values(config) -> dict:
    """What the environment sets, shown beside each field (an empty field falls back to it). Secrets are not
    values: ``secret_status`` says only whether they are set."""
    return {"provider": config.get("SMS_BACKEND") or "off", "sign_name": config.get("SMS_SIGN_NAME") or "",
            "app_id": config.get("SMS_APP_ID") or "", "region": config.get("SMS_REGION") or "",
            "daily_cap": str(config.get("SMS_DAILY_CAP", "")), "templates": environment_templates()}


def secret_status(config) -> list[tuple[str, str]]:
    """(the key's name, "set, …WXYZ" / "set" / "not set"): key ids by their last four characters, secrets never."""
    status = []
    for name, shows_tail in (("ALIYUN_ACCESS_KEY_ID", True), ("ALIYUN_ACCESS_KEY_SECRET", False),
                             ("TENCENT_SECRET_ID", True), ("TENCENT_SECRET_KEY", False)):
        value = config.get(name) or ""
        if not value:
            status.append((name, _("not set")))
        elif shows_tail and len(value) > 8:
            status.append((name, _("set, ending in %(tail)s", tail=value[-4:])))
        else:
            status.append((name, _("set")))
    return status


def form_data(row: SmsSettings | None) -> dict:
    """The row as the settings form shows it."""
    if row is None:
        return {"provider": FROM_ENVIRONMENT}
    data = {"provider": row.provider or FROM_ENVIRONMENT, "sign_name": row.sign_name or "",
            "app_id": row.app_id or "", "region": row.region or "",
            "daily_cap": "" if row.daily_cap is None else str(row.daily_cap)}
    data.update({template_field(kind): code for kind, code in (row.templates or {}).items()})
    return data


def _checked(typed: dict, environment_provider: str) -> dict:
    """The typed settings as the row stores them (empty → None: the environment's), or ``Refused`` naming each
    field at fault, so nothing is saved when one is wrong."""
    errors, values = {}, {}
    provider = typed["provider"]
    if provider != FROM_ENVIRONMENT and provider not in PROVIDER_LABELS:
        errors["provider"] = _("Choose the SMS provider.")
    values["provider"] = None if provider == FROM_ENVIRONMENT else provider
    sign_name = typed["sign_name"]
    low, high = SIGN_NAME_LENGTH
    if sign_name and not low <= len(sign_name) <= high:
        errors["sign_name"] = _("The sign name must be %(low)d to %(high)d characters, as the providers require.",
                                low=low, high=high)
    if typed["app_id"] and not APP_ID.fullmatch(typed["app_id"]):
        errors["app_id"] = _("The SmsSdkAppId is the digits Tencent Cloud shows for the SMS application.")
    if typed["region"] and not REGION.fullmatch(typed["region"]):
        errors["region"] = _("Write the region as the provider does, e.g. ap-guangzhou or cn-hangzhou.")
    cap = typed["daily_cap"]
    low, high = DAILY_CAP_RANGE
    if cap and not (cap.isdigit() and low <= int(cap) <= high):
        errors["daily_cap"] = _("The daily limit is a whole number from %(low)d to %(high)d.", low=low, high=high)
    for name in ("sign_name", "app_id", "region"):
        values[name] = typed[name] or None
    values["daily_cap"] = int(cap) if cap and "daily_cap" not in errors else None
    in_force = values["provider"] or environment_provider
    templates = {}
    for kind, code in typed["templates"].items():
        if not code:
            continue
        if not TEMPLATE_CODE.fullmatch(code):
            errors[template_field(kind)] = _("A template code is 1 to 40 letters, digits or underscores.")
        elif in_force == "tencent" and not code.isdigit():
            errors[template_field(kind)] = _("Tencent Cloud template IDs are digits, e.g. 1234567.")
        elif in_force == "aliyun" and not ALIYUN_TEMPLATE.fullmatch(code):
            errors[template_field(kind)] = _("Alibaba Cloud template codes look like SMS_123456789.")
        templates[kind] = code
    if errors:
        raise Refused(errors)
    values["templates"] = templates
    return values


def save_settings(actor: User, typed: dict, *, environment_provider: str) -> dict:
    """Store the typed SMS settings in the one row and audit what changed (old → new; the row holds no secret).
    Returns the changes, {field: [old, new]}, empty when nothing changed (and then nothing is written)."""
    values = _checked(typed, environment_provider)
    row = settings_row()
    changes = apply_changes(row, {name: values[name] for name in SCALAR_SETTINGS}, SCALAR_SETTINGS)
    old_templates = dict(row.templates or {})
    if old_templates != values["templates"]:
        changes["templates"] = {kind: [old_templates.get(kind), values["templates"].get(kind)]
                                for kind in sorted(set(old_templates) | set(values["templates"]))
                                if old_templates.get(kind) != values["templates"].get(kind)}
        row.templates = values["templates"]
    if changes:
        row.updated_at, row.updated_by_id = utcnow(), actor.id
        record(actor, "sms_settings.update", row, changes=changes)
        db.session.flush()
    return changes
