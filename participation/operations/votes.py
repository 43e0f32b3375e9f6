"""Owner votes (民法典第二百七十八条): lifecycle, owner verification, ballots, tallies. Flush, never commit.

Lifecycle: draft → open → preliminary (objection period, 询异公示) → final; draft/open/preliminary → cancelled.
Every refusal raises ``VoteError`` (a translated message; ``errors`` maps a field to its message) before anything
is written. Every action writes an audit row.

    create_vote(actor, community, matter, title, *, description=None, scope="community", buildings=(), unit=None,
                opens_at=None, closes_at=None, hide_tallies=False, rule=None, open_now=False) -> Vote
    open_vote(actor, vote, *, closes_at=None) -> Vote
    close_vote(actor, vote, *, objection_days=OBJECTION_DAYS) -> dict        # the preliminary tally
    record_objection(vote, text, *, household=None, actor=None, channel="web") -> VoteObjection
    answer_objection(actor, objection, answer) -> VoteObjection
    cosign(owner_rep, vote) -> Vote                                           # the owner representative
    finalise(actor, vote) -> Vote                  # after the objection period, all answered, co-signed
    cancel(actor, vote, reason) -> Vote
    owner_of(household) -> str                     # owner identity: 业主标识 or "h<household id>"
    electorate(vote) -> dict[str, Owner]           # owners in scope, one per owner, summed area (the register)
    register_owner(vote, household) -> str | None  # the household's owner in the vote's register; None: not in it
    verify_owner(household, tail, *, vote=None, throttle_key=None, staff=None) -> OwnerVerification  # or VoteError
    cast_ballot(vote, household, choice, channel, actor=None, verified=None, *, staff_import=False, sheet_no=None,
                via=None) -> Ballot
    tally(vote) -> dict                  # DESIGN §8's keys + "reasons", "failed", "rule", "status"
    rule_of(vote) -> art278.VoteRule     # the rule it is decided by (a locality's, or Art. 278's for its class)
    visible_tally(vote, user, *, resident=False) -> dict   # participation only while hidden (residents: always)
    households_in_scope(vote) -> Select  # the households a vote covers (its register once open)

Paper ballots from a file: participation.operations.vote_import.import_ballots(actor, vote, table, filename=,
double_keying=).

Staff-entered ballots (DESIGN §4): never by phone. Web ballots need ``verified``: the OwnerVerification that
``verify_owner`` returned in this resident's session (a tenant holding the household code cannot produce one).
In-person ballots need the verification ``verify_owner(..., staff=actor)`` made just now, the staff member having
typed the owner's ID tail from the ID card (good for one ballot). Paper ballots are sheets the owners signed,
entered by an organiser or admin with the sheet's number (an ``in_person`` verification by that person is
recorded; the CLI import has no actor). A ballot cast with the owner's ID tail is replaced only by another such
cast. Every change is kept in ``BallotChange`` (the owner's vote page lists it) and, but for the owner's own first
ballot online, told to the household through the outbox. Concurrent casts for one owner, on any channel,
end with one ballot row: the database's UNIQUE(vote_id, owner) decides who inserts, the others update it as a
change (last write wins), and every cast is kept in ``BallotChange``.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from participation.extensions import db
from participation.models import (Ballot, BallotChange, Building, Community, Household, Notification,
                                  OwnerVerification, Unit, User, Vote, VoteObjection)
from participation.models.types import utcnow
from participation.operations import art278, vote_register
from participation.operations.audit import record
from participation.operations.roster_import import id_tail_matches
from participation.operations.throttle import record_failure, record_success, wait_seconds
from participation.permissions import can_act_for_household, can_manage_community

logger = logging.getLogger(__name__)

OBJECTION_DAYS = 7
STAFF_CHANNELS = ("paper", "in_person")
PHONE_CHANNELS = ("phone", "hotline")                # never an owner ballot (DESIGN §4)
OWNER_CHECKED_CHANNELS = ("web", "in_person")        # cast with the owner's ID tail: only such a cast replaces them
PAPER_ROLES = ("admin", "organiser")
IN_PERSON_CHECK_VALID = timedelta(minutes=15)        # the owner is still at the door
BALLOT_CHANNEL_WORDS = {"web": _l("online, by the owner"), "in_person": _l("in person, entered by staff"),
                        "paper": _l("on a signed paper sheet, entered by staff"),
                        "assisted": _l("entered by staff")}
CHOICE_WORDS = {"同意": "yes", "反对": "no", "弃权": "abstain"}


class VoteError(ValueError):
    """A refused action; nothing was changed. ``errors`` maps a field name ("" for the whole) to its message."""

    def __init__(self, errors: dict[str, str] | str):
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__(" ".join(self.errors.values()))


@dataclass
class Owner:
    """One owner in a vote's scope: area summed over their units there (m², exact)."""

    owner: str
    area: Decimal = Decimal("0.00")
    household_ids: list[int] = field(default_factory=list)


