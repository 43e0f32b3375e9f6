"""Open311 GeoReport v2 (issue 5): the city's complaint categories as services, service requests filed as tickets
through ``participation.operations.tickets.file_ticket`` (channel "open311"), and the public list of requests.

Single jurisdiction: ``jurisdiction_id`` is accepted and ignored, as the spec allows. Service codes are the category
codes of the localities (the first locality's category wins when two localities use one code); a request is filed
under the category of that code in its community's locality.

What the API never returns: the caller's name, phone and e-mail (kept on the ticket and its timeline for the desk),
the household or room. Service request ids are the tickets' receipts ("C…"), which cannot be counted through.

Keys: ``flask open311 create-key NAME`` shows a key once and stores ``sha256(key)`` (see ``hash_key``). A plain
SHA-256 is enough for a 256-bit random key, and it does not break when the app's SECRET_KEY is rotated.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import literal, or_, select

from participation.extensions import db
from participation.labels import label
from participation.models import OPEN_STATES, Community, ComplaintCategory, Ticket
from participation.models.complaints import Open311Key, URGENCIES
from participation.models.types import utcnow
from participation.operations.audit import record
from participation.operations.tickets import TicketRefused, file_ticket

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00Z"
WINDOW = timedelta(days=90)          # the spec's default span of GET requests, and the most it may span
MAX_RESULTS = 1000                   # the spec's default number of GET requests
MAX_DESCRIPTION = 4000
MAX_URL = 500
KEY_BYTES = 32


class Open311Error(Exception):
    """An answer in the spec's error format: ``status`` is 400, 403 or 404; ``description`` is shown to the user."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, str(description)


# --- keys ----------------------------------------------------------------------------------------------------------

