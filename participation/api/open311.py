"""Open311 GeoReport v2 (issue 5): the city's complaint categories as services, service requests filed as tickets
through ``participation.complaints.operations.file_ticket`` (channel "open311"), reports no address or coordinates
placed kept for the hotline desk. The public list of requests: ``participation.api.open311_requests``.

Single jurisdiction: ``jurisdiction_id`` is accepted and ignored, as the spec allows. Service codes are the category
codes of the localities (the first locality's category wins when two localities use one code); a request is filed
under the category of that code in its community's locality.

What the API never returns: the caller's name, phone and e-mail (kept on the ticket and its timeline for the desk),
the household or room. Service request ids are the tickets' receipts ("C…"), which cannot be counted through.

Keys (``flask open311 create-key NAME``, and the key a POST is made with): ``participation.api.open311_keys``.
"""
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select

from participation.audit import record
from participation.complaints.operations import TicketRefused, file_ticket, new_receipt
from participation.complaints.queries import live_category
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import label
from participation.models import Community, ComplaintCategory, Ticket
from participation.models.complaints import URGENCIES, Open311Key
from participation.models.open311_intake import Open311Report
from participation.models.types import utcnow

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00Z"
MAX_DESCRIPTION = 4000
MAX_URL = 500
MAX_ADDRESS = 300


class Open311Error(Refused):
    """A refusal answered in the spec's error format: ``status`` is 400, 403 or 404; ``description`` is shown to the
    user (it is also the refusal's one message)."""

    def __init__(self, status: int, description: str):
        super().__init__(str(description))
        self.status, self.description = status, str(description)


# --- services ------------------------------------------------------------------------------------------------------

def categories() -> list[ComplaintCategory]:
    """The live categories, one per code, in the localities' order."""
    rows = db.session.scalars(select(ComplaintCategory).where(ComplaintCategory.retired_at.is_(None))
                              .order_by(ComplaintCategory.locality_id, ComplaintCategory.position,
                                        ComplaintCategory.id)).all()
    seen: dict[str, ComplaintCategory] = {}
    for row in rows:
        seen.setdefault(row.code, row)
    return list(seen.values())


def category_by_code(code: str | None) -> ComplaintCategory:
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    for row in categories():
        if row.code == code:
            return row
    raise Open311Error(404, _("There is no service %(code)s.", code=code))


def services() -> list[dict]:
    return [{"service_code": row.code, "service_name": row.name, "description": None, "metadata": True,
             "type": "realtime", "keywords": ",".join(filter(None, (row.code, row.limit_class,
                                                                    "quality_safety" if row.quality_or_safety
                                                                    else None))),
             "group": _("Quality and safety") if row.quality_or_safety else _("Other")}
            for row in categories()]


def service_definition(code: str) -> dict:
    row = category_by_code(code)
    return {"service_code": row.code, "attributes": [
        {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 1,
         "description": _("How urgent is it? An emergency (danger to people, gas) is answered on the hour clock."),
         "values": [{"key": code_, "name": label("urgency", code_)} for code_ in URGENCIES]},
        {"variable": True, "code": "building", "datatype": "string", "required": False,
         "datatype_description": _("The building number as posted on it, e.g. 3 for 3号楼."), "order": 2,
         "description": _("Building (楼号), if the problem is at one building. It may also be written in "
                          "address_string, e.g. 3号楼2单元.")},
        {"variable": True, "code": "unit", "datatype": "string", "required": False,
         "datatype_description": _("The unit (stairwell) number, e.g. 2 for 2单元."), "order": 3,
         "description": _("Unit (单元) of that building, if the problem is in one stairwell.")},
        {"variable": True, "code": "place", "datatype": "string", "required": False, "datatype_description": None,
         "order": 4, "description": _("A named common area (the square, the north gate …), if that is where it is.")},
    ]}


# --- filing --------------------------------------------------------------------------------------------------------

BUILDING_WRITTEN = re.compile(r"(\d+)\s*(?:号楼|栋|幢|号)")
UNIT_WRITTEN = re.compile(r"(\d+)\s*单元")


def _number(name: str) -> str:
    """"3号楼" → "3", "2单元" → "2", "3" → "3"."""
    return re.sub(r"\s*(号楼|栋|幢|号|单元)$", "", (name or "").strip())


@dataclass
class Place:
    community: Community
    building: object | None = None
    unit: object | None = None


NEAREST_METRES = 500                 # a point farther than this from every community's coordinates is not placed
EARTH_METRES = 6_371_000


