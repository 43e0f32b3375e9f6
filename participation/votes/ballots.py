"""Owner ballots (DESIGN §4): the owner's check with their ID tail, and casting or changing the one ballot of an
owner on every channel — online by the owner, in person with staff, on a signed paper sheet. Flush, never commit.

    verify_owner(household, tail, *, vote=None, throttle_key=None, staff=None) -> OwnerVerification  # or VoteError
    audit_refused_check(refusal)   # after the refused request rolled back: a wrong ID tail's audit row
    cast_ballot(vote, household, choice, channel, actor=None, verified=None, *, staff_import=False, sheet_no=None,
                via=None) -> Ballot

Staff-entered ballots: never by phone. Web ballots need ``verified``: the OwnerVerification that ``verify_owner``
returned in this resident's session (a tenant holding the household code cannot produce one). In-person ballots
need the verification ``verify_owner(..., staff=actor)`` made just now, the staff member having typed the owner's
ID tail from the ID card (good for one ballot). Paper ballots are sheets the owners signed, entered by an organiser
or admin with the sheet's number (an ``in_person`` verification by that person is recorded; the CLI import has no
actor). A ballot cast with the owner's ID tail is replaced only by another such cast. Every change is kept in
``BallotChange`` (the owner's vote page lists it) and, but for the owner's own first ballot online, told to the
household through the outbox. Concurrent casts for one owner, on any channel, end with one ballot row: the
database's UNIQUE(vote_id, owner) decides who inserts, the others update it as a change (last write wins), and
every cast is kept in ``BallotChange``. The vote's lifecycle, register and tallies: participation.votes.operations.
"""
import logging
from datetime import timedelta

from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from participation.audit import record
from participation.extensions import db
from participation.models import Ballot, BallotChange, Household, OwnerVerification, User, Vote
from participation.models.types import utcnow
from participation.permissions import COMMUNITY_MANAGERS, can_act_for_household, can_manage_community
from participation.roster.imports import id_tail_matches
from participation.throttle import record_failure, record_success, wait_seconds
from participation.votes import messages
from participation.votes.operations import VoteError, owner_of, register_owner, tally

logger = logging.getLogger(__name__)

STAFF_CHANNELS = ("paper", "in_person")
PHONE_CHANNELS = ("phone", "hotline")                # never an owner ballot (DESIGN §4)
OWNER_CHECKED_CHANNELS = ("web", "in_person")        # cast with the owner's ID tail: only such a cast replaces them
IN_PERSON_CHECK_VALID = timedelta(minutes=15)        # the owner is still at the door
BALLOT_CHANNEL_WORDS = {"web": _l("online, by the owner"), "in_person": _l("in person, entered by staff"),
                        "paper": _l("on a signed paper sheet, entered by staff"),
                        "assisted": _l("entered by staff")}


class WrongOwnerTail(VoteError):
    """The ID tail typed does not match the roster's. The try is counted in the household's back-off at once
    (participation.throttle); its audit row must outlive the refused request, so the caller writes it with
    ``audit_refused_check`` after rolling the request back (``handlers.refuse_onto``)."""

    def __init__(self, household: Household, *, vote: Vote | None, staff: User | None, channel: str):
        super().__init__({"tail": _("That does not match the owner's ID number on the roster.")})
        self.household, self.vote_id, self.staff, self.channel = household, getattr(vote, "id", None), staff, channel


def audit_refused_check(refusal: VoteError) -> None:
    """What a refused owner check leaves once the request was rolled back: a wrong ID tail's audit row
    (``vote.verify_failed``), which then commits with the request. Other refusals leave nothing."""
    if isinstance(refusal, WrongOwnerTail):
        household = refusal.household
        record(refusal.staff, "vote.verify_failed", household, community=household.community.id,
               channel=refusal.channel, vote_id=refusal.vote_id)