def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(name: str) -> tuple[Open311Key, str]:
    """A new key named ``name``: the row (storing only the hash) and the key itself, to show once."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValueError(_("Give the key a name of 1 to 60 characters."))
    if db.session.scalar(select(Open311Key).filter_by(name=name)) is not None:
        raise ValueError(_("A key named %(name)s exists already.", name=name))
    key = secrets.token_urlsafe(KEY_BYTES)
    row = Open311Key(name=name, key_hash=hash_key(key))
    db.session.add(row)
    db.session.flush()
    record(None, "open311.create_key", row, channel="cli", name=name)
    return row, key


def revoke_key(name: str) -> Open311Key:
    row = db.session.scalar(select(Open311Key).filter_by(name=(name or "").strip()))
    if row is None:
        raise ValueError(_("There is no key named %(name)s.", name=name))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(None, "open311.revoke_key", row, channel="cli", name=row.name)
    return row


def key_for(api_key: str | None) -> Open311Key:
    """The live key ``api_key`` stands for; 403 when missing, unknown or revoked."""
    if not api_key:
        raise Open311Error(403, _("No api_key received -- can't proceed with create_request."))
    row = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == hash_key(api_key),
                                                     Open311Key.revoked_at.is_(None)))
    if row is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    return row


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


def locate(address: str | None, lat: str | None, long: str | None, building_hint: str | None = None,
           unit_hint: str | None = None) -> Place:
    """The community (and building, unit) a request is about, from ``address_string``: the community's name or
    code written in it, then "3号楼2单元" (or the building/unit attributes)."""
    address = (address or "").strip()
    if not address:
        if (lat or "").strip() or (long or "").strip():
            raise Open311Error(400, _("Coordinates cannot be placed in a community yet: send address_string with "
                                      "the community's name (and e.g. 3号楼2单元)."))
        raise Open311Error(400, _("No location was provided: send address_string with the community's name."))
    matches: dict[int, tuple[int, Community]] = {}
    # The database narrows it down (a name or code that occurs in the address; LIKE's wildcards re-checked below).
    named = or_(literal(address).contains(Community.name), literal(address).contains(Community.code))
    for community in db.session.scalars(select(Community).where(named).order_by(Community.id)):
        for word in (community.name, community.code):
            if word and word in address:
                best = matches.get(community.id, (0, community))[0]
                matches[community.id] = (max(best, len(word)), community)
    if not matches:
        raise Open311Error(400, _("No community's name was found in address_string."))
    longest = max(length for length, _community in matches.values())
    found = [community for length, community in matches.values() if length == longest]
    # "幸福小区" is also in "幸福小区二期": the longest name written wins; two of the same length are ambiguous.
    if len(found) > 1:
        raise Open311Error(400, _("address_string names more than one community."))
    place = Place(found[0])
    rest = address
    for word in (place.community.name, place.community.code):
        rest = rest.replace(word, " ")
    building_no = _number(building_hint) if building_hint else None
    unit_no = _number(unit_hint) if unit_hint else None
    if building_no is None and (match := BUILDING_WRITTEN.search(rest)):
        building_no = match.group(1)
    if unit_no is None and (match := UNIT_WRITTEN.search(rest)):
        unit_no = match.group(1)
    if building_no:
        place.building = next((b for b in place.community.buildings if _number(b.name) == building_no), None)
        if place.building is None:
            raise Open311Error(400, _("%(community)s has no building %(building)s.",
                                      community=place.community.name, building=building_no))
        if unit_no:
            place.unit = next((u for u in place.building.units if _number(u.name) == unit_no), None)
            if place.unit is None:
                raise Open311Error(400, _("Building %(building)s has no unit %(unit)s.", building=building_no,
                                          unit=unit_no))
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


def create_request(key: Open311Key, form, *, now: datetime | None = None) -> Ticket:
    """POST Service Request: a ticket filed for nobody in particular (the caller's contact kept on it)."""
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
    place = locate(form.get("address_string"), form.get("lat"), form.get("long"),
                   _attribute(form, "building"), _attribute(form, "unit"))
    first, last = _short(form.get("first_name"), 40, "first_name"), _short(form.get("last_name"), 40, "last_name")
    caller_name = _short(" ".join(filter(None, (first, last))), 40, "first_name + last_name")
    phone = _short(form.get("phone"), 20, "phone")
    email = _short(form.get("email"), 120, "email")
    if not description:
        description = category.name
    text = f"{description}\n\n{media_url}" if media_url else description
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description is too long (at most %(count)d characters).",
                                  count=MAX_DESCRIPTION - len(media_url) - 2))
    community_category = db.session.scalar(select(ComplaintCategory).filter_by(
        locality_id=place.community.district.locality_id, code=category.code, retired_at=None))
    if community_category is None:
        raise Open311Error(400, _("%(community)s does not take service %(code)s.",
                                  community=place.community.name, code=category.code))
    try:
        ticket = file_ticket(None, place.community, category=community_category, description=text,
                             urgency=urgency, channel="open311", building=place.building, unit=place.unit,
                             place=_short(_attribute(form, "place"), 100, "attribute[place]"),
                             caller_name=caller_name, caller_phone=phone, now=now)
    except TicketRefused as refused:
        raise Open311Error(400, str(refused)) from refused
    received = ticket.events[0] if ticket.events else None
    if received is not None:
        # The timeline keeps what the caller sent that the ticket has no column for (never shown by the API).
        received.details = dict(received.details or {}) | {
            "open311_key": key.name, "media_url": media_url, "caller_email": email,
            "device_id": _short(form.get("device_id"), 100, "device_id"),
            "account_id": _short(form.get("account_id"), 100, "account_id"),
            "lat": _short(form.get("lat"), 30, "lat"), "long": _short(form.get("long"), 30, "long")}
    key.last_used_at = now or utcnow()
    record(None, "open311.request", ticket, community=place.community, channel="open311", key=key.name,
           receipt=ticket.receipt)
    db.session.flush()
    return ticket


def created(ticket: Ticket) -> dict:
    return {"service_request_id": ticket.receipt,
            "service_notice": _("Received as %(receipt)s; an answer is due by %(due)s.", receipt=ticket.receipt,
                                due=w3c(ticket.due_at))}


# --- reading -------------------------------------------------------------------------------------------------------

