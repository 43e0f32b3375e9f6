"""The complaint figures the hotline desk (``/hotline/dashboard``) and the organiser dashboard chart (issue 5,
point 6): plain dicts and lists from GROUP BY queries, never one query per ticket.

Readings, stated once here:
- what is open now (by state, by due bucket) is what the queue lists: every channel, ``OPEN_STATES``; overdue is
  ``due_at`` before now, due soon within ``DUE_SOON`` (the queue's flags);
- new and closed per day follow the weekly bulletin: received, or closed (``state == "closed"``) on that Beijing
  day; tickets filed from a patrol are left out, like the rates;
- the three rates are ``participation.complaints.rates``'s, over the last ``RATE_DAYS`` Beijing days;
  per category they are counted the same way (due in the period, answered by the deadline; call-backs answered);
- patrol findings are counted apart (open: no ``rectified_at``) and never enter a rate.
A scope is ``{"communities": None (all) | a select of communities | ids, "agency_id": None | an organisation}``:
desk staff get the communities they see, an agency the tickets that are with it (as in the queue).
"""
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, literal, or_, select

from participation.complaints.queries import DUE_SOON
from participation.complaints.rates import EMPTY, NOT_DUE, SATISFIED, _scope, complaint_rates, with_rates
from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.models import OPEN_STATES, Community, ComplaintCategory, PatrolFinding, Ticket, TicketEvent, User
from participation.models.types import utcnow
from participation.permissions import CITY_WIDE_ROLES, visible_communities

TREND_DAYS = 28
RATE_DAYS = 30
DUE_BUCKETS = ("overdue", "due_soon", "later")


def user_scope(user: User) -> dict:
    """The tickets ``user`` reads on the desk: an agency those with its organisation, desk staff those of the
    communities they see (None for city-wide staff, so the queries need no sub-select)."""
    if user.role == "agency":
        return {"communities": None, "agency_id": user.organisation_id or -1}
    if user.role in CITY_WIDE_ROLES and user.district_id is None:
        return {"communities": None, "agency_id": None}
    return {"communities": visible_communities(user), "agency_id": None}


def community_scope(community: Community) -> dict:
    return {"communities": [community.id], "agency_id": None}


def _community_ids(communities):
    if isinstance(communities, Select):
        return communities.with_only_columns(Community.id).order_by(None)
    return list(communities)


def _tickets(query: Select, communities, agency_id) -> Select:
    """Scope a ticket query without dropping patrol-channel tickets (the open workload is the queue's)."""
    if communities is not None:
        query = query.where(Ticket.community_id.in_(_community_ids(communities)))
    if agency_id is not None:
        query = query.where(Ticket.agency_id == agency_id)
    return query


def open_by_state(*, communities=None, agency_id=None) -> list[dict]:
    """Open tickets per state, in the order of the flow, every open state listed (0 included)."""
    counts = dict(db.session.execute(_tickets(
        select(Ticket.state, func.count(Ticket.id)).where(Ticket.state.in_(OPEN_STATES)),
        communities, agency_id).group_by(Ticket.state)).all())
    return [{"state": state, "count": int(counts.get(state, 0))} for state in OPEN_STATES]


def open_by_due(*, communities=None, agency_id=None, now: datetime | None = None) -> dict:
    """Open tickets overdue, due within ``DUE_SOON``, and due later; with their total."""
    now = now or utcnow()
    bucket = case((Ticket.due_at < now, literal("overdue")), (Ticket.due_at < now + DUE_SOON, literal("due_soon")),
                  else_=literal("later")).label("bucket")
    counts = dict(db.session.execute(_tickets(
        select(bucket, func.count(Ticket.id)).where(Ticket.state.in_(OPEN_STATES)),
        communities, agency_id).group_by(bucket)).all())
    figures = {name: int(counts.get(name, 0)) for name in DUE_BUCKETS}
    return figures | {"total": sum(figures.values())}


def last_days(now: datetime, days: int) -> tuple[list[date], datetime, datetime]:
    """The last ``days`` Beijing days up to today, and [their first midnight, tomorrow's midnight) in UTC."""
    today = now.astimezone(BEIJING).date()
    first = today - timedelta(days=days - 1)
    return [first + timedelta(days=n) for n in range(days)], beijing_midnight(first), \
        beijing_midnight(today + timedelta(days=1))


def _day_bucket(column, days: list[date]):
    return case(*[(and_(column >= beijing_midnight(day), column < beijing_midnight(day + timedelta(days=1))),
                   literal(index)) for index, day in enumerate(days)], else_=literal(None))


def daily_flow(*, communities=None, agency_id=None, now: datetime | None = None, days: int = TREND_DAYS) -> list[dict]:
    """[{day, new, closed}] for each of the last ``days`` Beijing days, the oldest first: two grouped queries."""
    now = now or utcnow()
    day_list, start, end = last_days(now, days)
    rows = [{"day": day, "new": 0, "closed": 0} for day in day_list]
    for name, column, condition in (("new", Ticket.received_at, literal(True)),
                                    ("closed", Ticket.closed_at, Ticket.state == "closed")):
        bucket = _day_bucket(column, day_list).label("bucket")
        query = _scope(select(bucket, func.count(Ticket.id)).where(column >= start, column < end, condition),
                       communities, agency_id).group_by(bucket)
        for index, count in db.session.execute(query):
            if index is not None:
                rows[int(index)][name] = int(count)
    return rows


