"""The roster (调查摸底): district → community → building → unit (单元) → household, and the agencies at work."""
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.lifecycle import STAGES as COMMUNITY_STATUSES
from participation.models.types import UTCDateTime, one_of, utcnow

OCCUPANCIES = ("owner_occupied", "rented", "vacant")
ORGANISATION_KINDS = ("contractor", "supervisor", "property", "pipeline", "department")


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)

    locality = relationship("Locality")
    communities: Mapped[list["Community"]] = relationship(back_populates="district", order_by="Community.code")

    __table_args__ = (UniqueConstraint("locality_id", "name"),)

    def __repr__(self) -> str:
        return f"<District {self.id} {self.name}>"


class Organisation(db.Model):
    """A contractor, supervisor, property manager or pipeline company; agency accounts belong to one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # A department's or pipeline company's field (participation.models.jointreview.SPECIALITIES), for joint review.
    speciality: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (one_of("kind", ORGANISATION_KINDS, "kind"),)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name}>"


class Community(db.Model):
    """A 小区; its code is the natural key used by imports, URLs and other programs."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    year_built: Mapped[int | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="reserve")
    quality_hotline: Mapped[str | None] = mapped_column(String(30), nullable=True)     # 质量监督举报电话
    supervisor_hotline: Mapped[str | None] = mapped_column(String(30), nullable=True)  # 监理投诉电话
    community_hotline: Mapped[str | None] = mapped_column(String(30), nullable=True)   # 社区热线
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    is_demo: Mapped[bool] = mapped_column(nullable=False, default=False)
    # WGS-84 degrees of the community's main gate, for placing Open311 reports sent with coordinates only.
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    long: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)

    district: Mapped[District] = relationship(back_populates="communities")
    contractor: Mapped[Organisation | None] = relationship(foreign_keys=[contractor_id])
    supervisor: Mapped[Organisation | None] = relationship(foreign_keys=[supervisor_id])
    buildings: Mapped[list["Building"]] = relationship(back_populates="community", order_by="Building.sort_key",
                                                       cascade="all, delete-orphan")

    __table_args__ = (
        one_of("status", COMMUNITY_STATUSES, "status"),
        CheckConstraint("year_built IS NULL OR (year_built BETWEEN 1900 AND 2100)", name="year_built"),
        CheckConstraint("length(code) > 0", name="code_not_empty"),
        CheckConstraint("(lat IS NULL) = (long IS NULL) AND (lat IS NULL OR (lat BETWEEN -90 AND 90 AND "
                        "long BETWEEN -180 AND 180))", name="coordinates"),
    )

    @property
    def hotlines(self) -> list[tuple[str, str]]:
        """(kind, number) pairs of the posted complaint numbers, in the order residents see them."""
        pairs = [("quality", self.quality_hotline), ("supervisor", self.supervisor_hotline),
                 ("community", self.community_hotline)]
        return [(kind, number) for kind, number in pairs if number]

    def __repr__(self) -> str:
        return f"<Community {self.code} {self.name}>"


class Building(db.Model):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    name: Mapped[str] = mapped_column(String(20), nullable=False)   # 楼栋 as written on the roster: "3" or "3号楼"
    sort_key: Mapped[str] = mapped_column(String(40), nullable=False)

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list["Unit"]] = relationship(back_populates="building", order_by="Unit.sort_key",
                                               cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("community_id", "name"),)

    @property
    def label(self) -> str:
        return self.label_of(self.name)

    @staticmethod
    def label_of(name: str) -> str:
        """"3" → 3号楼; a name written out ("3号楼", "东楼") stays as it is."""
        return name if not name.isdigit() else f"{name}号楼"

    def __repr__(self) -> str:
        return f"<Building {self.id} {self.name}>"


class Unit(db.Model):
    """A 单元 (stairwell): the scope of elevator votes and of the printed slips."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    name: Mapped[str] = mapped_column(String(20), nullable=False)
    sort_key: Mapped[str] = mapped_column(String(40), nullable=False)
    # Set by organisers after the field survey: the elevator question goes only to units where one can be added.
    elevator_possible: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=db.false())

    building: Mapped[Building] = relationship(back_populates="units")
    households: Mapped[list["Household"]] = relationship(back_populates="unit", order_by="Household.sort_key",
                                                         cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("building_id", "name"),)

    @property
    def label(self) -> str:
        return self.label_of(self.name)

    @staticmethod
    def label_of(name: str) -> str:
        return name if not name.isdigit() else f"{name}单元"

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name}>"


class Household(db.Model):
    """One exclusive unit (户) with its registered area; the resident login and the owner's ballot hang off it."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), nullable=False, index=True)
    room: Mapped[str] = mapped_column(String(20), nullable=False)
    sort_key: Mapped[str] = mapped_column(String(40), nullable=False)
    floor: Mapped[int] = mapped_column(nullable=False)
    # 不动产登记簿 area, kept exact: Art. 278 counts it to the hundredth of a square metre.
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    owner_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # 业主标识
    owner_id_tail_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)    # 业主证件后六位, hashed
    owner_id_tail_key_version: Mapped[int | None] = mapped_column(nullable=True)   # participation.keyring
    contact_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    occupancy: Mapped[str] = mapped_column(String(20), nullable=False, default="owner_occupied")
    notice_accepted_at = mapped_column(UTCDateTime, nullable=True)  # PIPL Art. 17 notice, first entry
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="households")

    __table_args__ = (
        UniqueConstraint("unit_id", "room"),
        one_of("occupancy", OCCUPANCIES, "occupancy"),
        CheckConstraint("area > 0", name="area_positive"),
        CheckConstraint("floor BETWEEN -5 AND 200", name="floor_range"),
    )

    @property
    def address(self) -> str:
        """楼栋-单元-室 as residents write it: 3号楼2单元502室."""
        return f"{self.unit.building.label}{self.unit.label}{self.room}室"

    @property
    def community(self) -> Community:
        return self.unit.building.community

    def __repr__(self) -> str:
        return f"<Household {self.id} room {self.room}>"
