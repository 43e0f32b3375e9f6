"""Who may see and do what: named predicates over a staff user and the roster.

Scopes: an admin or hotline user with no district sees the whole city, otherwise their district; an organiser sees
their district or listed communities; an owner representative their listed communities; a grid worker their listed
buildings; an agency the communities whose works their organisation does or whose plan in force its organisation
reviews jointly (联合共审), plus any listed ones.
"""
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, or_, select

from participation.extensions import db, login_manager
from participation.models import (Building, Community, Household, JointReview, JointReviewParty, Plan, PlanVersion,
                                  User, user_buildings, user_communities)

STAFF_ROLES = ("admin", "organiser", "owner_rep", "grid", "hotline", "agency")
PHONE_REVEAL_ROLES = ("admin", "organiser", "grid", "hotline")

# Who may open which pages: each name is the set of roles a page's ``role_required`` lets in, before the scope checks
# below narrow it to the user's communities. One name per set of roles.
# Run a community: roster import, plans, votes, elevators, after-care, acceptance, surveys (builder, XLSForm, import).
COMMUNITY_MANAGERS = ("admin", "organiser")
# Roster, plans and their comments, survey results: all built on households, which agencies never see.
HOUSEHOLD_READERS = ("admin", "organiser", "owner_rep", "grid", "hotline")
ELEVATOR_AND_AFTERCARE_READERS = ("admin", "organiser", "owner_rep", "grid")
# Votes, surveys in the builder, the community and city dashboards.
DECISION_READERS = ("admin", "organiser", "owner_rep")
VOTE_COSIGNERS = ("owner_rep",)
ACCEPTANCE_READERS = ("admin", "organiser", "owner_rep", "hotline", "agency")
ACCEPTANCE_SIGNERS = ("organiser", "owner_rep", "agency")
# Take complaints in and dispatch them.
TICKET_DESK = ("admin", "organiser", "hotline")
# The ticket queue, the bulletin and rates, and the ticket figures on a community dashboard.
TICKET_READERS = TICKET_DESK + ("agency",)
# Open311's 待定位: an unplaced report is in nobody's communities yet.
UNPLACED_REPORT_HANDLERS = ("admin", "hotline")
PATROL_READERS = TICKET_READERS + ("owner_rep",)
PATROL_FILERS = ("agency", "owner_rep")
SLIP_PRINTERS = ("admin", "organiser", "grid")
# Act for a household in staff-assisted mode.
ASSISTED_ENTRY_HELPERS = ("organiser", "grid", "hotline")
# Roles whose account is scoped by a district or by nothing: with no district, the whole city (every ticket).
CITY_WIDE_ROLES = ("admin", "hotline")
# Who at the ticket desk may see a caller's full phone number (each reveal audited).
DESK_PHONE_REVEALERS = tuple(role for role in PHONE_REVEAL_ROLES if role in TICKET_DESK)
# Organisations that do the works: tickets are dispatched to them, and of all agencies only they read acceptance.
WORKS_AGENCY_KINDS = ("contractor", "supervisor")
# Joint review (联合共审): the kinds of organisation a locality lists as reviewers; pipeline companies among them also
# record their own works. Readers of a community's review (an agency only as a listed party); those who sign off.
REVIEW_PARTY_KINDS = ("department", "pipeline")
PIPELINE_WORKS_KINDS = ("pipeline",)
JOINT_REVIEW_READERS = ("admin", "organiser", "owner_rep", "agency")
JOINT_REVIEW_SIGNERS = ("agency",)


def visible_communities(user: User) -> Select:
    """A select of the communities ``user`` may see, ordered by code."""
    query = select(Community).order_by(Community.code)
    if user.role in ("admin", "hotline") and user.district_id is None:
        return query
    conditions = []
    if user.district_id is not None and user.role in ("admin", "hotline", "organiser"):
        conditions.append(Community.district_id == user.district_id)
    listed = select(user_communities.c.community_id).where(user_communities.c.user_id == user.id)
    conditions.append(Community.id.in_(listed))
    if user.role == "grid":
        via_buildings = (select(Building.community_id)
                         .join(user_buildings, user_buildings.c.building_id == Building.id)
                         .where(user_buildings.c.user_id == user.id))
        conditions.append(Community.id.in_(via_buildings))
    if user.role == "agency" and user.organisation_id is not None:
        conditions.append(or_(Community.contractor_id == user.organisation_id,
                              Community.supervisor_id == user.organisation_id,
                              Community.id.in_(reviewed_communities(user.organisation_id))))
    return query.where(or_(*conditions))


