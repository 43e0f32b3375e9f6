"""Roster import (调查摸底): the columns of DESIGN §8, every row validated (``participation.roster.rows``),
all-or-nothing.

A re-import updates by natural key (小区编码 → 楼栋 → 单元 → 房号). Households missing from the file are kept and
counted, never deleted: a partial file must not wipe a community's answers and ballots.
"""
import hmac
import logging
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.keyring import ID_TAIL, current_ring
from participation.labels import mask_phone
from participation.logs import logs_refusals
from participation.models import Building, Community, District, Household, Unit, User
from participation.permissions import can_manage_community
from participation.reference.seed import default_locality
from participation.roster.communities import addable_districts, ensure_district
from participation.roster.files import FIELD_OF, RosterImportError, RosterTable, natural_key, read_roster_file
from participation.roster.rows import Problems, RosterRow, check_headers, parse_rows
from participation.signals import household_areas_changed

logger = logging.getLogger(__name__)


def _id_tail_message(community_code: str, tail: str) -> str:
    return f"{community_code}:{unicodedata.normalize('NFKC', tail).strip().upper()}"


def id_tail_hash(community_code: str, tail: str, version: int | None = None) -> str:
    """Keyed hash of an owner's ID-number tail under ``version`` of the key ring (the current one by default). Six
    characters are easy to enumerate, so an unkeyed or merely salted hash would fall to anyone holding the database;
    the key lives outside it. Deterministic, so a re-import of the same tail is recognised as unchanged and owner
    verification is a few comparisons (one per version the ring holds)."""
    return ID_TAIL.digest(_id_tail_message(community_code, tail), version)


def set_id_tail(household: Household, community_code: str, tail: str) -> None:
    """Store the tail's hash under the current version, with that version."""
    version = current_ring().current
    household.owner_id_tail_hash = id_tail_hash(community_code, tail, version)
    household.owner_id_tail_key_version = version


def id_tail_matches(household: Household, community_code: str, tail: str) -> bool:
    """Whether ``tail`` is the owner's, under whichever version the stored hash was made with. A match under an
    older version re-hashes it with the current key (committed with the verification)."""
    stored = household.owner_id_tail_hash
    if stored is None:
        return False
    version = next((version for digest, version in ID_TAIL.digests(_id_tail_message(community_code, tail)).items()
                    if hmac.compare_digest(stored, digest)), None)
    if version is None:
        return False
    if version != current_ring().current or household.owner_id_tail_key_version != version:
        set_id_tail(household, community_code, tail)
    return True



@dataclass
class _Existing:
    """The stored roster of the file's communities, loaded with one query per level (no per-row SELECTs)."""

    communities: dict[str, Community]
    buildings: dict[tuple[int, str], Building] = field(default_factory=dict)
    units: dict[tuple[int, str], Unit] = field(default_factory=dict)
    households: dict[tuple[int, str], Household] = field(default_factory=dict)

    @classmethod
    def load(cls, codes: set[str]) -> "_Existing":
        stored = cls({c.code: c for c in db.session.scalars(select(Community).where(Community.code.in_(codes)))})
        ids = [community.id for community in stored.communities.values()]
        if ids:
            stored.add_loaded(ids)
        return stored

    def add_loaded(self, community_ids: list[int]) -> None:
        for building in db.session.scalars(select(Building).where(Building.community_id.in_(community_ids))):
            self.buildings[(building.community_id, building.name)] = building
        for unit in db.session.scalars(select(Unit).join(Building).where(Building.community_id.in_(community_ids))):
            self.units[(unit.building_id, unit.name)] = unit
        for household in db.session.scalars(select(Household).join(Unit).join(Building)
                                            .where(Building.community_id.in_(community_ids))):
            self.households[(household.unit_id, household.room)] = household

    def household_for(self, row: RosterRow) -> Household | None:
        community = self.communities.get(row.community_code)
        building = community and self.buildings.get((community.id, row.building))
        unit = building and self.units.get((building.id, row.unit))
        return unit and self.households.get((unit.id, row.room))


