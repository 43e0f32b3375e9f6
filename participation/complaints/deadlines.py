"""Complaint deadlines (DESIGN §5): the locality's time limit for a ticket's class, run on its own clock.

Emergencies and utilities run on the calendar clock (the hotline works 7×24): received + N hours. General limits
count calendar days; complex ones count working days (Beijing time), skipping weekends and the holidays of the
``holidays`` table and counting make-up working days (调休). A year the table has no row for counts weekends only
and marks the deadline as estimated — it never fails. A working-day deadline falls at the end of its last day.

When the clock starts (the one place that says so): at receipt (受理), the moment the desk, the resident's phone or an
Open311 client files the ticket — not when it is dispatched — and again from the moment a call-back finds the problem
unsolved (重办, the same limit from then). Which limit: an emergency, whatever its category, runs on the emergency
limit; a case the desk marks complex on the complex one; any other on its category's class.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import chinese_calendar
from flask_babel import gettext as _, ngettext
from sqlalchemy import extract, select

from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.models import Holiday, Locality
from participation.reference.locality import rule_for

# Used only where the locality has no complaint_limit rule for the class (DESIGN §5's Beijing 2021 figures).
DEFAULT_LIMITS = {"emergency": (Decimal(2), "hours"), "utility": (Decimal(24), "hours"),
                  "general": (Decimal(7), "calendar_days"), "complex": (Decimal(15), "working_days")}
MAX_WORKING_DAYS = 366


@dataclass
class WorkCalendar:
    """The holiday table for the years asked about: which days are worked, and which years had no data."""

    days: dict[date, str] = field(default_factory=dict)
    known_years: set[int] = field(default_factory=set)
    unknown_years_met: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, years) -> "WorkCalendar":
        years = sorted(set(years))
        rows = db.session.execute(select(Holiday.day, Holiday.kind)
                                  .where(extract("year", Holiday.day).in_(years))).all()
        calendar = cls({day: kind for day, kind in rows})
        calendar.known_years = {day.year for day in calendar.days}
        return calendar

    def is_workday(self, day: date) -> bool:
        if day in self.days:
            return self.days[day] == "workday"
        if day.year not in self.known_years:
            self.unknown_years_met.add(day.year)
        return day.weekday() < 5


def limit_for(locality: Locality | None, limit_class: str, year: int) -> tuple[Decimal, str, bool]:
    """(number, unit, configured) of the locality's complaint limit for the class in ``year``."""
    rule = rule_for(locality, "complaint_limit", limit_class, year) if locality is not None else None
    if rule is not None and rule.number_value is not None and rule.unit:
        return Decimal(rule.number_value), rule.unit, True
    number, unit = DEFAULT_LIMITS[limit_class]
    return number, unit, False


def due_after(start: datetime, number: Decimal, unit: str, calendar: WorkCalendar | None = None) \
        -> tuple[datetime, bool]:
    """(due time in UTC, estimated): ``start`` plus the limit on its clock; estimated when a year without holiday
    data was counted."""
    start = start.astimezone(timezone.utc)
    if unit == "hours":
        return start + timedelta(hours=float(number)), False
    if unit == "calendar_days":
        return start + timedelta(days=float(number)), False
    if unit != "working_days":
        raise ValueError(f"not a complaint clock: {unit}")
    needed = int(number)
    if not 0 < needed <= MAX_WORKING_DAYS:
        raise ValueError(f"a working-day limit is 1 to {MAX_WORKING_DAYS} days")
    local_day = start.astimezone(BEIJING).date()
    if calendar is None:   # 366 working days end within the next two years
        calendar = WorkCalendar.load(range(local_day.year, local_day.year + 3))
    counted, day = 0, local_day
    while counted < needed:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    end = beijing_midnight(day + timedelta(days=1))   # the end of the last day
    return end.astimezone(timezone.utc), bool(calendar.unknown_years_met)


def ticket_due(locality: Locality | None, limit_class: str, start: datetime) -> tuple[datetime, bool]:
    """(due time, estimated) of a clock of ``limit_class`` started at ``start``."""
    number, unit, _configured = limit_for(locality, limit_class, start.astimezone(BEIJING).year)
    return due_after(start, number, unit)


def limit_class_of(category_class: str, *, urgency: str, complex_case: bool) -> str:
    """The limit a new ticket runs on (the module's docstring: an emergency, a complex case, else its category's)."""
    if urgency == "emergency":
        return "emergency"
    return "complex" if complex_case else category_class


