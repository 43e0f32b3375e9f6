"""Household codes: random, ≥ 40 bits, no look-alike characters, stored only as a keyed hash.

A code is shown once, when it is issued (printed on the slip); issuing a new one revokes the old one. The hash is
made with the household-code key of the ring's current version and records that version
(``participation.keyring``). The plain code is not kept, so a code hashed with an older version moves to the current
one only when its household enters with it (``find_by_code``) or when a new slip is issued.
"""
import secrets

from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.keyring import HOUSEHOLD_CODE, current_ring
from participation.models import Household, HouseholdCode, User
from participation.models.types import utcnow

# No 0/O, 1/I/L: a code is read off paper by elderly residents and typed on small phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 9  # 31**9 ≈ 2**44.6
GROUP = 3


def new_code(rng: secrets.SystemRandom | None = None) -> str:
    chooser = rng.choice if rng is not None else secrets.choice
    return "".join(chooser(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The code as stored from what a person typed (spaces, dashes, lower case allowed); None if it cannot be one."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def display(code: str) -> str:
    """K7M-4PX-2QH: grouped for reading aloud and typing."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def code_hash(community_code: str, code: str, version: int | None = None) -> str:
    """The code's hash under ``version`` of the key ring (the current one by default)."""
    return HOUSEHOLD_CODE.digest(f"{community_code}:{code}", version)


def code_hashes(community_code: str, code: str) -> dict[str, int]:
    """Every hash the code may be stored under while the ring holds its versions: {hash: version}."""
    return HOUSEHOLD_CODE.digests(f"{community_code}:{code}")


def issue_code(actor: User | None, household: Household, *, code: str | None = None,
               channel: str = "web") -> str:
    """Revoke the household's live code, if any, and issue a new one; return it in plain text (shown once)."""
    community = household.unit.building.community
    now = utcnow()
    live = db.session.scalar(select(HouseholdCode).where(HouseholdCode.household_id == household.id,
                                                         HouseholdCode.revoked_at.is_(None)))
    if live is not None:
        live.revoked_at = now
        db.session.flush()
    plain = code or new_code()
    version = current_ring().current
    db.session.add(HouseholdCode(household_id=household.id, code_hash=code_hash(community.code, plain, version),
                                 key_version=version, issued_by_id=getattr(actor, "id", None), issued_at=now))
    db.session.flush()
    record(actor, "household_code.regenerate" if live is not None else "household_code.issue", household,
           community=community, channel=channel)
    return plain


def find_by_code(community_code: str, typed: str) -> HouseholdCode | None:
    """The live code row matching ``typed`` in the community, or None. Looked up under every version the ring
    holds; a row found under an older version is re-hashed with the current key (committed with the entry)."""
    code = normalise(typed)
    if code is None:
        return None
    hashes = code_hashes(community_code, code)
    row = db.session.scalar(select(HouseholdCode).where(HouseholdCode.code_hash.in_(hashes),
                                                        HouseholdCode.revoked_at.is_(None)))
    if row is not None:
        _rehash(row, community_code, code, hashes[row.code_hash])
    return row


def _rehash(row: HouseholdCode, community_code: str, code: str, found_version: int) -> None:
    """Move a code found under an older version to the current one, unless a revoked row of the same code holds
    the current hash already (the hashes stay unique; the row then stays on its version)."""
    current = current_ring().current
    if found_version == current and row.key_version == current:
        return
    digest = code_hash(community_code, code, current)
    taken = select(HouseholdCode.id).where(HouseholdCode.code_hash == digest, HouseholdCode.id != row.id)
    if db.session.scalar(taken) is None:
        row.code_hash, row.key_version = digest, current


def live_code(household: Household) -> HouseholdCode | None:
    return db.session.scalar(select(HouseholdCode).where(HouseholdCode.household_id == household.id,
                                                         HouseholdCode.revoked_at.is_(None)))


def issue_unit_codes(actor: User, unit, *, reissue_all: bool = False) -> list[tuple[Household, str]]:
    """Codes for the slips of one 单元, in room order: for households without a live code, or for every household
    (revoking the old codes, so the old slips stop working) when ``reissue_all``. Each issue is audited."""
    issued = []
    for household in unit.households:
        if reissue_all or live_code(household) is None:
            issued.append((household, issue_code(actor, household)))
    return issued
