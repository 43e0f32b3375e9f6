"""What the elevator pages and operations ask of the database, one question a function.

    plan_year(community) -> int                                  # the year whose rules apply
    active_request(unit) -> ElevatorRequest | None
    latest_request(unit) -> ElevatorRequest | None               # the active one, else the last closed one
    elevator_request_of(vote) -> ElevatorRequest | None          # the request whose consent vote it is
    latest_requests(units) -> {unit id: ElevatorRequest}        # latest_request of many 单元 in one query
    elevator_units(community, building_ids=None) -> list[Unit]   # with their buildings and households loaded
    visible_building_ids(user, community) -> list[int]
"""
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from participation.extensions import db
from participation.models import Building, Community, CommunityBudget, ElevatorRequest, Unit, User, Vote
from participation.models.elevators import ACTIVE_ELEVATOR_STATUSES
from participation.permissions import visible_buildings
from participation.reference.locality import current_year


def plan_year(community: Community) -> int:
    """The year whose rules apply: the community budget's plan year, else this year (as the plan inputs do)."""
    year = db.session.scalar(select(CommunityBudget.plan_year).where(CommunityBudget.community_id == community.id))
    return year or current_year()


def active_request(unit: Unit) -> ElevatorRequest | None:
    return db.session.scalar(select(ElevatorRequest).where(ElevatorRequest.unit_id == unit.id,
                                                           ElevatorRequest.status.in_(ACTIVE_ELEVATOR_STATUSES)))


def latest_request(unit: Unit) -> ElevatorRequest | None:
    """The active request, else the last closed one (so a page can say it was withdrawn or decided)."""
    return db.session.scalar(select(ElevatorRequest).where(ElevatorRequest.unit_id == unit.id)
                             .order_by(ElevatorRequest.started_at.desc(), ElevatorRequest.id.desc()).limit(1))


def latest_requests(units: list[Unit]) -> dict[int, ElevatorRequest]:
    """``latest_request`` of each of ``units``, in one query: {unit id: request}; 单元 without one left out."""
    found: dict[int, ElevatorRequest] = {}
    unit_ids = [unit.id for unit in units]
    requests = db.session.scalars(select(ElevatorRequest).where(ElevatorRequest.unit_id.in_(unit_ids))
                                  .order_by(ElevatorRequest.started_at.desc(), ElevatorRequest.id.desc()))
    for request in requests:
        found.setdefault(request.unit_id, request)
    return found


def elevator_request_of(vote: Vote) -> ElevatorRequest | None:
    """The elevator request whose owners' consent vote ``vote`` is, if any."""
    return db.session.scalar(select(ElevatorRequest).where(ElevatorRequest.vote_id == vote.id))


def elevator_units(community: Community, building_ids=None) -> list[Unit]:
    """The community's 单元 marked as able to take an elevator, in roster order (optionally of some buildings)."""
    query = (select(Unit).join(Building).where(Building.community_id == community.id, Unit.elevator_possible)
             .options(contains_eager(Unit.building), selectinload(Unit.households))
             .order_by(Building.sort_key, Unit.sort_key))
    if building_ids is not None:
        query = query.where(Building.id.in_(building_ids))
    return list(db.session.scalars(query))


def visible_building_ids(user: User, community: Community) -> list[int]:
    """The ids of the community's buildings ``user`` may see (a grid worker: their own)."""
    return [building.id for building in db.session.scalars(visible_buildings(user, community))]
