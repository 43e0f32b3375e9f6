"""一区一案: a community's budget and funding lines, its plan in numbered versions, and the works on each item.

The plan inputs (participation.plans.inputs) suggest; organisers adopt the suggestions as a draft plan
version, edit it into new versions (each changed item with its reason) and adopt one; the works progress of the
adopted plan's items is kept per plan and item, so a new version does not lose it.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

# DESIGN §6: where the money comes from, besides the elevator subsidy of the locality's rule for the year.
FUNDING_LINES = ("central_subsidy", "local_funds", "pipeline_units", "original_owners", "social_capital",
                 "residents_direct", "maintenance_fund", "housing_fund", "public_revenue")
SUGGESTIONS = ("include", "include_if_budget", "needs_vote", "reserve", "exclude")
PLANNED = ("include", "needs_vote")   # suggestions the estimated cost counts
VERSION_STATUSES = ("draft", "adopted", "superseded")
WORK_STATUSES = ("not_started", "in_progress", "finished")
MONEY = Numeric(14, 2)


def is_planned(row: dict) -> bool:
    """A suggested item (a row of the plan inputs) that is planned: counted in the estimated cost and included in
    the first draft — "include" or "needs a vote", unless left to "if the budget allows"."""
    return row["suggestion"] in PLANNED and not row["if_budget_allows"]


class CommunityBudget(db.Model):
    """The envelope organisers entered for a community's plan year and each funding line they know of (None: not
    known yet, which is not 0)."""

    __tablename__ = "community_budgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              unique=True)
    plan_year: Mapped[int] = mapped_column(nullable=False)
    envelope: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    central_subsidy: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    local_funds: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)       # incl. 专项债, policy loans
    pipeline_units: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)    # 管线单位
    original_owners: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)   # 原产权单位
    social_capital: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    residents_direct: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    maintenance_fund: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)  # 维修资金
    housing_fund: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)      # 公积金
    public_revenue: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)    # 公共收益
    # The plan raises (筹集 / 续筹) the maintenance fund: a special-class owner decision (民法典 Art. 278, item 6).
    raises_maintenance_fund: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = relationship("Community")

    __table_args__ = (
        CheckConstraint("plan_year BETWEEN 2000 AND 2100", name="plan_year"),
        *(CheckConstraint(f"{line} IS NULL OR {line} >= 0", name=line) for line in ("envelope",) + FUNDING_LINES),
    )

    def funding(self) -> dict[str, Decimal | None]:
        return {line: getattr(self, line) for line in FUNDING_LINES}

    def __repr__(self) -> str:
        return f"<CommunityBudget community={self.community_id} {self.plan_year}>"


class Plan(db.Model):
    """A community's renovation plan (一区一案): one per community, in versions."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    community = relationship("Community")
    versions: Mapped[list["PlanVersion"]] = relationship(back_populates="plan", order_by="PlanVersion.number",
                                                         cascade="all, delete-orphan")
    works: Mapped[list["PlanWork"]] = relationship(back_populates="plan", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Plan community={self.community_id}>"


class PlanVersion(db.Model):
    """One numbered version: its items, the policy measures (the cost-sharing rule …) and why it was made."""

    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    measures: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="versions")
    created_by = relationship("User")
    items: Mapped[list["PlanItem"]] = relationship(back_populates="version", cascade="all, delete-orphan",
                                                   order_by="PlanItem.position")

    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        one_of("status", VERSION_STATUSES, "status"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("status = 'draft' OR adopted_at IS NOT NULL", name="adopted_has_time"),
    )

    @property
    def total_cost(self) -> Decimal:
        return sum((item.cost for item in self.items if item.included), Decimal("0.00"))

    def __repr__(self) -> str:
        return f"<PlanVersion plan={self.plan_id} v{self.number} {self.status}>"


class PlanItem(db.Model):
    """A catalogue item in a plan version: in or out, its quantity and unit cost, what the inputs suggested, and
    (from the second version on) why it changed."""

    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    included: Mapped[bool] = mapped_column(nullable=False, default=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    cost: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    suggestion: Mapped[str | None] = mapped_column(String(20), nullable=True)
    change_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    version: Mapped[PlanVersion] = relationship(back_populates="items")
    item = relationship("CatalogueItem")

    __table_args__ = (
        UniqueConstraint("version_id", "item_id"),
        CheckConstraint("quantity >= 0 AND unit_cost >= 0 AND cost >= 0", name="amounts"),
        CheckConstraint(f"suggestion IS NULL OR suggestion IN ({', '.join(repr(s) for s in SUGGESTIONS)})",
                        name="suggestion"),
    )

    def __repr__(self) -> str:
        return f"<PlanItem v={self.version_id} item={self.item_id} {'in' if self.included else 'out'}>"


class PlanWork(db.Model):
    """The works on one item of a community's plan: not started / in progress / finished (with its date)."""

    __tablename__ = "plan_works"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="not_started")
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    finished_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="works")
    item = relationship("CatalogueItem")
    photos: Mapped[list["PlanWorkPhoto"]] = relationship(back_populates="work", cascade="all, delete-orphan",
                                                         order_by="PlanWorkPhoto.id")

    __table_args__ = (
        UniqueConstraint("plan_id", "item_id"),
        one_of("status", WORK_STATUSES, "status"),
        CheckConstraint("status <> 'finished' OR finished_on IS NOT NULL", name="finished_has_date"),
    )

    def __repr__(self) -> str:
        return f"<PlanWork plan={self.plan_id} item={self.item_id} {self.status}>"


MAX_WORK_PHOTOS = 6   # per item of the plan: enough to show the works, few enough for a resident's phone
MAX_CAPTION = 100


class PlanWorkPhoto(db.Model):
    """A photo of the works on one item (施工照片), shown to the community's residents on the progress page: stored
    re-encoded without EXIF/GPS (participation.uploads) with its thumbnail, whose size the page's <img> declares."""

    __tablename__ = "plan_work_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_work_id: Mapped[int] = mapped_column(ForeignKey("plan_works.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    path: Mapped[str] = mapped_column(String(200), nullable=False)
    thumbnail_path: Mapped[str] = mapped_column(String(200), nullable=False)
    thumbnail_width: Mapped[int] = mapped_column(nullable=False)
    thumbnail_height: Mapped[int] = mapped_column(nullable=False)
    caption: Mapped[str | None] = mapped_column(String(MAX_CAPTION), nullable=True)
    taken_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    work: Mapped[PlanWork] = relationship(back_populates="photos")
    uploaded_by = relationship("User")

    __table_args__ = (
        CheckConstraint("thumbnail_width > 0 AND thumbnail_height > 0", name="thumbnail_size"),
    )

    def __repr__(self) -> str:
        return f"<PlanWorkPhoto work={self.plan_work_id} {self.id}>"
