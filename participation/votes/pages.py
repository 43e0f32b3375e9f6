"""What the staff vote pages (``votes.views`` and ``votes.paper_views``) share: their one blueprint, "votes" (so every
endpoint keeps its name, votes.show as votes.paper), how they load the community and the vote, and the words for
areas and headcounts every vote template uses."""
from flask import Blueprint, abort

from participation.extensions import db
from participation.guards import staff_community
from participation.models import Vote
from participation.permissions import COMMUNITY_MANAGERS, DECISION_READERS
from participation.votes.words import area_words, owners_words

bp = Blueprint("votes", __name__)
# Every vote page, the resident's and the notice included, writes areas and headcounts the one way.
bp.add_app_template_global(area_words, "vote_area")
bp.add_app_template_global(owners_words, "vote_owners")


def vote_community(community_code: str, roles=DECISION_READERS):
    """Readers see a vote; running it (``roles`` within COMMUNITY_MANAGERS) needs the community to be theirs to run."""
    return staff_community(community_code, roles=roles, manage=set(roles) <= set(COMMUNITY_MANAGERS))


def community_vote(community, vote_id: int) -> Vote:
    """The vote, 404 unless it is ``community``'s."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.community_id != community.id:
        abort(404)
    return vote