@logs_refusals("roster", RosterImportError)
def import_roster(actor: User | None, rows_or_file, *, filename: str | None = None,
                  district: District | str | None = None, channel: str = "web", progress=None) -> dict:
    """Validate the whole file, then write it; raise RosterImportError (nothing changed) on any error.

    ``rows_or_file``: a RosterTable, a list of {header: value} dicts (first one is row 2), bytes, a path or a binary
    stream. ``district`` receives new communities: a District, a district name (created under the default locality
    when missing; the CLI's --district) or None for the only/first district. ``progress(stage, advance)`` hears of
    validated ("validate") and written ("write") rows. Returns counts per level.
    """
    if isinstance(rows_or_file, RosterTable):
        table = rows_or_file
    elif isinstance(rows_or_file, list):
        table = RosterTable.from_dicts(rows_or_file)
    else:
        table = read_roster_file(rows_or_file, filename)
    errors = Problems()
    check_headers(table, errors)
    if errors:
        raise RosterImportError(errors.messages())
    rows = parse_rows(table, errors, progress)
    present = {FIELD_OF[h] for h in table.headers if h in FIELD_OF}
    stored = _Existing.load({row.community_code for row in rows})
    target = _check_against_stored(actor, rows, stored, district, errors)
    if errors:
        raise RosterImportError(errors.messages())
    if isinstance(target, str):
        target = ensure_district(target)
    changes: list[dict] = []
    counts = _write(rows, stored, present, target, progress, changes)
    codes = sorted({row.community_code for row in rows})
    only = stored.communities[codes[0]] if len(codes) == 1 else None
    record(actor, "roster.import", only, object_type="roster", community=only, channel=channel,
           filename=filename, community_codes=codes, rows=len(rows), counts=counts, changes=changes)
    return counts


def _check_against_stored(actor, rows, stored: _Existing, district, errors: Problems):
    """Scope, the district for new communities, masked phones; return the district new communities go to."""
    new_codes = {row.community_code for row in rows} - set(stored.communities)
    allowed = {code for code, community in stored.communities.items()
               if actor is None or can_manage_community(actor, community)}
    addable = addable_districts(actor)
    target = _resolve_district(actor, district, addable, errors) if new_codes else None
    for row in rows:
        if row.community_code in new_codes:
            if not addable and actor is not None:
                errors.at(row.row, _("Row %(row)d: community %(code)s does not exist yet, and you may not add "
                                     "communities.", row=row.row, code=row.community_code))
        elif row.community_code not in allowed:
            errors.at(row.row, _("Row %(row)d: you may not change the roster of community %(code)s.", row=row.row,
                                 code=row.community_code))
        if row.phone_masked:
            household = stored.household_for(row)
            if household is None or mask_phone(household.phone) != row.phone:
                errors.at(row.row, _("Row %(row)d: the phone number %(phone)s is masked and does not match the "
                                     "stored one; type the full number.", row=row.row, phone=row.phone))
    return target


def _resolve_district(actor, district, addable: list[District], errors: Problems):
    """A District, or a name the CLI may create after validation; None (with an error) when there is no choice."""
    if isinstance(district, District):
        if all(candidate.id != district.id for candidate in addable):
            errors.at(0, _("You may not add communities to the district %(name)s.", name=district.name))
        return district
    if isinstance(district, str) and district.strip():
        name = district.strip()
        existing = next((candidate for candidate in addable if candidate.name == name), None)
        if existing is None and actor is not None:
            errors.at(0, _("You may not add communities to the district %(name)s.", name=name))
        elif existing is None and default_locality() is None:
            errors.at(0, _("No city is set up yet. Run flask seed-reference first."))
        return existing or name
    if addable and (actor is None or len(addable) == 1):
        return addable[0]
    if not addable and actor is None:
        errors.at(0, _("There is no district yet. Name the district for the new communities."))
    elif addable:
        errors.at(0, _("Choose the district for the new communities."))
    return None


