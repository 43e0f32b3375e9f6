"""Complaints (接诉即办, DESIGN §5): tickets through one lifecycle, their timeline, photos and call-backs; the
holiday table the deadlines count working days with; supervisors' patrol findings. (The outbox of
notifications is ``participation.models.reach``.)

The lifecycle itself (which action moves which state, and who may take it) lives in
``participation.complaints.operations``; the models only keep the states within their allowed values.
"""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

# 受理 → 派单 → 签收 (办理) or 退单 → 回复 → 办结 → 回访 → closed; 重办 goes back to 派单; duplicate and rejected end it.
TICKET_STATES = ("received", "dispatched", "returned", "handling", "replied", "completed", "closed", "duplicate",
                 "rejected")
OPEN_STATES = ("received", "dispatched", "returned", "handling", "replied", "completed")
OPEN_PREDICATE = "state IN ('received', 'dispatched', 'returned', 'handling', 'replied', 'completed')"
TICKET_CHANNELS = ("web", "hotline_12345", "community_hotline", "walk_in", "open311", "patrol")
URGENCIES = ("normal", "urgent", "emergency")
LIMIT_CLASSES = ("emergency", "utility", "general", "complex")   # the locality's complaint_limit keys
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
HOLIDAY_KINDS = ("holiday", "workday")   # a day off on a weekday, or a make-up working day (调休) at a weekend
FINDING_SOURCES = ("supervisor", "resident_supervisor")
# A patrol finding's rectification: open → rectified (the contractor) → verified (the supervisor or the owner
# representative) or back to open (returned with a reason).
FINDING_STATES = ("open", "rectified", "verified")
FINDING_ACTIONS = ("rectify", "verify", "return")


class ComplaintCategory(db.Model):
    """What residents complain about (施工质量, 燃气管线 …): locality data, each with the time-limit class it runs on
    unless the ticket is an emergency."""

    __tablename__ = "complaint_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"), nullable=False)
    code: Mapped[str] = mapped_column(String(30), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    limit_class: Mapped[str] = mapped_column(String(12), nullable=False, default="general")
    quality_or_safety: Mapped[bool] = mapped_column(nullable=False, default=False)   # in the weekly bulletin's list
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("locality_id", "code"),
        one_of("limit_class", LIMIT_CLASSES, "limit_class"),
    )

    def __repr__(self) -> str:
        return f"<ComplaintCategory {self.code} {self.name}>"


