"""The organiser's view of communities: listing with counts, the roster tree, the community record, phone reveals."""
import logging
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import label
from participation.models import Building, Community, District, Household, Organisation, Unit, User
from participation.permissions import visible_buildings, visible_communities
from participation.reference.seed import default_locality

logger = logging.getLogger(__name__)

# Not ``status``: the stage moves only through ``participation.lifecycle.operations.advance`` and its gates.
EDITABLE_FIELDS = ("name", "address", "year_built", "quality_hotline", "supervisor_hotline", "community_hotline",
                   "contractor", "supervisor", "lat", "long")


class CommunityError(Refused):
    """A refused change to a community record; the message is shown to the user (above the form)."""


def addable_districts(actor: User | None) -> list[District]:
    """Districts the actor may add new communities to: every one for the system and city-wide admins, else their
    own district for admins and organisers; none for anyone else (they only update what they are given)."""
    every = select(District).order_by(District.id)
    if actor is None or (actor.role == "admin" and actor.district_id is None):
        return list(db.session.scalars(every))
    if actor.role in ("admin", "organiser") and actor.district_id is not None:
        return list(db.session.scalars(every.where(District.id == actor.district_id)))
    return []


def ensure_district(name: str) -> District:
    """The district called ``name``, created under the default locality when there is none (the CLI's --district)."""
    district = db.session.scalar(select(District).where(District.name == name).order_by(District.id))
    if district is None:
        locality = default_locality()
        if locality is None:
            raise CommunityError(_("No city is set up yet. Run flask seed-reference first."))
        district = District(locality_id=locality.id, name=name)
        db.session.add(district)
        db.session.flush()
    return district


def community_summaries(user: User) -> list[dict]:
    """The communities ``user`` sees, each with its numbers of buildings, units and households (one query)."""
    communities = list(db.session.scalars(visible_communities(user)))
    ids = [community.id for community in communities]
    counts = {}
    if ids:
        counts = {community_id: (buildings, units, households) for community_id, buildings, units, households in
                  db.session.execute(
                      select(Building.community_id, func.count(distinct(Building.id)), func.count(distinct(Unit.id)),
                             func.count(Household.id))
                      .select_from(Building).outerjoin(Unit).outerjoin(Household)
                      .where(Building.community_id.in_(ids)).group_by(Building.community_id))}
    return [{"community": community, "buildings": counts.get(community.id, (0, 0, 0))[0],
             "units": counts.get(community.id, (0, 0, 0))[1], "households": counts.get(community.id, (0, 0, 0))[2]}
            for community in communities]


def community_by_code(code: str) -> Community | None:
    return db.session.scalar(select(Community).where(Community.code == code))


def roster_tree(user: User | None, community: Community) -> list[Building]:
    """The buildings ``user`` may see in ``community`` (all of them for the system), units and households loaded
    in three queries."""
    query = (visible_buildings(user, community) if user is not None else
             select(Building).where(Building.community_id == community.id).order_by(Building.sort_key))
    return list(db.session.scalars(query.options(selectinload(Building.units).selectinload(Unit.households))))


def organisations_of_kind(kind: str) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.kind == kind)
                                   .order_by(Organisation.name)))


def update_community(actor: User, community: Community, **fields) -> list[str]:
    """Change the community record; return the names of the fields that changed (audited with old and new)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise CommunityError(f"not editable: {', '.join(sorted(unknown))}")
    for role, kind in (("contractor", "contractor"), ("supervisor", "supervisor")):
        chosen = fields.get(role)
        if chosen is not None and chosen.kind != kind:
            raise CommunityError(_("%(name)s is not a %(kind)s.", name=chosen.name,
                                    kind=label("organisation_kind", kind)))
    if "name" in fields and not (fields["name"] or "").strip():
        raise CommunityError(_("A community needs a name."))
    changes = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        old = getattr(community, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(community, name, value)
    if changes:
        db.session.flush()
        record(actor, "community.update", community, community=community, changes=changes)
    return sorted(changes)


def _audit_value(value):
    if isinstance(value, Decimal):   # coordinates: JSON has no decimals
        return str(value)
    return value.name if isinstance(value, Organisation) else value


def reveal_phone(actor: User, household: Household, *, channel: str = "web") -> str | None:
    """The household's full phone number; the caller has checked can_reveal_phone. Every reveal is audited."""
    community = household.unit.building.community
    record(actor, "household.phone_reveal", household, community=community, channel=channel)
    db.session.flush()
    return household.phone
