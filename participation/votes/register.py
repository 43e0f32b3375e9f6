"""A vote's register (表决名册): the electorate frozen when the vote opens (DESIGN §4). Flush, never commit.

    freeze(vote)                         # on opening: one row per unit in scope, owner and area as of now
    frozen(vote) -> bool                 # the vote has a register (opened after it existed, or migrated)
    scope_select(vote) -> Select         # the households of the register
    owners(vote) -> list[(owner, area, household_id)]
    owner_in_register(vote, household) -> str | None
    entries(vote) -> list[VoteRegisterEntry]
    totals(vote) -> {"headcount", "area", "units"}        # one per owner, however many units

A roster re-import while the vote runs changes the households, never these rows; a correction during the vote is
``participation.votes.register_corrections.correct_entry`` (audited, before/after, with its reason).
Nothing here refuses anything: it reads and writes rows for participation.votes.operations.
"""
from decimal import Decimal

from sqlalchemy import insert, select

from participation.extensions import db
from participation.models import Building, Household, Unit, Vote, VoteRegisterEntry
from participation.models.types import utcnow


def frozen(vote: Vote) -> bool:
    return vote.register_frozen_at is not None


def freeze(vote: Vote, roster_select) -> int:
    """Copy the households of ``roster_select`` (the live scope, in roster order) into the vote's register; the
    number of units written. One INSERT of many rows: a community of thousands of units freezes in one round trip."""
    rows = db.session.execute(roster_select.with_only_columns(
        Household.id, Household.owner_key, Household.area, Building.name, Unit.name, Household.room)
        .order_by(None).order_by(Building.sort_key, Unit.sort_key, Household.sort_key, Household.id)).all()
    values = [{"vote_id": vote.id, "household_id": household_id, "owner": owner_key or f"h{household_id}",
               "area": area, "building": building, "unit": unit, "room": room, "position": position}
              for position, (household_id, owner_key, area, building, unit, room) in enumerate(rows, 1)]
    if values:
        db.session.execute(insert(VoteRegisterEntry), values)
    vote.register_frozen_at = utcnow()
    db.session.flush()
    return len(values)


def scope_select(vote: Vote):
    """A select of the register's households (as ``votes.households_in_scope`` returns for a frozen vote)."""
    return select(Household).where(Household.id.in_(
        select(VoteRegisterEntry.household_id).where(VoteRegisterEntry.vote_id == vote.id))).order_by(Household.id)


def owners(vote: Vote) -> list[tuple[str, Decimal, int]]:
    return [tuple(row) for row in db.session.execute(
        select(VoteRegisterEntry.owner, VoteRegisterEntry.area, VoteRegisterEntry.household_id)
        .where(VoteRegisterEntry.vote_id == vote.id).order_by(VoteRegisterEntry.position))]


def owner_in_register(vote: Vote, household: Household) -> str | None:
    return db.session.scalar(select(VoteRegisterEntry.owner).where(
        VoteRegisterEntry.vote_id == vote.id, VoteRegisterEntry.household_id == household.id))


def entries(vote: Vote) -> list[VoteRegisterEntry]:
    return list(db.session.scalars(select(VoteRegisterEntry).where(VoteRegisterEntry.vote_id == vote.id)
                                   .order_by(VoteRegisterEntry.position)))


def totals(vote: Vote) -> dict:
    """Headcount (one per owner, as Art. 278 counts) and area (m², exact) of the register."""
    rows = owners(vote)
    area = sum((Decimal(unit_area) for _owner, unit_area, _household_id in rows), Decimal("0.00"))
    return {"headcount": len({owner for owner, _area, _household_id in rows}), "area": area, "units": len(rows)}


def owner_numbers(register: list[VoteRegisterEntry]) -> dict[str, int]:
    """A printable number per owner (1, 2 … in register order), so the notice shows an owner of several units
    counted once without printing the roster's 业主标识."""
    numbers: dict[str, int] = {}
    for entry in register:
        numbers.setdefault(entry.owner, len(numbers) + 1)
    return numbers
