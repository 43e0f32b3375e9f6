"""Steps tests take to pass the plan's gates honestly (participation.plans.gates): show a version for comment and
close the period (answering the objections), finish an owner vote on some items, complete the joint review."""
from datetime import timedelta

from sqlalchemy import select

from participation.extensions import db
from participation.models import JointReview, PlanComment, PlanVersion, Vote
from participation.models.types import utcnow
from participation.plans import comments
from participation.plans.operations import today
from participation.plans.vote_items import link_items
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, create_vote, finalise


def comment_round(actor, version: PlanVersion, *, answer: str | None = "已研究，按方案实施。"):
    """Publish ``version`` for comment (7 days from today), close the period now and answer every objection."""
    period = comments.period_for(version) or comments.publish(actor, version, today(), today() + timedelta(days=6))
    if period.state(today()) != "closed":
        comments.close(actor, period)
    if answer:
        for comment in db.session.scalars(select(PlanComment).where(PlanComment.period_id == period.id,
                                                                    PlanComment.stance == "object",
                                                                    PlanComment.answer.is_(None))):
            comments.answer(actor, comment, answer)
    return period


def review_done(version: PlanVersion) -> JointReview:
    """The joint review of the adopted ``version`` is complete (the contract: ``closed_at`` is set)."""
    review = db.session.scalar(select(JointReview).where(JointReview.version_id == version.id))
    if review is None:
        review = JointReview(version_id=version.id)
        db.session.add(review)
    review.closed_at = utcnow()
    db.session.flush()
    return review


def households(community) -> list:
    return sorted((household for building in community.buildings for unit in building.units
                   for household in unit.households), key=lambda household: household.id)


def open_item_vote(organiser, community, matter: int, title: str, items) -> Vote:
    vote = create_vote(organiser, community, matter, title, closes_at=utcnow() + timedelta(days=10), open_now=True)
    if items:
        link_items(organiser, vote, items)
    return vote


def finish_vote(vote: Vote, organiser, owner_rep, *, yes_share: float) -> Vote:
    """Every owner of the community votes (paper ballots; ``yes_share`` of them yes), the objection period ends, the
    owner representative co-signs and the result is final."""
    homes = households(vote.community)
    yes = round(len(homes) * yes_share)
    for index, household in enumerate(homes):
        cast_ballot(vote, household, "yes" if index < yes else "no", "paper", organiser)
    close_vote(organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(owner_rep, vote)
    return finalise(organiser, vote)
