"""Owner votes (民法典第二百七十八条): lifecycle, the frozen register, tallies. Flush, never commit.

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
    tally(vote) -> dict                  # DESIGN §8's keys + "reasons", "failed", "rule", "status"
    rule_of(vote) -> art278.VoteRule     # the rule it is decided by (a locality's, or Art. 278's for its class)
    visible_tally(vote, user, *, resident=False) -> dict   # participation only while hidden (residents: always)
    households_in_scope(vote) -> Select  # the households a vote covers (its register once open)

Paper ballots from a file: participation.votes.paper.import_ballots(actor, vote, table, filename=,
double_keying=).

Owner checks and ballots on every channel (DESIGN §4, staff-entered ballots): participation.votes.ballots.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.models import Ballot, Building, Community, Household, Unit, User, Vote, VoteObjection
from participation.models.types import utcnow
from participation.votes import art278, messages, register as vote_register

OBJECTION_DAYS = 7
CHOICE_WORDS = {"同意": "yes", "反对": "no", "弃权": "abstain"}


class VoteError(Refused):
    """A refused action; nothing was changed. ``errors`` maps a field name ("" for the whole) to its message."""


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
    messages.opened(vote)   # the Art. 278 notice to the register's households
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
    messages.cosign_waiting(vote)
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


def electorate_owners(vote: Vote, household: Household) -> set[str]:
    """Owner identities of the household's in-scope units (one query, not the whole electorate)."""
    if vote_register.frozen(vote):
        owner = vote_register.owner_in_register(vote, household)
        return {owner} if owner is not None else set()
    in_scope = db.session.scalar(households_in_scope(vote).where(Household.id == household.id)
                                 .with_only_columns(Household.id))
    return {owner_of(household)} if in_scope is not None else set()


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