def verify_owner(household: Household, tail: str, *, vote: Vote | None = None, throttle_key: str | None = None,
                 staff: User | None = None) -> OwnerVerification:
    """Check the owner's ID tail against the roster's hash; throttled per household (or ``throttle_key``).
    Returns the verification to keep in the resident's session and pass to ``cast_ballot``.

    ``staff``: a staff member with the owner in front of them typed the tail from the owner's ID card (in person,
    for ``vote``); the same hash and the same back-off as online, and the verification is good for one ballot."""
    key = throttle_key or f"owner-tail:{household.id}"
    channel = "web" if staff is None else "in_person"
    if staff is not None and (vote is None or not can_act_for_household(staff, household)):
        raise _refused("check_not_allowed", VoteError(_("Only staff who may act for this household check its owner "
                                                        "in person.")), vote, household, channel)
    if household.owner_id_tail_hash is None:   # nothing to guess: not a counted try
        raise _refused("no_id_on_roster", VoteError(_(
            "The roster holds no ID number for this unit's owner. Vote on paper with the staff, who will check your "
            "property certificate.")), vote, household, channel)
    wait = wait_seconds(key)
    if wait:
        raise _refused("tail_waiting", VoteError(_("Too many wrong tries. Try again in %(seconds)d seconds.",
                                                   seconds=wait)), vote, household, channel, wait_seconds=wait)
    if not id_tail_matches(household, household.community.code, tail or ""):
        record_failure(key)
        raise _refused("wrong_tail", WrongOwnerTail(household, vote=vote, staff=staff, channel=channel), vote,
                       household, channel)
    record_success(key)
    verification = OwnerVerification(household_id=household.id, owner=owner_of(household),
                                     vote_id=getattr(vote, "id", None), method="id_tail",
                                     verified_by_id=getattr(staff, "id", None), verified_at=utcnow())
    db.session.add(verification)
    db.session.flush()
    record(staff, "vote.verify_owner", verification, community=household.community.id, method="id_tail",
           channel=channel, vote_id=getattr(vote, "id", None))
    return verification


# --- ballots ---------------------------------------------------------------------------------------------------