def reviewed_communities(organisation_id: int) -> Select:
    """Ids of the communities whose plan in force has a joint review (open or closed) listing the organisation: a
    department or pipeline company sees them while it signs off and, after, while its works go on."""
    return (select(Plan.community_id)
            .join(PlanVersion, PlanVersion.plan_id == Plan.id)
            .join(JointReview, JointReview.version_id == PlanVersion.id)
            .join(JointReviewParty, JointReviewParty.review_id == JointReview.id)
            .where(PlanVersion.status == "adopted", JointReviewParty.organisation_id == organisation_id))


def visible_buildings(user: User, community: Community) -> Select:
    """Buildings of ``community`` the user may see: all of them, or a grid worker's own."""
    query = select(Building).where(Building.community_id == community.id).order_by(Building.sort_key)
    if user.role == "grid" and not _lists_community(user, community):
        listed = select(user_buildings.c.building_id).where(user_buildings.c.user_id == user.id)
        query = query.where(Building.id.in_(listed))
    return query


def _lists_community(user: User, community: Community) -> bool:
    return any(listed.id == community.id for listed in user.communities)


def can_view_community(user: User, community: Community) -> bool:
    return db.session.scalar(visible_communities(user).where(Community.id == community.id)) is not None


def can_manage_community(user: User, community: Community) -> bool:
    """Edit the community's record, its roster, codes and field survey."""
    return user.role in ("admin", "organiser") and can_view_community(user, community)


def can_record_field_survey(user: User, community: Community) -> bool:
    if user.role == "agency":
        return (user.organisation is not None and user.organisation.kind == "pipeline"
                and can_view_community(user, community))
    return can_manage_community(user, community)


def uses_field_survey(user: User) -> bool:
    """Roles that have the field survey at all (others get 403 wherever the community is)."""
    if user.role == "agency":
        return user.organisation is not None and user.organisation.kind == "pipeline"
    return user.role in ("admin", "organiser", "owner_rep", "grid")


def can_view_field_survey(user: User, community: Community) -> bool:
    """Recorders, plus owner representatives and grid workers in scope, who read it."""
    if user.role in ("owner_rep", "grid"):
        return can_view_community(user, community)
    return can_record_field_survey(user, community)


def can_view_building(user: User, building: Building) -> bool:
    if user.role == "grid":
        return _lists_community(user, building.community) or any(b.id == building.id for b in user.buildings)
    return user.role != "agency" and can_view_community(user, building.community)


def can_view_household(user: User, household: Household) -> bool:
    """See the household in the roster (masked phone); agencies never see households."""
    return user.role != "agency" and can_view_building(user, household.unit.building)


def can_act_for_household(user: User, household: Household) -> bool:
    """Staff-assisted mode: enter answers and requests on the household's behalf."""
    return user.role in ("organiser", "grid", "hotline") and can_view_household(user, household)


def can_reveal_phone(user: User, household: Household) -> bool:
    """Who needs the number to call residents back; every reveal is audited."""
    return user.role in PHONE_REVEAL_ROLES and can_view_household(user, household)


def can_issue_codes(user: User, community: Community) -> bool:
    return can_manage_community(user, community)


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role == "admin"


def role_required(*roles: str):
    """View decorator: staff in one of ``roles`` (any staff when empty); anonymous users go to the login page."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# --- administration (accounts, locality rules) ---

def scope_district_ids(district, communities, buildings) -> set[int]:
    """The districts an account's scope touches; empty for a city-wide or unscoped account."""
    ids = {district.id} if district is not None else set()
    ids |= {community.district_id for community in communities}
    ids |= {building.community.district_id for building in buildings}
    return ids


def can_manage_user(actor: User, target: User) -> bool:
    """A city-wide admin manages every account; a district admin those whose scope lies wholly in the district."""
    if actor.role != "admin":
        return False
    if actor.district_id is None:
        return True
    return scope_district_ids(target.district, target.communities, target.buildings) == {actor.district_id}


def can_manage_locality(user: User, locality) -> bool:
    """City-wide admins edit every locality's rules; a district admin those of the district's own locality."""
    if user.role != "admin":
        return False
    return user.district_id is None or user.district.locality_id == locality.id


# --- roster ---

def can_export_roster(user: User, community: Community) -> bool:
    """A whole roster in one file: those who run the community, and owner representatives (phones masked)."""
    return user.role in ("admin", "organiser", "owner_rep") and can_view_community(user, community)


def can_reveal_phones_of(user: User, community: Community) -> bool:
    """can_reveal_phone for every household the user sees in ``community`` at once (an export)."""
    return user.role in PHONE_REVEAL_ROLES and can_view_community(user, community)


# --- survey results ---

def can_view_survey_results(user: User, community: Community) -> bool:
    """Aggregated results and the follow-up list: staff who see the community's households (never agencies)."""
    return user.role != "agency" and can_view_community(user, community)


def can_export_survey_responses(user: User, community: Community) -> bool:
    """Every household's answers in one file: those who run the community."""
    return can_manage_community(user, community)