def owner_of(household: Household) -> str:
    return household.owner_key or f"h{household.id}"


def rule_of(vote: Vote) -> art278.VoteRule:
    """The rule the vote is decided by: a locality's stricter rule stored on it, or Art. 278's for its class."""
    if vote.rule_text:
        return art278.VoteRule.parse(vote.rule_text, vote.rule_source)
    return art278.DEFAULT_RULES[vote.matter_class]


# --- lifecycle -------------------------------------------------------------------------------------------------

def create_vote(actor: User | None, community: Community, matter: int, title: str, *, description: str | None = None,
                scope: str = "community", buildings=(), unit: Unit | None = None, opens_at: datetime | None = None,
                closes_at: datetime | None = None, hide_tallies: bool = False, rule: art278.VoteRule | None = None,
                open_now: bool = False) -> Vote:
    """A draft vote (open at once with ``open_now``); scope "community", "buildings" (``buildings`` of this
    community) or "unit" (one 单元 of it). ``rule``: a locality's stricter rule, shown with its source."""
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > 200:
        errors["title"] = _("The title is longer than 200 characters.")
    if not isinstance(matter, int) or matter not in art278.MATTERS:
        errors["matter"] = _("Choose one of the nine matters of Art. 278 (1 to 9).")
    buildings = list(buildings)
    if scope == "buildings":
        if not buildings:
            errors["buildings"] = _("Choose at least one building.")
        elif any(building.community_id != community.id for building in buildings):
            errors["buildings"] = _("A chosen building is not in this community.")
    elif scope == "unit":
        if unit is None:
            errors["unit"] = _("Choose the unit (单元).")
        elif unit.building.community_id != community.id:
            errors["unit"] = _("The unit is not in this community.")
    elif scope != "community":
        errors["scope"] = _("Choose the scope: the community, some buildings or one unit.")
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("Voting must close after it opens.")
    if errors:
        raise VoteError(errors)
    vote = Vote(community=community, matter=matter, matter_class=art278.matter_class(matter), title=title,
                description=(description or "").strip() or None, scope=scope, hide_tallies=hide_tallies,
                unit=unit if scope == "unit" else None, opens_at=opens_at, closes_at=closes_at, status="draft",
                created_by_id=getattr(actor, "id", None), created_at=utcnow(),
                rule_text=rule.text if rule else None, rule_source=rule.source if rule else None)
    if scope == "buildings":
        vote.buildings = buildings
    db.session.add(vote)
    db.session.flush()
    record(actor, "vote.create", vote, community=community, matter=matter, matter_class=vote.matter_class,
           scope=scope, buildings=[b.name for b in vote.buildings], unit_id=vote.unit_id, rule=vote.rule_text)
    if open_now:
        open_vote(actor, vote)
    return vote


def open_vote(actor: User | None, vote: Vote, *, closes_at: datetime | None = None) -> Vote:
    """draft → open; refused when nobody owns a unit in the scope."""
    _require(vote, ("draft",), _("Only a draft vote can be opened."))
    now = utcnow()
    closes_at = closes_at or vote.closes_at
    if closes_at is not None and closes_at <= now:
        raise VoteError({"closes_at": _("The closing time has already passed.")})
    if not electorate(vote):
        raise VoteError(_("No owners are in the vote's scope."))
    vote.status, vote.opened_at, vote.closes_at = "open", now, closes_at
    vote.opens_at = vote.opens_at or now
    units = vote_register.freeze(vote, _roster_in_scope(vote))
    totals = vote_register.totals(vote)
    record(actor, "vote.open", vote, community=vote.community_id, closes_at=closes_at,
           register={"units": units, "headcount": totals["headcount"], "area": totals["area"]})
    return vote


