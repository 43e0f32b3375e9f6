"""Locality rules: the per-city facts (slogans, subsidies, limits, thresholds) kept as data with their sources."""
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

RULE_KINDS = (
    "category_slogan",      # key: category code; text: 应改尽改 …
    "extra_category",       # key: new category code; text: its name (成都 安全类)
    "elevator_subsidy",     # key: per_elevator; number: yuan per elevator
    "elevator_cost_share",  # key: floor number; number: reference coefficient
    "complaint_limit",      # key: complaint class; number + unit: the time limit, clock from unit
    "plan_threshold",       # key: threshold name; number: fraction 0..1
    "programme_target",     # key: communities / buildings / households / investment; the city's plan for the span
    "acceptance_pass",      # key: satisfied_share / participation_share; number: fraction 0..1 (联合验收满意度)
    "elevator_consent",     # key: share_of_all / share_of_participating; number: fraction 0..1 (加装电梯表决)
)
RULE_UNITS = ("yuan", "coefficient", "hours", "calendar_days", "working_days", "fraction", "count")


class Locality(db.Model):
    """A province/city whose rules apply to its districts (吉林省 长春市)."""

    __tablename__ = "localities"

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(40), nullable=False)
    city: Mapped[str] = mapped_column(String(40), nullable=False)

    rules: Mapped[list["LocalityRule"]] = relationship(back_populates="locality", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("province", "city"),)

    @property
    def name(self) -> str:
        return f"{self.province}{self.city}"

    def __repr__(self) -> str:
        return f"<Locality {self.id} {self.province}{self.city}>"


class LocalityRule(db.Model):
    """One rule valid over a span of years, with the source text it comes from."""

    __tablename__ = "locality_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    text_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)   # up to 126亿 yuan
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    valid_from: Mapped[int] = mapped_column(nullable=False)
    valid_to: Mapped[int | None] = mapped_column(nullable=True)  # None: open-ended
    source: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    locality: Mapped[Locality] = relationship(back_populates="rules")

    __table_args__ = (
        one_of("kind", RULE_KINDS, "kind"),
        CheckConstraint(f"unit IS NULL OR unit IN ({', '.join(repr(u) for u in RULE_UNITS)})", name="unit"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="years"),
        CheckConstraint("text_value IS NOT NULL OR number_value IS NOT NULL", name="has_value"),
        CheckConstraint("length(source) > 0", name="has_source"),
    )

    def covers(self, year: int) -> bool:
        return self.valid_from <= year and (self.valid_to is None or year <= self.valid_to)

    @property
    def years_label(self) -> str:
        return f"{self.valid_from}–{self.valid_to}" if self.valid_to else f"{self.valid_from}–"

    def __repr__(self) -> str:
        return f"<LocalityRule {self.id} {self.kind}:{self.key} {self.years_label}>"