def _write(rows: list[RosterRow], stored: _Existing, present: set[str], district: District | None,
           progress, changes: list[dict]) -> dict:
    """Apply the validated rows level by level, with one flush per level so parents have their ids. Each updated
    household adds {"household_id", "address", "fields": {field: [before, after]}} to ``changes`` (the audit's)."""
    counts = {"communities": {"created": 0, "updated": 0, "unchanged": 0},
              "buildings": {"created": 0, "unchanged": 0}, "units": {"created": 0, "unchanged": 0},
              "households": {"created": 0, "updated": 0, "unchanged": 0, "not_in_file": 0}}
    for row in rows:
        community = stored.communities.get(row.community_code)
        if community is None:
            community = Community(code=row.community_code, name=row.community_name, district_id=district.id,
                                  status="reserve", is_demo=False)
            db.session.add(community)
            stored.communities[row.community_code] = community
            counts["communities"]["created"] += 1
        elif community.id is not None and community.name != row.community_name:
            community.name = row.community_name
            counts["communities"]["updated"] += 1
    db.session.flush()
    touched = {row.community_code for row in rows}
    counts["communities"]["unchanged"] = (len(touched) - counts["communities"]["created"]
                                         - counts["communities"]["updated"])
    _create_parents(rows, stored, counts)
    seen, areas_changed = set(), set()
    for count, row in enumerate(rows, 1):
        community = stored.communities[row.community_code]
        unit = stored.units[(stored.buildings[(community.id, row.building)].id, row.unit)]
        household = stored.households.get((unit.id, row.room))
        seen.add((unit.id, row.room))
        if household is None:
            household = Household(unit_id=unit.id, room=row.room, sort_key=natural_key(row.room),
                                  occupancy="owner_occupied")
            _apply(household, row, present, community.code)
            db.session.add(household)
            counts["households"]["created"] += 1
        else:
            changed = _apply(household, row, present, community.code)
            counts["households"]["updated" if changed else "unchanged"] += 1
            if changed:
                changes.append({"household_id": household.id, "address": f"{row.building}/{row.unit}/{row.room}",
                                "fields": changed})
            if "area" in changed:
                areas_changed.add(community.id)
        if progress and count % 100 == 0:
            progress("write", 100)
    _normalise_sort_keys(stored)
    db.session.flush()
    if areas_changed:   # what others derived from the old areas (survey tallies) follows in this transaction
        household_areas_changed.send(None, community_ids=sorted(areas_changed))
    if progress:
        progress("write", len(rows) % 100)
    counts["households"]["not_in_file"] = sum(1 for key in stored.households if key not in seen)
    return counts


def _create_parents(rows: list[RosterRow], stored: _Existing, counts: dict) -> None:
    for level, model, parent_of, key_of in (
            ("buildings", Building, lambda r: stored.communities[r.community_code], lambda r: r.building),
            ("units", Unit, lambda r: stored.buildings[(stored.communities[r.community_code].id, r.building)],
             lambda r: r.unit)):
        index = stored.buildings if model is Building else stored.units
        seen = set()
        for row in rows:
            parent, name = parent_of(row), key_of(row)
            key = (parent.id, name)
            if key in seen:
                continue
            seen.add(key)
            if key in index:
                counts[level]["unchanged"] += 1
                continue
            parent_column = "community_id" if model is Building else "building_id"
            child = model(name=name, sort_key=natural_key(name), **{parent_column: parent.id})
            db.session.add(child)
            index[key] = child
            counts[level]["created"] += 1
        db.session.flush()


def _apply(household: Household, row: RosterRow, present: set[str], community_code: str) -> dict:
    """Copy the row onto the household; return {field: [before, after]} of what changed, as the audit row keeps it
    (phones masked, the ID tail's keyed hash as a short fingerprint). Optional columns absent from the file, an
    empty ID tail (exports cannot carry it) and an empty occupancy leave the stored value alone."""
    wanted = {"floor": row.floor, "area": row.area}
    if "owner_key" in present:
        wanted["owner_key"] = row.owner_key
    if "contact_name" in present:
        wanted["contact_name"] = row.contact_name
    if "phone" in present and not row.phone_masked:
        wanted["phone"] = row.phone
    if row.occupancy:
        wanted["occupancy"] = row.occupancy
    if row.id_tail and not id_tail_matches(household, community_code, row.id_tail):
        # The same tail again is no change (id_tail_matches moved it to the current key if it was on an older one).
        wanted["owner_id_tail_hash"] = id_tail_hash(community_code, row.id_tail)
    changed = {}
    for name, value in wanted.items():
        before = getattr(household, name)
        if before != value:
            changed[name] = [_audited(name, before), _audited(name, value)]
            setattr(household, name, value)
    if "owner_id_tail_hash" in changed:
        household.owner_id_tail_key_version = current_ring().current
    return changed


def _audited(name: str, value):
    """A value as the import's audit row shows it."""
    if value is None:
        return None
    if name == "phone":
        return mask_phone(value)
    if name == "owner_id_tail_hash":
        return value[:8]
    return str(value) if isinstance(value, Decimal) else value


def _normalise_sort_keys(stored: _Existing) -> None:
    """Rows made elsewhere (the demo, older imports) may carry other sort keys; one scheme per community keeps the
    natural order when imported rows join them."""
    for objects, name_of in ((stored.buildings.values(), lambda b: b.name), (stored.units.values(), lambda u: u.name),
                             (stored.households.values(), lambda h: h.room)):
        for obj in objects:
            key = natural_key(name_of(obj))
            if obj.sort_key != key:
                obj.sort_key = key
