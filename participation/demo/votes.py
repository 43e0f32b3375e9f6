"""The demo's open owner votes in 曙光里小区 (NG001), called by ``seed_demo`` after ``seed_demo_participation``:

- an elevator for 5号楼2单元: one household started the request (一家牵头), the organiser opened the consultation,
  marked the one home the shaft would occupy (its owner's own consent is still to be asked) and opened the owners'
  consent vote (matter 7, scoped to the 单元); owners have voted on paper up to one short of the quorum, the
  others (at least two owner-occupied homes, and the browser journeys' 201 and 301) not yet, so a resident can
  verify as an owner and vote;
- a property-management proposal (长效管理: 准物业, 0.50 yuan per m² a month) put to the whole community, with
  some paper ballots.

Both votes are open now, placed on the demo's calendar (``participation.demo.clock``): the elevator vote opened six
days before demo today and closes in eight, its paper ballots one owner short of the quorum (near it); the
property-management vote opened three days ago and closes in eleven, far short of its quorum with days left (the
工作台's "short of quorum" line). The operations read ``votes.utcnow`` / ``ballots.utcnow``; the demo runs them
under ``clock.fixed_clock`` at each step's demo time. Everything else is fixed: which households, which owners
voted and how, the texts.

Idempotent: the elevator request is looked up by its 单元 (any request there, active or not, is left alone) and the
proposal by its community and note; a vote's paper ballots are entered only when the vote itself is created, so a
second run adds nothing — and never touches ballots residents or staff have cast since.
"""
from decimal import Decimal

from sqlalchemy import select

from participation.aftercare.operations import propose_aftercare
from participation.demo import clock
from participation.elevators import operations as elevators
from participation.elevators.queries import latest_request
from participation.extensions import db
from participation.models import AfterCareProposal, Building, Community, Household, Unit, Vote
from participation.votes import ballots, operations as votes

COMMUNITY = "NG001"
ELEVATOR_OPENS, ELEVATOR_CLOSES = (-6, 10), (8, 18)      # (days after demo today, hour)
AFTERCARE_OPENS, AFTERCARE_CLOSES = (-3, 9), (11, 18)

# Units where the field survey found room for an elevator (the survey demo marks the same ones when no unit is
# marked yet; marking them here first leaves its outcome unchanged).
ELEVATOR_BUILDINGS = ("1", "2", "3", "4", "5")
ELEVATOR = {
    "building": "5", "unit": "2",
    "starter": "602",                     # the top floor starts the request (一家牵头)
    "note": "家里老人腿脚不好，住六楼下楼一趟太难，希望本单元加装电梯。",
    "shaft": ("101",),                    # the shaft would take part of this ground-floor home's yard
    "title": "5号楼2单元加装电梯业主表决",
    # paper ballots entered by the organiser, these rooms first (room, choice), then others "yes" in roster order
    # until one more owner would make the quorum; at least two owner-occupied homes are always left to vote
    "paper": (("402", "yes"), ("501", "yes"), ("502", "yes"), ("601", "yes"), ("102", "abstain")),
    "waiting": 2,
    "left": ("201", "301"),                # the browser journeys' owners, who verify and vote (tests/e2e)
}

AFTERCARE = {
    "mode": "quasi", "fee": Decimal("0.50"),
    "note": "改造完成后由社区组织准物业服务：保洁、秩序维护和公共设施小修。费用按各户建筑面积计收，"
            "低保户减半。",
    "buildings": ("1", "3", "6", "7"),    # paper ballots from these buildings (not those the browser journeys use)
    "every": 5,                            # every fifth owner there, in roster order
}


def seed_demo_votes(communities: list[Community], users: dict) -> dict:
    """Add NG001's open elevator consent vote and its property-management vote where missing; returns the counts
    added. Never commits."""
    added = {"elevator_votes": 0, "aftercare_votes": 0}
    community = next((c for c in communities if c.code == COMMUNITY), None)
    if community is None:
        return added
    organiser = users["organiser"]
    _mark_elevator_units(community)
    if _elevator_vote(community, organiser) is not None:
        added["elevator_votes"] += 1
    if _aftercare_vote(community, organiser) is not None:
        added["aftercare_votes"] += 1
    db.session.flush()
    return added


def _unit(community: Community, building: str, unit: str) -> Unit | None:
    return db.session.scalar(select(Unit).join(Building, Building.id == Unit.building_id)
                             .where(Building.community_id == community.id, Building.name == building,
                                    Unit.name == unit))


def _rooms(unit: Unit) -> dict[str, Household]:
    return {household.room: household for household in unit.households}


