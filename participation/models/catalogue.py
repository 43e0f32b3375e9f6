"""The item catalogue residents choose from, in the national categories plus a locality's extra classes."""
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

CATEGORIES = ("basic", "improvement", "upgrade")
QUANTITY_UNITS = ("per_m2_area", "per_household", "per_unit", "per_building", "lump_sum")


class CatalogueItem(db.Model):
    __tablename__ = "catalogue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # basic / improvement / upgrade, or a locality's extra class code (成都 safety)
    category: Mapped[str] = mapped_column(String(30), nullable=False)
    group: Mapped[str | None] = mapped_column(String(30), nullable=True)  # 吉林 四改 group
    quantity_unit: Mapped[str] = mapped_column(String(20), nullable=False)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    owner_matter: Mapped[int | None] = mapped_column(nullable=True)  # 民法典 Art. 278 item number
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    retired_at = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        one_of("quantity_unit", QUANTITY_UNITS, "quantity_unit"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        CheckConstraint("owner_matter IS NULL OR owner_matter BETWEEN 1 AND 9", name="owner_matter"),
    )

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<CatalogueItem {self.code} {self.name}>"
