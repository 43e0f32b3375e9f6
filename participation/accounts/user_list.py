"""The staff accounts list under /admin/users as a long list: searched by username or name, 50 a page, read with
LIMIT/OFFSET. The scope is ``can_manage_user``'s, written as SQL so that a page is a page: every account for a
city-wide admin; for a district admin, the accounts whose scope touches their district and no other."""
from sqlalchemy import Select, false, select

from participation.accounts.queries import district_user_ids
from participation.extensions import db
from participation.models import ROLES, Building, Community, User, user_buildings, user_communities
from participation.paging import PAGE_SIZE, ListPage, count, read_page


def _outside_district_ids(district_id: int):
    """A select of the ids of accounts whose scope touches a district other than ``district_id``."""
    own_district = select(User.id).where(User.district_id.is_not(None), User.district_id != district_id)
    in_communities = (select(user_communities.c.user_id)
                      .join(Community, Community.id == user_communities.c.community_id)
                      .where(Community.district_id != district_id))
    in_buildings = (select(user_buildings.c.user_id)
                    .join(Building, Building.id == user_buildings.c.building_id)
                    .join(Community, Community.id == Building.community_id)
                    .where(Community.district_id != district_id))
    return own_district.union(in_communities, in_buildings)


def _managed(actor: User) -> Select:
    query = select(User)
    if actor.role != "admin":
        return query.where(false())
    if actor.district_id is not None:
        query = query.where(User.id.in_(district_user_ids(actor.district_id)),
                            User.id.not_in(_outside_district_ids(actor.district_id)))
    return query


def users_page(actor: User, *, role: str | None = None, text: str = "", page: int = 1,
               per_page: int = PAGE_SIZE) -> ListPage:
    """The accounts ``actor`` manages, by username, narrowed to ``role`` and to those whose username or name holds
    ``text``; one page of ``per_page`` (a page past the end is the last one)."""
    managed = _managed(actor)
    matching = managed
    if role in ROLES:
        matching = matching.where(User.role == role)
    text = (text or "").strip()
    if text:
        matching = matching.where(User.username.icontains(text, autoescape=True)
                                  | User.display_name.icontains(text, autoescape=True))
    everyone = count(managed)
    return read_page(
        lambda offset, limit: list(db.session.scalars(matching.order_by(User.username).offset(offset).limit(limit))),
        total=count(matching) if matching is not managed else everyone, everyone=everyone, page=page,
        per_page=per_page)
