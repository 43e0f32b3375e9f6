"""The three complaint rates of DESIGN §5, per community, per agency and per period, and the complaint hot spots
the plan inputs flag.

    响应率 response rate     = tickets first answered (``Ticket.first_answered_at``, the agency's first 回复) by
                               their deadline (``≤ due_at``) / tickets due in the period
    解决率 resolution rate   = call-backs saying solved / call-backs answered in the period
    满意率 satisfaction rate = call-backs saying 满意 or 基本满意 / call-backs answered in the period

Readings of the definition, stated once here and on the pages:
- "due in the period": ``due_at`` falls in [start, end). Duplicates and rejected tickets are not due to be answered
  and are left out; a ticket's ``due_at`` is the one in force (an approved 延期 or a 重办 moves it).
- a call-back is a ``callback`` step of the timeline (回访未接通 is not an answered call-back); a ticket called back
  twice (重办, then solved) counts twice, once in each call-back's period. Solved means the call-back closed it.
- patrol findings (监理巡查, 居民监督员) are another table and never count; tickets whose channel is ``patrol`` are
  left out too.
A rate whose denominator is 0 is None (shown as "—"), never 0.

Every figure comes from GROUP BY queries; the period split is a CASE over the period boundaries, so a table of
weeks or months is still one query per rate.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, literal, or_, select

from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight, period_label
from participation.models import OPEN_STATES, Building, Community, ComplaintCategory, Organisation, Ticket, TicketEvent
from participation.models.types import utcnow

NOT_DUE = ("duplicate", "rejected")
SATISFIED = ("satisfied", "basically_satisfied")
GROUPINGS = ("community", "agency", "period")
HOTSPOT_DAYS = 30
HOTSPOT_TICKETS = 3


def rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, with its label (a week "2025-W45" or a month "2025-11") and its first Beijing day."""
    key: str
    start: datetime
    end: datetime
    first_day: date


def iso_week(week: str) -> Period:
    """"2025-W45" → Monday 00:00 to the next Monday 00:00, Beijing time. ValueError when malformed."""
    text = (week or "").strip().upper()
    year, _sep, number = text.partition("-W")
    if not (year.isdigit() and number.isdigit() and len(year) == 4):
        raise ValueError(week)
    monday = date.fromisocalendar(int(year), int(number), 1)   # ValueError for week 54 and the like
    start = beijing_midnight(monday)
    return Period(f"{int(year)}-W{int(number):02d}", start, beijing_midnight(monday + timedelta(days=7)), monday)


def week_of(moment: datetime) -> str:
    year, week, _day = moment.astimezone(BEIJING).isocalendar()
    return f"{year}-W{week:02d}"


def periods_between(first: date, last: date, unit: str = "week") -> list[Period]:
    """The weeks (ISO, Monday first) or calendar months, in Beijing time, that cover [first, last]."""
    periods: list[Period] = []
    if unit == "month":
        day = first.replace(day=1)
        while day <= last:
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            periods.append(Period(f"{day:%Y-%m}", beijing_midnight(day), beijing_midnight(following), day))
            day = following
        return periods
    day = first - timedelta(days=first.weekday())
    while day <= last:
        periods.append(iso_week(week_of(beijing_midnight(day) + timedelta(hours=12))))
        day += timedelta(days=7)
    return periods


def _scope(query: Select, communities, agency_id: int | None) -> Select:
    """``communities``: None (all), a select of Community rows or ids, or an iterable of ids."""
    if communities is not None:
        if isinstance(communities, Select):
            ids = communities.with_only_columns(Community.id).order_by(None)
        else:
            ids = list(communities)
        query = query.where(Ticket.community_id.in_(ids))
    if agency_id is not None:
        query = query.where(Ticket.agency_id == agency_id)
    return query.where(Ticket.channel != "patrol")


def _bucket(column, periods: list[Period]):
    """The index of the period ``column`` falls in (None outside every period): a CASE over the boundaries."""
    return case(*[(and_(column >= p.start, column < p.end), literal(i)) for i, p in enumerate(periods)],
                else_=literal(None))


def _key(by: str | None, column, periods):
    if by == "community":
        return Ticket.community_id
    if by == "agency":
        return Ticket.agency_id
    if by == "period":
        return _bucket(column, periods)
    return literal(0)


def _counts(by: str | None, start: datetime, end: datetime, communities, agency_id, periods) -> dict:
    """{key: {due, answered_in_time, callbacks, solved, satisfied}} from two grouped queries."""
    figures: dict = {}

    def slot(key):
        return figures.setdefault(key, {"due": 0, "answered_in_time": 0, "callbacks": 0, "solved": 0,
                                        "satisfied": 0})

    key = _key(by, Ticket.due_at, periods).label("key")
    in_time = func.sum(case((and_(Ticket.first_answered_at.is_not(None), Ticket.first_answered_at <= Ticket.due_at),
                             1), else_=0))
    due = _scope(select(key, func.count(Ticket.id), in_time)
                 .where(Ticket.due_at >= start, Ticket.due_at < end, Ticket.state.not_in(NOT_DUE)),
                 communities, agency_id).group_by(key)
    for row_key, count, answered in db.session.execute(due):
        figures_row = slot(row_key)
        figures_row["due"], figures_row["answered_in_time"] = int(count), int(answered or 0)

    key = _key(by, TicketEvent.at, periods).label("key")
    satisfaction = TicketEvent.details["satisfaction"].as_string()
    callbacks = _scope(select(key, func.count(TicketEvent.id),
                              func.sum(case((TicketEvent.to_state == "closed", 1), else_=0)),
                              func.sum(case((satisfaction.in_(SATISFIED), 1), else_=0)))
                       .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                       .where(TicketEvent.action == "callback", TicketEvent.at >= start, TicketEvent.at < end),
                       communities, agency_id).group_by(key)
    for row_key, count, solved, satisfied in db.session.execute(callbacks):
        figures_row = slot(row_key)
        figures_row.update(callbacks=int(count), solved=int(solved or 0), satisfied=int(satisfied or 0))
    return figures


