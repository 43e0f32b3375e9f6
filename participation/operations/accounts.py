"""Staff sign-in and account management."""
import logging

from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import ROLES, User
from participation.models.types import utcnow
from participation.operations import throttle
from participation.operations.audit import record

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A refused account change; the message is shown to the user."""


def login_keys(username: str, remote_addr: str | None) -> list[str]:
    return [f"login:user:{username.strip().lower()}", f"login:addr:{remote_addr or '-'}"]


def login_wait(username: str, remote_addr: str | None) -> int:
    return max(throttle.wait_seconds(key) for key in login_keys(username, remote_addr))


def authenticate(username: str, password: str, remote_addr: str | None) -> User | None:
    """The active user with these credentials, or None. Failures are counted per username and per address.

    The caller shows one message for every failure, so a wrong username and a wrong password look the same.
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    keys = login_keys(username, remote_addr)
    if user is None or not user.active or not user.check_password(password):
        for key in keys:
            throttle.record_failure(key, free=5 if key.startswith("login:user") else 20)
        logger.info("failed login for %r from %s", username, remote_addr)
        return None
    for key in keys:
        throttle.record_success(key)
    user.last_login_at = utcnow()
    record(user, "login", user)
    return user


def create_user(actor: User | None, *, username: str, password: str, role: str, display_name: str | None = None,
                district=None, organisation=None, communities=(), buildings=(), is_demo: bool = False) -> User:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(_("Unknown role: %(role)s", role=role))
    if not username or len(username) > 40:
        raise AccountError(_("A username has 1 to 40 characters."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("That username is taken."))
    if role == "agency" and organisation is None:
        raise AccountError(_("An agency account must belong to an organisation."))
    user = User(username=username, display_name=display_name or username, role=role, district=district,
                organisation=organisation, communities=list(communities), buildings=list(buildings),
                is_demo=is_demo)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, role=role)
    return user
