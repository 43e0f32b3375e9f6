"""What the complaint pages read: the desk's queue (one indexed query), households found by address or phone,
suggested duplicates before filing, the audited reveal of a ticket's phone number; the categories and buildings a
form offers or names; a household's own tickets, their public timeline and photos; the patrol findings' list."""
import functools
import re
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, func, or_, select, text
from sqlalchemy.orm import selectinload

from participation.audit import record
from participation.complaints.deadlines import WorkCalendar, runs_on_working_days, time_left
from participation.complaints.patrols import patrol_communities, visible_findings
from participation.entry.assisted import find_households
from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import (OPEN_STATES, Building, Community, ComplaintCategory, Household, Organisation,
                                  PatrolFinding, Ticket, TicketEvent, TicketPhoto, Unit, User)
from participation.models.complaints import OPEN_PREDICATE
from participation.models.types import utcnow
from participation.permissions import (CITY_WIDE_ROLES, TICKET_DESK, WORKS_AGENCY_KINDS, can_view_community,
                                       can_view_household, visible_communities)

PAGE_SIZE = 50
DUE_SOON = timedelta(hours=24)
DUPLICATE_WINDOW = timedelta(days=7)
PHONE_RESULTS = 20
FIRST_LINE_READ = 200    # characters of a description the queue reads for its first line
FIRST_LINE_SHOWN = 60
# The queue within each due band (overdue, due within DUE_SOON, later): emergencies, then urgent, then the rest.
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}


def phone_digits(text: str | None) -> str:
    """The number as typed, without spaces, dashes, brackets or a +86 / 0086 prefix."""
    compact = re.sub(r"[\s()（）\-]", "", text or "")
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix):]
    return compact


def households_by_phone(user: User, text: str) -> list[Household]:
    """Households the user sees whose phone is exactly the number typed (normalised on both sides)."""
    digits = phone_digits(text)
    if len(digits) < 7 or not digits.isdigit():
        return []
    candidates = {digits, text.strip()}
    if len(digits) > 8 and digits.startswith("0"):     # landlines are stored as written: 0431-88888888
        candidates |= {f"{digits[:4]}-{digits[4:]}", f"{digits[:3]}-{digits[3:]}"}
    communities = visible_communities(user).with_only_columns(Community.id).order_by(None)
    found = db.session.scalars(
        select(Household).join(Household.unit).join(Unit.building)
        .where(Building.community_id.in_(communities), Household.phone.in_(candidates))
        .order_by(Household.id).limit(PHONE_RESULTS)).all()
    return [household for household in found if user.role != "grid" or _grid_sees(user, household)]


def _grid_sees(user: User, household: Household) -> bool:
    return can_view_household(user, household)


def households_by_address(user: User, community: Community, *, building: str = "", unit: str = "", room: str = "",
                          text: str = "") -> list[Household]:
    """By 楼栋/单元/房号, or a free text such as "3号楼2单元502" or "3-2-502" (one number alone is a room)."""
    if text.strip() and not (building or unit or room):
        numbers = re.findall(r"[0-9]+", text)
        if not numbers:
            return []
        if len(numbers) == 1:
            room = numbers[0]
        elif len(numbers) == 2:
            building, room = numbers
        else:
            building, unit, room = numbers[:3]
    return find_households(user, community, building=building, unit=unit, room=room)


def community_by_text(user: User, text: str) -> Community | None:
    """A community the user sees, by its code or its exact name."""
    text = (text or "").strip()
    if not text:
        return None
    return db.session.scalar(visible_communities(user).where(or_(Community.code == text, Community.name == text))
                             .limit(1))


def duplicate_suggestions(community: Community, building: Building | None, category: ComplaintCategory,
                          now: datetime | None = None) -> list[Ticket]:
    """Open tickets of the same building (or the community, for a common area) and category in the last 7 days."""
    now = now or utcnow()
    query = (select(Ticket).where(Ticket.community_id == community.id, Ticket.category_id == category.id,
                                  Ticket.state.in_(OPEN_STATES), Ticket.received_at >= now - DUPLICATE_WINDOW)
             .order_by(Ticket.received_at.desc()).limit(10))
    query = query.where(Ticket.building_id == building.id) if building is not None \
        else query.where(Ticket.building_id.is_(None))
    return db.session.scalars(query).all()