class Holiday(db.Model):
    """A day the working-day clock treats differently from the calendar: a weekday off (国庆) or a weekend day
    worked (调休). Seeded from chinese-calendar; admins edit it. A year with no row at all counts weekends only."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="chinese-calendar")

    __table_args__ = (one_of("kind", HOLIDAY_KINDS, "kind"),)

    def __repr__(self) -> str:
        return f"<Holiday {self.day} {self.kind}>"


class Ticket(db.Model):
    """One complaint, from whichever channel, with its current state, the agency it is with and its deadline."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), nullable=False)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True)
    place: Mapped[str | None] = mapped_column(String(100), nullable=True)        # a named common area
    category_id: Mapped[int] = mapped_column(ForeignKey("complaint_categories.id"), nullable=False)
    urgency: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")
    limit_class: Mapped[str] = mapped_column(String(12), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    external_number: Mapped[str | None] = mapped_column(String(40), nullable=True)   # 12345 工单号
    caller_name: Mapped[str | None] = mapped_column(String(40), nullable=True)      # outside the roster
    caller_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="received")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_estimated: Mapped[bool] = mapped_column(nullable=False, default=False)   # no holiday data for a year
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extension_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)   # asked, not yet approved
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    callback_attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    solved: Mapped[bool | None] = mapped_column(nullable=True)
    satisfaction: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reopened: Mapped[int] = mapped_column(nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = relationship("Community")
    building = relationship("Building")
    unit = relationship("Unit")
    household = relationship("Household")
    category = relationship("ComplaintCategory")
    agency = relationship("Organisation")
    duplicate_of = relationship("Ticket", remote_side="Ticket.id")
    events: Mapped[list["TicketEvent"]] = relationship(back_populates="ticket", order_by="TicketEvent.id",
                                                       cascade="all, delete-orphan")
    photos: Mapped[list["TicketPhoto"]] = relationship(back_populates="ticket", cascade="all, delete-orphan")

    __table_args__ = (
        one_of("state", TICKET_STATES, "state"),
        one_of("channel", TICKET_CHANNELS, "channel"),
        one_of("urgency", URGENCIES, "urgency"),
        one_of("limit_class", LIMIT_CLASSES, "limit_class"),
        CheckConstraint("satisfaction IS NULL OR satisfaction IN ('satisfied', 'basically_satisfied', "
                        "'dissatisfied')", name="satisfaction"),
        CheckConstraint("length(description) BETWEEN 1 AND 4000", name="description"),
        CheckConstraint("state NOT IN ('dispatched', 'handling', 'replied') OR agency_id IS NOT NULL",
                        name="dispatched_has_agency"),
        CheckConstraint("state <> 'duplicate' OR duplicate_of_id IS NOT NULL", name="duplicate_has_original"),
        # The queue: open tickets by due time (a partial index: closed tickets, most of them in time, stay out of
        # it), per community and per agency.
        Index("ix_tickets_open_due", "due_at", "id", postgresql_where=text(OPEN_PREDICATE),
              sqlite_where=text(OPEN_PREDICATE)),
        Index("ix_tickets_queue", "state", "due_at"),
        Index("ix_tickets_community_due", "community_id", "due_at"),
        Index("ix_tickets_agency_due", "agency_id", "due_at"),
        Index("ix_tickets_household", "household_id"),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        return f"<Ticket {self.receipt} {self.state}>"


class TicketEvent(db.Model):
    """One step of a ticket's timeline: the action, who took it, from which state to which, and its words
    (a reply, a reason); ``public`` steps are shown to the resident who filed it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_state: Mapped[str] = mapped_column(String(12), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    public: Mapped[bool] = mapped_column(nullable=False, default=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<TicketEvent {self.ticket_id} {self.action} {self.from_state}→{self.to_state}>"


class TicketPhoto(db.Model):
    """A photo of a ticket, stored re-encoded without EXIF/GPS, with its thumbnail: the resident's (no event), or
    the agency's proof of the fix sent with its reply (``event_id``, the reply's step)."""

    __tablename__ = "ticket_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_findings.id", ondelete="CASCADE"),
                                                   nullable=True, index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"), nullable=True,
                                                 index=True)
    path: Mapped[str] = mapped_column(String(200), nullable=False)
    thumbnail_path: Mapped[str] = mapped_column(String(200), nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="photos")

    __table_args__ = (CheckConstraint("(ticket_id IS NULL) <> (finding_id IS NULL)", name="one_owner"),)


class PatrolFinding(db.Model):
    """An inspection finding of a supervisor (监理巡查) or a resident supervisor (居民监督员): it goes to the weekly
    bulletin and to the contractor, never into the residents' satisfaction rates."""

    __tablename__ = "patrol_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), nullable=False, index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), nullable=True)
    place: Mapped[str | None] = mapped_column(String(100), nullable=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("complaint_categories.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)   # cleared when returned
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="open", server_default="open")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    community = relationship("Community")
    category = relationship("ComplaintCategory")
    photos: Mapped[list[TicketPhoto]] = relationship(cascade="all, delete-orphan")
    events: Mapped[list["PatrolFindingEvent"]] = relationship(back_populates="finding",
                                                              order_by="PatrolFindingEvent.id",
                                                              cascade="all, delete-orphan")

    __table_args__ = (
        one_of("source", FINDING_SOURCES, "source"),
        CheckConstraint("length(description) BETWEEN 1 AND 4000", name="description"),
        one_of("state", FINDING_STATES, "state"),
        CheckConstraint("state = 'open' OR rectified_at IS NOT NULL", name="rectified_has_time"),
        CheckConstraint("state <> 'verified' OR verified_at IS NOT NULL", name="verified_has_time"),
    )


class PatrolFindingEvent(db.Model):
    """One step of a finding's rectification: rectified by the contractor (a note, perhaps photos), verified or
    returned (a reason) by the supervisor or the owner representative; who, when, from which state to which."""

    __tablename__ = "patrol_finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("patrol_findings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    from_state: Mapped[str] = mapped_column(String(10), nullable=False)
    to_state: Mapped[str] = mapped_column(String(10), nullable=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)   # TicketPhoto rows it added
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    finding: Mapped[PatrolFinding] = relationship(back_populates="events")
    actor = relationship("User")

    __table_args__ = (
        one_of("action", FINDING_ACTIONS, "action"),
        CheckConstraint("note IS NULL OR length(note) <= 1000", name="note"),
        Index("ix_patrol_finding_events_action_at", "action", "at"),
    )

    def __repr__(self) -> str:
        return f"<PatrolFindingEvent {self.finding_id} {self.action} {self.from_state}→{self.to_state}>"


class Open311Key(db.Model):
    """A key for POSTing service requests through Open311 GeoReport v2 (``flask open311 create-key NAME``): shown
    once, stored as a hash."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    key_version: Mapped[int] = mapped_column(nullable=False)     # participation.keyring; 0: plain SHA-256
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<Open311Key {self.name}>"