def cast_ballot(vote: Vote, household: Household, choice: str, channel: str, actor: User | None = None,
                verified: OwnerVerification | None = None, *, staff_import: bool = False, sheet_no: str | None = None,
                via: str | None = None) -> Ballot:
    """Cast or change the owner's one ballot (DESIGN §4, staff-entered ballots).

    "web": the owner, with ``verified`` from ``verify_owner``. "in_person": the staff ``actor`` with the owner there,
    with ``verified`` from ``verify_owner(..., staff=actor)`` made just now. "paper": a sheet signed by the owner,
    entered by an organiser or admin of the community (or ``staff_import`` from the CLI), with its ``sheet_no``.
    Never by phone ("phone", "hotline"). ``via``: the assisted-mode channel the staff member chose, for the audit.
    A ballot the owner cast with their ID tail (online or in person) is changed only by another such ballot."""
    if channel in PHONE_CHANNELS:
        raise _refused("by_phone", VoteError(_(
            "An owner's ballot is never taken by phone. Visit the owner, ask them to come to the community office "
            "with their ID card, or to vote online themselves.")), vote, household, channel)
    if choice not in ("yes", "no", "abstain"):
        raise _refused("bad_choice", VoteError({"choice": _("Choose yes, no or abstain.")}), vote, household,
                       channel)
    if channel not in ("web",) + STAFF_CHANNELS:
        raise _refused("bad_channel", VoteError({"channel": _("Unknown channel.")}), vote, household, channel)
    sheet_no = (sheet_no or "").strip() or None
    if sheet_no is not None and (len(sheet_no) > 40 or not sheet_no.isprintable()):
        raise _refused("bad_sheet_no", VoteError({"sheet_no": _("A sheet number has at most 40 letters and "
                                                                "digits.")}), vote, household, channel)
    _require_open(vote, household, channel)
    owner = register_owner(vote, household)
    if owner is None:
        raise _refused("out_of_scope", VoteError(_("This unit is not in the vote's scope.")), vote, household,
                       channel)
    now = utcnow()
    if channel == "web":
        if verified is None or verified.owner not in (owner, owner_of(household)) \
                or verified.vote_id not in (None, vote.id) \
                or verified.method != "id_tail" or verified.verified_by_id is not None:
            raise _refused("owner_not_verified", VoteError(_(
                "Only the owner can vote. Confirm you are the owner with the last six characters of the owner's ID "
                "number first; tenants and family members cannot vote for them.")), vote, household, channel)
        verification = verified
    elif channel == "in_person":
        if actor is None or not can_act_for_household(actor, household):
            raise _refused("staff_not_allowed", VoteError(_(
                "Only staff who may act for this household enter its owner's ballot in person.")), vote, household,
                channel)
        if verified is None or verified.method != "id_tail" or verified.verified_by_id != actor.id \
                or verified.owner not in (owner, owner_of(household)) or verified.vote_id != vote.id \
                or verified.used_at is not None \
                or verified.verified_at < now - IN_PERSON_CHECK_VALID:
            raise _refused("owner_not_checked", VoteError({"tail": _(
                "Type the last 6 characters of the owner's ID number from the owner's ID card first, with the owner "
                "there; each check is good for one ballot.")}), vote, household, channel)
        used = db.session.execute(
            update(OwnerVerification).where(OwnerVerification.id == verified.id, OwnerVerification.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        if used.rowcount != 1:
            raise _refused("check_used", VoteError({"tail": _("This check was used already. Type the owner's ID "
                                                              "number again.")}), vote, household, channel)
        verification = verified
    else:
        if staff_import and actor is None:
            pass   # the CLI's operator, who holds the signed sheets
        elif actor is None or actor.role not in COMMUNITY_MANAGERS or not can_manage_community(actor, vote.community):
            raise _refused("paper_not_allowed", VoteError(_(
                "Paper ballots are entered by organiser staff of the community, from sheets the owners signed.")),
                vote, household, channel)
        verification = OwnerVerification(household_id=household.id, owner=owner, vote_id=vote.id,
                                         method="in_person", verified_by_id=getattr(actor, "id", None),
                                         verified_at=now)
        db.session.add(verification)
        db.session.flush()
    ballot, old = _store(vote, owner, household, choice, channel, actor, verification, sheet_no=sheet_no)
    record(actor, "vote.ballot", ballot, community=vote.community_id, channel=channel, vote_id=vote.id,
           changed=old is not None, method="paper_sheet" if channel == "paper" else verification.method,
           verified_by=verification.verified_by_id,
           sheet_no=sheet_no, via=via)
    if messages.quorum_due(vote) and tally(vote)["quorum_met"]:
        messages.quorum_reached(vote)
    return ballot


def _require_open(vote: Vote, household: Household, channel: str) -> None:
    """Open, within its dates; read under a shared lock on PostgreSQL so a close waits for this cast."""
    status = db.session.scalar(select(Vote.status).where(Vote.id == vote.id).with_for_update(read=True))
    now = utcnow()
    if status != "open" or (vote.opens_at and now < vote.opens_at):
        raise _refused("not_open", VoteError(_("This vote is not open for voting.")), vote, household, channel)
    if vote.closes_at and now >= vote.closes_at:
        raise _refused("closed", VoteError(_("Voting has closed.")), vote, household, channel)


def _store(vote, owner, household, choice, channel, actor, verification, *,
           sheet_no: str | None = None) -> tuple[Ballot, str | None]:
    """Insert the owner's ballot, or change it. Losing an insert race to another cast (UNIQUE(vote_id, owner))
    does nothing (ON CONFLICT DO NOTHING); the change is then applied with a version check, so concurrent changes are
    applied one after another and each history row names the choice it replaced. A ballot the owner cast with their
    ID tail is read under the same lock before a staff entry on paper may replace it: it may not."""
    for _attempt in range(50):
        ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.owner == owner)
                                   .with_for_update().execution_options(populate_existing=True))
        now = utcnow()
        if ballot is None:
            values = dict(vote_id=vote.id, owner=owner, household_id=household.id, choice=choice, channel=channel,
                          verification_id=verification.id, verified_by_id=getattr(actor, "id", None), version=1,
                          sheet_no=sheet_no, created_at=now, updated_at=now)
            if not _insert_unless_there(values):
                logger.info("ballot of %s in vote %s inserted concurrently; changing it instead", owner, vote.id)
                continue
            ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.owner == owner))
            _history(ballot, None, choice, channel, household, actor, now)
            return ballot, None
        if ballot.channel in OWNER_CHECKED_CHANNELS and channel not in OWNER_CHECKED_CHANNELS:
            raise _refused("owner_ballot_stands", VoteError(_(
                "The owner cast this ballot themselves, checked with their ID number (%(channel)s). A staff entry "
                "does not replace it: only the owner can change it, online or in person with their ID card.",
                channel=_channel_words(ballot.channel))), vote, household, channel)
        old, version, old_household = ballot.choice, ballot.version, ballot.household_id
        changed = db.session.execute(
            update(Ballot).where(Ballot.id == ballot.id, Ballot.version == version)
            .values(choice=choice, channel=channel, household_id=household.id, verification_id=verification.id,
                    verified_by_id=getattr(actor, "id", None), sheet_no=sheet_no, version=version + 1,
                    updated_at=now)
            .execution_options(synchronize_session=False))
        if changed.rowcount == 1:
            db.session.refresh(ballot)
            _history(ballot, old, choice, channel, household, actor, now, also_tell=old_household)
            return ballot, old
    raise _refused("too_many_at_once", VoteError(_("Many ballots for this owner arrived at once. Please try "
                                                   "again.")), vote, household, channel)