def ticket_visible(user: User, ticket: Ticket) -> bool:
    """Desk staff: tickets of the communities they see; agencies: the tickets that are with their organisation."""
    if user.role == "agency":
        return user.organisation_id is not None and ticket.agency_id == user.organisation_id
    return user.role in TICKET_DESK and can_view_community(user, ticket.community)


# The queue's columns, from the tables themselves: the page is a Core statement, built once per shape of filters
# and kept (the desk opens it all day long), so a request pays for executing it and for 50 plain rows, nothing else.
_T = Ticket.__table__
_AGENCY = Organisation.__table__.alias("agency")
_COMMUNITY, _CATEGORY, _BUILDING = Community.__table__, ComplaintCategory.__table__, Building.__table__
_QUEUE_COLUMNS = (_T.c.receipt, _T.c.state, _T.c.urgency, _T.c.due_at, _T.c.channel, _T.c.place,
                  _T.c.escalated_at.is_not(None), _T.c.extension_until.is_not(None), _COMMUNITY.c.code,
                  _COMMUNITY.c.name, _CATEGORY.c.name, _AGENCY.c.name, _BUILDING.c.name, _T.c.limit_class,
                  func.substr(_T.c.description, 1, FIRST_LINE_READ))
_FILTERS = {
    "state": lambda: _T.c.state == bindparam("state"),
    "agency_user": lambda: _T.c.agency_id == bindparam("agency_user"),
    "community": lambda: _T.c.community_id.in_(select(_COMMUNITY.c.id).where(_COMMUNITY.c.code == bindparam("community"))),
    "category": lambda: _T.c.category_id.in_(select(_CATEGORY.c.id).where(_CATEGORY.c.code == bindparam("category"))),
    "agency": lambda: _T.c.agency_id == bindparam("agency"),
    # the staff to-do's lines (dashboards/todo.py counts with queue_count, so a count and its list agree)
    "overdue": lambda: _T.c.due_at < bindparam("overdue"),
    "due_soon": lambda: _T.c.due_at.between(bindparam("due_soon_from"), bindparam("due_soon")),
    "reopened": lambda: _T.c.reopened >= bindparam("reopened"),
}
# Bound values a filter needs besides the one named after it.
_FILTER_EXTRAS = {"due_soon": ("due_soon_from",)}
# ?due= on the queue: overdue (past the deadline), soon (due within DUE_SOON, not yet overdue).
DUE_FILTERS = ("overdue", "soon")


def _queue_statement(filters: tuple[str, ...], literal_page: bool, scope=None):
    """The page's ids first, in due order straight from ix_tickets_open_due (a partial index of open tickets), then
    the joins for those 51 rows only; filters by code are id sub-selects so nothing joins before the LIMIT. The
    index's own predicate is written word for word, so both planners see that the partial index applies, and only
    once: stated twice, PostgreSQL squares its selectivity and sorts every open ticket instead.

    LIMIT and OFFSET are bound parameters for SQLite, whose planner walks the partial index in order for a bound
    limit but, given the literal 51, reads a district's every ticket through ix_tickets_community_due and sorts them
    (0.1 ms against 14 ms); and literals for PostgreSQL (``literal_page``), whose driver prepares a statement run
    five times with a generic plan that, not knowing the limit, joins before it limits (0.6 ms against 1.2 ms)."""
    ids = _open_ids(filters, scope)
    page = (ids.order_by(_T.c.due_at, _T.c.id)
            .offset(bindparam("offset", type_=Integer, literal_execute=literal_page))
            .limit(bindparam("limit", type_=Integer, literal_execute=literal_page)).subquery("page"))
    return (select(*_QUEUE_COLUMNS)
            .join_from(_T, page, page.c.id == _T.c.id)
            .join(_COMMUNITY, _COMMUNITY.c.id == _T.c.community_id)
            .join(_CATEGORY, _CATEGORY.c.id == _T.c.category_id)
            .outerjoin(_AGENCY, _AGENCY.c.id == _T.c.agency_id)
            .outerjoin(_BUILDING, _BUILDING.c.id == _T.c.building_id)
            .order_by(_T.c.due_at, _T.c.id))