def deadline_at_receipt(locality: Locality | None, category_class: str, *, urgency: str, complex_case: bool,
                        received_at: datetime) -> tuple[str, datetime, bool]:
    """(limit class, due time, estimated) of a ticket received at ``received_at``: its clock starts there."""
    limit_class = limit_class_of(category_class, urgency=urgency, complex_case=complex_case)
    return (limit_class, *ticket_due(locality, limit_class, received_at))


def deadline_on_reopen(locality: Locality | None, limit_class: str, reopened_at: datetime) -> tuple[datetime, bool]:
    """(due time, estimated) when a call-back finds the problem unsolved: the same limit, its clock started again."""
    return ticket_due(locality, limit_class, reopened_at)


# --- the holiday table ------------------------------------------------------------------------------------------

def seed_holidays(years=None) -> int:
    """Fill the table from chinese-calendar for the years it knows (default: all of them) where a year has no
    row yet; an admin's edits of a year are kept. Returns how many days were added."""
    known = set(db.session.scalars(select(extract("year", Holiday.day)).distinct()))
    supported = sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})
    added = 0
    for year in (sorted(years) if years else supported):
        if year in known or year not in supported:
            continue
        day = date(year, 1, 1)
        while day.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if is_holiday and day.weekday() < 5:
                db.session.add(Holiday(day=day, kind="holiday", name=_holiday_name(name)))
                added += 1
            elif not is_holiday and day.weekday() >= 5:
                db.session.add(Holiday(day=day, kind="workday", name=_holiday_name(name)))
                added += 1
            day += timedelta(days=1)
    db.session.flush()
    return added


NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
         "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
         "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _holiday_name(name) -> str | None:
    if name is None:
        return None
    text = getattr(name, "value", None) or str(name)
    return NAMES.get(text, text)[:40]


# --- the time left, in words ------------------------------------------------------------------------------------

def runs_on_working_days(limit_class: str | None) -> bool:
    """Whether a ticket of ``limit_class`` runs on the working-day clock by default (the complex class): its time
    left is then counted in working days, as its deadline was."""
    return DEFAULT_LIMITS.get(limit_class or "", (None, ""))[1] == "working_days"


def working_days_left(now: datetime, due_at: datetime, calendar: WorkCalendar | None = None) -> int:
    """The working days from tomorrow (Beijing) to the day ``due_at`` ends, as ``due_after`` counted them; a
    deadline at midnight ends the day before."""
    today = now.astimezone(BEIJING).date()
    last = (due_at.astimezone(BEIJING) - timedelta(microseconds=1)).date()
    if last <= today:
        return 0
    if calendar is None:
        calendar = WorkCalendar.load(range(today.year, last.year + 1))
    return sum(1 for n in range(1, (last - today).days + 1) if calendar.is_workday(today + timedelta(days=n)))


def time_left(due_at: datetime, now: datetime, *, working_days: bool = False,
              calendar: WorkCalendar | None = None) -> dict:
    """How long until ``due_at`` (or since, when overdue): {"overdue", "days", "hours", "minutes", "working_days"}.
    Over a day ahead on the working-day clock, ``working_days`` says how many are left (else None)."""
    seconds = (due_at - now).total_seconds()
    overdue = seconds < 0
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    left = {"overdue": overdue, "days": days, "hours": rest // 60, "minutes": rest % 60, "working_days": None}
    if working_days and not overdue and days >= 1:
        left["working_days"] = working_days_left(now, due_at, calendar)
    return left


def time_left_words(left: dict) -> str:
    """"1 h 58 min left", "3 h overdue", "4 working days left" — the queue's words beside the deadline (never the
    colour alone)."""
    if left["working_days"] is not None:
        return ngettext("%(num)d working day left", "%(num)d working days left", left["working_days"])
    if left["days"]:
        span = _("%(days)d d %(hours)d h", days=left["days"], hours=left["hours"]) if left["hours"] \
            else _("%(days)d d", days=left["days"])
    elif left["hours"]:
        span = _("%(hours)d h %(minutes)d min", hours=left["hours"], minutes=left["minutes"]) if left["minutes"] \
            else _("%(hours)d h", hours=left["hours"])
    else:
        span = _("%(minutes)d min", minutes=left["minutes"])
    return _("%(span)s overdue", span=span) if left["overdue"] else _("%(span)s left", span=span)