def coordinates(lat: str | None, long: str | None) -> tuple[float, float] | None:
    """``lat``/``long`` as WGS-84 degrees; None when neither was sent; 400 when they are not a valid pair."""
    lat, long = (lat or "").strip(), (long or "").strip()
    if not lat and not long:
        return None
    try:
        point = float(lat), float(long)
    except ValueError:
        point = None
    if point is None or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise Open311Error(400, _("lat and long must be decimal degrees (lat from -90 to 90, long from -180 to "
                                  "180)."))
    return point


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance (haversine) between two WGS-84 points."""
    lat1, long1, lat2, long2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((long2 - long1) / 2) ** 2
    return 2 * EARTH_METRES * math.asin(min(1.0, math.sqrt(h)))


def nearest_community(point: tuple[float, float]) -> Community | None:
    """The community whose coordinates are nearest ``point``, if within NEAREST_METRES (one query of the
    communities that carry coordinates; a city has about 1,300)."""
    rows = db.session.execute(select(Community.id, Community.lat, Community.long)
                              .where(Community.lat.is_not(None), Community.long.is_not(None))).all()
    best = min(((metres(point, (float(lat), float(long))), community_id) for community_id, lat, long in rows),
               default=None)
    if best is None or best[0] > NEAREST_METRES:
        return None
    return db.session.get(Community, best[1])


def _named_community(address: str) -> Community | None:
    """The one community whose name or code is written in ``address`` (the longest written wins: "幸福小区" is also
    in "幸福小区二期"); None when none is, or two of the same length are."""
    matches: dict[int, tuple[int, Community]] = {}
    # The database narrows it down (a name or code that occurs in the address; LIKE's wildcards re-checked below).
    named = or_(literal(address).contains(Community.name), literal(address).contains(Community.code))
    for community in db.session.scalars(select(Community).where(named).order_by(Community.id)):
        for word in (community.name, community.code):
            if word and word in address:
                best = matches.get(community.id, (0, community))[0]
                matches[community.id] = (max(best, len(word)), community)
    if not matches:
        return None
    longest = max(length for length, _community in matches.values())
    found = [community for length, community in matches.values() if length == longest]
    return found[0] if len(found) == 1 else None


def locate(address: str | None, lat: str | None, long: str | None, building_hint: str | None = None,
           unit_hint: str | None = None) -> Place | None:
    """The community (and building, unit) a request is about: the community's name or code written in
    ``address_string`` (then "3号楼2单元" there or in the building/unit attributes), else the community nearest the
    coordinates within NEAREST_METRES. None when neither places it, or the building or unit written is not found:
    a person places it (待定位). 400 only when no location was sent at all, or coordinates that are not numbers."""
    address = (address or "").strip()
    point = coordinates(lat, long)
    if not address and point is None:
        raise Open311Error(400, _("No location was provided: send address_string, or lat and long."))
    community = _named_community(address) if address else None
    if community is None:
        community = nearest_community(point) if point is not None else None
        if community is None:
            return None
    place = Place(community)
    rest = address
    for word in (community.name, community.code):
        rest = rest.replace(word, " ")
    building_no = _number(building_hint) if building_hint else None
    unit_no = _number(unit_hint) if unit_hint else None
    if building_no is None and (match := BUILDING_WRITTEN.search(rest)):
        building_no = match.group(1)
    if unit_no is None and (match := UNIT_WRITTEN.search(rest)):
        unit_no = match.group(1)
    if building_no:
        place.building = next((b for b in community.buildings if _number(b.name) == building_no), None)
        if place.building is None:
            return None
        if unit_no:
            place.unit = next((u for u in place.building.units if _number(u.name) == unit_no), None)
            if place.unit is None:
                return None
    return place


def _attribute(form, code: str) -> str | None:
    value = form.get(f"attribute[{code}]")
    if value is None:
        values = form.getlist(f"attribute[{code}][]") if hasattr(form, "getlist") else []
        value = values[0] if values else None
    value = (value or "").strip()
    return value or None


def _short(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise Open311Error(400, _("%(field)s is too long (at most %(count)d characters).", field=field,
                                  count=limit))
    return value


def _fields(form) -> dict:
    """What a POST sent, checked (400 for what the spec or our limits refuse) and normalised."""
    no_nul(form.values())
    category = category_by_code((form.get("service_code") or "").strip())
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description is too long (at most %(count)d characters).",
                                  count=MAX_DESCRIPTION))
    urgency = _attribute(form, "urgency") or "normal"
    if urgency not in URGENCIES:
        raise Open311Error(400, _("attribute[urgency] must be one of %(values)s.", values=", ".join(URGENCIES)))
    media_url = _short(form.get("media_url"), MAX_URL, "media_url")
    if media_url and not re.match(r"https?://", media_url):
        raise Open311Error(400, _("media_url must be an http(s) URL."))
    first, last = _short(form.get("first_name"), 40, "first_name"), _short(form.get("last_name"), 40, "last_name")
    text = f"{description or category.name}\n\n{media_url}" if media_url else (description or category.name)
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description is too long (at most %(count)d characters).",
                                  count=MAX_DESCRIPTION - len(media_url) - 2))
    return {"service_code": category.code, "description": text, "urgency": urgency, "media_url": media_url,
            "address_string": _short(form.get("address_string"), MAX_ADDRESS, "address_string"),
            "lat": _short(form.get("lat"), 30, "lat"), "long": _short(form.get("long"), 30, "long"),
            "building": _short(_attribute(form, "building"), 20, "attribute[building]"),
            "unit": _short(_attribute(form, "unit"), 20, "attribute[unit]"),
            "place": _short(_attribute(form, "place"), 100, "attribute[place]"),
            "caller_name": _short(" ".join(filter(None, (first, last))), 40, "first_name + last_name"),
            "phone": _short(form.get("phone"), 20, "phone"), "email": _short(form.get("email"), 120, "email"),
            "device_id": _short(form.get("device_id"), 100, "device_id"),
            "account_id": _short(form.get("account_id"), 100, "account_id")}


def _file(actor, place: Place, fields: dict, key_name: str, now: datetime | None,
          receipt: str | None = None) -> Ticket:
    """The ticket of a placed request (TicketRefused when the community's locality does not take the service)."""
    category = live_category(place.community, fields["service_code"])
    if category is None:
        raise TicketRefused(_("%(community)s does not take service %(code)s.", community=place.community.name,
                              code=fields["service_code"]))
    ticket = file_ticket(actor, place.community, category=category, description=fields["description"],
                         urgency=fields["urgency"], channel="open311", building=place.building, unit=place.unit,
                         place=fields["place"], caller_name=fields["caller_name"], caller_phone=fields["phone"],
                         now=now, receipt=receipt)
    received = ticket.events[0] if ticket.events else None
    if received is not None:
        # The timeline keeps what the caller sent that the ticket has no column for (never shown by the API).
        received.details = dict(received.details or {}) | {
            "open311_key": key_name, "media_url": fields["media_url"], "caller_email": fields["email"],
            "device_id": fields["device_id"], "account_id": fields["account_id"], "lat": fields["lat"],
            "long": fields["long"], "address_string": fields["address_string"]}
    return ticket


def create_request(key: Open311Key, form, *, now: datetime | None = None) -> Ticket | Open311Report:
    """POST Service Request: a ticket filed for nobody in particular (the caller's contact kept on it) when the
    address or the coordinates place it; otherwise the report as sent, in the desk's 待定位 intake (``place_report``)
    under the service_request_id it is given now. Nothing valid is refused for want of a place."""
    fields = _fields(form)
    place = locate(fields["address_string"], fields["lat"], fields["long"], fields["building"], fields["unit"])
    key.last_used_at = now or utcnow()
    if place is None:
        report = Open311Report(receipt=new_receipt(), key_name=key.name, service_code=fields["service_code"],
                               urgency=fields["urgency"], description=fields["description"],
                               address_string=fields["address_string"], lat=fields["lat"], long=fields["long"],
                               sent=fields, received_at=now or utcnow())
        db.session.add(report)
        db.session.flush()
        record(None, "open311.unplaced", report, channel="open311", key=key.name, receipt=report.receipt)
        return report
    try:
        ticket = _file(None, place, fields, key.name, now)
    except TicketRefused as refused:
        raise Open311Error(400, str(refused)) from refused
    record(None, "open311.request", ticket, community=place.community, channel="open311", key=key.name,
           receipt=ticket.receipt)
    db.session.flush()
    return ticket


def unplaced_reports() -> list[Open311Report]:
    """The 待定位 intake: reports no address or coordinates placed, oldest first."""
    return list(db.session.scalars(select(Open311Report).where(Open311Report.ticket_id.is_(None))
                                   .order_by(Open311Report.received_at, Open311Report.id)))


def unplaced_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Open311Report)
                             .where(Open311Report.ticket_id.is_(None)))