def _refused(reason: str, error: VoteError, vote: Vote | None, household: Household, channel: str,
             **fields) -> VoteError:
    """``error``, logged at INFO: a ballot or owner check refused, why (a word for the operator, not the sentence the
    person reads), in which vote, for which household, on which channel. Never the ID tail or the choice."""
    logger.info("ballot refused: %s", reason, extra={
        "event": "ballot.refused", "reason": reason, "vote_id": getattr(vote, "id", None),
        "household_id": household.id, "channel": channel, **fields})
    return error


def _insert_unless_there(values: dict) -> bool:
    """INSERT … ON CONFLICT (vote_id, owner) DO NOTHING; True when this cast inserted the ballot. A conflict waits
    for the other cast's transaction and then does nothing, on both databases. (Not a savepoint: with the SQLite
    driver's transaction handling a SAVEPOINT taken before any write opens the transaction itself and its RELEASE
    commits the ballot alone, so the first history row could land after another cast's.)"""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(Ballot.__table__).values(**values)
                 .on_conflict_do_nothing(index_elements=["vote_id", "owner"]).returning(Ballot.__table__.c.id))
    return db.session.execute(statement).scalar() is not None


def _history(ballot, old, choice, channel, household, actor, now, *, also_tell: int | None = None) -> None:
    """Keep the cast in the ballot's history (the owner's vote page lists it) and, unless it is the owner's own
    first ballot online, tell the household through the outbox — without the choice, which an SMS to a shared
    phone must not carry (DESIGN §10: nothing personal beyond the template)."""
    db.session.add(BallotChange(ballot_id=ballot.id, old_choice=old, new_choice=choice, channel=channel,
                                household_id=household.id, actor_id=getattr(actor, "id", None), changed_at=now))
    if old is not None or channel != "web":
        vote = db.session.get(Vote, ballot.vote_id)
        text = _("Your owner ballot in the vote \"%(title)s\" was recorded (%(channel)s, %(time)s). Open the vote on "
                 "your household page to see it; if it was not the owner, tell the community office.",
                 title=vote.title, channel=_channel_words(channel), time=format_datetime(now, "yyyy-MM-dd HH:mm"))
        messages.ballot_changed(vote, dict.fromkeys(filter(None, (household.id, also_tell))), text)
    db.session.flush()


def _channel_words(channel: str) -> str:
    return str(BALLOT_CHANNEL_WORDS.get(channel, channel))
