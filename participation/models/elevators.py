"""Elevator retrofit per 单元 (既有住宅加装电梯, DESIGN §4): the request a household starts (一家牵头) and the owners
whose 专有部分 the shaft would occupy, who consent one by one.

The owners' consent vote itself lives with the votes (``vote_id`` links one when it is created); this module keeps
the request's own lifecycle: started → consultation (意愿征询) → vote → approved / rejected, or withdrawn.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.access import CHANNELS
from participation.models.types import UTCDateTime, one_of, utcnow

ELEVATOR_STATUSES = ("started", "consultation", "vote", "approved", "rejected", "withdrawn")
ACTIVE_ELEVATOR_STATUSES = ("started", "consultation", "vote")
# Which status may follow which; anything else is refused (a closed request stays closed: start a new one).
ELEVATOR_TRANSITIONS = {
    "started": ("consultation", "withdrawn"),
    "consultation": ("vote", "withdrawn"),
    "vote": ("approved", "rejected", "withdrawn"),
}
_ACTIVE = "status IN ({})".format(", ".join(f"'{status}'" for status in ACTIVE_ELEVATOR_STATUSES))


class ElevatorRequest(db.Model):
    """One 单元's request for an elevator; at most one active at a time (a partial unique index)."""

    __tablename__ = "elevator_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), nullable=False, index=True)
    # The household that started it (一家牵头); None once that household has left the roster.
    started_by_household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"),
                                                                nullable=True)
    started_channel: Mapped[str] = mapped_column(String(20), nullable=False, default="web")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="started")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # The organiser's estimate for this 单元 (a quotation); None: the catalogue's reference cost.
    cost_estimate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The owners' consent vote on this request, once one is created.
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="SET NULL"), nullable=True,
                                                index=True)

    unit = relationship("Unit")
    started_by = relationship("Household", foreign_keys=[started_by_household_id])
    vote = relationship("Vote")
    shaft_owners: Mapped[list["ElevatorShaftOwner"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ElevatorShaftOwner.id")

    __table_args__ = (
        one_of("status", ELEVATOR_STATUSES, "status"),
        one_of("started_channel", CHANNELS, "started_channel"),
        CheckConstraint("cost_estimate IS NULL OR cost_estimate > 0", name="cost_estimate_positive"),
        Index("uq_elevator_requests_active_unit", "unit_id", unique=True,
              sqlite_where=text(_ACTIVE), postgresql_where=text(_ACTIVE)),
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_ELEVATOR_STATUSES

    def may_move_to(self, status: str) -> bool:
        return status in ELEVATOR_TRANSITIONS.get(self.status, ())

    def move_to(self, status: str, now: datetime | None = None) -> None:
        """Change the status, refusing a step the lifecycle does not have."""
        if not self.may_move_to(status):
            raise ValueError(f"elevator request {self.id}: {self.status} → {status} is not allowed")
        self.status = status
        self.status_changed_at = now or utcnow()

    def __repr__(self) -> str:
        return f"<ElevatorRequest {self.id} unit {self.unit_id} {self.status}>"


class ElevatorShaftOwner(db.Model):
    """A household whose 专有部分 the shaft would occupy, marked by the organiser; its owner must consent on their
    own (拟占用业主专有部分的，还应当征得该专有部分的业主同意) whatever the vote says."""

    __tablename__ = "elevator_shaft_owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("elevator_requests.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    consent: Mapped[bool | None] = mapped_column(nullable=True)   # None: not asked or not answered yet
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    consent_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    request: Mapped[ElevatorRequest] = relationship(back_populates="shaft_owners")
    household = relationship("Household")

    __table_args__ = (
        UniqueConstraint("request_id", "household_id"),
        CheckConstraint("consent_channel IS NULL OR consent_channel IN ({})".format(
            ", ".join(f"'{channel}'" for channel in CHANNELS)), name="consent_channel"),
        CheckConstraint("consent IS NULL OR (consent_at IS NOT NULL AND consent_channel IS NOT NULL)",
                        name="consent_recorded"),
    )

    def __repr__(self) -> str:
        return f"<ElevatorShaftOwner {self.id} request {self.request_id} household {self.household_id}>"
