"""Keys of the Open311 GeoReport v2 API (issue 5): who may POST service requests.

``flask open311 create-key NAME`` shows a key once and stores a keyed hash of its SHA-256 with the key ring's
version (``hash_key``; ``participation.keyring``, purpose "open311-key"), as API tokens are: keys stored as a plain
SHA-256 before versions (version 0) are re-hashed without the key by ``flask keys rehash``, a key on an older
version moves to the current one when it is next used (``key_for``).
"""
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from participation.api.open311 import Open311Error
from participation.audit import record
from participation.extensions import db
from participation.keyring import OPEN311_KEY, current_ring, token_message
from participation.models.complaints import Open311Key
from participation.models.types import utcnow

KEY_BYTES = 32


def hash_key(key: str, version: int | None = None) -> str:
    """The key's hash under ``version`` of the key ring (the current one by default)."""
    return OPEN311_KEY.digest(token_message(key), version)


def create_key(name: str) -> tuple[Open311Key, str]:
    """A new key named ``name``: the row (storing only the hash) and the key itself, to show once."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValueError(_("Give the key a name of 1 to 60 characters."))
    if db.session.scalar(select(Open311Key).filter_by(name=name)) is not None:
        raise ValueError(_("A key named %(name)s exists already.", name=name))
    key = secrets.token_urlsafe(KEY_BYTES)
    version = current_ring().current
    row = Open311Key(name=name, key_hash=hash_key(key, version), key_version=version)
    db.session.add(row)
    db.session.flush()
    record(None, "open311.create_key", row, channel="cli", name=name)
    return row, key


def revoke_key(name: str) -> Open311Key:
    row = db.session.scalar(select(Open311Key).filter_by(name=(name or "").strip()))
    if row is None:
        raise ValueError(_("There is no key named %(name)s.", name=name))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(None, "open311.revoke_key", row, channel="cli", name=row.name)
    return row


def key_for(api_key: str | None) -> Open311Key:
    """The live key ``api_key`` stands for; 403 when missing, unknown or revoked."""
    if not api_key:
        raise Open311Error(403, _("No api_key received -- can't proceed with create_request."))
    hashes = OPEN311_KEY.digests(token_message(api_key))
    row = db.session.scalar(select(Open311Key).where(Open311Key.key_hash.in_(hashes),
                                                     Open311Key.revoked_at.is_(None)))
    if row is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    current = current_ring().current
    if hashes[row.key_hash] != current or row.key_version != current:
        row.key_hash, row.key_version = hash_key(api_key, current), current
    return row
