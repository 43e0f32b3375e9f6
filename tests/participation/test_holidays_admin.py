"""The holiday table under /admin/holidays: an admin's 调休 counted by the next deadline, removing a day, bad input
refused with a message and nothing changed, other roles refused, seeding a year from chinese-calendar, and the
deadlines estimated while a year had no data recomputed once it has."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from participation.complaints.deadlines import BEIJING
from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.models import AuditEvent, ComplaintCategory, Holiday, Ticket
from participation.reference.holidays import (HolidayInvalid, estimated_open_by_year, recompute_estimated, remove_day,
                                              seed_year, set_day)
from tests.conftest import csrf_token

NOW = datetime(2025, 11, 3, 2, 0, tzinfo=timezone.utc)   # Monday 3 Nov 2025, 10:00 in Beijing
MAKE_UP_SATURDAY = date(2025, 11, 8)


@pytest.fixture
def community(make_community, reference_data):
    return make_community("HD001")


def complex_ticket(community, now=NOW) -> Ticket:
    """A complex case: 15 working days, the clock the holiday table feeds."""
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    return file_ticket(None, community, category=category, description="楼顶防水反复渗漏", complex_case=True, now=now)


def rows() -> dict:
    return {day: (kind, name, source) for day, kind, name, source in
            db.session.execute(select(Holiday.day, Holiday.kind, Holiday.name, Holiday.source)).all()}


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def login(client, login_as):
    """Sign in as ``role`` and read the pages in English (Chinese is the default), so the messages are the msgids."""
    def sign_in(role="admin", community=None):
        user = login_as(role, community)
        page = client.get("/account/password")
        client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(page.text), "next": "/"})
        return user
    return sign_in


def post(client, url: str, data: dict, *, token: bool = True):
    if token:
        data = {"csrf_token": csrf_token(client.get("/admin/holidays").text)} | data
    return client.post(url, data=data)


# --- the page -----------------------------------------------------------------------------------------------------

def test_an_admin_adds_a_make_up_saturday_and_the_next_deadline_counts_it(client, login, community):
    login("admin")
    before = complex_ticket(community)
    assert before.due_estimated   # 2025 has no row yet: weekends only, estimated
    response = post(client, "/admin/holidays/day", {"day": "2025-11-08", "kind": "workday", "name": "调休（演示）",
                                                    "year": "2025"})
    assert response.status_code == 302 and response.location.endswith("/admin/holidays?year=2025")
    assert rows() == {MAKE_UP_SATURDAY: ("workday", "调休（演示）", "admin")}
    assert audits("holiday.create")[0].object_id == "2025-11-08"

    after = complex_ticket(community)
    # weekends only, the 15th working day is Mon 24 Nov; with Sat 8 Nov worked it is Fri 21 Nov
    assert before.due_at == datetime(2025, 11, 25, tzinfo=BEIJING)
    assert after.due_at == datetime(2025, 11, 22, tzinfo=BEIJING) and not after.due_estimated

    page = client.get("/admin/holidays?year=2025").text
    assert "2025-11-08" in page and "Saturday" in page and "Make-up working day" in page and "调休（演示）" in page


def test_changing_a_day_keeps_one_row_and_audits_the_change(client, login, app):
    login("admin")
    post(client, "/admin/holidays/day", {"day": "2031-10-01", "kind": "holiday", "name": "国庆节"})
    post(client, "/admin/holidays/day", {"day": "2031-10-01", "kind": "holiday", "name": "国庆"})
    assert rows() == {date(2031, 10, 1): ("holiday", "国庆", "admin")}
    assert audits("holiday.update")[0].detail["changes"] == {"name": ["国庆节", "国庆"]}


def test_an_admin_removes_a_day(client, login, app):
    login("admin")
    set_day(None, "2025-11-08", "workday", "调休")
    response = post(client, "/admin/holidays/remove", {"day": "2025-11-08", "year": "2025"})
    assert response.status_code == 302 and rows() == {}
    assert audits("holiday.delete")[0].detail["kind"] == "workday"


@pytest.mark.parametrize("data, message", [
    ({"day": "2025-13-01", "kind": "holiday"}, "Enter the date as year-month-day"),
    ({"day": "", "kind": "holiday"}, "Enter the date as year-month-day"),
    ({"day": "2025-11-05", "kind": "festival"}, "Choose a day off or a make-up working day"),
    ({"day": "2025-11-05", "kind": "holiday", "name": "节" * 41}, "At most 40 characters"),
    ({"day": "2025-11-05", "kind": "workday"}, "worked anyway"),
    ({"day": "2025-11-08", "kind": "holiday"}, "off anyway"),
])
def test_bad_input_changes_nothing_and_says_why(client, login, app, data, message):
    login("admin")
    response = post(client, "/admin/holidays/day", data)
    assert response.status_code == 400 and message in response.text
    assert rows() == {} and db.session.scalar(select(func.count()).select_from(AuditEvent)
                                              .where(AuditEvent.action.like("holiday.%"))) == 0


def test_removing_a_day_not_in_the_table_or_a_bad_date_is_a_message(client, login, app):
    login("admin")
    set_day(None, "2025-11-08", "workday", "调休")
    for day in ("2025-11-09", "someday"):
        response = post(client, "/admin/holidays/remove", {"day": day, "year": "2025"})
        assert response.status_code == 400 and 'role="alert"' in response.text
    assert list(rows()) == [MAKE_UP_SATURDAY]


def test_a_post_without_its_csrf_token_changes_nothing(client, login, app):
    login("admin")
    set_day(None, "2025-11-08", "workday", "调休")
    db.session.commit()
    for url, data in (("/admin/holidays/day", {"day": "2025-11-05", "kind": "holiday"}),
                      ("/admin/holidays/remove", {"day": "2025-11-08"}), ("/admin/holidays/seed", {"year": "2025"})):
        response = post(client, url, data, token=False)
        assert response.status_code == 400 and "This form has expired" in response.text
    assert rows() == {MAKE_UP_SATURDAY: ("workday", "调休", "admin")}


@pytest.mark.parametrize("role", ["organiser", "owner_rep", "grid", "hotline", "agency"])
def test_other_staff_are_refused(client, login, community, role):
    login(role, community)
    assert client.get("/admin/holidays").status_code == 403
    token = csrf_token(client.get("/account/password").text)
    for url, data in (("/admin/holidays/day", {"day": "2025-11-05", "kind": "holiday"}),
                      ("/admin/holidays/seed", {"year": "2025"}), ("/admin/holidays/recompute", {"year": "2025"})):
        assert client.post(url, data={"csrf_token": token} | data).status_code == 403
    assert rows() == {}


def test_a_bad_year_in_the_address_shows_this_year_with_a_message(client, login, app):
    login("admin")
    response = client.get("/admin/holidays?year=20x5")
    assert response.status_code == 400 and "A year is a whole number" in response.text


# --- seeding ------------------------------------------------------------------------------------------------------

def test_an_admin_seeds_a_year_from_chinese_calendar(client, login, app):
    login("admin")
    assert "Seed 2025 from chinese-calendar" in client.get("/admin/holidays?year=2025").text
    response = post(client, "/admin/holidays/seed", {"year": "2025"})
    assert response.status_code == 302
    days = rows()
    assert days[date(2025, 10, 1)][:1] == ("holiday",) and days[date(2025, 9, 28)][0] == "workday"
    assert {source for _kind, _name, source in days.values()} == {"chinese-calendar"}
    assert audits("holiday.seed")[0].detail == {"year": 2025, "added": len(days)}
    # a second time is refused: the admin's edits of a year are kept
    again = post(client, "/admin/holidays/seed", {"year": "2025"})
    assert again.status_code == 400 and "already has days of 2025" in again.text and len(rows()) == len(days)


def test_a_year_chinese_calendar_does_not_know_says_so(client, login, app):
    login("admin")
    page = client.get("/admin/holidays?year=2099").text
    assert "chinese-calendar has no data for 2099" in page and "Seed 2099" not in page
    response = post(client, "/admin/holidays/seed", {"year": "2099"})
    assert response.status_code == 400 and "chinese-calendar has no data for 2099" in response.text
    assert rows() == {}
    with pytest.raises(HolidayInvalid):
        seed_year(None, "year")


# --- estimated deadlines ------------------------------------------------------------------------------------------

def test_recompute_gives_estimated_tickets_the_seeded_deadline(client, login, community):
    admin = login("admin")
    # Friday 26 Sep 2025, 10:00 Beijing: 15 working days across 国庆, with no holiday data yet
    ticket = complex_ticket(community, now=datetime(2025, 9, 26, 2, 0, tzinfo=timezone.utc))
    guessed = ticket.due_at
    assert ticket.due_estimated and estimated_open_by_year() == {2025: 1}
    db.session.commit()
    page = client.get("/admin/holidays?year=2025").text
    assert "was estimated: 1." in page and "Recompute" not in page   # the year must be in the table first

    post(client, "/admin/holidays/seed", {"year": "2025"})
    assert "Recompute the estimated deadlines of 2025" in client.get("/admin/holidays?year=2025").text
    response = post(client, "/admin/holidays/recompute", {"year": "2025"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    # the end of Thursday 23 Oct (see test_deadlines): the eight days of 国庆 off, Sun 28 Sep and Sat 11 Oct worked
    assert ticket.due_at == datetime(2025, 10, 24, tzinfo=BEIJING) != guessed and not ticket.due_estimated
    [audit] = audits("ticket.due_recompute")
    assert audit.actor_id == admin.id and audit.object_id == str(ticket.id)
    assert audit.detail["from_due"] == guessed.isoformat() and audit.detail["estimated"] is False
    assert estimated_open_by_year() == {}
    assert recompute_estimated(admin, 2025) == 0   # nothing left to do


def test_recompute_is_refused_for_a_year_without_data_and_leaves_closed_tickets(app, community):
    ticket = complex_ticket(community)
    with pytest.raises(HolidayInvalid):
        recompute_estimated(None, 2025)
    ticket.state, ticket.closed_at = "rejected", NOW
    set_day(None, MAKE_UP_SATURDAY, "workday", "调休")
    assert recompute_estimated(None, 2025) == 0 and ticket.due_estimated


def test_operations_refuse_without_http(app):
    with pytest.raises(HolidayInvalid):
        set_day(None, date(2025, 11, 5), "workday")
    with pytest.raises(HolidayInvalid):
        remove_day(None, "2025-11-05")
    assert rows() == {}
