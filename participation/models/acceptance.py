"""Joint acceptance (联合验收) with the residents: their satisfaction rating (居民满意度评价) of a finished plan item
or of the whole project, in rounds, and the joint acceptance record signed by organiser, owner representative
and supervisor.

A round rates one *subject* of a community's plan: ``item:<catalogue item id>`` (a finished item of the works) or
``project`` (every item finished). A failing round opens a 整改 ticket for the contractor; once that ticket is
completed or closed, a re-rating is a new round with the next number. The pass rule is locality data
(``acceptance_pass``); the rule applied, its year and its source are kept on the closed round.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

ROUND_STATUSES = ("open", "closed")
ROUND_RESULTS = ("passed", "failed")
ROUND_SCOPES = ("community", "buildings")
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")   # 满意 / 基本满意 / 不满意
SIGNING_ROLES = ("organiser", "owner_rep", "supervisor")
PROJECT = "project"
MAX_COMMENT = 500

acceptance_round_buildings = Table(
    "acceptance_round_buildings", db.metadata,
    Column("round_id", ForeignKey("acceptance_ratings.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)


class AcceptanceRating(db.Model):
    """One round of the residents' rating of a subject: who may rate (the community or some buildings), when, whether
    the tallies are hidden until it closes, and — once closed — the counts, the result and the rule it applied."""

    __tablename__ = "acceptance_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), nullable=False)
    subject: Mapped[str] = mapped_column(String(20), nullable=False)          # "item:<id>" or "project"
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"), nullable=True)
    number: Mapped[int] = mapped_column(nullable=False)                       # 1, 2 … (a re-rating is a new round)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("acceptance_ratings.id"), nullable=True)
    scope: Mapped[str] = mapped_column(String(10), nullable=False, default="community")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    hide_tallies: Mapped[bool] = mapped_column(nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Filled when the round closes: the counts, the result and the rule applied with its year and source.
    eligible: Mapped[int | None] = mapped_column(nullable=True)
    responses: Mapped[int | None] = mapped_column(nullable=True)
    satisfied: Mapped[int | None] = mapped_column(nullable=True)
    basically_satisfied: Mapped[int | None] = mapped_column(nullable=True)
    dissatisfied: Mapped[int | None] = mapped_column(nullable=True)
    result: Mapped[str | None] = mapped_column(String(8), nullable=True)
    rule_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    rule_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    rule_year: Mapped[int | None] = mapped_column(nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)   # the 整改 ticket
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    community = relationship("Community")
    plan = relationship("Plan")
    item = relationship("CatalogueItem")
    previous = relationship("AcceptanceRating", remote_side=[id])
    ticket = relationship("Ticket")
    buildings = relationship("Building", secondary=acceptance_round_buildings, order_by="Building.sort_key")
    ratings: Mapped[list["RatingResponse"]] = relationship(back_populates="round", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("plan_id", "subject", "number"),
        one_of("status", ROUND_STATUSES, "status"),
        one_of("scope", ROUND_SCOPES, "scope"),
        CheckConstraint("result IS NULL OR result IN ('passed', 'failed')", name="result"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("closes_at > opens_at", name="period"),
        CheckConstraint("(subject = 'project') = (item_id IS NULL)", name="subject_item"),
        CheckConstraint("status = 'open' OR (closed_at IS NOT NULL AND result IS NOT NULL AND rule_source IS NOT "
                        "NULL)", name="closed_has_result"),
        CheckConstraint("status = 'closed' OR result IS NULL", name="open_has_no_result"),
        # One open round per subject at a time.
        Index("uq_acceptance_ratings_open_subject", "plan_id", "subject", unique=True,
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<AcceptanceRating plan={self.plan_id} {self.subject} #{self.number} {self.status}>"


class RatingResponse(db.Model):
    """One household's rating in a round (one per household per round; it may change it until the round closes),
    with an optional comment and photo (stored re-encoded without EXIF)."""

    __tablename__ = "acceptance_rating_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("acceptance_ratings.id", ondelete="CASCADE"), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    rating: Mapped[str] = mapped_column(String(24), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="web")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    round: Mapped[AcceptanceRating] = relationship(back_populates="ratings")
    household = relationship("Household")

    __table_args__ = (
        UniqueConstraint("round_id", "household_id"),
        one_of("rating", RATINGS, "rating"),
        CheckConstraint(f"comment IS NULL OR length(comment) <= {MAX_COMMENT}", name="comment"),
    )

    def __repr__(self) -> str:
        return f"<RatingResponse round={self.round_id} household={self.household_id} {self.rating}>"


class AcceptanceRecord(db.Model):
    """The joint acceptance record (联合验收记录) of a community's plan: the subjects it covers, the result in words,
    and the signatures of the organiser, the owner representative and the supervisor, each with who and when."""

    __tablename__ = "acceptance_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), nullable=False)
    result_text: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    organiser_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    owner_rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    owner_rep_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    supervisor_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    community = relationship("Community")
    plan = relationship("Plan")
    organiser = relationship("User", foreign_keys=[organiser_id])
    owner_rep = relationship("User", foreign_keys=[owner_rep_id])
    supervisor = relationship("User", foreign_keys=[supervisor_id])
    subjects: Mapped[list["AcceptanceRecordSubject"]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="AcceptanceRecordSubject.subject")

    __table_args__ = (
        CheckConstraint("length(result_text) BETWEEN 1 AND 2000", name="result_text"),
        *(CheckConstraint(f"({role}_id IS NULL) = ({role}_signed_at IS NULL)", name=f"{role}_signature")
          for role in SIGNING_ROLES),
    )

    def signer(self, role: str):
        return getattr(self, role), getattr(self, f"{role}_signed_at")

    @property
    def fully_signed(self) -> bool:
        return all(getattr(self, f"{role}_signed_at") is not None for role in SIGNING_ROLES)

    def __repr__(self) -> str:
        return f"<AcceptanceRecord {self.id} community={self.community_id}>"


class AcceptanceRecordSubject(db.Model):
    """A subject (``item:<id>`` or ``project``) a joint acceptance record covers."""

    __tablename__ = "acceptance_record_subjects"

    record_id: Mapped[int] = mapped_column(ForeignKey("acceptance_records.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), primary_key=True)

    record: Mapped[AcceptanceRecord] = relationship(back_populates="subjects")
