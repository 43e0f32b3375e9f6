"""Questions the roster pages ask of the database, one named function each."""
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, distinct, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from participation.entry.assisted import name_variants
from participation.extensions import db
from participation.paging import PAGE_SIZE, ListPage, count, read_page
from participation.models import Building, Community, Household, HouseholdCode, Unit, User
from participation.permissions import visible_buildings, visible_communities

BUILDING_SUFFIXES = ("号楼", "栋", "幢", "号", "#")
UNIT_SUFFIXES = ("单元",)
ROOM_SUFFIXES = ("室", "号")
PHONE_TAIL = 4   # only a phone's last four digits are searched: a longer number would confirm a full phone
# "3号楼2单元502室" → "3号楼 2单元 502室": each part a word of its own
_SPLIT_AFTER = re.compile(r"(号楼|栋|幢|#|单元|室)(?=\S)")
_DASHED = re.compile(r"^([0-9A-Za-z]+)[-/－—]([0-9A-Za-z]+)(?:[-/－—]([0-9A-Za-z]+))?$")


def communities_seen_by(user: User) -> list[Community]:
    """The communities ``user`` may see, in the order ``visible_communities`` gives them."""
    return db.session.scalars(visible_communities(user)).all()


@dataclass(frozen=True)
class RosterFilters:
    """What the roster page was asked for: words typed (``text``), a building or 单元 (``place``: "b:<id>" or
    "u:<id>"), the occupancy, whether a phone is on file and whether a live code was issued ("yes"/"no"/"")."""
    text: str = ""
    place: str = ""
    occupancy: str = ""
    phone: str = ""
    code: str = ""

    @property
    def any(self) -> bool:
        return any((self.text, self.place, self.occupancy, self.phone, self.code))


def _words(text: str) -> list[str]:
    """What was typed, in words: full-width characters folded (NFKC), "3号楼2单元502室" split after each suffix."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    return _SPLIT_AFTER.sub(r"\1 ", text).split()


def _word_condition(word: str):
    """One typed word: a building ("3号楼", "3栋", "3#"), a 单元 ("2单元"), a room ("502室"), "3-2-502" for all three,
    or a bare word that may be a room, part of a contact name or a phone's last four digits."""
    dashed = _DASHED.match(word)
    if dashed:
        building, unit, room = dashed.groups()
        parts = [Building.name.in_(name_variants(building, BUILDING_SUFFIXES)),
                 Unit.name.in_(name_variants(unit, UNIT_SUFFIXES))]
        if room:
            parts.append(Household.room.in_(name_variants(room, ROOM_SUFFIXES)))
        return parts
    if word.endswith(UNIT_SUFFIXES) and len(word) > 2:
        return [Unit.name.in_(name_variants(word, UNIT_SUFFIXES))]
    if word.endswith(("号楼", "栋", "幢", "#")) and len(word) > 1:
        return [Building.name.in_(name_variants(word.rstrip("#"), BUILDING_SUFFIXES) | {word})]
    if word.endswith("室") and len(word) > 1:
        return [Household.room.in_(name_variants(word, ROOM_SUFFIXES))]
    either = [Household.room.in_(name_variants(word, ROOM_SUFFIXES)),
              Household.contact_name.icontains(word, autoescape=True)]
    if len(word) == PHONE_TAIL and word.isascii() and word.isdigit():
        either.append(Household.phone.endswith(word))
    return [or_(*either)]


def _place_condition(place: str):
    """"b:<id>" a building, "u:<id>" a 单元; anything else no condition (the households are already scoped)."""
    kind, _, number = (place or "").partition(":")
    if not number.isdigit() or len(number) > 12:
        return None
    if kind == "b":
        return Building.id == int(number)
    if kind == "u":
        return Unit.id == int(number)
    return None


def _has_code():
    return exists().where(HouseholdCode.household_id == Household.id, HouseholdCode.revoked_at.is_(None))


