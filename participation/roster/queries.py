"""Questions the roster pages ask of the database, one named function each."""
from participation.extensions import db
from participation.models import Community, User
from participation.permissions import visible_communities


def communities_seen_by(user: User) -> list[Community]:
    """The communities ``user`` may see, in the order ``visible_communities`` gives them."""
    return db.session.scalars(visible_communities(user)).all()
