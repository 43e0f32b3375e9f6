"""Resident entry with the household code, and the processing notice (PIPL Art. 17) accepted at first entry.

Guesses are throttled under two keys. The browser (a random id in its signed session) gets five free failures and
then waits longer after each (participation/throttle.py). The client address is never made to wait, because many
phones may share it (a grid worker's, a carrier's NAT): after its free failures, each further try from it must carry
a pass — a proof of work the phone's browser computes in a second or two (static/js/entry.js), or, without
JavaScript, a form that was waited for (entry/challenge.py). Someone guessing pays for every guess;
a resident behind the same address pays a second or two, once, and gets in with the right code.

Nothing is keyed on the community or the household, so failures from one place never shut anyone else out, and a
success is never counted: a grid worker entering sixty households from one phone is never slowed down.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation import throttle
from participation.accounts.sign_in import masked_address
from participation.audit import record
from participation.entry import challenge as entry_challenge
from participation.extensions import db
from participation.models import Community, Household, HouseholdActivity, HouseholdCode, User
from participation.models.types import utcnow
from participation.roster import codes

logger = logging.getLogger(__name__)

BROWSER_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 30


@dataclass(frozen=True)
class EntryResult:
    """What an attempt came to: ``code_row`` on success; ``refused`` when the browser must still wait (``wait``
    seconds) and the code was not looked at; ``needs_pass`` when the address is past its free failures and the try
    carried no usable pass (``wait``: seconds before the waited form is accepted; the code was not looked at);
    ``malformed`` when what was typed cannot be a code; otherwise the code was wrong, and ``wait`` is the back-off
    that failure started for the browser (0 while within the free allowance)."""

    code_row: HouseholdCode | None = None
    wait: int = 0
    refused: bool = False
    needs_pass: bool = False
    malformed: bool = False

    @property
    def household(self) -> Household | None:
        return self.code_row.household if self.code_row is not None else None


def entry_keys(browser_id: str, remote_addr: str | None) -> dict[str, str]:
    return {"browser": f"entry:browser:{browser_id}", "address": f"entry:addr:{remote_addr or '-'}"}


def address_needs_pass(remote_addr: str | None) -> bool:
    """Whether tries from this address must carry a pass (it is past its free failures of the last day)."""
    return throttle.counted(entry_keys("-", remote_addr)["address"]) >= ADDRESS_FREE_FAILURES


def try_code(community: Community, typed: str, *, browser_id: str, remote_addr: str | None,
             challenge: str | None = None, proof: str | None = None) -> EntryResult:
    """Check a typed household code for ``community``.

    The try is counted before the code is looked at (check-and-count, so parallel tries cannot slip past the
    allowance): a browser that must wait is refused; past the address's free failures the try must carry a pass
    (``challenge`` solved with ``proof``, or waited for), each pass accepted once. A wrong code stays counted under
    both keys; a malformed one cannot be a guess and counts nothing. A success clears the browser's own key and
    takes back only its own count from the address: holding one's own slip never resets the address's count.
    """
    if codes.normalise(typed) is None:
        _log_refusal("malformed", community, remote_addr)
        return EntryResult(malformed=True)
    keys = entry_keys(browser_id, remote_addr)
    wait = throttle.claim(keys["browser"], free=BROWSER_FREE_FAILURES)
    if wait:
        _log_refusal("browser_waiting", community, remote_addr, wait_seconds=wait)
        return EntryResult(wait=wait, refused=True)
    if throttle.count(keys["address"]) > ADDRESS_FREE_FAILURES:
        problem = entry_challenge.redeem(challenge, proof)
        if problem is not None:
            throttle.give_back(keys["address"], free=ADDRESS_FREE_FAILURES)
            throttle.give_back(keys["browser"], free=BROWSER_FREE_FAILURES)
            _log_refusal("pass_needed", community, remote_addr, wait_seconds=problem)
            return EntryResult(wait=problem, needs_pass=True)
    code_row = codes.find_by_code(community.code, typed)
    if code_row is None:
        wait = throttle.current_wait(keys["browser"])
        _log_refusal("wrong_code", community, remote_addr, wait_seconds=wait)
        return EntryResult(wait=wait)
    throttle.record_success(keys["browser"])
    throttle.give_back(keys["address"], free=ADDRESS_FREE_FAILURES)
    return EntryResult(code_row=code_row)


def _log_refusal(reason: str, community: Community, remote_addr: str | None, **fields) -> None:
    """A household code not accepted, at INFO: why, for which community, from which network (the address's host
    part hidden, as the audit keeps addresses). Never what was typed: it may be someone's real code."""
    logger.info("household code refused: %s", reason, extra={
        "event": "entry.refused", "reason": reason, "community": community.code,
        "address": masked_address(remote_addr), **fields})


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
