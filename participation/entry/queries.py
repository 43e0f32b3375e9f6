"""What the entry pages read besides the household's own (``residents``, ``operations.recent_activities``)."""
from participation.extensions import db
from participation.models import Community, User
from participation.permissions import visible_communities


def communities_to_search(user: User) -> list[Community]:
    """The communities a staff member may look for a household in, by code."""
    return list(db.session.scalars(visible_communities(user)))