def _open_ids(filters: tuple[str, ...], scope=None):
    ids = select(_T.c.id).where(text(OPEN_PREDICATE))
    for name in filters:
        ids = ids.where(_FILTERS[name]())
    if scope is not None:
        ids = ids.where(_T.c.community_id.in_(scope))
    return ids


_cached_queue_statement = functools.lru_cache(maxsize=64)(_queue_statement)


@functools.lru_cache(maxsize=512)
def _scoped_queue_statement(filters: tuple[str, ...], literal_page: bool, user_id: int, role: str,
                            district_id: int | None, organisation_id: int | None):
    """The statement for someone whose scope is a sub-select of the communities they see. It is kept per user and
    the four attributes ``visible_communities`` reads, so a changed role or district makes a new one; the lists of
    communities and buildings a user is given are read by the sub-select when it runs, never kept."""
    who = User(id=user_id, role=role, district_id=district_id, organisation_id=organisation_id)
    return _queue_statement(filters, literal_page, visible_communities(who).with_only_columns(Community.id).order_by(None))


def _queue_params(user: User, now: datetime, *, community, state, category, agency, due, reopened) -> dict:
    params = {"state": state if state in OPEN_STATES else None, "community": community or None,
              "category": category or None, "agency": agency or None,
              "overdue": now if due == "overdue" else None, "due_soon": now + DUE_SOON if due == "soon" else None,
              "due_soon_from": now, "reopened": 1 if reopened else None}
    if user.role == "agency":
        params["agency_user"] = user.organisation_id or -1
    return params


def _bound(filters: tuple[str, ...], params: dict) -> dict:
    return {key: params[key] for name in filters for key in (name, *_FILTER_EXTRAS.get(name, ()))}


def queue_count(user: User, *, community: str | None = None, state: str | None = None, category: str | None = None,
                agency: int | None = None, due: str | None = None, reopened: bool = False,
                now: datetime | None = None) -> int:
    """How many open tickets ``queue`` lists for the same filters, all pages together: the staff to-do's counts."""
    params = _queue_params(user, now or utcnow(), community=community, state=state, category=category,
                           agency=agency, due=due, reopened=reopened)
    filters = tuple(name for name in _FILTERS if params.get(name) is not None)
    scope = None
    if user.role != "agency" and not (user.role in CITY_WIDE_ROLES and user.district_id is None):
        scope = visible_communities(user).with_only_columns(Community.id).order_by(None)
    ids = _open_ids(filters, scope).subquery()
    return db.session.scalar(select(func.count()).select_from(ids), _bound(filters, params))


