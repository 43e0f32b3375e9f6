"""Resident entry: household codes, what was done on a household's behalf, and throttling of guesses."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

CHANNELS = ("web", "phone", "paper", "door_to_door", "hotline")


class HouseholdCode(db.Model):
    """A household's entry code, stored only as a keyed hash; at most one is live per household. ``key_version``:
    the version of the key ring the hash was made with (``participation.keyring``; 0: before versions)."""

    __tablename__ = "household_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    key_version: Mapped[int] = mapped_column(nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    issued_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    household = relationship("Household")

    __table_args__ = (
        # One live code per household, enforced by the database on both SQLite and PostgreSQL.
        Index("uq_household_codes_live", "household_id", unique=True,
              sqlite_where=db.text("revoked_at IS NULL"), postgresql_where=db.text("revoked_at IS NULL")),
    )

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"<HouseholdCode {self.id} household={self.household_id} {state}>"


class HouseholdActivity(db.Model):
    """Something done for a household, by the resident or by staff on their behalf, with its channel."""

    __tablename__ = "household_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    staff = relationship("User")

    __table_args__ = (
        one_of("channel", CHANNELS, "channel"),
        db.CheckConstraint("channel = 'web' OR staff_id IS NOT NULL", name="assisted_has_staff"),
    )

    def __repr__(self) -> str:
        return f"<HouseholdActivity {self.id} {self.action} via {self.channel}>"


class Throttle(db.Model):
    """Failed guesses under one key (a browser, an address, a username) and when the next try is allowed."""

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)
    blocked_until = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Throttle {self.key} failures={self.failures}>"
