"""What the vote pages ask of the database, one question a function (the views build no queries).

    votes_of(community) -> list[Vote]                            # the staff list, newest first
    votes_for(household, statuses=...) -> list[Vote]             # the votes whose scope holds a household
    in_scope(vote, household) -> bool
    household_ids_in_scope(vote) -> set[int]
    plan_vote_items(community) -> list[PlanItem]                 # the plan items an owner vote decides
    ballot_counts_by_channel(vote) -> dict[str, int]
    ballots_of_households(vote, households) -> dict[int, Ballot]
    ballot_of(vote, household) -> Ballot | None                  # the ballot counted for the household's owner
    shaft_owner_of(vote, household) -> ElevatorShaftOwner | None
"""
from sqlalchemy import select

from participation.elevators.queries import elevator_request_of
from participation.extensions import db
from participation.models import Ballot, ElevatorShaftOwner, Household, PlanItem, Vote
from participation.plans.operations import latest_version, plan_for
from participation.votes.forms import BALLOT_CHANNEL_LABELS
from participation.votes.operations import households_in_scope, register_owner


def votes_of(community) -> list[Vote]:
    """Every vote of the community, newest first."""
    return list(db.session.scalars(select(Vote).where(Vote.community_id == community.id)
                                   .order_by(Vote.created_at.desc(), Vote.id.desc())))


def in_scope(vote: Vote, household: Household) -> bool:
    return db.session.scalar(households_in_scope(vote).where(Household.id == household.id)
                             .with_only_columns(Household.id)) is not None


def votes_for(household: Household, statuses=("open", "preliminary", "final")) -> list[Vote]:
    """The votes of the household's community whose scope holds it, newest first."""
    candidates = db.session.scalars(
        select(Vote).where(Vote.community_id == household.community.id, Vote.status.in_(statuses))
        .order_by(Vote.created_at.desc(), Vote.id.desc())).all()
    return [vote for vote in candidates if in_scope(vote, household)]


def household_ids_in_scope(vote: Vote) -> set[int]:
    return set(db.session.scalars(households_in_scope(vote).with_only_columns(Household.id)))


def plan_vote_items(community) -> list[PlanItem]:
    """The items of the community's newest plan version whose suggestion is an owner vote ("needs_vote"), in the
    plan's order; none without a plan."""
    version = latest_version(plan_for(community))
    if version is None:
        return []
    return [plan_item for plan_item in version.items if plan_item.suggestion == "needs_vote"]


def ballot_counts_by_channel(vote: Vote) -> dict[str, int]:
    """Ballots by channel (not by choice: safe to show while tallies are hidden)."""
    rows = db.session.execute(select(Ballot.channel).where(Ballot.vote_id == vote.id)).scalars().all()
    return {channel: rows.count(channel) for channel in BALLOT_CHANNEL_LABELS if rows.count(channel)}


def ballots_of_households(vote: Vote, households) -> dict[int, Ballot]:
    """The ballot counted for each household (its owner's in the register), by household id. The page shows a
    choice only when tallies are not hidden: staff chasing the quorum see who voted, never how (DESIGN §4)."""
    owners = {household.id: register_owner(vote, household) for household in households}
    by_owner = {ballot.owner: ballot for ballot in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.owner.in_(set(owners.values()) - {None})))}
    return {household_id: by_owner[owner] for household_id, owner in owners.items() if owner in by_owner}


def ballot_of(vote: Vote, household: Household) -> Ballot | None:
    """The ballot counted for the household's owner in the vote's register, if cast."""
    return db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id,
                                                  Ballot.owner == register_owner(vote, household)))


def shaft_owner_of(vote: Vote, household: Household) -> ElevatorShaftOwner | None:
    """When ``vote`` is an elevator consent vote and the shaft would occupy part of ``household``'s home: its mark,
    with the owner's own consent (None until given) — needed besides the vote."""
    elevator_request = elevator_request_of(vote)
    if elevator_request is None:
        return None
    return next((owner for owner in elevator_request.shaft_owners if owner.household_id == household.id), None)
