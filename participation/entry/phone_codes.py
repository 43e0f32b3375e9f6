"""Entry by phone and SMS code (issue 16, point 6): a household whose mobile is on the roster may enter with a
six-digit code sent to that mobile instead of typing its slip's code.

What a visitor learns must not depend on whether the number is on the roster, or the page becomes a directory of
who lives where. ``send_code`` therefore does the same reads, hashing and throttle counting for every well-formed
number and answers nothing; only a roster number gets an ``EntryCode`` row and a message. What still differs: the
roster case writes three rows (the code, the message, its delivery) and hands the delivery to the queue after the
commit, a few milliseconds that a page answer does not show but a patient timer might (see the notes of issue 16).

Only keyed hashes are kept (``participation.keyring``, purposes of their own): of the phone, so the code row and the
throttles can name it, and of the code, bound to the community and the phone hash. A code lasts ``LIFETIME``, opens
once (one conditional UPDATE, so two parallel submissions cannot both win), dies after ``MAX_FAILURES`` wrong tries,
and a new code replaces the one still waiting. The plain code lives only in the message's ``params`` until the
worker has sent the SMS (the in-app text never holds it).

Throttles (``participation.throttle``: a free allowance, then doubling waits; forgotten after a quiet day):
sending is counted per phone and per address, checking per phone and per address; a successful entry clears the
phone's keys and takes back only its own tries from the address's, so one's own code never resets an address.
On top, a roster number gets at most one code a minute and ``PER_HOUR`` codes an hour, read from its code rows.
"""
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select, update

from participation import throttle
from participation.accounts.sign_in import masked_address
from participation.entry import residents
from participation.extensions import db
from participation.keyring import Purpose, current_ring
from participation.labels import mask_phone
from participation.models import Building, Community, EntryCode, Household, HouseholdActivity, HouseholdCode, Unit
from participation.models.types import utcnow
from participation.reach import outbox
from participation.roster.files import normalise_phone

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
LIFETIME = timedelta(minutes=5)
MAX_FAILURES = 5
GAP = timedelta(minutes=1)          # a roster number's next code waits this long after the one still on its way
PER_HOUR = 5                        # codes one roster number may receive in an hour, in one community
SEND_PHONE_FREE, SEND_ADDRESS_FREE, SEND_CAP_SECONDS = 5, 20, 3600
CHECK_PHONE_FREE, CHECK_ADDRESS_FREE, CHECK_CAP_SECONDS = 10, 30, 900
ACTIVITY = "entry.sms"

# The household's history names the entry (participation/entry/residents.py keeps every feature's labels).
residents.ACTIVITY_LABELS.setdefault(ACTIVITY, _l("Opened with a code sent by SMS to the household's phone"))


def _no_legacy(_ring, _message) -> None:
    """These hashes were never made before key versions existed."""
    return None


PHONE = Purpose("entry-phone", _no_legacy)
CODE = Purpose("entry-code", _no_legacy)


