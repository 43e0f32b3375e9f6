"""Staff-assisted mode: grid workers, organisers and hotline staff act for a household that cannot (or would rather
not) use a phone — on the phone, on paper, door to door or through the hotline. Every action records the channel
and the staff member on the household (its residents see them) and in the audit log.
"""
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.models import CHANNELS, Building, Community, Household, HouseholdActivity, Unit, User
from participation.permissions import visible_buildings

# Every channel but the resident's own: the ones staff act through.
ASSIST_CHANNELS = tuple(channel for channel in CHANNELS if channel != "web")
# Where the staff member is with the person (door to door, or at the office with their paper): an owner's ballot may
# be entered after the owner's ID card was checked. On the phone or the hotline it never may (DESIGN §4).
IN_PERSON_CHANNELS = ("door_to_door", "paper")
SEARCH_LIMIT = 60


class AssistError(Refused):
    """A refused assisted action; the message is shown to the staff member."""


def name_variants(typed: str, suffixes: tuple[str, ...]) -> set[str]:
    """What a roster may hold for a typed 楼栋/单元/房号: "3", "3号楼" and "3栋" all mean building 3."""
    typed = typed.strip()
    bare = typed
    for suffix in suffixes:
        if bare.endswith(suffix) and len(bare) > len(suffix):
            bare = bare[: -len(suffix)]
            break
    return {typed, bare} | {bare + suffix for suffix in suffixes}


def find_households(user: User, community: Community, *, building: str = "", unit: str = "",
                    room: str = "") -> list[Household]:
    """Households of ``community`` in the buildings ``user`` may see, narrowed by what was typed, in roster order."""
    allowed = visible_buildings(user, community).with_only_columns(Building.id)
    query = (select(Household).join(Household.unit).join(Unit.building)
             .where(Building.id.in_(allowed))
             .order_by(Building.sort_key, Unit.sort_key, Household.sort_key).limit(SEARCH_LIMIT))
    if building.strip():
        query = query.where(Building.name.in_(name_variants(building, ("号楼", "栋", "幢", "号"))))
    if unit.strip():
        query = query.where(Unit.name.in_(name_variants(unit, ("单元",))))
    if room.strip():
        query = query.where(Household.room.in_(name_variants(room, ("室", "号"))))
    return db.session.scalars(query).all()


def ballot_channel(channel: str) -> str:
    """The true channel of an owner ballot entered while acting through ``channel``: "in_person", or "phone" (which
    ``ballots.cast_ballot`` refuses)."""
    return "in_person" if channel in IN_PERSON_CHANNELS else "phone"


def start_assisting(actor: User, household: Household, channel: str) -> HouseholdActivity:
    """Open the household to act for it through ``channel``; the household's page lists this, with who did it."""
    if channel not in ASSIST_CHANNELS:
        raise AssistError(channel)
    activity = HouseholdActivity(household_id=household.id, action="assist.start", channel=channel,
                                 staff_id=actor.id)
    db.session.add(activity)
    record(actor, "household.assist", household, community=household.community, channel=channel)
    db.session.flush()
    return activity
