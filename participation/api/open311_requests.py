"""Open311 GeoReport v2, the reading side: the public list of service requests and one request by its id.

A page of requests is one statement (``_requests_select``): the ticket's columns with its category, community and
agency joined, the timestamps formatted by the database. What is printed: the category, state, times, the
community's own address and coordinates, the agency, and words only of requests that came in through Open311 —
never a resident's description, a common-area place, the caller, the household or the room.
"""
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import String, case, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from participation.api.open311 import Open311Error, categories, no_nul, w3c
from participation.extensions import db
from participation.labels import label
from participation.models import (OPEN_STATES, TICKET_STATES, Community, ComplaintCategory, Organisation, Ticket,
                                  TicketEvent)
from participation.models.open311_intake import Open311Report
from participation.models.types import utcnow
from participation.security import MAX_PAGE, BadInput, int_arg

WINDOW = timedelta(days=90)          # the spec's default span of GET requests, and the most it may span
MAX_RESULTS = 1000                   # the spec's default number of GET requests


class w3c_sql(FunctionElement):
    """``w3c`` done by the database for a page of requests (3 timestamps a row, 1,000 rows: parsing each into a
    datetime and formatting it back cost more than the query itself)."""

    type = String()
    inherit_cache = True
    name = "w3c"


@compiles(w3c_sql, "sqlite")
def _w3c_sqlite(element, compiler, **kw):   # stored as UTC text "YYYY-MM-DD HH:MM:SS.ffffff"
    return "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %s)" % compiler.process(element.clauses, **kw)


@compiles(w3c_sql, "postgresql")
def _w3c_postgresql(element, compiler, **kw):
    moment = compiler.process(element.clauses, **kw)
    return "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" % moment


def parse_date(value: str, field: str) -> datetime:
    # An unencoded "+" of the offset arrives as a space: take it back.
    text = value.strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise Open311Error(400, _("%(field)s is not a W3C date-time such as 2025-11-03T10:00:00+08:00.",
                                  field=field)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _requests_select():
    """One statement for a page of requests: the ticket's columns with its category, community and agency joined,
    and the two things the timeline holds (the latest public reply of a request filed through Open311, the
    media_url the platform sent) as correlated sub-selects — never a query per ticket."""
    latest_note = (select(TicketEvent.note)
                   .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.public.is_(True),
                          TicketEvent.action.in_(("reply", "reject")), TicketEvent.note.is_not(None))
                   .order_by(TicketEvent.id.desc()).limit(1).scalar_subquery())
    media_url = (select(TicketEvent.details["media_url"].as_string()).where(TicketEvent.ticket_id == Ticket.id)
                 .order_by(TicketEvent.id).limit(1).scalar_subquery())
    closed = Ticket.state.not_in(OPEN_STATES)
    updated = case((closed & Ticket.closed_at.is_not(None), Ticket.closed_at), else_=Ticket.updated_at)
    return (select(Ticket.id, Ticket.receipt, Ticket.state, Ticket.channel, Ticket.description,
                   w3c_sql(Ticket.received_at).label("requested"), w3c_sql(updated).label("updated"),
                   w3c_sql(Ticket.due_at).label("expected"),
                   ComplaintCategory.name.label("service_name"), ComplaintCategory.code.label("service_code"),
                   Community.name.label("community"), Community.address.label("community_address"),
                   Community.lat, Community.long, Organisation.name.label("agency"),
                   case((Ticket.channel == "open311", latest_note)).label("note"),
                   media_url.label("media_url"))
            .select_from(Ticket)
            .join(ComplaintCategory, Ticket.category_id == ComplaintCategory.id)
            .join(Community, Ticket.community_id == Community.id)
            .outerjoin(Organisation, Ticket.agency_id == Organisation.id))


def community_address(name: str, street: str | None) -> str:
    """What a request's ``address`` says: the community's street address and name, nothing finer and nothing a
    resident wrote (a named common area is free text: it may hold names, room numbers or formula text)."""
    return " ".join(filter(None, (street, name)))