def normalise_mobile(typed: str | None) -> str | None:
    """The 11 digits of a mainland mobile from what a person typed (spaces, dashes, +86, full-width digits are
    fine), or None when it cannot be one; the roster's own rule (``roster.files.normalise_phone``) decides."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    phone = normalise_phone(text) if text else None
    return phone if phone is not None and len(phone) == 11 and phone.startswith("1") else None


def normalise_code(typed: str | None) -> str | None:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", typed or "") if not ch.isspace() and ch != "-")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def phone_hash(phone: str, version: int | None = None) -> str:
    return PHONE.digest(phone, version)


def _code_hash(community: Community, phone_digest: str, code: str, version: int) -> str:
    return CODE.digest(f"{community.code}:{phone_digest}:{code}", version)


def send_keys(phone_digest: str, remote_addr: str | None) -> dict[str, str]:
    return {"phone": f"phone-entry:send:{phone_digest[:40]}", "address": f"phone-entry:send-addr:{remote_addr or '-'}"}


def check_keys(phone_digest: str, remote_addr: str | None) -> dict[str, str]:
    return {"phone": f"phone-entry:check:{phone_digest[:40]}",
            "address": f"phone-entry:check-addr:{remote_addr or '-'}"}


# --- sending -----------------------------------------------------------------------------------------------------

def send_code(community: Community, phone: str, *, remote_addr: str | None, now: datetime | None = None) -> str:
    """Send a code to ``phone`` (normalised) if it is on the community's roster and nothing holds it back; return
    the phone's hash, which the code page needs, whatever happened. The caller says the same thing in every case.

    Every number costs the same reads and hashes: the throttle claims, the roster lookup, the recent codes, a new
    code and its hash. Only then is it decided whether anything is written."""
    now = now or utcnow()
    version = current_ring().current
    digest = phone_hash(phone, version)
    keys = send_keys(digest, remote_addr)
    # Each send stays counted (it is not a guess that a success settles in this request); a send refused on the
    # phone's key is taken back from the address's, so a refused try is counted nowhere.
    held = throttle.claim(keys["address"], free=SEND_ADDRESS_FREE, cap_seconds=SEND_CAP_SECONDS)
    if not held:
        held = throttle.claim(keys["phone"], free=SEND_PHONE_FREE, cap_seconds=SEND_CAP_SECONDS)
        if held:
            throttle.give_back(keys["address"], free=SEND_ADDRESS_FREE)
    households = roster_households(community, phone=phone)
    recent = db.session.execute(
        select(EntryCode.created_at, EntryCode.used_at, EntryCode.expires_at, EntryCode.failures)
        .where(EntryCode.community_id == community.id, EntryCode.phone_hash.in_(PHONE.digests(phone)),
               EntryCode.created_at > now - timedelta(hours=1))).all()
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    code_digest = _code_hash(community, digest, code, version)
    waiting = [row for row in recent if row.used_at is None and row.expires_at > now and row.failures < MAX_FAILURES]
    if held:
        reason = "throttled"
    elif not households:
        reason = "not_on_roster"
    elif len(recent) >= PER_HOUR or any(row.created_at > now - GAP for row in waiting):
        reason = "too_soon"
    else:
        reason = None
    if reason is not None:
        _log("entry code not sent", reason, community, phone, remote_addr)
        return digest
    _supersede(community, phone, now)
    db.session.add(EntryCode(community_id=community.id, phone_hash=digest, code_hash=code_digest,
                             key_version=version, created_at=now, expires_at=now + LIFETIME))
    # One household gets the message (the first by building, unit and room); its in-app copy says a code was
    # asked for and never shows it: only the SMS template's parameters carry it.
    outbox.to_household(households[0], "entry.code", _("You asked for a sign-in code by SMS."),
                        params={"code": code})
    db.session.flush()
    _log("entry code sent", "sent", community, phone, remote_addr)
    return digest


def _supersede(community: Community, phone: str, now: datetime) -> None:
    """A new code replaces any still waiting for the same number here: one live code per phone."""
    db.session.execute(
        update(EntryCode).where(EntryCode.community_id == community.id,
                                EntryCode.phone_hash.in_(PHONE.digests(phone)), EntryCode.used_at.is_(None),
                                EntryCode.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))


def roster_households(community: Community, *, phone: str | None = None, digest: str | None = None,
                      version: int | None = None) -> list[Household]:
    """The community's households whose roster phone is ``phone`` (or hashes to ``digest`` under ``version``) and
    that have a live code to enter with, first by building, unit and room. The roster keeps phones as typed, so
    each candidate is normalised here; every call reads the same rows whatever the answer."""
    if digest is not None and (not isinstance(digest, str) or version not in current_ring().versions):
        return []
    rows = db.session.scalars(
        select(Household).join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .join(HouseholdCode, (HouseholdCode.household_id == Household.id) & HouseholdCode.revoked_at.is_(None))
        .where(Building.community_id == community.id, Household.phone.is_not(None))
        .order_by(Building.sort_key, Unit.sort_key, Household.sort_key, Household.id)).all()
    found = []
    for household in rows:
        number = normalise_mobile(household.phone)
        if number is None:
            continue
        if (phone is not None and number == phone) or \
                (digest is not None and hmac.compare_digest(phone_hash(number, version), digest)):
            found.append(household)
    return found


# --- checking ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checked:
    """What a typed code came to: the households it opens (several when they share the phone; none when the code
    was wrong, expired, used or unknown), or ``wait`` seconds when a throttle held the try (nothing compared)."""

    households: tuple = ()
    wait: int = 0
    version: int = 0        # the key version the phone's hash was made with (the choice page hashes the roster again)


def check_code(community: Community, phone_digest: str, typed: str, *, remote_addr: str | None,
               now: datetime | None = None) -> Checked:
    """Check ``typed`` (normalised) against the newest live code sent to the phone hashed ``phone_digest``.

    Throttles first (the try is counted before anything is compared); then the code: right and still live → used
    in one conditional UPDATE, which only one of two parallel tries can win; wrong → one more failure on the
    code, which dies at ``MAX_FAILURES``. No code, an expired or a used one read the same as a wrong one."""
    now = now or utcnow()
    keys = check_keys(phone_digest, remote_addr)
    for key, free in ((keys["address"], CHECK_ADDRESS_FREE), (keys["phone"], CHECK_PHONE_FREE)):
        wait = throttle.wait_seconds(key, free=free, cap_seconds=CHECK_CAP_SECONDS)
        if wait:
            _log("entry code refused", "throttled", community, None, remote_addr)
            return Checked(wait=wait)
    row = db.session.scalar(
        select(EntryCode).where(EntryCode.community_id == community.id, EntryCode.phone_hash == phone_digest,
                                EntryCode.used_at.is_(None), EntryCode.expires_at > now,
                                EntryCode.failures < MAX_FAILURES)
        .order_by(EntryCode.created_at.desc(), EntryCode.id.desc()).limit(1))
    version = row.key_version if row is not None else current_ring().current
    right = False
    if version in current_ring().versions:
        expected = row.code_hash if row is not None else "-"
        right = hmac.compare_digest(_code_hash(community, phone_digest, typed, version), expected)
    if row is not None and not right:
        db.session.execute(update(EntryCode).where(EntryCode.id == row.id, EntryCode.used_at.is_(None))
                           .values(failures=EntryCode.failures + 1).execution_options(synchronize_session=False))
    households = ()
    if right and consume(row.id, now):
        households = tuple(roster_households(community, digest=phone_digest, version=version))
    if not households:
        throttle.record_failure(keys["address"], free=CHECK_ADDRESS_FREE, cap_seconds=CHECK_CAP_SECONDS)
        throttle.record_failure(keys["phone"], free=CHECK_PHONE_FREE, cap_seconds=CHECK_CAP_SECONDS)
        _log("entry code refused", "wrong" if row is not None else "no_live_code", community, None, remote_addr)
        return Checked()
    throttle.record_success(keys["phone"])
    throttle.give_back(keys["address"], free=CHECK_ADDRESS_FREE)
    sent = send_keys(phone_digest, remote_addr)
    throttle.record_success(sent["phone"])
    throttle.give_back(sent["address"], free=SEND_ADDRESS_FREE)
    return Checked(households=households, version=version)


def consume(code_id: int, now: datetime) -> bool:
    """Mark the code used if it still is live, in one statement: True for the one try that did."""
    result = db.session.execute(
        update(EntryCode).where(EntryCode.id == code_id, EntryCode.used_at.is_(None), EntryCode.expires_at > now,
                                EntryCode.failures < MAX_FAILURES)
        .values(used_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_entry(household: Household) -> HouseholdActivity:
    """The household's history shows that its page was opened with an SMS code. The resident acts alone (no staff
    member), which the activity table records as the "web" channel (its CHECK: other channels name staff)."""
    activity = HouseholdActivity(household_id=household.id, action=ACTIVITY, channel="web")
    db.session.add(activity)
    db.session.flush()
    return activity


def _log(message: str, reason: str, community: Community, phone: str | None, remote_addr: str | None) -> None:
    """INFO with the phone masked and the address's host part hidden; never a code."""
    logger.info("%s: %s", message, reason, extra={
        "event": "entry.sms", "reason": reason, "community": community.code,
        "phone": mask_phone(phone) if phone else "-", "address": masked_address(remote_addr)})
