"""What the account pages read: the accounts an admin manages, the scope they may give, the organisations."""
from sqlalchemy import or_, select

from participation.extensions import db
from participation.models import (ROLES, Building, Community, District, JointReviewParty, Organisation, PipelineWork,
                                  User, user_buildings, user_communities)
from participation.permissions import can_manage_user, visible_communities


def manageable_users(actor: User, role: str | None = None) -> list[User]:
    """The accounts ``actor`` may manage, by username: all for a city-wide admin, else those of their district."""
    query = select(User).order_by(User.username)
    if role in ROLES:
        query = query.where(User.role == role)
    if actor.district_id is not None:
        query = query.where(User.id.in_(district_user_ids(actor.district_id)))
    return [user for user in db.session.scalars(query) if can_manage_user(actor, user)]


def district_user_ids(district_id: int):
    """A select of the ids of accounts whose scope touches the district (its district, communities, buildings)."""
    in_communities = (select(user_communities.c.user_id)
                      .join(Community, Community.id == user_communities.c.community_id)
                      .where(Community.district_id == district_id))
    in_buildings = (select(user_buildings.c.user_id)
                    .join(Building, Building.id == user_buildings.c.building_id)
                    .join(Community, Community.id == Building.community_id)
                    .where(Community.district_id == district_id))
    return select(User.id).where(User.district_id == district_id).union(in_communities, in_buildings)


# --- the scope an admin may give --------------------------------------------------------------------------------

def districts_offered(actor: User) -> list[District]:
    """Every district, by name, for a city-wide admin; a district admin's own district otherwise."""
    if actor.district_id is None:
        return list(db.session.scalars(select(District).order_by(District.name)))
    return [actor.district]


def communities_offered(actor: User) -> list[Community]:
    """The communities ``actor`` sees, by code: the ones they may put in an account's scope."""
    return list(db.session.scalars(visible_communities(actor)))


def buildings_of(community_ids) -> list[Building]:
    """The buildings of these communities, community by community in roster order."""
    community_ids = set(community_ids)
    if not community_ids:
        return []
    return list(db.session.scalars(select(Building).where(Building.community_id.in_(community_ids))
                                   .order_by(Building.community_id, Building.sort_key)))


def chosen_scope(district_id: int | None, community_ids, building_ids, organisation_id: int | None) -> dict:
    """The scope picked in a form as objects (the form offered only allowed ids)."""
    return {
        "district": db.session.get(District, district_id) if district_id else None,
        "communities": [db.session.get(Community, pk) for pk in community_ids or []],
        "buildings": [db.session.get(Building, pk) for pk in building_ids or []],
        "organisation": db.session.get(Organisation, organisation_id) if organisation_id else None,
    }


# --- organisations ----------------------------------------------------------------------------------------------

def organisations_by_name() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def organisations_by_kind() -> list[Organisation]:
    """The organisations list: by kind, then name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)))


def organisation_in_use(organisation: Organisation) -> bool:
    """Whether an account belongs to it, a community's works are assigned to it, or it took part in a joint review
    or entered pipeline works (then it stays on record)."""
    users = select(User.id).where(User.organisation_id == organisation.id)
    works = select(Community.id).where(or_(Community.contractor_id == organisation.id,
                                           Community.supervisor_id == organisation.id))
    reviews = select(JointReviewParty.id).where(JointReviewParty.organisation_id == organisation.id)
    pipeline = select(PipelineWork.id).where(PipelineWork.organisation_id == organisation.id)
    return any(db.session.scalar(query.limit(1)) is not None for query in (users, works, reviews, pipeline))