def _notices() -> dict[str, str]:
    """Each state's words, looked up once per page rather than once per request."""
    return {state: label("ticket_state", state) for state in TICKET_STATES}


def request_dict(row, notices: dict[str, str] | None = None) -> dict:
    """One request (a row of ``_requests_select``) as the spec names its fields; no caller, household or room. The
    words (description, replies) only of requests filed through Open311 itself: a resident who wrote on the app or
    called the hotline did not publish what they wrote, and free text may hold names and room numbers."""
    published = row.channel == "open311"
    closed = row.state not in OPEN_STATES
    return {
        "service_request_id": row.receipt,
        "status": "closed" if closed else "open",
        "status_notes": row.note if published else None,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": row.description if published else None,
        "agency_responsible": row.agency,
        "service_notice": (notices or _notices())[row.state],
        "requested_datetime": row.requested,
        "updated_datetime": row.updated,
        "expected_datetime": row.expected,
        "address": community_address(row.community, row.community_address),
        "address_id": None,
        "zipcode": None,
        "lat": float(row.lat) if row.lat is not None else None,
        "long": float(row.long) if row.long is not None else None,
        "media_url": row.media_url,
    }


def unplaced_dict(report: Open311Report) -> dict:
    """A report still in the 待定位 intake: open, where it is not yet said (nothing the platform sent is echoed)."""
    return {"service_request_id": report.receipt, "status": "open", "status_notes": None,
            "service_name": next((row.name for row in categories() if row.code == report.service_code), None),
            "service_code": report.service_code, "description": report.description, "agency_responsible": None,
            "service_notice": _("Awaiting placement (待定位)"), "requested_datetime": w3c(report.received_at),
            "updated_datetime": w3c(report.received_at), "expected_datetime": None, "address": None,
            "address_id": None, "zipcode": None, "lat": None, "long": None,
            "media_url": (report.sent or {}).get("media_url")}


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_requests(args, *, now: datetime | None = None) -> list[dict]:
    """GET Service Requests: by ids (which override everything else), or by service codes, status and a span of
    at most 90 days of ``requested_datetime`` (the latest 90 days by default), newest first, a ``page`` of
    ``page_size`` (at most and by default 1000, the spec's default): one statement per page."""
    no_nul(args.values())
    query = _requests_select().order_by(Ticket.received_at.desc(), Ticket.id.desc())
    ids = _split(args.get("service_request_id"))
    if ids:
        return _page(query.where(Ticket.receipt.in_(ids[:MAX_RESULTS])))
    codes = _split(args.get("service_code"))
    if codes:
        query = query.where(ComplaintCategory.code.in_(codes))
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
    return _page(query.limit(page_size).offset((page - 1) * page_size))


def _page(query) -> list[dict]:
    # Core rows on the session's connection: no ORM loading for plain columns
    notices = _notices()
    return [request_dict(row, notices) for row in db.session.connection().execute(query).all()]


def _count(value: str | None, field: str, default: int) -> int:
    most = MAX_RESULTS if field == "page_size" else MAX_PAGE
    try:
        return int_arg(value, default=default, high=most)
    except BadInput:
        raise Open311Error(400, _("%(field)s must be a whole number from 1 to %(most)d.", field=field,
                                  most=most)) from None


def find_request(receipt: str) -> dict:
    """GET Service Request: the ticket of that id, or the report still awaiting placement; 404 otherwise."""
    no_nul([receipt])
    row = db.session.connection().execute(_requests_select().where(Ticket.receipt == receipt)).first()
    if row is not None:
        return request_dict(row)
    report = db.session.scalar(select(Open311Report).filter_by(receipt=receipt))
    if report is None:
        raise Open311Error(404, _("There is no service request %(id)s.", id=receipt))
    return unplaced_dict(report)
