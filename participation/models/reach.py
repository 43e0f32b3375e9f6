"""Reach (DESIGN §10): the outbox of messages, their deliveries over SMS and 企业微信 group robots, the delivery log,
the SMS settings, households' SMS consent and the one-time codes that let a household enter by phone.

A ``Notification`` is one message to one recipient — a household, a staff member, or a staff group's robot — and
is itself the in-app copy ("我的消息", the staff to-do). Each outside channel it goes out on is a ``Delivery``
with its own idempotency key, state and attempts; every try is a ``DeliveryAttempt``. Both are written in the
transaction of the event that causes them and delivered by the worker after commit (``participation.reach``).
"""
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

CHANNELS = ("sms", "wecom")
# pending: due at next_attempt_at; sending: claimed by a worker until claimed_until; sent; failed: gave up after
# the last attempt (an admin may retry); skipped: never sent, for skip_reason (the in-app copy still stands).
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "skipped")
SKIP_REASONS = ("opted_out", "capped", "no_phone", "no_template", "off", "inactive")
ATTEMPT_OUTCOMES = ("sent", "error", "deferred")
SMS_PROVIDERS = ("off", "file", "aliyun", "tencent")
CONSENT_CHOICES = ("opt_out", "opt_in")
CONSENT_ACTORS = ("resident", "staff")


class Notification(db.Model):
    """One message to one recipient, and its in-app copy. ``kind`` names an entry of ``participation.reach.kinds``
    (which says who may opt out and what an SMS of it carries); ``params`` are the template's values and nothing
    more; ``dedupe_key`` makes an event that may be seen twice (a reminder, "due soon") write its message once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    robot_id: Mapped[int | None] = mapped_column(ForeignKey("wecom_robots.id", ondelete="CASCADE"), nullable=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)     # a path inside the app ("去看看")
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)   # every delivery ended

    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="notification", cascade="all, delete-orphan",
                                                        passive_deletes=True)
    household = relationship("Household")
    user = relationship("User")
    robot = relationship("WecomRobot")
    community = relationship("Community")

    __table_args__ = (
        CheckConstraint("household_id IS NOT NULL OR user_id IS NOT NULL OR robot_id IS NOT NULL",
                        name="has_recipient"),
        Index("ix_notifications_unsent", "sent_at", "id"),
        Index("ix_notifications_household", "household_id", "id"),
        Index("ix_notifications_user", "user_id", "id"),
    )

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"


class Delivery(db.Model):
    """One message on one outside channel. ``idempotency_key`` is unique: a message is never queued twice on a
    channel, and the key travels to the provider (阿里云 OutId, 腾讯云 SessionContext) so a retry after a lost
    answer can be recognised. Workers claim a delivery with one conditional UPDATE (pending and due → sending,
    ``claimed_until`` a lease): of two workers only one wins."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"),
                                                     nullable=True)   # what an SMS is counted against
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    template: Mapped[str | None] = mapped_column(String(60), nullable=True)
    skip_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(back_populates="delivery",
                                                                cascade="all, delete-orphan", passive_deletes=True,
                                                                order_by="DeliveryAttempt.id")

    __table_args__ = (
        one_of("channel", CHANNELS, "channel"),
        one_of("state", DELIVERY_STATES, "state"),
        CheckConstraint("skip_reason IS NULL OR skip_reason IN ("
                        + ", ".join(f"'{reason}'" for reason in SKIP_REASONS) + ")", name="skip_reason"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_community_sent", "community_id", "channel", "sent_at"),
        Index("ix_deliveries_notification", "notification_id"),
    )

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.state}>"


class DeliveryAttempt(db.Model):
    """The delivery log: one row per try, with what the provider answered (its id, or the error in words)."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    provider_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(80), nullable=True)

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")

    __table_args__ = (one_of("outcome", ATTEMPT_OUTCOMES, "outcome"),)


class WecomRobot(db.Model):
    """A 企业微信 group robot of a staff group: the community's group, or an organisation's (a contractor's crew).
    ``kinds`` are the message kinds the group wants; the webhook URL carries the robot's key, so pages show it
    masked."""

    __tablename__ = "wecom_robots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    webhook_url: Mapped[str] = mapped_column(String(500), nullable=False)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                        nullable=True)
    kinds: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    community = relationship("Community")
    organisation = relationship("Organisation")

    __table_args__ = (
        CheckConstraint("community_id IS NOT NULL OR organisation_id IS NOT NULL", name="has_group"),
        CheckConstraint("webhook_url LIKE 'http%'", name="webhook_url"),
    )

    def __repr__(self) -> str:
        return f"<WecomRobot {self.name}>"


class SmsSettings(db.Model):
    """The one row of SMS settings an admin edits (``/admin/messages/settings``). A value left empty falls back to
    the environment (``SMS_BACKEND``, ``SMS_SIGN_NAME`` …); the providers' secret keys come from the environment
    only. ``templates`` maps a message kind to the provider-approved template code."""

    __tablename__ = "sms_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str | None] = mapped_column(String(10), nullable=True)
    sign_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    app_id: Mapped[str | None] = mapped_column(String(40), nullable=True)     # 腾讯云 SmsSdkAppId
    region: Mapped[str | None] = mapped_column(String(30), nullable=True)
    templates: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    daily_cap: Mapped[int | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("provider IS NULL OR provider IN ("
                        + ", ".join(f"'{name}'" for name in SMS_PROVIDERS) + ")", name="provider"),
        CheckConstraint("daily_cap IS NULL OR daily_cap >= 0", name="daily_cap"),
    )


class SmsConsent(db.Model):
    """A household's choice about SMS it may refuse (PIPL consent, kept as history: the newest row holds). Messages
    the law or the household's own business requires (Art. 278 vote notices, its complaint, a ballot changed,
    entry codes) are sent whatever it chose."""

    __tablename__ = "sms_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False)
    choice: Mapped[str] = mapped_column(String(10), nullable=False)
    actor: Mapped[str] = mapped_column(String(10), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # staff who recorded it
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        one_of("choice", CONSENT_CHOICES, "choice"),
        one_of("actor", CONSENT_ACTORS, "actor"),
        Index("ix_sms_consents_household", "household_id", "id"),
    )


class EntryCode(db.Model):
    """A six-digit code sent by SMS to a roster phone so its household may enter without the slip: only hashes are
    kept (of the phone and of the code), it lasts five minutes, opens once, and dies after a few wrong tries."""

    __tablename__ = "entry_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    phone_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    key_version: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures"),
        Index("ix_entry_codes_phone", "community_id", "phone_hash", "created_at"),
    )
