"""The holiday table as admins keep it (DESIGN §5): a year's days off on weekdays and make-up working days (调休),
seeded from chinese-calendar and corrected by hand, and the deadlines that were estimated while a year had no data.

A change applies to deadlines computed afterwards; ``recompute_estimated`` is the one way back to tickets already
filed. Every change writes an audit row; nothing here commits.
"""
from dataclasses import dataclass
from datetime import date, datetime

import chinese_calendar
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import extract, func, select

from participation.audit import record
from participation.complaints.deadlines import seed_holidays, ticket_due
from participation.extensions import db
from participation.formatting import BEIJING
from participation.handlers import Refused
from participation.models import OPEN_STATES, Holiday, Ticket, TicketEvent
from participation.models.complaints import HOLIDAY_KINDS
from participation.reference.locality import FIRST_YEAR, LAST_YEAR

MAX_NAME = 40
ADMIN_SOURCE = "admin"
# Until participation/labels.py carries them: the words for the two kinds of day.
KIND_LABELS = {"holiday": _l("Day off (holiday)"), "workday": _l("Make-up working day (调休)")}
# Where a row came from, in words: typed by an admin, or seeded from the State Council's notices that the
# chinese-calendar package carries.
SOURCE_LABELS = {ADMIN_SOURCE: _l("Entered by an admin"), "chinese-calendar": _l("State Council notice (built in)")}
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))


class HolidayInvalid(Refused):
    """Input the table refuses; the message is shown as it is and nothing changed."""


@dataclass(frozen=True)
class YearSummary:
    year: int
    days: int
    admin_edits: int


# --- reading ------------------------------------------------------------------------------------------------------

def parse_year(text) -> int:
    text = str(text if text is not None else "").strip()
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise HolidayInvalid(_("A year is a whole number from %(first)d to %(last)d.", first=FIRST_YEAR,
                               last=LAST_YEAR))
    return int(text)


def parse_day(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise HolidayInvalid(_("Enter the date as year-month-day, for example 2026-10-10.")) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise HolidayInvalid(_("A year is a whole number from %(first)d to %(last)d.", first=FIRST_YEAR,
                               last=LAST_YEAR))
    return day


def days_of(year: int) -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).where(extract("year", Holiday.day) == year)
                                   .order_by(Holiday.day)))


def years_with_data() -> list[YearSummary]:
    """Every year the table has a row for, with how many days and how many of them an admin entered."""
    year = extract("year", Holiday.day)
    rows = db.session.execute(select(year, func.count(), func.count().filter(Holiday.source == ADMIN_SOURCE))
                              .group_by(year).order_by(year)).all()
    return [YearSummary(int(y), days, edits) for y, days, edits in rows]


def calendar_years() -> list[int]:
    """The years chinese-calendar knows (its data ends with the last State Council notice it shipped with)."""
    return sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})


def weekday_label(day: date) -> str:
    return str(WEEKDAYS[day.weekday()])


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def source_label(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))


# --- editing ------------------------------------------------------------------------------------------------------

def set_day(actor, day, kind: str, name: str | None = None) -> Holiday:
    """Add a day to the table, or change the one there; the row's source becomes "admin"."""
    day = parse_day(day)
    if kind not in HOLIDAY_KINDS:
        raise HolidayInvalid(_("Choose a day off or a make-up working day."))
    name = (name or "").strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise HolidayInvalid(_("At most %(count)d characters, please.", count=MAX_NAME))
    # A row that says what the week says anyway changes no deadline, but it would mark its year as known.
    if kind == "holiday" and day.weekday() >= 5:
        raise HolidayInvalid(_("%(day)s is a Saturday or Sunday, off anyway: only a Monday to Friday can be a day "
                               "off here.", day=day.isoformat()))
    if kind == "workday" and day.weekday() < 5:
        raise HolidayInvalid(_("%(day)s is a Monday to Friday, worked anyway: only a Saturday or Sunday can be a "
                               "make-up working day.", day=day.isoformat()))
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        holiday = Holiday(day=day, kind=kind, name=name, source=ADMIN_SOURCE)
        db.session.add(holiday)
        db.session.flush()
        record(actor, "holiday.create", holiday, object_id=day.isoformat(), kind=kind, name=name)
        return holiday
    changes = {field: [getattr(holiday, field), value]
               for field, value in (("kind", kind), ("name", name), ("source", ADMIN_SOURCE))
               if getattr(holiday, field) != value}
    holiday.kind, holiday.name, holiday.source = kind, name, ADMIN_SOURCE
    db.session.flush()
    record(actor, "holiday.update", holiday, object_id=day.isoformat(), changes=changes)
    return holiday


