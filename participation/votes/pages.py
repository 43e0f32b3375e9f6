"""What the staff vote pages (``votes.views`` and ``votes.paper_views``) share: their one blueprint, "votes" (so every
endpoint keeps its name, votes.show as votes.paper), and how they load the community and the vote."""
from flask import Blueprint, abort

from participation.extensions import db
from participation.guards import staff_community
from participation.models import Vote
from participation.permissions import COMMUNITY_MANAGERS, DECISION_READERS

bp = Blueprint("votes", __name__)


def vote_community(community_code: str, roles=DECISION_READERS):
    """Readers see a vote; running it (``roles`` within COMMUNITY_MANAGERS) needs the community to be theirs to run."""
    return staff_community(community_code, roles=roles, manage=set(roles) <= set(COMMUNITY_MANAGERS))


def community_vote(community, vote_id: int) -> Vote:
    """The vote, 404 unless it is ``community``'s."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.community_id != community.id:
        abort(404)
    return vote
