"""Staff accounts and the part of the roster each one may see."""
from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

ROLES = ("admin", "organiser", "owner_rep", "grid", "hotline", "agency")

user_communities = Table(
    "user_communities", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
)
user_buildings = Table(
    "user_buildings", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A staff member. Scope: a district (or the whole city when empty), listed communities, or listed buildings."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(40), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    is_demo: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = mapped_column(UTCDateTime, nullable=True)

    district = relationship("District")
    organisation = relationship("Organisation")
    communities = relationship("Community", secondary=user_communities, order_by="Community.code")
    buildings = relationship("Building", secondary=user_buildings)

    __table_args__ = (
        one_of("role", ROLES, "role"),
        db.CheckConstraint("role != 'agency' OR organisation_id IS NOT NULL", name="agency_has_organisation"),
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"