def w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str, field: str) -> datetime:
    # An unencoded "+" of the offset arrives as a space: take it back.
    text = value.strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise Open311Error(400, _("%(field)s is not a W3C date-time such as 2025-11-03T10:00:00+08:00.",
                                  field=field)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _address(ticket: Ticket) -> str:
    parts = [ticket.community.name]
    if ticket.building is not None:
        parts.append(f"{_number(ticket.building.name)}号楼")
    if ticket.unit is not None:
        parts.append(f"{_number(ticket.unit.name)}单元")
    if ticket.place:
        parts.append(ticket.place)
    return "".join(parts)


def request_dict(ticket: Ticket) -> dict:
    """One request as the spec names its fields; no caller, household or room. The words (description, replies)
    only of requests filed through Open311 itself: a resident who wrote on the app or called the hotline did not
    publish what they wrote, and free text may hold names and room numbers."""
    published = ticket.channel == "open311"
    public = [event for event in ticket.events if event.public]
    notes = [event.note for event in public if published and event.note and event.action in ("reply", "reject")]
    received = ticket.events[0].details if ticket.events else {}
    closed = ticket.state not in OPEN_STATES
    return {
        "service_request_id": ticket.receipt,
        "status": "closed" if closed else "open",
        "status_notes": notes[-1] if notes else None,
        "service_name": ticket.category.name,
        "service_code": ticket.category.code,
        "description": ticket.description if published else None,
        "agency_responsible": ticket.agency.name if ticket.agency is not None else None,
        "service_notice": label("ticket_state", ticket.state),
        "requested_datetime": w3c(ticket.received_at),
        "updated_datetime": w3c(ticket.closed_at if closed and ticket.closed_at else ticket.updated_at),
        "expected_datetime": w3c(ticket.due_at),
        "address": _address(ticket),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": (received or {}).get("media_url"),
    }


def no_nul(values) -> None:
    """PostgreSQL cannot store or compare text with NUL characters: refuse them as bad input (400, not a 500)."""
    for value in values:
        if "\x00" in (value or ""):
            raise Open311Error(400, _("A field contains a NUL character."))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_requests(args, *, now: datetime | None = None) -> list[Ticket]:
    """GET Service Requests: by ids (which override everything else), or by service codes, status and a span of
    at most 90 days of ``requested_datetime`` (the latest 90 days by default), newest first, at most 1000 (or a
    ``page`` of ``page_size``)."""
    no_nul(args.values())
    query = select(Ticket).order_by(Ticket.received_at.desc(), Ticket.id.desc())
    ids = _split(args.get("service_request_id"))
    if ids:
        return list(db.session.scalars(query.where(Ticket.receipt.in_(ids[:MAX_RESULTS]))))
    codes = _split(args.get("service_code"))
    if codes:
        query = query.join(ComplaintCategory, Ticket.category_id == ComplaintCategory.id) \
            .where(ComplaintCategory.code.in_(codes))
    statuses = _split(args.get("status"))
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, _("status must be open, closed or both."))
    if set(statuses) == {"open"}:
        query = query.where(Ticket.state.in_(OPEN_STATES))
    elif set(statuses) == {"closed"}:
        query = query.where(Ticket.state.not_in(OPEN_STATES))
    start_text, end_text = (args.get("start_date") or "").strip(), (args.get("end_date") or "").strip()
    start = parse_date(start_text, "start_date") if start_text else None
    end = parse_date(end_text, "end_date") if end_text else None
    if start is None and end is None:
        end = now or utcnow()
    try:
        if start is None:
            start = end - WINDOW
        if end is None:
            end = start + WINDOW
    except OverflowError:   # 0001-01-01 or 9999-12-31 and 90 days beyond
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days.")) from None
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    query = query.where(Ticket.received_at >= start, Ticket.received_at <= end)
    # The pagination extension (page, page_size; open311/open311.github.io#16); pages past the end are empty.
    page, page_size = _count(args.get("page"), "page", 1), _count(args.get("page_size"), "page_size", MAX_RESULTS)
    return list(db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)))


def _count(value: str | None, field: str, default: int) -> int:
    text = (value or "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= (MAX_RESULTS if field == "page_size" else 10**6):
        raise Open311Error(400, _("%(field)s must be a whole number from 1 to %(most)d.", field=field,
                                  most=MAX_RESULTS if field == "page_size" else 10**6))
    return int(text)


def find_request(receipt: str) -> Ticket:
    no_nul([receipt])
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=receipt))
    if ticket is None:
        raise Open311Error(404, _("There is no service request %(id)s.", id=receipt))
    return ticket