def _mark_elevator_units(community: Community) -> None:
    """Mark the field survey's elevator units, unless an organiser has marked units already (then theirs stand)."""
    units = [unit for building in community.buildings for unit in building.units]
    if not any(unit.elevator_possible for unit in units):
        for unit in units:
            unit.elevator_possible = unit.building.name in ELEVATOR_BUILDINGS
        db.session.flush()


def _elevator_vote(community: Community, organiser) -> Vote | None:
    unit = _unit(community, ELEVATOR["building"], ELEVATOR["unit"])
    if unit is None or not unit.elevator_possible or latest_request(unit) is not None:
        return None         # not the demo's roster, marked otherwise by staff, or a request exists already
    rooms = _rooms(unit)
    with clock.fixed_clock(votes, ballots, elevators, now=clock.at(ELEVATOR_OPENS[0] - 9, 19)) as now:
        request = elevators.start_request(rooms[ELEVATOR["starter"]], channel="web", note=ELEVATOR["note"])
        now.now = clock.at(ELEVATOR_OPENS[0] - 7, 10)
        elevators.open_consultation(organiser, request)
        elevators.mark_shaft_households(organiser, request, [rooms[room] for room in ELEVATOR["shaft"]])
        now.now = clock.at(*ELEVATOR_OPENS)
        vote = elevators.open_consent_vote(organiser, request, title=ELEVATOR["title"],
                                           closes_at=clock.at(*ELEVATOR_CLOSES))
        _near_quorum(vote, unit, rooms, organiser, now)
    return vote


def _near_quorum(vote: Vote, unit: Unit, rooms: dict, organiser, now) -> None:
    """Paper ballots, the listed rooms first, until one more owner would make the quorum."""
    occupied = [h.room for h in sorted(unit.households, key=lambda h: h.sort_key) if h.occupancy == "owner_occupied"]
    kept = set(ELEVATOR["shaft"]) | {ELEVATOR["starter"]} | set(ELEVATOR["left"])
    for room in reversed(occupied):         # at least ``waiting`` owner-occupied homes still to vote
        if len(kept.intersection(occupied)) >= ELEVATOR["waiting"]:
            break
        kept.add(room)
    listed = dict(ELEVATOR["paper"])
    order = [room for room in listed if room not in kept] + \
        [h.room for h in sorted(unit.households, key=lambda h: h.sort_key) if h.room not in kept | set(listed)]
    seen = set()
    for index, room in enumerate(order):
        owner = votes.owner_of(rooms[room])
        if owner in seen:
            continue
        seen.add(owner)
        now.now = clock.at(min(-1, ELEVATOR_OPENS[0] + 1 + index // 2), 9 + 3 * (index % 2), index)
        step = db.session.begin_nested()
        ballots.cast_ballot(vote, rooms[room], listed.get(room, "yes"), "paper", actor=organiser)
        if votes.tally(vote)["quorum_met"]:
            step.rollback()         # this one would make the quorum: leave it to the owners still to vote
            break
        step.commit()


def _aftercare_vote(community: Community, organiser) -> Vote | None:
    if db.session.scalar(select(AfterCareProposal.id).filter_by(community_id=community.id,
                                                                note=AFTERCARE["note"])) is not None:
        return None
    with clock.fixed_clock(votes, ballots, now=clock.at(*AFTERCARE_OPENS)) as now:
        proposal = propose_aftercare(organiser, community, AFTERCARE["mode"], AFTERCARE["fee"],
                                     clock.at(*AFTERCARE_CLOSES), note=AFTERCARE["note"])
        _aftercare_ballots(community, proposal.vote, organiser, now)
    return proposal.vote


def _aftercare_ballots(community: Community, vote: Vote, organiser, now) -> None:
    households = db.session.scalars(
        select(Household).join(Unit, Unit.id == Household.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == community.id, Building.name.in_(AFTERCARE["buildings"]))
        .order_by(Building.sort_key, Unit.sort_key, Household.sort_key))
    seen, voters = set(), []
    for household in households:      # one ballot an owner: the owner of two flats is asked at the first
        owner = votes.owner_of(household)
        if owner not in seen:
            seen.add(owner)
            voters.append(household)
    for index, household in enumerate(voters[::AFTERCARE["every"]]):
        choice = "no" if index % 4 == 3 else "abstain" if index % 9 == 5 else "yes"
        now.now = clock.at(AFTERCARE_OPENS[0] + 1 + index % 2, 9 + index // 12 % 9, 5 * index % 60)
        ballots.cast_ballot(vote, household, choice, "paper", actor=organiser)