def with_rates(figures: dict) -> dict:
    return figures | {"response_rate": rate(figures["answered_in_time"], figures["due"]),
                      "resolution_rate": rate(figures["solved"], figures["callbacks"]),
                      "satisfaction_rate": rate(figures["satisfied"], figures["callbacks"])}


EMPTY = {"due": 0, "answered_in_time": 0, "callbacks": 0, "solved": 0, "satisfied": 0}


def complaint_rates(start: datetime, end: datetime, *, communities=None, agency_id: int | None = None,
                    by: str | None = None, periods: list[Period] | None = None) -> dict:
    """The rates over [start, end) for the communities given (None: all) and, for an agency's own view, only the
    tickets with ``agency_id``. ``by``: None for one total, or "community", "agency", "period" (``periods`` then
    names the buckets; tickets outside them are not counted). Returns {"total": {...}, "rows": [{key, label, ...}]}
    with the counts and the three rates (None when a denominator is 0)."""
    if by not in (None, *GROUPINGS):
        raise ValueError(by)
    periods = periods or []
    if by == "period":
        start, end = min([start, *(p.start for p in periods)]), max([end, *(p.end for p in periods)])
    total = _counts(None, start, end, communities, agency_id, periods).get(0, dict(EMPTY))
    result = {"total": with_rates(dict(EMPTY) | total), "rows": []}
    if by is None:
        return result
    figures = _counts(by, start, end, communities, agency_id, periods)
    if by == "period":
        figures.pop(None, None)
        if figures or periods:
            # every period gets a row, an empty one too, so a chart has no holes
            result["rows"] = [{"key": p.key, "label": period_label(p.key), "start": p.start, "end": p.end}
                              | with_rates(dict(EMPTY) | figures.get(i, {})) for i, p in enumerate(periods)]
            result["total"] = with_rates(_sum(figures.values()))
        return result
    model = Community if by == "community" else Organisation
    names = {}
    ids = [key for key in figures if key is not None]
    if ids:
        if model is Community:
            names = {row.id: (row.code, f"{row.code} {row.name}") for row in
                     db.session.execute(select(Community.id, Community.code, Community.name)
                                        .where(Community.id.in_(ids)))}
        else:
            names = {row.id: (row.name, row.name) for row in
                     db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))}
    rows = []
    for key, counts in figures.items():
        code, text = names.get(key, ("", _("Not dispatched")))
        rows.append({"key": key, "code": code, "label": text} | with_rates(dict(EMPTY) | counts))
    rows.sort(key=lambda row: (row["key"] is None, row["code"]))
    result["rows"] = rows
    return result


def _sum(rows: Iterable[dict]) -> dict:
    total = dict(EMPTY)
    for row in rows:
        for name in EMPTY:
            total[name] += row.get(name, 0)
    return total


# --- hot spots → the plan inputs' flags ---------------------------------------------------------------------------

def complaint_hotspots(community: Community, now: datetime | None = None) -> list[dict]:
    """Buildings where residents keep complaining about one thing: ≥ HOTSPOT_TICKETS tickets of one category that
    are still open or were received in the last HOTSPOT_DAYS days (duplicates, rejections and patrol findings
    aside). One dict per (building, category), the most tickets first, each with its "message" for the flags."""
    now = now or utcnow()
    recent = now - timedelta(days=HOTSPOT_DAYS)
    count = func.count(Ticket.id)
    rows = db.session.execute(
        select(Building.name, Building.sort_key, ComplaintCategory.code, ComplaintCategory.name, count,
               func.sum(case((Ticket.state.in_(OPEN_STATES), 1), else_=0)))
        .join(Building, Building.id == Ticket.building_id)
        .join(ComplaintCategory, ComplaintCategory.id == Ticket.category_id)
        .where(Ticket.community_id == community.id, Ticket.state.not_in(NOT_DUE), Ticket.channel != "patrol",
               or_(Ticket.state.in_(OPEN_STATES), Ticket.received_at >= recent))
        .group_by(Building.name, Building.sort_key, ComplaintCategory.code, ComplaintCategory.name)
        .having(count >= HOTSPOT_TICKETS)
        .order_by(count.desc(), Building.sort_key, ComplaintCategory.code)).all()
    return [{"building": building, "category": code, "category_name": name, "tickets": int(tickets),
             "open": int(still_open or 0),
             "message": _("Building %(building)s: %(count)d complaints about %(category)s in the last %(days)d days "
                          "or still open.", building=building, count=int(tickets), category=name, days=HOTSPOT_DAYS)}
            for building, _sort, code, name, tickets, still_open in rows]