def close_vote(actor: User | None, vote: Vote, *, objection_days: int = OBJECTION_DAYS) -> dict:
    """open → preliminary: the result is counted and frozen; objections may be raised for ``objection_days``."""
    _lock(vote)
    _require(vote, ("open",), _("Only an open vote can be closed."))
    if objection_days < 1:
        raise VoteError({"objection_days": _("The objection period lasts at least one day.")})
    result = _count(vote)
    now = utcnow()
    vote.status, vote.closed_at, vote.objection_until = "preliminary", now, now + timedelta(days=objection_days)
    for key in ("area_total", "area_participating", "area_yes", "headcount_total", "headcount_participating",
                "headcount_yes", "quorum_met", "passed"):
        setattr(vote, f"result_{key}", result[key])
    db.session.flush()
    record(actor, "vote.close", vote, community=vote.community_id, **_plain(result))
    return tally(vote)


def record_objection(vote: Vote, text: str, *, household: Household | None = None, actor: User | None = None,
                     channel: str = "web") -> VoteObjection:
    """An objection during the objection period, from a household (web) or entered by staff (``actor``). A household
    has one objection per vote: sending again while the period runs replaces its text (the old text stays in the
    audit row) and, when it was answered, asks for a new answer."""
    _require(vote, ("preliminary",), _("Objections are taken only while the preliminary result is posted."))
    if utcnow() > vote.objection_until:
        raise VoteError(_("The objection period has ended."))
    text = (text or "").strip()
    if not text:
        raise VoteError({"text": _("Write the objection.")})
    if household is not None and household.community.id != vote.community_id:
        raise VoteError(_("The household is not in this vote's community."))
    now = utcnow()
    if household is None:
        objection = VoteObjection(vote=vote, text=text, raised_by_id=getattr(actor, "id", None), channel=channel,
                                  created_at=now)
        db.session.add(objection)
        db.session.flush()
        record(actor, "vote.objection", objection, community=vote.community_id, vote_id=vote.id, channel=channel)
        return objection
    objection = _household_objection(vote, household, text, actor, channel, now)
    if objection is not None:
        return objection
    objection = db.session.scalar(select(VoteObjection).where(VoteObjection.vote_id == vote.id,
                                                              VoteObjection.household_id == household.id)
                                  .with_for_update().execution_options(populate_existing=True))
    changes = {"text": [objection.text, text]}
    if objection.answer is not None:
        changes["answer"] = [objection.answer, None]
    objection.text, objection.channel, objection.updated_at = text, channel, now
    objection.raised_by_id = getattr(actor, "id", None)
    objection.answer = objection.answered_by_id = objection.answered_at = None
    db.session.flush()
    record(actor, "vote.objection.edit", objection, community=vote.community_id, vote_id=vote.id, channel=channel,
           changes=changes)
    return objection


