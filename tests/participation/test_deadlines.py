"""Complaint deadlines on their clocks: working days across 国庆 2025 with its make-up Saturday and Sunday, a
calendar-clock emergency on a Friday night, a utility call over the holiday, and a year with no holiday data."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from participation.complaints.deadlines import (deadline_at_receipt, deadline_on_reopen, due_after, limit_class_of,
                                                limit_for, seed_holidays, ticket_due)
from participation.extensions import db
from participation.models import Holiday, Locality

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def holidays(app):
    seed_holidays([2025])
    db.session.flush()


def test_the_table_holds_2025s_national_day_and_its_make_up_days(holidays):
    days = dict(db.session.execute(select(Holiday.day, Holiday.kind)).all())
    assert all(days[date(2025, 10, d)] == "holiday" for d in (1, 2, 3, 6, 7, 8))   # the weekdays of 1–8 Oct
    assert days[date(2025, 9, 28)] == "workday" and days[date(2025, 10, 11)] == "workday"   # Sun 28 Sep, Sat 11 Oct
    assert date(2025, 10, 4) not in days   # a Saturday off anyway: nothing to record
    assert seed_holidays([2025]) == 0      # a year already in the table is left as it is


def test_fifteen_working_days_across_national_day(holidays):
    # Received Friday 26 Sep 2025, 10:00. Counting from the next day:
    #   Sat 27 off · Sun 28 调休 (1) · Mon 29 (2) · Tue 30 (3) · 1–8 Oct holiday · Thu 9 (4) · Fri 10 (5) ·
    #   Sat 11 调休 (6) · Sun 12 off · 13–17 (7–11) · 18–19 weekend · 20, 21, 22, 23 (12–15)
    # → due at the end of Thursday 23 Oct (24 Oct 00:00 Beijing).
    due, estimated = due_after(beijing(2025, 9, 26, 10, 0), Decimal(15), "working_days")
    assert due == beijing(2025, 10, 24, 0, 0).astimezone(timezone.utc) and not estimated


def test_an_emergency_on_a_friday_night_runs_on_the_calendar_clock(holidays):
    # 2 hours from Friday 31 Oct 2025, 22:30 Beijing: Saturday 00:30, a weekend being no reason to wait
    due, estimated = due_after(beijing(2025, 10, 31, 22, 30), Decimal(2), "hours")
    assert due == beijing(2025, 11, 1, 0, 30) and not estimated


def test_a_utility_call_on_the_eve_of_national_day_waits_no_holiday(holidays):
    due, _estimated = due_after(beijing(2025, 9, 30, 20, 0), Decimal(24), "hours")
    assert due == beijing(2025, 10, 1, 20, 0)


def test_a_year_without_holiday_data_counts_weekends_only_and_says_so(app):
    assert db.session.scalar(select(func.count()).select_from(Holiday)) == 0
    start = beijing(2031, 9, 30, 9, 0)   # a Tuesday; the table knows nothing of 2031
    day, counted = start.date(), 0
    while counted < 15:   # Monday to Friday, nothing else
        day += timedelta(days=1)
        counted += day.weekday() < 5
    due, estimated = due_after(start, Decimal(15), "working_days")
    assert due == datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING) and estimated
    # an admin enters the year (one day off on a weekday): the table is used, and the deadline is no estimate
    db.session.add(Holiday(day=date(2031, 10, 1), kind="holiday", name="国庆节", source="admin"))
    db.session.flush()
    later, estimated = due_after(start, Decimal(15), "working_days")
    assert later == due + timedelta(days=1 if (day + timedelta(days=1)).weekday() < 5 else 3) and not estimated


def test_limits_come_from_the_locality_with_defaults_where_none(app, reference_data):
    changchun = db.session.scalar(select(Locality))
    assert limit_for(changchun, "emergency", 2025) == (Decimal(2), "hours", True)
    assert limit_for(changchun, "complex", 2025) == (Decimal(15), "working_days", True)
    assert limit_for(changchun, "general", 2019) == (Decimal(7), "calendar_days", False)   # rules start in 2021
    due, _ = ticket_due(changchun, "general", beijing(2025, 5, 6, 12, 0))
    assert due == beijing(2025, 5, 13, 12, 0)


def test_a_limit_beyond_a_year_of_working_days_is_refused(app):
    with pytest.raises(ValueError):
        due_after(beijing(2025, 1, 2, 9, 0), Decimal(400), "working_days")


def test_seed_reference_fills_the_holiday_table_once(runner):
    first = runner.invoke(args=["seed-reference"])
    assert first.exit_code == 0, first.output
    days = db.session.scalar(select(func.count()).select_from(Holiday))
    assert days > 200 and f"holidays and 调休 days added: {days}" in first.output
    assert db.session.get(Holiday, date(2025, 10, 8)).kind == "holiday"
    again = runner.invoke(args=["seed-reference"])
    assert "holidays and 调休 days added: 0" in again.output


@pytest.mark.parametrize("category_class, urgency, complex_case, expected", [
    ("general", "emergency", False, "emergency"),     # an emergency outranks its category, even a complex one
    ("utility", "emergency", True, "emergency"),
    ("general", "normal", True, "complex"),
    ("utility", "normal", False, "utility"),
    ("general", "normal", False, "general"),
])
def test_which_limit_a_new_ticket_runs_on(category_class, urgency, complex_case, expected):
    assert limit_class_of(category_class, urgency=urgency, complex_case=complex_case) == expected


def test_the_clock_starts_at_receipt_and_again_when_reopened(app):
    received = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    limit_class, due, estimated = deadline_at_receipt(None, "general", urgency="emergency", complex_case=False,
                                                      received_at=received)
    assert limit_class == "emergency" and due == received + timedelta(hours=2) and not estimated
    reopened = received + timedelta(days=3)
    assert deadline_on_reopen(None, "general", reopened) == (reopened + timedelta(days=7), False)
