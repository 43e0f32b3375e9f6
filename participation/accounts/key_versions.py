"""What each version of the hashing key ring (``HOUSEHOLD_CODE_KEY``) still holds, and the one re-hashing that
needs no plain value (``flask --app app keys``, docs/deploy.md "Keys").

A stored hash moves to the current version only when the plain value is at hand again: a household entering with
its printed code, an owner typing the ID tail, a token being used. Only the tokens' and Open311 keys' hashes from
before versions (a plain SHA-256, which is what a token's keyed hash is made of) are re-hashed here without them.
A version may leave the ring once no live row needs it; the rows from before versions need version 1.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participation.extensions import db
from participation.keyring import (API_TOKEN, HOUSEHOLD_CODE, ID_TAIL, LEGACY, OPEN311_KEY, KeyRing, Purpose,
                                   current_ring)
from participation.models import ApiToken, Household, HouseholdCode, Open311Key


@dataclass(frozen=True)
class Store:
    """One table's stored hashes of one purpose."""

    label: object           # lazy string: what the rows are
    model: type
    hash_column: str
    version_column: str
    live: Callable          # the rows that can still be verified (revoked codes and tokens never are again)
    purpose: Purpose
    moves: object           # lazy string: when a row moves to the current version, and why not before

    def version_of(self):
        return getattr(self.model, self.version_column)


STORES = (
    Store(_l("Household codes"), HouseholdCode, "code_hash", "key_version", lambda: HouseholdCode.revoked_at.is_(None),
          HOUSEHOLD_CODE, _l("the plain code is not kept: a code moves when its household next enters with it, or "
                             "when a new slip is issued")),
    Store(_l("Owners' ID tails"), Household, "owner_id_tail_hash", "owner_id_tail_key_version",
          lambda: Household.owner_id_tail_hash.is_not(None), ID_TAIL,
          _l("the tail is not kept: it moves when the owner next verifies with it, or at the next roster import "
             "that carries it")),
    Store(_l("API tokens"), ApiToken, "token_hash", "key_version", lambda: ApiToken.revoked_at.is_(None), API_TOKEN,
          _l("the token is not kept: it moves when it is next used in a request that changes something, or when a "
             "new token replaces it")),
    Store(_l("Open311 keys"), Open311Key, "key_hash", "key_version", lambda: Open311Key.revoked_at.is_(None),
          OPEN311_KEY, _l("the key is not kept: it moves when it is next used, or when a new key replaces it")),
)


def counts() -> list[tuple[Store, dict[int | None, int]]]:
    """Per store, how many live rows are on each version (None: a hash stored without its version)."""
    found = []
    for store in STORES:
        version = store.version_of()
        rows = db.session.execute(select(version, func.count()).where(store.live()).group_by(version)).all()
        found.append((store, {row_version: count for row_version, count in rows}))
    return found


def master_needed(store: Store, version: int | None) -> int | None:
    """The ring version a row on ``version`` is verified with: rows from before versions need version 1 when they
    were keyed with it, nothing when they were a plain SHA-256."""
    if version == LEGACY:
        return None if store.purpose.rewrappable else 1
    return version


def rows_needing(found, ring_version: int) -> int:
    return sum(count for store, by_version in found for version, count in by_version.items()
               if master_needed(store, version) == ring_version)


def unverifiable(found, ring: KeyRing) -> int:
    """Live rows on a version the ring does not hold: they cannot be verified. (Rows without a recorded version,
    which only code outside the application writes, are tried under every version and recorded when next used.)"""
    return sum(count for store, by_version in found for version, count in by_version.items()
               if version is not None and master_needed(store, version) not in (None, *ring.versions))


def retirable(found, ring: KeyRing) -> list[int]:
    """The versions, other than the current one, that no live row needs any more."""
    return [version for version in ring.versions[1:] if rows_needing(found, version) == 0]


def rewrap_legacy_tokens() -> dict[str, int]:
    """Re-hash the API tokens and Open311 keys stored as a plain SHA-256 (before versions) under the current version,
    which needs no token: their keyed hash is made of that SHA-256. Revoked ones too, so none is left behind.
    Returns {store label: rows re-hashed}; the caller commits."""
    ring = current_ring()
    done = {}
    for store in STORES:
        if not store.purpose.rewrappable:
            continue
        rows = db.session.scalars(select(store.model).where(store.version_of() == LEGACY)).all()
        for row in rows:
            stored = getattr(row, store.hash_column)
            setattr(row, store.hash_column, store.purpose.digest(stored, ring.current, ring))
            setattr(row, store.version_column, ring.current)
        done[str(store.label)] = len(rows)
    db.session.flush()
    return done