def queue(user: User, *, community: str | None = None, state: str | None = None, category: str | None = None,
          agency: int | None = None, due: str | None = None, reopened: bool = False, page: int = 1,
          now: datetime | None = None) -> dict:
    """One page of open tickets the user may see, by due time (urgent ones first within each due band), as plain
    rows with overdue and due-soon flags, the time left and the description's first line. One query: a city-wide
    desk and an agency (its own tickets) use a statement kept per shape of filters; anyone else's scope is the
    sub-select of the communities they see, built for them — and a second, small one for the holiday table only when
    the page holds a ticket on the working-day clock. ``due`` ("overdue" or "soon") and ``reopened`` (重办 tickets
    only) are the staff to-do's filters."""
    now = now or utcnow()
    page = max(1, page)
    params = _queue_params(user, now, community=community, state=state, category=category, agency=agency, due=due,
                           reopened=reopened) | {"offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE + 1}
    filters = tuple(name for name in _FILTERS if params.get(name) is not None)
    literal_page = db.session.get_bind().dialect.name == "postgresql"
    if user.role == "agency" or (user.role in CITY_WIDE_ROLES and user.district_id is None):
        statement = _cached_queue_statement(filters, literal_page)
    else:
        statement = _scoped_queue_statement(filters, literal_page, user.id, user.role, user.district_id,
                                            user.organisation_id)
    rows = db.session.execute(statement, _bound(filters, params) | {"offset": params["offset"],
                                                                     "limit": params["limit"]}).all()
    soon = now + DUE_SOON
    complex_days = [row.due_at for row in rows[:PAGE_SIZE] if runs_on_working_days(row.limit_class)]
    calendar = WorkCalendar.load(range(now.astimezone(BEIJING).year, max(complex_days).astimezone(BEIJING).year + 1)) \
        if complex_days else None
    items = [{
        "receipt": receipt, "state": state_, "urgency": urgency, "due_at": due_at, "channel": channel,
        "place": place, "community_code": community_code, "community_name": community_name,
        "category": category_name, "agency": agency_name, "building": building,
        "escalated": bool(escalated), "extension_asked": bool(extension_asked),
        "overdue": due_at < now, "due_soon": now <= due_at < soon, "first_line": first_line(description),
        "left": time_left(due_at, now, working_days=runs_on_working_days(limit_class), calendar=calendar),
    } for (receipt, state_, urgency, due_at, channel, place, escalated, extension_asked, community_code,
           community_name, category_name, agency_name, building, limit_class, description) in rows[:PAGE_SIZE]]
    # Urgent tickets first within their due band. The page is read in due order from the partial index (its speed
    # depends on it), so the bands are re-ordered here, within the page: a band that runs on to the next page keeps
    # its urgent tickets of that page at the top of that page.
    items.sort(key=lambda item: (0 if item["overdue"] else 1 if item["due_soon"] else 2,
                                 URGENCY_RANK.get(item["urgency"], len(URGENCY_RANK))))
    return {"items": items, "page": page, "has_next": len(rows) > PAGE_SIZE, "has_previous": page > 1}


def first_line(description: str | None) -> str:
    """The description's first non-empty line, cut to FIRST_LINE_SHOWN characters with an ellipsis."""
    line = next((part.strip() for part in (description or "").splitlines() if part.strip()), "")
    return line if len(line) <= FIRST_LINE_SHOWN else line[:FIRST_LINE_SHOWN - 1] + "…"


def timeline(ticket: Ticket) -> list[TicketEvent]:
    return db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                              .order_by(TicketEvent.at, TicketEvent.id)).all()


def ticket_by_receipt(receipt: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.receipt == (receipt or "").strip().upper()))


def reveal_ticket_phone(actor: User, ticket: Ticket) -> str | None:
    """The full number of the ticket's household or caller; the caller checked the role. Every reveal is audited."""
    whose = "household" if ticket.household_id is not None else "caller"
    phone = ticket.household.phone if ticket.household is not None else ticket.caller_phone
    record(actor, "ticket.phone_reveal", ticket, community=ticket.community_id, receipt=ticket.receipt, whose=whose)
    db.session.flush()
    return phone


# --- what the forms offer and name ----------------------------------------------------------------------------------

def desk_categories() -> list[ComplaintCategory]:
    """The desk's category choices, one per code (each locality has its own rows; the community's are used when
    filing)."""
    rows = db.session.scalars(select(ComplaintCategory).where(ComplaintCategory.retired_at.is_(None))
                              .order_by(ComplaintCategory.position, ComplaintCategory.id)).all()
    seen, unique = set(), []
    for row in rows:
        if row.code not in seen:
            seen.add(row.code)
            unique.append(row)
    return unique


def community_categories(community: Community) -> list[ComplaintCategory]:
    """The live categories of the community's locality, in their order."""
    return list(db.session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.locality_id == community.district.locality_id,
                                        ComplaintCategory.retired_at.is_(None))
        .order_by(ComplaintCategory.position, ComplaintCategory.id)))


def categories_of_localities(communities: list[Community]) -> list[ComplaintCategory]:
    """The live categories of the localities of ``communities``, locality by locality."""
    localities = {c.district.locality_id for c in communities}
    return list(db.session.scalars(select(ComplaintCategory).where(
        ComplaintCategory.locality_id.in_(localities), ComplaintCategory.retired_at.is_(None))
        .order_by(ComplaintCategory.locality_id, ComplaintCategory.position, ComplaintCategory.id)))


