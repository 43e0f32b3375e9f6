"""The plan's comment period (方案公示 / 征求意见): a plan version published for residents to read and comment on,
and each household's comment, per item or on the whole plan.

A period opens and closes on local (Beijing) days; organisers may close it early. The final version's period also
records when the version was locked: a locked version takes no more edits (participation.plans.operations refuses
to make a new version from it or adopt another one).

A household says support / object / other once per item per version (or once on the whole plan) and may change it
until the period closes: two partial UNIQUE indexes hold this in the database, since an item-less comment has a
NULL plan item that a plain UNIQUE constraint would not compare. A comment is never deleted: moderation hides it with
a reason (and may unhide it); the organisers' answer is kept on the comment.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

STANCES = ("support", "object", "other")
COMMENT_MAX = 1000


class PlanCommentPeriod(db.Model):
    """One plan version shown for comment from ``opens_on`` to ``closes_on`` (both included), with the policy
    measures as they were published (a later version may change them)."""

    __tablename__ = "plan_comment_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), nullable=False,
                                            unique=True)
    opens_on: Mapped[date] = mapped_column(Date, nullable=False)
    closes_on: Mapped[date] = mapped_column(Date, nullable=False)
    measures: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)     # closed before closes_on
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)     # the final version
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    version = relationship("PlanVersion")
    published_by = relationship("User", foreign_keys=[published_by_id])
    comments: Mapped[list["PlanComment"]] = relationship(back_populates="period", cascade="all, delete-orphan",
                                                         order_by="PlanComment.id")

    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="period_order"),
    )

    def is_open(self, day: date) -> bool:
        return self.closed_at is None and self.opens_on <= day <= self.closes_on

    def state(self, day: date) -> str:
        """upcoming / open / closed (locked versions are closed too)."""
        if self.closed_at is not None or day > self.closes_on:
            return "closed"
        return "open" if day >= self.opens_on else "upcoming"

    def __repr__(self) -> str:
        return f"<PlanCommentPeriod version={self.version_id} {self.opens_on}..{self.closes_on}>"


class PlanComment(db.Model):
    """A household's stance and words on one item of the version (``plan_item_id``) or on the whole plan (None)."""

    __tablename__ = "plan_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("plan_comment_periods.id", ondelete="CASCADE"), nullable=False)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), nullable=False)
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"), nullable=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False)
    stance: Mapped[str] = mapped_column(String(8), nullable=False)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="web")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)   # staff assisting
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    period: Mapped[PlanCommentPeriod] = relationship(back_populates="comments")
    plan_item = relationship("PlanItem")
    household = relationship("Household")
    hidden_by = relationship("User", foreign_keys=[hidden_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    __table_args__ = (
        one_of("stance", STANCES, "stance"),
        CheckConstraint(f"body IS NULL OR length(body) <= {COMMENT_MAX}", name="body_length"),
        CheckConstraint("hidden_at IS NULL OR hidden_reason IS NOT NULL", name="hidden_has_reason"),
        CheckConstraint("answer IS NULL OR answered_at IS NOT NULL", name="answer_has_time"),
        # One comment per household per item per version, and one on the whole plan.
        Index("uq_plan_comments_item", "version_id", "household_id", "plan_item_id", unique=True,
              sqlite_where=text("plan_item_id IS NOT NULL"), postgresql_where=text("plan_item_id IS NOT NULL")),
        Index("uq_plan_comments_whole", "version_id", "household_id", unique=True,
              sqlite_where=text("plan_item_id IS NULL"), postgresql_where=text("plan_item_id IS NULL")),
        Index("ix_plan_comments_period", "period_id"),
    )

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<PlanComment v={self.version_id} item={self.plan_item_id} household={self.household_id} {self.stance}>"