def _household_objection(vote, household, text, actor, channel, now) -> VoteObjection | None:
    """Insert the household's objection unless it has one (INSERT … ON CONFLICT (vote_id, household_id) DO
    NOTHING, so two sends at once end with one row); the new objection, or None when one was there."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(VoteObjection.__table__)
                 .values(vote_id=vote.id, text=text, household_id=household.id, raised_by_id=getattr(actor, "id", None),
                         channel=channel, created_at=now)
                 .on_conflict_do_nothing(index_elements=["vote_id", "household_id"])
                 .returning(VoteObjection.__table__.c.id))
    objection_id = db.session.execute(statement).scalar()
    if objection_id is None:
        return None
    objection = db.session.get(VoteObjection, objection_id)
    db.session.refresh(vote, ["objections"])
    record(actor, "vote.objection", objection, community=vote.community_id, vote_id=vote.id, channel=channel)
    return objection


def answer_objection(actor: User, objection: VoteObjection, answer: str) -> VoteObjection:
    if objection.vote.status not in ("preliminary",):
        raise VoteError(_("Objections are answered before the result is final."))
    answer = (answer or "").strip()
    if not answer:
        raise VoteError({"answer": _("Write the answer.")})
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.id, utcnow()
    db.session.flush()
    record(actor, "vote.objection.answer", objection, community=objection.vote.community_id,
           vote_id=objection.vote_id)
    return objection


def cosign(owner_rep: User, vote: Vote) -> Vote:
    """The owner representative, who observed the count, co-signs the preliminary result."""
    if owner_rep.role != "owner_rep":
        raise VoteError(_("Only the owner representative co-signs a vote's result."))
    _require(vote, ("preliminary",), _("Only a preliminary result can be co-signed."))
    vote.cosigned_by_id, vote.cosigned_at = owner_rep.id, utcnow()
    db.session.flush()
    record(owner_rep, "vote.cosign", vote, community=vote.community_id)
    return vote


def finalise(actor: User | None, vote: Vote) -> Vote:
    """preliminary → final, once the objection period is over, every objection answered and the result co-signed."""
    _require(vote, ("preliminary",), _("Only a preliminary result can be made final."))
    if utcnow() < vote.objection_until:
        raise VoteError(_("The objection period has not ended yet."))
    if any(objection.answer is None for objection in vote.objections):
        raise VoteError(_("Answer every objection first."))
    if vote.cosigned_at is None:
        raise VoteError(_("The owner representative has not co-signed the result."))
    vote.status, vote.finalised_at = "final", utcnow()
    db.session.flush()
    record(actor, "vote.finalise", vote, community=vote.community_id, passed=vote.result_passed)
    return vote


def cancel(actor: User | None, vote: Vote, reason: str) -> Vote:
    _require(vote, ("draft", "open", "preliminary"), _("A final or cancelled vote cannot be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise VoteError({"reason": _("Give the reason for cancelling.")})
    vote.status, vote.cancelled_at, vote.cancel_reason = "cancelled", utcnow(), reason
    db.session.flush()
    record(actor, "vote.cancel", vote, community=vote.community_id, reason=reason)
    return vote


def _require(vote: Vote, statuses, message: str) -> None:
    if vote.status not in statuses:
        raise VoteError(message)


def _lock(vote: Vote) -> None:
    """Re-read the vote's status under a row lock (PostgreSQL), so a close waits for casts in flight."""
    db.session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    db.session.refresh(vote, ["status"])


# --- electorate and verification -------------------------------------------------------------------------------

def households_in_scope(vote: Vote):
    """A select of the households the vote covers (ground floors, rented and vacant units included): its register
    once it opened, the roster's units in scope before."""
    if vote_register.frozen(vote):
        return vote_register.scope_select(vote)
    return _roster_in_scope(vote)


def _roster_in_scope(vote: Vote):
    query = select(Household).join(Unit).join(Building).where(Building.community_id == vote.community_id)
    if vote.scope == "unit":
        query = query.where(Household.unit_id == vote.unit_id)
    elif vote.scope == "buildings":
        query = query.where(Building.id.in_([building.id for building in vote.buildings]))
    return query.order_by(Household.id)


def electorate(vote: Vote) -> dict[str, Owner]:
    """Owners in the vote's scope: one entry per owner identity, with the area of their units in scope summed. Read
    from the register frozen when the vote opened (a roster re-import changes nothing); a draft's, from the roster."""
    owners: dict[str, Owner] = {}
    if vote_register.frozen(vote):
        rows = vote_register.owners(vote)
    else:
        rows = [(owner_key or f"h{household_id}", area, household_id) for household_id, owner_key, area in
                db.session.execute(_roster_in_scope(vote).with_only_columns(
                    Household.id, Household.owner_key, Household.area))]
    for key, area, household_id in rows:
        owner = owners.setdefault(key, Owner(key))
        owner.area += Decimal(area)
        owner.household_ids.append(household_id)
    return owners


def register_owner(vote: Vote, household: Household) -> str | None:
    """The owner identity a ballot through ``household`` counts for: the register's (frozen when the vote opened);
    the roster's for a vote without a register; None when the household is not in the vote."""
    if vote_register.frozen(vote):
        return vote_register.owner_in_register(vote, household)
    return owner_of(household) if electorate_owners(vote, household) else None


