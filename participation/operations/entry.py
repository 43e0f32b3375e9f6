"""Resident entry with the household code, and the processing notice (PIPL Art. 17) accepted at first entry.

Guesses are throttled under two keys: the browser (a random id in its signed session) and the client address, which
gets a larger free allowance because many phones may share one address (a grid worker's, a carrier's NAT). Nothing
is keyed on the community or the household, so failures from one place never shut anyone else out, and a success
is never counted: a grid worker entering sixty households from one phone is never slowed down by succeeding.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation.extensions import db
from participation.models import Community, Household, HouseholdActivity, HouseholdCode, User
from participation.models.types import utcnow
from participation.operations import codes, throttle
from participation.operations.audit import record

logger = logging.getLogger(__name__)

BROWSER_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 30


@dataclass(frozen=True)
class EntryResult:
    """What an attempt came to: ``code_row`` on success; ``refused`` when the browser or address must still wait
    (``wait`` seconds) and the code was not looked at; ``malformed`` when what was typed cannot be a code; otherwise
    the code was wrong, and ``wait`` is the back-off that failure started (0 while within the free allowance)."""

    code_row: HouseholdCode | None = None
    wait: int = 0
    refused: bool = False
    malformed: bool = False

    @property
    def household(self) -> Household | None:
        return self.code_row.household if self.code_row is not None else None


def entry_keys(browser_id: str, remote_addr: str | None) -> dict[str, str]:
    return {"browser": f"entry:browser:{browser_id}", "address": f"entry:addr:{remote_addr or '-'}"}


def entry_wait(browser_id: str, remote_addr: str | None) -> int:
    """Seconds this browser (or its address) must wait before its next try; 0 when it may try now."""
    return max(throttle.wait_seconds(key) for key in entry_keys(browser_id, remote_addr).values())


def try_code(community: Community, typed: str, *, browser_id: str, remote_addr: str | None) -> EntryResult:
    """Check a typed household code for ``community``.

    A throttled browser or address is refused before the code is looked at, so waiting cannot be skipped by
    guessing right. A wrong code counts one failure under both keys; a malformed one (wrong length, a letter that
    is never used) cannot be a guess and counts nothing. A success clears only the browser's own key: the
    address key keeps counting, so someone holding their own slip cannot reset the back-off between guesses.
    """
    wait = entry_wait(browser_id, remote_addr)
    if wait:
        return EntryResult(wait=wait, refused=True)
    if codes.normalise(typed) is None:
        return EntryResult(malformed=True)
    keys = entry_keys(browser_id, remote_addr)
    code_row = codes.find_by_code(community.code, typed)
    if code_row is None:
        waits = [throttle.record_failure(keys["browser"], free=BROWSER_FREE_FAILURES),
                 throttle.record_failure(keys["address"], free=ADDRESS_FREE_FAILURES)]
        logger.info("wrong household code for %s from %s", community.code, remote_addr)
        return EntryResult(wait=max(waits))
    throttle.record_success(keys["browser"])
    return EntryResult(code_row=code_row)


def accept_notice(household: Household, *, channel: str = "web", staff: User | None = None) -> HouseholdActivity:
    """Record that the household accepted the processing notice: online by the resident, or through ``channel``
    by a staff member who read it out on the phone or collected the signed paper (then also audited)."""
    if household.notice_accepted_at is None:
        household.notice_accepted_at = utcnow()
    activity = HouseholdActivity(household_id=household.id, action="notice.accept", channel=channel,
                                 staff_id=getattr(staff, "id", None))
    db.session.add(activity)
    if staff is not None:
        record(staff, "household.notice_accept", household, community=household.community, channel=channel)
    db.session.flush()
    return activity


def recent_activities(household: Household, limit: int = 50) -> list[HouseholdActivity]:
    """What was done for the household, newest first, with the staff member loaded for display."""
    return db.session.scalars(
        select(HouseholdActivity).where(HouseholdActivity.household_id == household.id)
        .options(joinedload(HouseholdActivity.staff))
        .order_by(HouseholdActivity.created_at.desc(), HouseholdActivity.id.desc()).limit(limit)).all()
