"""Staff accounts and the part of the roster each one may see."""
import secrets
from functools import lru_cache

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
    # Part of the id each session stores (``get_id``): raising it ends every session and remember cookie of the
    # account (sign-out, a password change, an admin's reset).
    session_version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1")

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

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session signed in so far stops working at its next request."""
        self.session_version = (self.session_version or 1) + 1

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def check_password_of_nobody(password: str) -> bool:
    """Hash ``password`` as a real check would (the configured method), for a username that does not exist or an
    account that cannot sign in: the answer then takes as long as a wrong password, so the time tells no one which
    usernames exist. Always False."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    return False