def _visible_households(user: User, community: Community) -> Select:
    allowed = visible_buildings(user, community).with_only_columns(Building.id)
    return (select(Household).join(Household.unit).join(Unit.building)
            .where(Building.community_id == community.id, Building.id.in_(allowed)))


def _filtered(query: Select, filters: RosterFilters) -> Select:
    for word in _words(filters.text):
        query = query.where(*_word_condition(word))
    place = _place_condition(filters.place)
    if place is not None:
        query = query.where(place)
    if filters.occupancy:
        query = query.where(Household.occupancy == filters.occupancy)
    if filters.phone in ("yes", "no"):
        has_phone = (Household.phone.is_not(None)) & (Household.phone != "")
        query = query.where(has_phone if filters.phone == "yes" else ~has_phone)
    if filters.code in ("yes", "no"):
        query = query.where(_has_code() if filters.code == "yes" else ~_has_code())
    return query


def roster_page(user: User, community: Community, filters: RosterFilters, *, page: int = 1,
                per_page: int = PAGE_SIZE) -> ListPage:
    """The households of ``community`` that ``user`` may see (a grid worker: their buildings) and ``filters`` keep,
    in roster order (building, 单元, room), one page of ``per_page`` read with LIMIT/OFFSET; a page past the end is
    the last page. Its rows are (household, has a live code) pairs."""
    visible = _visible_households(user, community)
    matching = _filtered(visible, filters)
    everyone = count(visible)

    def read(offset: int, limit: int) -> list:
        rows = db.session.execute(
            matching.add_columns(_has_code().label("has_code"))
            .options(contains_eager(Household.unit).contains_eager(Unit.building))
            .order_by(Building.sort_key, Unit.sort_key, Household.sort_key, Household.id)
            .offset(offset).limit(limit)).all()
        return [(household, bool(has_code)) for household, has_code in rows]

    return read_page(read, total=count(matching) if filters.any else everyone, everyone=everyone, page=page,
                     per_page=per_page)


def roster_places(user: User, community: Community) -> list[tuple[Building, list[Unit]]]:
    """The buildings ``user`` sees in ``community``, each with its 单元, for the page's building/单元 choice."""
    buildings = db.session.scalars(visible_buildings(user, community)).all()
    units = db.session.scalars(select(Unit).where(Unit.building_id.in_([b.id for b in buildings]))
                               .order_by(Unit.sort_key)).all() if buildings else []
    by_building = {}
    for unit in units:
        by_building.setdefault(unit.building_id, []).append(unit)
    return [(building, by_building.get(building.id, [])) for building in buildings]


def communities_page(user: User, *, text: str = "", status: str = "", page: int = 1,
                     per_page: int = PAGE_SIZE) -> ListPage:
    """The communities ``user`` sees, by code, narrowed to those whose code or name holds ``text`` and to the stage
    ``status``; one page read with LIMIT/OFFSET, its buildings, 单元 and households counted for that page only."""
    visible = visible_communities(user)
    matching = visible
    text = unicodedata.normalize("NFKC", text or "").strip()
    if text:
        matching = matching.where(Community.code.icontains(text, autoescape=True)
                                  | Community.name.icontains(text, autoescape=True))
    if status:
        matching = matching.where(Community.status == status)

    everyone = count(visible)

    def read(offset: int, limit: int) -> list:
        communities = list(db.session.scalars(matching.offset(offset).limit(limit)))
        counts = {}
        if communities:
            counts = {community_id: (buildings, units, households) for community_id, buildings, units, households in
                      db.session.execute(
                          select(Building.community_id, func.count(distinct(Building.id)),
                                 func.count(distinct(Unit.id)), func.count(Household.id))
                          .select_from(Building).outerjoin(Unit).outerjoin(Household)
                          .where(Building.community_id.in_([c.id for c in communities]))
                          .group_by(Building.community_id))}
        return [dict(zip(("buildings", "units", "households"), counts.get(community.id, (0, 0, 0))),
                     community=community) for community in communities]

    return read_page(read, total=count(matching) if matching is not visible else everyone, everyone=everyone,
                     page=page, per_page=per_page)