def rates_by_category(start: datetime, end: datetime, *, communities=None, agency_id=None) -> list[dict]:
    """The three rates per complaint category over [start, end), counted as ``complaint_rates`` counts them, plus
    the tickets received in the period and those open now. Categories are merged by code across localities."""
    rows: dict = {}

    def slot(code, name):
        return rows.setdefault(code, {"key": code, "code": code, "label": name, "received": 0, "open": 0}
                               | dict(EMPTY))

    columns = (ComplaintCategory.code, ComplaintCategory.name)
    joined = select(*columns).select_from(Ticket).join(ComplaintCategory, ComplaintCategory.id == Ticket.category_id)
    in_time = func.sum(case((and_(Ticket.first_answered_at.is_not(None), Ticket.first_answered_at <= Ticket.due_at),
                             1), else_=0))
    due = _scope(joined.add_columns(func.count(Ticket.id), in_time)
                 .where(Ticket.due_at >= start, Ticket.due_at < end, Ticket.state.not_in(NOT_DUE)),
                 communities, agency_id).group_by(*columns)
    for code, name, count, answered in db.session.execute(due):
        row = slot(code, name)
        row["due"] += int(count)
        row["answered_in_time"] += int(answered or 0)

    satisfaction = TicketEvent.details["satisfaction"].as_string()
    callbacks = _scope(select(*columns, func.count(TicketEvent.id),
                              func.sum(case((TicketEvent.to_state == "closed", 1), else_=0)),
                              func.sum(case((satisfaction.in_(SATISFIED), 1), else_=0)))
                       .select_from(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                       .join(ComplaintCategory, ComplaintCategory.id == Ticket.category_id)
                       .where(TicketEvent.action == "callback", TicketEvent.at >= start, TicketEvent.at < end),
                       communities, agency_id).group_by(*columns)
    for code, name, count, solved, satisfied in db.session.execute(callbacks):
        row = slot(code, name)
        row["callbacks"] += int(count)
        row["solved"] += int(solved or 0)
        row["satisfied"] += int(satisfied or 0)

    workload = _scope(joined.add_columns(
        func.sum(case((and_(Ticket.received_at >= start, Ticket.received_at < end), 1), else_=0)),
        func.sum(case((Ticket.state.in_(OPEN_STATES), 1), else_=0)))
        .where(or_(and_(Ticket.received_at >= start, Ticket.received_at < end), Ticket.state.in_(OPEN_STATES))),
        communities, agency_id).group_by(*columns)
    for code, name, received, still_open in db.session.execute(workload):
        row = slot(code, name)
        row["received"] += int(received or 0)
        row["open"] += int(still_open or 0)

    positions = dict(db.session.execute(select(ComplaintCategory.code, func.min(ComplaintCategory.position))
                                        .where(ComplaintCategory.code.in_(list(rows)))
                                        .group_by(ComplaintCategory.code)).all()) if rows else {}
    return sorted((with_rates(row) for row in rows.values()), key=lambda row: (positions.get(row["code"], 0),
                                                                               row["code"]))


def patrol_findings(*, communities=None, agency_id=None) -> dict:
    """Patrol findings open (not rectified) and rectified, in total and per category. An agency sees those of its
    works (as contractor) and of the communities it supervises, as on ``/patrols``."""
    query = (select(ComplaintCategory.code, ComplaintCategory.name,
                    func.sum(case((PatrolFinding.rectified_at.is_(None), 1), else_=0)),
                    func.sum(case((PatrolFinding.rectified_at.is_not(None), 1), else_=0)))
             .join(ComplaintCategory, ComplaintCategory.id == PatrolFinding.category_id)
             .group_by(ComplaintCategory.code, ComplaintCategory.name).order_by(ComplaintCategory.code))
    if communities is not None:
        query = query.where(PatrolFinding.community_id.in_(_community_ids(communities)))
    if agency_id is not None:
        supervised = select(Community.id).where(Community.supervisor_id == agency_id)
        query = query.where(or_(PatrolFinding.contractor_id == agency_id, PatrolFinding.community_id.in_(supervised)))
    by_category: dict = {}
    for code, name, still_open, rectified in db.session.execute(query):
        row = by_category.setdefault(code, {"code": code, "label": name, "open": 0, "rectified": 0})
        row["open"] += int(still_open or 0)
        row["rectified"] += int(rectified or 0)
    rows = list(by_category.values())
    still_open, rectified = sum(row["open"] for row in rows), sum(row["rectified"] for row in rows)
    return {"open": still_open, "rectified": rectified, "total": still_open + rectified, "by_category": rows}


def desk_dashboard(user: User, now: datetime | None = None) -> dict:
    """Everything ``/hotline/dashboard`` shows for ``user``."""
    now = now or utcnow()
    scope = user_scope(user)
    _days, start, end = last_days(now, RATE_DAYS)
    return {"now": now, "start": start, "end": end, "rate_days": RATE_DAYS, "trend_days": TREND_DAYS,
            "by_state": open_by_state(**scope), "by_due": open_by_due(**scope, now=now),
            "flow": daily_flow(**scope, now=now),
            "by_agency": complaint_rates(start, end, by="agency", **scope),
            "by_category": rates_by_category(start, end, **scope),
            "findings": patrol_findings(**scope)}


def community_complaints(community: Community, now: datetime | None = None, *, tickets: bool = True) -> dict:
    """The Complaints section of one community's organiser dashboard; without ``tickets`` (a reader of the patrol
    findings only) the patrol findings alone."""
    now = now or utcnow()
    scope = community_scope(community)
    _days, start, end = last_days(now, RATE_DAYS)
    figures = {"start": start, "end": end, "rate_days": RATE_DAYS, "findings": patrol_findings(**scope)}
    if tickets:
        figures |= {"by_state": open_by_state(**scope), "by_due": open_by_due(**scope, now=now),
                    "rates": complaint_rates(start, end, **scope)["total"],
                    "by_category": rates_by_category(start, end, **scope)}
    return figures
