"""Joint review (联合共审, 同步计划) of an adopted plan version, before works start (DESIGN §2).

The locality lists the departments (规自, 城管, 房管 …) and pipeline companies (water, power, gas, heating,
telecom …) that review its plans (``ReviewParty``). Opening a review of an adopted version snapshots those parties
(``JointReviewParty``); each signs off or returns comments per plan item (``ReviewSignoff``). Pipeline companies
record their own planned works against the community's plan items (``PipelineWork``), so a road is dug once; two
works on one place with overlapping dates are a conflict the review shows.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

# What a reviewing organisation is: its department or pipeline speciality.
SPECIALITIES = ("planning", "urban_management", "housing", "water", "power", "gas", "heating", "telecom")
SIGNOFF_DECISIONS = ("approved", "returned")


class ReviewParty(db.Model):
    """A department or pipeline company the locality lists as a reviewer of every plan."""

    __tablename__ = "review_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"), nullable=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False)

    locality = relationship("Locality")
    organisation = relationship("Organisation")

    __table_args__ = (UniqueConstraint("locality_id", "organisation_id"),)


class JointReview(db.Model):
    """The joint review of one adopted plan version; complete when every party signed off every included item."""

    __tablename__ = "joint_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), nullable=False,
                                            unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    version = relationship("PlanVersion")
    parties: Mapped[list["JointReviewParty"]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                             order_by="JointReviewParty.id")
    signoffs: Mapped[list["ReviewSignoff"]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                           order_by="ReviewSignoff.id")

    def __repr__(self) -> str:
        return f"<JointReview version={self.version_id}>"


class JointReviewParty(db.Model):
    """A party of one review, as listed when it opened."""

    __tablename__ = "joint_review_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("joint_reviews.id", ondelete="CASCADE"), nullable=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)

    review: Mapped[JointReview] = relationship(back_populates="parties")
    organisation = relationship("Organisation")

    __table_args__ = (UniqueConstraint("review_id", "organisation_id"),)


class ReviewSignoff(db.Model):
    """One party's word on one plan item: approved, or returned with comments (which it may later approve)."""

    __tablename__ = "review_signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("joint_reviews.id", ondelete="CASCADE"), nullable=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"), nullable=False)
    decision: Mapped[str] = mapped_column(String(10), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    review: Mapped[JointReview] = relationship(back_populates="signoffs")
    organisation = relationship("Organisation")
    plan_item = relationship("PlanItem")
    by = relationship("User")

    __table_args__ = (
        UniqueConstraint("review_id", "organisation_id", "plan_item_id"),
        one_of("decision", SIGNOFF_DECISIONS, "decision"),
        CheckConstraint("decision = 'approved' OR length(comment) > 0", name="returned_has_comment"),
    )


class PipelineWork(db.Model):
    """A pipeline company's own planned works in a community, against a plan item (catalogue item), with its dates
    and place (a building, or words such as "北门至3号楼道路")."""

    __tablename__ = "pipeline_works"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"), nullable=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"), nullable=True)
    place: Mapped[str | None] = mapped_column(String(100), nullable=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    organisation = relationship("Organisation")
    community = relationship("Community")
    item = relationship("CatalogueItem")
    building = relationship("Building")

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_order"),
        Index("ix_pipeline_works_community", "community_id"),
    )
