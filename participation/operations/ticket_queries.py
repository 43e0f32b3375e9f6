"""What the hotline desk reads: the queue (one indexed query), households found by address or phone, suggested
duplicates before filing, and the audited reveal of a ticket's phone number."""
import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text
from sqlalchemy.orm import aliased

from participation.extensions import db
from participation.models import (OPEN_STATES, Building, Community, ComplaintCategory, Household, Organisation, Ticket,
                                  TicketEvent, Unit, User)
from participation.models.complaints import OPEN_PREDICATE
from participation.models.types import utcnow
from participation.operations.assisted import find_households
from participation.operations.audit import record
from participation.permissions import can_view_community, can_view_household, visible_communities

PAGE_SIZE = 50
DUE_SOON = timedelta(hours=24)
DUPLICATE_WINDOW = timedelta(days=7)
PHONE_RESULTS = 20


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
    return user.role in ("hotline", "organiser", "admin") and can_view_community(user, ticket.community)


def queue(user: User, *, community: str | None = None, state: str | None = None, category: str | None = None,
          agency: int | None = None, page: int = 1, now: datetime | None = None) -> dict:
    """One page of open tickets the user may see, by due time, as plain rows with overdue and due-soon flags.
    One query (the scope is a sub-select) walks ix_tickets_queue, or ix_tickets_agency_due for an agency."""
    now = now or utcnow()
    page = max(1, page)
    # The page's ids first, in due order straight from ix_tickets_open_due (a partial index of open tickets),
    # then the joins for those 51 rows only; filters by code become id sub-selects so nothing joins before the LIMIT.
    # the index's own predicate, word for word, so both planners see the partial index applies (and only once:
    # stated twice, PostgreSQL squares its selectivity and sorts every open ticket instead)
    ids = select(Ticket.id).where(text(OPEN_PREDICATE))
    if state in OPEN_STATES:
        ids = ids.where(Ticket.state == state)
    if user.role == "agency":
        ids = ids.where(Ticket.agency_id == (user.organisation_id or -1))
    elif not (user.role in ("admin", "hotline") and user.district_id is None):
        ids = ids.where(Ticket.community_id.in_(
            visible_communities(user).with_only_columns(Community.id).order_by(None)))
    if community:
        ids = ids.where(Ticket.community_id.in_(select(Community.id).where(Community.code == community)))
    if category:
        ids = ids.where(Ticket.category_id.in_(select(ComplaintCategory.id).where(ComplaintCategory.code == category)))
    if agency:
        ids = ids.where(Ticket.agency_id == agency)
    page_ids = ids.order_by(Ticket.due_at, Ticket.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1).subquery()
    Agency = aliased(Organisation)
    query = (select(Ticket.receipt, Ticket.state, Ticket.urgency, Ticket.due_at, Ticket.received_at,
                    Ticket.channel, Ticket.place, Ticket.caller_phone, Ticket.escalated_at, Ticket.extension_until,
                    Community.code.label("community_code"), Community.name.label("community_name"),
                    ComplaintCategory.name.label("category"), Agency.name.label("agency"),
                    Building.name.label("building"))
             .join(page_ids, page_ids.c.id == Ticket.id)
             .join(Community, Community.id == Ticket.community_id)
             .join(ComplaintCategory, ComplaintCategory.id == Ticket.category_id)
             .outerjoin(Agency, Agency.id == Ticket.agency_id)
             .outerjoin(Building, Building.id == Ticket.building_id)
             .order_by(Ticket.due_at, Ticket.id))
    rows = db.session.execute(query).all()
    items = [{
        "receipt": row.receipt, "state": row.state, "urgency": row.urgency, "due_at": row.due_at,
        "received_at": row.received_at, "channel": row.channel, "place": row.place,
        "community_code": row.community_code, "community_name": row.community_name, "category": row.category,
        "agency": row.agency, "building": row.building, "escalated": row.escalated_at is not None,
        "extension_asked": row.extension_until is not None,
        "overdue": row.due_at < now, "due_soon": now <= row.due_at < now + DUE_SOON,
    } for row in rows[:PAGE_SIZE]]
    return {"items": items, "page": page, "has_next": len(rows) > PAGE_SIZE, "has_previous": page > 1}


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