def remove_day(actor, day) -> None:
    day = parse_day(day)
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        raise HolidayInvalid(_("%(day)s is not in the table.", day=day.isoformat()))
    record(actor, "holiday.delete", holiday, object_id=day.isoformat(), kind=holiday.kind, name=holiday.name,
           source=holiday.source)
    db.session.delete(holiday)
    db.session.flush()


def seed_year(actor, year) -> int:
    """The year's days from chinese-calendar; refused for a year it does not know or one the table already has."""
    year = parse_year(year)
    if year not in calendar_years():
        raise HolidayInvalid(_("chinese-calendar has no data for %(year)d: enter its days off and make-up working "
                               "days by hand from the State Council notice.", year=year))
    if days_of(year):
        raise HolidayInvalid(_("The table already has days of %(year)d; change them one by one.", year=year))
    added = seed_holidays([year])
    record(actor, "holiday.seed", object_type="holidays", object_id=str(year), year=year, added=added)
    return added


# --- deadlines estimated without the year's data ------------------------------------------------------------------

def _clock_start(ticket: Ticket) -> tuple[datetime, bool]:
    """(when the ticket's current deadline started, whether a person has set it since): its receipt, or the
    latest 重办 (a call-back that sent it back); an approved extension is a date someone chose."""
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .where(TicketEvent.action.in_(("callback", "approve_extension")))
                                .order_by(TicketEvent.at, TicketEvent.id)).all()
    start, extended = ticket.received_at, False
    for event in events:
        if event.action == "callback" and event.to_state == "dispatched":
            start, extended = event.at, False
        elif event.action == "approve_extension":
            extended = True
    return start, extended


def _estimated_open(year: int) -> list[tuple[Ticket, datetime, bool]]:
    tickets = db.session.scalars(select(Ticket).where(Ticket.state.in_(OPEN_STATES), Ticket.due_estimated.is_(True))
                                 .order_by(Ticket.id)).all()
    found = []
    for ticket in tickets:
        start, extended = _clock_start(ticket)
        if start.astimezone(BEIJING).year == year:
            found.append((ticket, start, extended))
    return found


def estimated_open_by_year() -> dict[int, int]:
    """{year: open tickets whose deadline started that year and was estimated for want of holiday data}."""
    counts: dict[int, int] = {}
    for ticket in db.session.scalars(select(Ticket).where(Ticket.state.in_(OPEN_STATES),
                                                          Ticket.due_estimated.is_(True))):
        year = _clock_start(ticket)[0].astimezone(BEIJING).year
        counts[year] = counts.get(year, 0) + 1
    return dict(sorted(counts.items()))


def recompute_estimated(actor, year) -> int:
    """Give the open tickets whose deadline started in ``year`` and was estimated the deadline the table now gives
    (the flag stays only while a later year the count reaches still has no data). An approved extension keeps its
    date. Refused while the year has no row. Returns how many tickets changed; each gets an audit row."""
    year = parse_year(year)
    if not days_of(year):
        raise HolidayInvalid(_("The table has no day of %(year)d yet: seed or enter the year first.", year=year))
    changed = 0
    for ticket, start, extended in _estimated_open(year):
        before = ticket.due_at
        if extended:
            estimated = False
        else:
            due, estimated = ticket_due(ticket.community.district.locality, ticket.limit_class, start)
            ticket.due_at = due
        if ticket.due_at == before and ticket.due_estimated == estimated:
            continue
        ticket.due_estimated = estimated
        record(actor, "ticket.due_recompute", ticket, community=ticket.community_id, receipt=ticket.receipt,
               year=year, from_due=before.isoformat(), to_due=ticket.due_at.isoformat(), estimated=estimated,
               kept_extension=extended)
        changed += 1
    db.session.flush()
    return changed
