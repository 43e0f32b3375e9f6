"""Tokens of the staff JSON API (/api/v1, issue 7).

A token belongs to a service account: a ``User`` created with the token, holding the role and scope the admin gave
it (checked by ``accounts.clean_scope`` like any staff account), with an unusable random password, so it can never
log in to the pages. Every permission predicate in ``participation.permissions`` and every operation that takes an
acting user then works for a token unchanged, and the audit log names the token's account. Revoking a token
deactivates its account.

The token is shown once; only a keyed hash of its SHA-256 is stored, with the version of the key ring it was made
with (``participation.keyring``, purpose "api-token"). A 256-bit random token needs no salt; the key makes a copy of
the database useless for checking guessed tokens, and hashing the SHA-256 rather than the token lets the plain
SHA-256 stored before versions (version 0) be re-hashed without the token (``flask keys rehash``). A token on an
older version moves to the current one when it is next used in a request that writes.
"""
import re
import secrets
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from participation.accounts.operations import AccountError, clean_scope, create_user
from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.keyring import API_TOKEN, current_ring, token_message
from participation.models import ApiToken, Community, User
from participation.models.types import utcnow

TOKEN_BYTES = 32
NAME_PATTERN = r"[A-Za-z0-9._-]{1,30}"
USERNAME_PREFIX = "api."
_CITY_ADMIN = SimpleNamespace(district_id=None)   # the command line acts for the whole city


class TokenError(Refused):
    """A token that may not be created or revoked; the message is shown as it is."""


def hash_token(token: str, version: int | None = None) -> str:
    """The token's hash under ``version`` of the key ring (the current one by default)."""
    return API_TOKEN.digest(token_message(token), version)


def tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name)))


def communities_by_codes(codes) -> list[Community]:
    codes = [code.strip() for code in codes if code and code.strip()]
    found = {community.code: community
             for community in db.session.scalars(select(Community).where(Community.code.in_(codes)))} if codes else {}
    missing = [code for code in codes if code not in found]
    if missing:
        raise TokenError(_("There is no community with the code %(code)s.", code=missing[0]))
    return [found[code] for code in dict.fromkeys(codes)]


def create_token(actor: User | None, name: str, role: str, *, communities=(), district=None, buildings=(),
                 organisation=None, channel: str = "web") -> tuple[ApiToken, str]:
    """A new token named ``name`` acting with ``role`` on the given scope: the row and the token, to show once."""
    name = (name or "").strip()
    if not re.fullmatch(NAME_PATTERN, name):
        raise TokenError(_("Give the token a name of 1 to 30 Latin letters, digits, or . _ -."))
    if db.session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(_("A token named %(name)s exists already.", name=name))
    try:
        scope = clean_scope(actor or _CITY_ADMIN, role, district=district, communities=communities,
                            buildings=buildings, organisation=organisation)
        user = create_user(actor, username=USERNAME_PREFIX + name, password=secrets.token_urlsafe(TOKEN_BYTES),
                           role=role, display_name=_("API: %(name)s", name=name)[:40], **scope)
    except AccountError as refused:
        raise TokenError(str(refused)) from refused
    token = secrets.token_urlsafe(TOKEN_BYTES)
    version = current_ring().current
    row = ApiToken(name=name, token_hash=hash_token(token, version), key_version=version, user=user,
                   created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, "api.create_token", row, channel=channel, name=name, role=role)
    return row, token


def revoke_token(actor: User | None, row: ApiToken, *, channel: str = "web") -> ApiToken:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.user.active = False
        record(actor, "api.revoke_token", row, channel=channel, name=row.name)
    return row


def token_by_name(name: str) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.name == (name or "").strip()))


def user_for(token: str | None) -> User | None:
    """The live service account ``token`` stands for, or None (missing, unknown or revoked)."""
    if not token:
        return None
    hashes = API_TOKEN.digests(token_message(token))
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash.in_(hashes)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    current = current_ring().current
    if hashes[row.token_hash] != current or row.key_version != current:
        row.token_hash, row.key_version = hash_token(token, current), current
    return row.user
