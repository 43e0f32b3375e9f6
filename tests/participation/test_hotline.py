"""The hotline desk: taking a call (by address, by phone, outside the roster, 12345 without its 工单号, suggested
duplicates), the queue (order, overdue and due-soon flags, agencies' own tickets), the ticket page with one form per
action for the right role, the audited phone reveal, and the tickets CLI."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.models import AuditEvent, ComplaintCategory, District, Holiday, Organisation, Ticket, TicketEvent
from participation.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="华信监理", kind="supervisor")
    other = Organisation(name="别家施工队", kind="contractor")
    db.session.add_all([contractor, supervisor, other])
    community = make_community("HL001", contractor=contractor, supervisor=supervisor)
    outsider = make_community("HL002", contractor=other)
    users = {
        "hotline": make_user("hotline", username="desk"),
        "organiser": make_user("organiser", username="org", communities=[community]),
        "contractor": make_user("agency", username="builder", organisation=contractor),
        "supervisor": make_user("agency", username="watcher", organisation=supervisor),
        "other_agency": make_user("agency", username="stranger", organisation=other),
        "other_organiser": make_user("organiser", username="org2", communities=[outsider]),
        "grid": make_user("grid", username="gridder", buildings=[community.buildings[0]]),
        "owner_rep": make_user("owner_rep", username="rep", communities=[community]),
    }
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    db.session.commit()
    return {"community": community, "outsider": outsider, "users": users, "category": category,
            "contractor": contractor, "supervisor": supervisor, "other": other}


def sign_in(client, username):
    page = client.get("/login")
    if page.status_code != 200:   # someone is signed in: sign out first
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").text)})
        page = client.get("/login")
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)})


def token(client):
    return csrf_token(client.get("/staff").text)


def household(site, building=0, unit=0, index=0):
    return site["community"].buildings[building].units[unit].households[index]


def new_ticket(site, *, community=None, when=None, hh=None, **fields):
    community = community or site["community"]
    hh = hh if hh is not None else community.buildings[0].units[0].households[0]
    ticket = file_ticket(site["users"]["hotline"], community, category=site["category"], household=hh,
                         description=fields.pop("description", "楼道墙皮脱落"), channel="community_hotline",
                         now=when, **fields)
    db.session.commit()
    return ticket


def intake(client, **fields):
    data = {"channel": "community_hotline", "category": "construction_quality", "description": "外墙保温层开裂",
            "urgency": "normal", "csrf_token": csrf_token(client.get("/hotline/new").text)} | fields
    return client.post("/hotline/new", data=data)


def tickets():
    return db.session.scalars(select(Ticket).order_by(Ticket.id)).all()


# --- intake -----------------------------------------------------------------------------------------------------------

def test_find_by_address_and_file_for_the_household(client, site):
    sign_in(client, "desk")
    target = household(site, 1, 1, 3)   # building 2, unit 2, room 202
    page = client.get("/hotline/new", query_string={"community": "HL001", "address": "2号楼2单元202", "find": "1"})
    assert f"household={target.id}" in page.text
    assert target.phone not in page.text and target.phone[-4:] in page.text   # masked 138****xxxx
    separate = client.get("/hotline/new", query_string={"community": "HL001小区", "building": "2", "unit": "2",
                                                         "room": "202", "find": "1"})
    assert f"household={target.id}" in separate.text
    response = intake(client, household=str(target.id))
    assert response.status_code == 302
    [ticket] = tickets()
    assert ticket.household_id == target.id and ticket.building_id == target.unit.building_id
    assert ticket.created_by_id == site["users"]["hotline"].id and ticket.channel == "community_hotline"
    assert response.location.endswith(f"/hotline/tickets/{ticket.receipt}")


def test_find_by_phone_normalised_and_masked(client, site):
    sign_in(client, "org")   # sees HL001 only; HL002 has the same numbers
    target = household(site, 0, 1, 2)
    typed = f"+86 {target.phone[:3]}-{target.phone[3:7]} {target.phone[7:]}"
    page = client.get("/hotline/new", query_string={"phone": typed, "find": "1"})
    assert f"household={target.id}" in page.text
    assert f"{target.phone[:3]}****{target.phone[-4:]}" in page.text and target.phone not in page.text
    assert len(re.findall(r"new\?household=\d+", page.text)) == 1
    assert "new?household=" not in client.get("/hotline/new", query_string={"phone": "13900000000", "find": "1"}).text


def test_caller_outside_the_roster_is_stored_and_masked(client, site):
    sign_in(client, "desk")
    response = intake(client, community="HL001", building="1号楼", caller_name="路人王", caller_phone="139 1234 5678",
                      place="小区东门")
    assert response.status_code == 302
    [ticket] = tickets()
    assert (ticket.household_id, ticket.caller_name, ticket.caller_phone) == (None, "路人王", "139 1234 5678")
    assert ticket.building_id == site["community"].buildings[0].id and ticket.place == "小区东门"
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert "139****5678" in page and "139 1234 5678" not in page


def test_outside_the_roster_needs_a_phone_and_a_visible_community(client, site):
    sign_in(client, "org")
    assert intake(client, community="HL001", caller_name="路人").status_code == 422
    assert intake(client, community="HL002", caller_phone="13912345678").status_code == 422   # not theirs
    assert tickets() == []


def test_12345_transfer_needs_its_ticket_number(client, site):
    sign_in(client, "desk")
    target = household(site)
    assert intake(client, household=str(target.id), channel="hotline_12345").status_code == 422
    assert tickets() == []
    assert intake(client, household=str(target.id), channel="hotline_12345",
                  external_number="GD2025110300001").status_code == 302
    assert tickets()[0].external_number == "GD2025110300001"


def test_duplicates_are_suggested_then_filed_anyway_or_linked(client, site):
    older = new_ticket(site, when=utcnow() - timedelta(days=8))                 # too old
    recent = new_ticket(site, hh=household(site, 0, 1, 0))                     # same building, same category
    elsewhere = new_ticket(site, hh=household(site, 1, 0, 0))                  # building 2
    sign_in(client, "desk")
    target = household(site, 0, 0, 1)
    first = intake(client, household=str(target.id))
    assert first.status_code == 200
    assert recent.receipt in first.text and older.receipt not in first.text and elsewhere.receipt not in first.text
    assert len(tickets()) == 3
    assert intake(client, household=str(target.id), decision="file").status_code == 302
    assert len(tickets()) == 4 and tickets()[-1].state == "received"
    linked = intake(client, household=str(target.id), decision=f"duplicate:{recent.receipt}")
    assert linked.status_code == 302
    newest = tickets()[-1]
    assert newest.state == "duplicate" and newest.duplicate_of_id == recent.id
    assert intake(client, household=str(target.id), decision=f"duplicate:{elsewhere.receipt}").status_code == 422
    assert len(tickets()) == 5


def test_intake_is_for_the_desk(client, site):
    for username in ("gridder", "rep", "builder"):
        sign_in(client, username)
        assert client.get("/hotline/new").status_code == 403
    assert tickets() == []


# --- the queue --------------------------------------------------------------------------------------------------------

def _due(ticket, delta):
    ticket.due_at = utcnow() + delta
    db.session.commit()


def receipts_in(html):
    return re.findall(r'data-receipt="(C\w+)"', html)


def test_queue_sorted_by_due_time_with_flags(client, site):
    late, soon, later = new_ticket(site), new_ticket(site), new_ticket(site)
    closed = new_ticket(site)
    _due(late, -timedelta(hours=2)), _due(soon, timedelta(hours=5)), _due(later, timedelta(days=3))
    act(site["users"]["hotline"], closed, "reject", note="不属实")
    foreign = new_ticket(site, community=site["outsider"])
    db.session.commit()
    sign_in(client, "org")
    page = client.get("/hotline").text
    assert receipts_in(page) == [late.receipt, soon.receipt, later.receipt]
    rows = dict(re.findall(r'<tr class="([\w-]*)" data-receipt="(C\w+)"', page)[i][::-1] for i in range(3))
    assert rows == {late.receipt: "overdue", soon.receipt: "due-soon", later.receipt: ""}
    sign_in(client, "desk")   # city-wide: both communities
    assert foreign.receipt in receipts_in(client.get("/hotline").text)
    assert receipts_in(client.get("/hotline?community=HL002").text) == [foreign.receipt]
    assert receipts_in(client.get("/hotline?state=dispatched").text) == []


def test_queue_pages_of_fifty(client, site):
    made = [new_ticket(site) for _ in range(52)]
    for n, ticket in enumerate(made):
        ticket.due_at = utcnow() + timedelta(hours=n + 1)
    db.session.commit()
    sign_in(client, "desk")
    first, second = client.get("/hotline").text, client.get("/hotline?page=2").text
    assert receipts_in(first) == [t.receipt for t in made[:50]]
    assert receipts_in(second) == [t.receipt for t in made[50:]]


def test_agencies_see_only_their_tickets(client, site):
    mine, theirs, undispatched = new_ticket(site), new_ticket(site), new_ticket(site)
    act(site["users"]["hotline"], mine, "dispatch", agency=site["contractor"])
    act(site["users"]["hotline"], theirs, "dispatch", agency=site["supervisor"])
    db.session.commit()
    sign_in(client, "builder")
    assert receipts_in(client.get("/hotline").text) == [mine.receipt]
    assert client.get(f"/hotline/tickets/{mine.receipt}").status_code == 200
    assert client.get(f"/hotline/tickets/{theirs.receipt}").status_code == 404
    assert client.get(f"/hotline/tickets/{undispatched.receipt}").status_code == 404
    page = client.get(f"/hotline/tickets/{mine.receipt}").text
    assert mine.household.phone[-4:] not in page   # agencies see no caller at all


# --- the ticket page: every action through its form -------------------------------------------------------------------

def post_action(client, ticket, action, **fields):
    page = client.get(f"/hotline/tickets/{ticket.receipt}")
    return client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"action": action, "csrf_token": csrf_token(page.text)} | fields)


def state_of(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).state


def test_the_whole_lifecycle_through_the_page(client, site):
    ticket = new_ticket(site)
    contractor, supervisor = site["contractor"], site["supervisor"]
    steps = [
        ("desk", "dispatch", {"agency": str(contractor.id)}, "dispatched"),
        ("desk", "reassign", {"agency": str(supervisor.id)}, "dispatched"),
        ("watcher", "return", {"note": "不归监理"}, "returned"),
        ("desk", "dispatch", {"agency": str(contractor.id)}, "dispatched"),
        ("builder", "sign", {}, "handling"),
        ("builder", "request_extension", {"note": "材料未到", "until": "2099-01-01T10:00"}, "handling"),
        ("desk", "refuse_extension", {"note": "按期办理"}, "handling"),
        ("builder", "request_extension", {"note": "材料未到", "until": "2099-01-02T10:00"}, "handling"),
        ("org", "approve_extension", {}, "handling"),
        ("builder", "reply", {"note": "已修补"}, "replied"),
        ("desk", "complete", {}, "completed"),
        ("desk", "callback_unreachable", {}, "completed"),
        ("desk", "callback", {"solved": "no", "satisfaction": "dissatisfied"}, "dispatched"),
        ("builder", "sign", {}, "handling"),
        ("builder", "reply", {"note": "重新修补"}, "replied"),
        ("org", "complete", {}, "completed"),
        ("org", "callback", {"solved": "yes", "satisfaction": "satisfied"}, "closed"),
    ]
    for who, action, fields, expected in steps:
        sign_in(client, who)
        page = client.get(f"/hotline/tickets/{ticket.receipt}").text
        assert f'id="act-{action}"' in page, (who, action)
        response = post_action(client, ticket, action, **fields)
        assert response.status_code == 302, (who, action, response.status_code)
        assert state_of(ticket) == expected, (who, action)
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.satisfaction == "satisfied" and ticket.reopened == 1
    approved = db.session.scalar(select(TicketEvent).filter_by(ticket_id=ticket.id, action="approve_extension"))
    assert approved.details["until"].startswith("2099-01-02T02:00")   # 10:00 in Beijing, stored in UTC
    actions = db.session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)).all()
    assert actions.count("sign") == 2 and "approve_extension" in actions
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert page.count('data-action="') == len(actions)   # public and internal steps alike
    assert 'class="internal"' in page


def test_reject_and_mark_duplicate_through_the_page(client, site):
    original, copy, wrong = new_ticket(site), new_ticket(site), new_ticket(site)
    sign_in(client, "desk")
    assert post_action(client, copy, "mark_duplicate", original=original.receipt.lower()).status_code == 302
    assert state_of(copy) == "duplicate"
    page = client.get(f"/hotline/tickets/{copy.receipt}").text    # the original by its receipt, linked
    assert f'href="/hotline/tickets/{original.receipt}">{original.receipt}</a>' in page
    assert post_action(client, wrong, "reject").status_code == 400            # a reason is needed
    assert state_of(wrong) == "received"
    assert post_action(client, wrong, "reject", note="非改造范围").status_code == 302
    assert state_of(wrong) == "rejected"


def test_refused_actions_change_nothing(client, site):
    ticket = new_ticket(site)
    sign_in(client, "desk")
    assert post_action(client, ticket, "dispatch", agency=str(site["other"].id)).status_code == 400   # not A's
    assert post_action(client, ticket, "complete").status_code == 400         # wrong state
    assert post_action(client, ticket, "sign").status_code == 403             # an agency's action
    assert post_action(client, ticket, "nonsense").status_code == 400
    assert state_of(ticket) == "received"
    act(site["users"]["hotline"], db.session.get(Ticket, ticket.id), "dispatch", agency=site["contractor"])
    db.session.commit()
    sign_in(client, "builder")
    assert post_action(client, ticket, "reassign", agency=str(site["supervisor"].id)).status_code == 403
    assert 'id="act-reassign"' not in client.get(f"/hotline/tickets/{ticket.receipt}").text
    sign_in(client, "watcher")
    assert client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"action": "sign", "csrf_token": token(client)}).status_code == 404
    assert state_of(ticket) == "dispatched"
    assert db.session.scalar(select(func.count()).select_from(TicketEvent)) == 2


@pytest.mark.parametrize("username, status", [("org2", 404), ("gridder", 403), ("rep", 403), ("stranger", 404)])
def test_others_cannot_open_the_ticket(client, site, username, status):
    ticket = new_ticket(site)
    sign_in(client, username)
    assert client.get(f"/hotline/tickets/{ticket.receipt}").status_code == status
    assert client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"action": "reject", "note": "x", "csrf_token": token(client)}).status_code == status
    assert state_of(ticket) == "received"


# --- the phone number -------------------------------------------------------------------------------------------------

def test_show_number_is_audited(client, site):
    ticket = new_ticket(site)
    phone = ticket.household.phone
    sign_in(client, "desk")
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert phone not in page and f"{phone[:3]}****{phone[-4:]}" in page
    response = client.post(f"/hotline/tickets/{ticket.receipt}/phone", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert phone in client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert phone not in client.get(f"/hotline/tickets/{ticket.receipt}").text   # once
    [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.phone_reveal")).all()
    assert audit.actor_id == site["users"]["hotline"].id and audit.object_id == str(ticket.id)


def test_agencies_cannot_show_the_number(client, site):
    ticket = new_ticket(site)
    act(site["users"]["hotline"], ticket, "dispatch", agency=site["contractor"])
    db.session.commit()
    sign_in(client, "builder")
    assert client.post(f"/hotline/tickets/{ticket.receipt}/phone",
                       data={"csrf_token": token(client)}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "ticket.phone_reveal")) == 0


def test_queue_does_not_show_phones(client, site):
    ticket = new_ticket(site)
    sign_in(client, "desk")
    assert ticket.household.phone[-4:] not in client.get("/hotline").text


# --- CLI -------------------------------------------------------------------------------------------------------------

def test_escalate_command(runner, site):
    late, on_time = new_ticket(site), new_ticket(site)
    late.due_at = utcnow() - timedelta(hours=1)
    on_time.due_at = utcnow() + timedelta(days=2)
    db.session.commit()
    first = runner.invoke(args=["tickets", "escalate"])
    assert first.exit_code == 0 and re.findall(r"\d+", first.output) == ["1"]
    db.session.expire_all()
    assert db.session.get(Ticket, late.id).escalated_at is not None
    assert db.session.get(Ticket, on_time.id).escalated_at is None
    assert re.findall(r"\d+", runner.invoke(args=["tickets", "escalate"]).output) == ["0"]


def test_seed_holidays_command(runner, app):
    result = runner.invoke(args=["tickets", "seed-holidays", "2025"])
    assert result.exit_code == 0
    year = Holiday.day.between(date(2025, 1, 1), date(2025, 12, 31))
    days = db.session.scalars(select(Holiday.day).where(year)).all()
    assert len(days) > 0 and re.findall(r"\d+", result.output) == [str(len(days))]
    assert re.findall(r"\d+", runner.invoke(args=["tickets", "seed-holidays", "2025"]).output) == ["0"]


def test_a_queue_page_is_one_query(site):
    from sqlalchemy import event

    from participation.complaints.queries import queue
    for _ in range(3):
        new_ticket(site)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    engine = db.engine
    for who in ("hotline", "organiser", "contractor"):
        user = site["users"][who]
        db.session.expire_all()
        db.session.get(type(user), user.id)    # the user loaded, as the login does before the view
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            result = queue(db.session.get(type(user), user.id))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(statements) == 1, (who, statements)
        assert len(result["items"]) == (0 if who == "contractor" else 3)


def test_queue_filters_each_and_together_match_the_tickets(site):
    """The queue's statements are kept per shape of filters: every combination returns exactly the open tickets that
    match, in due order, for the city-wide desk, an organiser and an agency."""
    from itertools import combinations

    from participation.complaints.queries import queue
    noise = db.session.scalar(select(ComplaintCategory).filter_by(code="noise"))
    made = [new_ticket(site) for _ in range(3)] + [new_ticket(site, community=site["outsider"])]
    loud = file_ticket(site["users"]["hotline"], site["community"], category=noise, place="小区东门",
                       description="夜间施工噪音", channel="walk_in")
    db.session.commit()
    act(site["users"]["hotline"], made[0], "dispatch", agency=site["contractor"])
    act(site["users"]["hotline"], made[1], "dispatch", agency=site["supervisor"])
    act(site["users"]["hotline"], made[2], "reject", note="不属实")
    db.session.commit()
    everything = [made[0], made[1], made[3], loud]
    values = {"community": "HL001", "state": "dispatched", "category": "noise", "agency": site["contractor"].id}

    def expected(user, chosen):
        keep = []
        for ticket in everything:
            if user.role == "agency" and ticket.agency_id != user.organisation_id:
                continue
            if user.role == "organiser" and ticket.community_id != site["community"].id:
                continue
            if "community" in chosen and ticket.community.code != chosen["community"]:
                continue
            if "state" in chosen and ticket.state != chosen["state"]:
                continue
            if "category" in chosen and ticket.category.code != chosen["category"]:
                continue
            if "agency" in chosen and ticket.agency_id != chosen["agency"]:
                continue
            keep.append(ticket)
        return sorted((t.receipt for t in keep), key=lambda r: next((t.due_at, t.id) for t in keep if t.receipt == r))

    for who in ("hotline", "organiser", "contractor"):
        user = site["users"][who]
        for size in range(len(values) + 1):
            for names in combinations(values, size):
                chosen = {name: values[name] for name in names}
                got = [item["receipt"] for item in queue(user, **chosen)["items"]]
                assert got == expected(user, chosen), (who, chosen)


def test_queue_follows_a_changed_scope(site):
    """A kept statement never outlives the scope it was built for: another district, or a community given to the
    organiser later, shows at once."""
    from participation.complaints.queries import queue
    foreign, home = new_ticket(site, community=site["outsider"]), new_ticket(site)
    organiser = site["users"]["organiser"]
    assert foreign.receipt not in [item["receipt"] for item in queue(organiser)["items"]]
    organiser.communities.append(site["outsider"])
    db.session.commit()
    assert foreign.receipt in [item["receipt"] for item in queue(organiser)["items"]]
    hotline = site["users"]["hotline"]
    assert foreign.receipt in [item["receipt"] for item in queue(hotline)["items"]]
    site["outsider"].district = District(locality=site["community"].district.locality, name="朝阳区")
    hotline.district_id = site["community"].district_id      # a district desk now: the other district is gone
    db.session.commit()
    assert [item["receipt"] for item in queue(hotline)["items"]] == [home.receipt]


def test_a_caller_reporting_a_common_area_is_checked_against_the_communitys_common_area_tickets(client, site):
    """A household calling about the gate: the ticket names the place, not their building, and the duplicate check
    looks at the community's common-area tickets of that category, not at their building's."""
    at_home = new_ticket(site)                                               # building 1, the caller's own
    gate = file_ticket(site["users"]["hotline"], site["community"], category=site["category"], place="小区北门",
                       description="北门地面塌陷", channel="walk_in")
    db.session.commit()
    sign_in(client, "desk")
    caller = household(site, 0, 0, 1)
    first = intake(client, household=str(caller.id), place="北门")
    assert first.status_code == 200
    assert gate.receipt in first.text and at_home.receipt not in first.text
    assert intake(client, household=str(caller.id), place="北门", decision="file").status_code == 302
    filed = tickets()[-1]
    assert filed.place == "北门" and filed.building_id is None and filed.household_id == caller.id