def live_category(community: Community, code: str) -> ComplaintCategory | None:
    """The community's locality's live category of ``code``."""
    return db.session.scalar(select(ComplaintCategory).filter_by(
        locality_id=community.district.locality_id, code=code, retired_at=None))


def building_named(community: Community, names) -> Building | None:
    """The building of ``community`` called by one of ``names`` (a name, or the ways a desk may write it)."""
    return db.session.scalar(select(Building).where(Building.community_id == community.id,
                                                    Building.name.in_(list(names))).limit(1))


def dispatch_agencies() -> list[Organisation]:
    """The organisations a ticket can be with (contractors and supervisors), by name: the queue's agency filter."""
    return list(db.session.scalars(select(Organisation).where(Organisation.kind.in_(WORKS_AGENCY_KINDS))
                                   .order_by(Organisation.name)))


# --- a household's own tickets ----------------------------------------------------------------------------------

def household_tickets(household: Household) -> list[Ticket]:
    """The household's tickets, newest first."""
    return list(db.session.scalars(select(Ticket).where(Ticket.household_id == household.id)
                                   .order_by(Ticket.received_at.desc(), Ticket.id.desc())))


def household_ticket(household: Household, receipt: str) -> Ticket | None:
    """The household's ticket of that receipt; None for another household's."""
    return db.session.scalar(select(Ticket).where(Ticket.receipt == receipt, Ticket.household_id == household.id))


def public_timeline(ticket: Ticket) -> list[TicketEvent]:
    """The steps the resident reads (an extension's approval or refusal is the desk's own)."""
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.public.is_(True))
                                   .order_by(TicketEvent.at, TicketEvent.id)))


def ticket_photos(ticket: Ticket) -> list[TicketPhoto]:
    """All the ticket's photos in the order they came (the resident's, then each reply's): a photo's number in the
    photo links is its place in this list."""
    return list(db.session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)
                                   .order_by(TicketPhoto.id)))


def photos_by_step(photos: list[TicketPhoto]) -> dict:
    """The photos numbered (1, 2, …) and grouped by the step they were sent with: None for the resident's own,
    a reply's event id for that reply's proof of the fix."""
    grouped: dict = {}
    for number, photo in enumerate(photos, start=1):
        grouped.setdefault(photo.event_id, []).append((number, photo))
    return grouped


def actor_name(user: User | None) -> str | None:
    """Who took a ticket's step, as the staff pages name them: an agency's people by their organisation, anyone else
    by their display name (never the login name)."""
    if user is None:
        return None
    if user.role == "agency" and user.organisation is not None:
        return user.organisation.name
    return user.display_name or None


def public_actor_name(event: TicketEvent) -> str | None:
    """Who took a step, as the resident reads it: the agency that signed for or answered the ticket (an
    organisation's name, as "Sent to …" already says); the desk's people are not named to residents."""
    actor = event.actor
    if actor is not None and actor.role == "agency" and actor.organisation is not None:
        return actor.organisation.name
    return None


# --- patrol findings --------------------------------------------------------------------------------------------

def communities_to_patrol(user: User) -> list[Community]:
    """The communities ``user`` may file findings for."""
    return list(db.session.scalars(patrol_communities(user)))


def findings_shown(user: User, limit: int) -> tuple[list[PatrolFinding], dict[int, str], dict[int, str]]:
    """The newest ``limit`` findings ``user`` may read (with their steps and photos), the names of their buildings
    (id → name) and of the people who took their steps (id → display name, else username)."""
    rows = list(db.session.scalars(visible_findings(user).options(
        selectinload(PatrolFinding.events), selectinload(PatrolFinding.photos)).limit(limit)))
    ids = {row.building_id for row in rows if row.building_id is not None}
    buildings = dict(db.session.execute(select(Building.id, Building.name).where(Building.id.in_(ids))).all()) \
        if ids else {}
    actors = {event.actor_id for row in rows for event in row.events}
    names = {user_id: display_name or username for user_id, display_name, username in db.session.execute(
        select(User.id, User.display_name, User.username).where(User.id.in_(actors)))} if actors else {}
    return rows, buildings, names