def verify_owner(household: Household, tail: str, *, vote: Vote | None = None, throttle_key: str | None = None,
                 staff: User | None = None) -> OwnerVerification:
    """Check the owner's ID tail against the roster's hash; throttled per household (or ``throttle_key``).
    Returns the verification to keep in the resident's session and pass to ``cast_ballot``.

    ``staff``: a staff member with the owner in front of them typed the tail from the owner's ID card (in person,
    for ``vote``); the same hash and the same back-off as online, and the verification is good for one ballot."""
    key = throttle_key or f"owner-tail:{household.id}"
    channel = "web" if staff is None else "in_person"
    if staff is not None and (vote is None or not can_act_for_household(staff, household)):
        raise VoteError(_("Only staff who may act for this household check its owner in person."))
    if household.owner_id_tail_hash is None:   # nothing to guess: not a counted try
        raise VoteError(_("The roster holds no ID number for this unit's owner. Vote on paper with the staff, "
                          "who will check your property certificate."))
    wait = wait_seconds(key)
    if wait:
        raise VoteError(_("Too many wrong tries. Try again in %(seconds)d seconds.", seconds=wait))
    if not id_tail_matches(household, household.community.code, tail or ""):
        record_failure(key)
        record(staff, "vote.verify_failed", household, community=household.community.id, channel=channel,
               vote_id=getattr(vote, "id", None))
        raise VoteError({"tail": _("That does not match the owner's ID number on the roster.")})
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
        raise VoteError(_("An owner's ballot is never taken by phone. Visit the owner, ask them to come to the "
                          "community office with their ID card, or to vote online themselves."))
    if choice not in ("yes", "no", "abstain"):
        raise VoteError({"choice": _("Choose yes, no or abstain.")})
    if channel not in ("web",) + STAFF_CHANNELS:
        raise VoteError({"channel": _("Unknown channel.")})
    sheet_no = (sheet_no or "").strip() or None
    if sheet_no is not None and (len(sheet_no) > 40 or not sheet_no.isprintable()):
        raise VoteError({"sheet_no": _("A sheet number has at most 40 letters and digits.")})
    _require_open(vote)
    owner = register_owner(vote, household)
    if owner is None:
        raise VoteError(_("This unit is not in the vote's scope."))
    now = utcnow()
    if channel == "web":
        if verified is None or verified.owner not in (owner, owner_of(household)) \
                or verified.vote_id not in (None, vote.id) \
                or verified.method != "id_tail" or verified.verified_by_id is not None:
            raise VoteError(_("Only the owner can vote. Confirm you are the owner with the last six characters "
                              "of the owner's ID number first; tenants and family members cannot vote for them."))
        verification = verified
    elif channel == "in_person":
        if actor is None or not can_act_for_household(actor, household):
            raise VoteError(_("Only staff who may act for this household enter its owner's ballot in person."))
        if verified is None or verified.method != "id_tail" or verified.verified_by_id != actor.id \
                or verified.owner not in (owner, owner_of(household)) or verified.vote_id != vote.id \
                or verified.used_at is not None \
                or verified.verified_at < now - IN_PERSON_CHECK_VALID:
            raise VoteError({"tail": _("Type the last 6 characters of the owner's ID number from the owner's ID "
                                       "card first, with the owner there; each check is good for one ballot.")})
        used = db.session.execute(
            update(OwnerVerification).where(OwnerVerification.id == verified.id, OwnerVerification.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        if used.rowcount != 1:
            raise VoteError({"tail": _("This check was used already. Type the owner's ID number again.")})
        verification = verified
    else:
        if staff_import and actor is None:
            pass   # the CLI's operator, who holds the signed sheets
        elif actor is None or actor.role not in PAPER_ROLES or not can_manage_community(actor, vote.community):
            raise VoteError(_("Paper ballots are entered by organiser staff of the community, from sheets the owners "
                              "signed."))
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
    return ballot


def electorate_owners(vote: Vote, household: Household) -> set[str]:
    """Owner identities of the household's in-scope units (one query, not the whole electorate)."""
    if vote_register.frozen(vote):
        owner = vote_register.owner_in_register(vote, household)
        return {owner} if owner is not None else set()
    in_scope = db.session.scalar(households_in_scope(vote).where(Household.id == household.id)
                                 .with_only_columns(Household.id))
    return {owner_of(household)} if in_scope is not None else set()


def _require_open(vote: Vote) -> None:
    """Open, within its dates; read under a shared lock on PostgreSQL so a close waits for this cast."""
    status = db.session.scalar(select(Vote.status).where(Vote.id == vote.id).with_for_update(read=True))
    now = utcnow()
    if status != "open" or (vote.opens_at and now < vote.opens_at):
        raise VoteError(_("This vote is not open for voting."))
    if vote.closes_at and now >= vote.closes_at:
        raise VoteError(_("Voting has closed."))


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
            raise VoteError(_("The owner cast this ballot themselves, checked with their ID number (%(channel)s). "
                              "A staff entry does not replace it: only the owner can change it, online or in "
                              "person with their ID card.", channel=_channel_words(ballot.channel)))
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
    raise VoteError(_("Many ballots for this owner arrived at once. Please try again."))


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
        for household_id in dict.fromkeys(filter(None, (household.id, also_tell))):
            db.session.add(Notification(household_id=household_id, kind="vote.ballot_changed", text=text))
    db.session.flush()


def _channel_words(channel: str) -> str:
    return str(BALLOT_CHANNEL_WORDS.get(channel, channel))


# --- tallies ---------------------------------------------------------------------------------------------------

def _count(vote: Vote) -> dict:
    """Count the ballots of owners now in scope against the roster (Decimal m², owners) and decide."""
    owners = electorate(vote)
    area_total = sum((owner.area for owner in owners.values()), Decimal("0.00"))
    area_part = area_yes = Decimal("0.00")
    n_part = n_yes = 0
    for owner, choice in db.session.execute(select(Ballot.owner, Ballot.choice).where(Ballot.vote_id == vote.id)):
        if owner not in owners:
            continue   # the roster changed since the cast: no longer an owner in scope
        area_part += owners[owner].area
        n_part += 1
        if choice == "yes":
            area_yes += owners[owner].area
            n_yes += 1
    decision = art278.decide(area_total, area_part, area_yes, len(owners), n_part, n_yes, rule_of(vote))
    return {"area_total": area_total, "area_participating": area_part, "area_yes": area_yes,
            "headcount_total": len(owners), "headcount_participating": n_part, "headcount_yes": n_yes,
            "quorum_met": decision.quorum_met, "passed": decision.passed, "decision": decision}


def tally(vote: Vote) -> dict:
    """DESIGN §8's shape: matter, class, areas (decimal strings, m²), headcounts, quorum_met, passed; plus
    "reasons" (the missed thresholds in words), "failed" (their codes), "rule" and "status". Live while voting,
    the frozen result once closed."""
    if vote.closed:
        counts = {key: getattr(vote, f"result_{key}") for key in (
            "area_total", "area_participating", "area_yes", "headcount_total", "headcount_participating",
            "headcount_yes")}
        decision = art278.decide(counts["area_total"], counts["area_participating"], counts["area_yes"],
                                 counts["headcount_total"], counts["headcount_participating"],
                                 counts["headcount_yes"], rule_of(vote))
        counts.update(quorum_met=vote.result_quorum_met, passed=vote.result_passed)
    else:
        counts = _count(vote)
        decision = counts.pop("decision")
    rule = rule_of(vote)
    return {"matter": vote.matter, "class": vote.matter_class, **_plain(counts), "reasons": decision.reasons,
            "failed": decision.failed, "status": vote.status,
            "rule": {"text": rule.text, "source": rule.source, "locality": vote.rule_text is not None}}


PARTICIPATION_KEYS = ("matter", "class", "status", "rule", "area_total", "area_participating", "headcount_total",
                      "headcount_participating")


def visible_tally(vote: Vote, user: User | None = None, *, resident: bool = False) -> dict:
    """What anyone — staff included — may see: while tallies are hidden and voting is not over, participation only
    (totals and how many took part; no yes counts, no outcome). Residents (``resident``) see participation only
    until voting is over, hidden or not (DESIGN §4); staff and the owner representative see the same as each
    other. ``user`` is for the views' symmetry."""
    full = tally(vote)
    if (vote.hide_tallies or resident) and not vote.closed:
        return {key: full[key] for key in PARTICIPATION_KEYS} | {"hidden": True}
    return full | {"hidden": False}


def _plain(counts: dict) -> dict:
    """Areas as decimal strings with two places; other values as they are (the decision object dropped)."""
    plain = {}
    for key, value in counts.items():
        if key == "decision":
            continue
        plain[key] = str(Decimal(value).quantize(Decimal("0.01"))) if key.startswith("area_") else value
    return plain