def place_report(actor, report: Open311Report, community: Community, building=None) -> Ticket:
    """A person placed an unplaced report: its ticket, filed as received when the report came (the deadline runs
    from then), under the service_request_id the platform holds; audited with what the person chose."""
    if report.ticket_id is not None:
        raise TicketRefused(_("This report was placed already."))
    if building is not None and building.community_id != community.id:
        raise TicketRefused(_("That building is not in this community."))
    fields = dict(report.sent or {})
    ticket = _file(actor, Place(community, building), fields, report.key_name, report.received_at,
                   receipt=report.receipt)
    report.ticket, report.placed_by_id, report.placed_at = ticket, actor.id, utcnow()
    db.session.flush()
    record(actor, "open311.place", ticket, community=community, channel="open311", receipt=report.receipt,
           building=building.name if building is not None else None, address_string=report.address_string,
           lat=report.lat, long=report.long)
    return ticket


def created(ticket: Ticket | Open311Report) -> dict:
    if isinstance(ticket, Open311Report):
        return {"service_request_id": ticket.receipt,
                "service_notice": _("Received as %(receipt)s; the desk will place it in a community (待定位), then "
                                    "it is answered on the usual time limit.", receipt=ticket.receipt)}
    return {"service_request_id": ticket.receipt,
            "service_notice": _("Received as %(receipt)s; an answer is due by %(due)s.", receipt=ticket.receipt,
                                due=w3c(ticket.due_at))}


# --- formats shared with the reading side (participation.api.open311_requests) ---------------------------

def w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def no_nul(values) -> None:
    """PostgreSQL cannot store or compare text with NUL characters: refuse them as bad input (400, not a 500)."""
    for value in values:
        if "\x00" in (value or ""):
            raise Open311Error(400, _("A field contains a NUL character."))
