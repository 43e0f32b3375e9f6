"""The field survey (实地调查): staff's finding of each catalogue item's condition in a community."""
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

CONDITIONS = ("good", "needs_repair", "missing", "not_applicable")
NEEDS_WORK = ("needs_repair", "missing")   # what makes a basic item 应改尽改 in the plan (the one definition)


class FieldFinding(db.Model):
    __tablename__ = "field_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), nullable=False)
    condition: Mapped[str] = mapped_column(String(20), nullable=False)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = relationship("Community")
    item = relationship("CatalogueItem")
    recorded_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("community_id", "item_id"),
        one_of("condition", CONDITIONS, "condition"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity"),
    )

    @property
    def needs_work(self) -> bool:
        return self.condition in NEEDS_WORK

    def __repr__(self) -> str:
        return f"<FieldFinding community={self.community_id} item={self.item_id} {self.condition}>"
