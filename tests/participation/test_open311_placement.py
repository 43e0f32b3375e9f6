"""Issue 12 points 10 and 19: every valid GeoReport v2 POST is kept — placed by the community written in the address
or by the nearest community's coordinates (within 500 m), else in the hotline desk's 待定位 intake for a person to
place under the service_request_id the platform already holds; public GETs print the community-level address and
no resident free text; a page of requests costs the same number of statements whatever its size."""
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from participation.api.open311 import metres
from participation.api.open311_keys import create_key
from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.models import AuditEvent, ComplaintCategory, Ticket
from participation.models.open311_intake import Open311Report
from tests.conftest import csrf_token

BASE = "/open311/v2"
# 长春, 南关区: the community's gate, a point ~300 m north-east of it, and one ~2 km away.
GATE = (Decimal("43.886841"), Decimal("125.324500"))
NEAR = ("43.888800", "125.327000")
FAR = ("43.905000", "125.340000")


@pytest.fixture
def site(make_community, make_user, reference_data):
    community = make_community("PL001", lat=GATE[0], long=GATE[1], address="长春市南关区民康路12号")
    other = make_community("PL002")   # no coordinates
    _row, key = create_key("12345平台")
    db.session.commit()
    return {"community": community, "other": other, "key": key}


def post(client, key, **fields):
    return client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "noise",
                                                      "description": "夜间施工噪音", **fields})


def tickets() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket)))


def reports() -> list[Open311Report]:
    return list(db.session.scalars(select(Open311Report)))


def test_the_distance_is_a_great_circle():
    assert 290 < metres((float(GATE[0]), float(GATE[1])), tuple(map(float, NEAR))) < 320
    assert metres((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111_195, rel=1e-3)


def test_coordinates_alone_place_it_in_the_nearest_community(client, site):
    response = post(client, site["key"], lat=NEAR[0], long=NEAR[1])
    assert response.status_code == 200, response.text
    receipt = response.get_json()[0]["service_request_id"]
    [ticket] = tickets()
    assert ticket.receipt == receipt and ticket.community_id == site["community"].id and ticket.building is None
    assert reports() == []


@pytest.mark.parametrize("fields", [{"lat": FAR[0], "long": FAR[1]},
                                    {"address_string": "长春市南关区人民大街1号"},
                                    {"address_string": "PL001小区 9号楼"},
                                    {"address_string": "PL001小区 or PL002小区"},
                                    {"address_string": "某某胡同", "lat": FAR[0], "long": FAR[1]}])
def test_what_places_nothing_is_kept_for_the_desk_not_refused(client, site, fields):
    response = post(client, site["key"], **fields)
    assert response.status_code == 200, response.text
    body = response.get_json()[0]
    assert body["service_request_id"] and body["service_notice"]
    assert tickets() == []
    [report] = reports()
    assert report.receipt == body["service_request_id"] and report.ticket_id is None
    assert report.address_string == fields.get("address_string") and report.lat == fields.get("lat")
    audit = db.session.scalar(select(AuditEvent).filter_by(action="open311.unplaced"))
    assert audit is not None
    # GET by the id it was given: open, awaiting placement, nothing of where it was said to be
    read = client.get(f"{BASE}/requests/{report.receipt}.json")
    assert read.status_code == 200
    one = read.get_json()[0]
    assert one["status"] == "open" and one["address"] is None and one["service_code"] == "noise"
    assert "人民大街" not in read.text and "某某胡同" not in read.text
    assert client.get(f"{BASE}/requests/{report.receipt}.xml").status_code == 200


def test_the_address_wins_over_the_coordinates(client, site):
    post(client, site["key"], address_string="PL002小区 1号楼", lat=NEAR[0], long=NEAR[1])
    [ticket] = tickets()
    assert ticket.community_id == site["other"].id and ticket.building.name == "1"


def test_the_desk_places_a_report_under_the_id_the_platform_holds(client, site, login_as):
    body = post(client, site["key"], address_string="人民大街1号院", phone="13912345678").get_json()[0]
    receipt = body["service_request_id"]
    user = login_as("hotline")
    queue = client.get("/hotline")
    assert "/hotline/unplaced" in queue.text
    page = client.get("/hotline/unplaced")
    assert page.status_code == 200 and receipt in page.text and "人民大街1号院" in page.text
    assert "13912345678" not in page.text
    report = reports()[0]
    token = csrf_token(page.text)
    refused = client.post(f"/hotline/unplaced/{report.id}", data={"csrf_token": token, "community": "NOPE"})
    assert refused.status_code == 400 and tickets() == []
    refused = client.post(f"/hotline/unplaced/{report.id}",
                          data={"csrf_token": token, "community": "PL001", "building": "9"})
    assert refused.status_code == 400 and tickets() == []
    placed = client.post(f"/hotline/unplaced/{report.id}",
                         data={"csrf_token": token, "community": "PL001", "building": "2号楼"})
    assert placed.status_code == 302
    [ticket] = tickets()
    assert ticket.receipt == receipt and ticket.community_id == site["community"].id and ticket.building.name == "2"
    assert ticket.channel == "open311" and ticket.caller_phone == "13912345678"
    assert ticket.received_at == report.received_at
    db.session.refresh(report)
    assert report.ticket_id == ticket.id and report.placed_by_id == user.id
    audit = db.session.scalar(select(AuditEvent).filter_by(action="open311.place"))
    assert audit is not None and audit.actor_id == user.id
    received = db.session.scalar(select(AuditEvent).filter_by(action="ticket.receive"))
    assert received.detail["receipt"] == receipt and received.actor_id == user.id
    read = client.get(f"{BASE}/requests/{receipt}.json").get_json()[0]
    assert read["service_request_id"] == receipt and read["address"] == "长春市南关区民康路12号 PL001小区"
    again = client.post(f"/hotline/unplaced/{report.id}", data={"csrf_token": token, "community": "PL002"})
    assert again.status_code == 404 and len(tickets()) == 1
    assert receipt not in client.get("/hotline/unplaced").text


def test_csrf_is_needed_to_place(client, site, login_as):
    post(client, site["key"], address_string="人民大街1号院")
    login_as("hotline")
    report = reports()[0]
    assert client.post(f"/hotline/unplaced/{report.id}", data={"community": "PL001"}).status_code == 400
    assert tickets() == []


@pytest.mark.parametrize("role", ["organiser", "grid", "agency", "owner_rep"])
def test_only_the_city_desk_sees_the_intake(client, site, login_as, role):
    post(client, site["key"], address_string="人民大街1号院")
    login_as(role, site["community"])
    report = reports()[0]
    assert client.get("/hotline/unplaced").status_code == 403
    assert client.post(f"/hotline/unplaced/{report.id}", data={"community": "PL001"}).status_code in (400, 403)
    assert tickets() == []


def test_public_address_is_the_community_and_never_the_place_text(client, site):
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="noise"))
    file_ticket(None, site["community"], category=category, description="x", channel="open311",
                building=site["community"].buildings[0], place='=HYPERLINK("http://evil.example","302室张阿姨")')
    db.session.commit()
    for fmt in ("json", "xml"):
        page = client.get(f"{BASE}/requests.{fmt}")
        assert page.status_code == 200
        assert "HYPERLINK" not in page.text and "张阿姨" not in page.text and "号楼" not in page.text
    [row] = client.get(f"{BASE}/requests.json").get_json()
    assert row["address"] == "长春市南关区民康路12号 PL001小区"
    assert (row["lat"], row["long"]) == (float(GATE[0]), float(GATE[1]))


def test_admins_edit_the_community_coordinates(client, site, login_as):
    login_as("admin")
    page = client.get("/c/PL002/edit")
    token = csrf_token(page.text)
    form = {"csrf_token": token, "name": "PL002小区", "status": "reserve", "contractor": "0", "supervisor": "0",
            "lat": "43.9", "long": "125.3"}
    assert client.post("/c/PL002/edit", data=form).status_code == 302
    db.session.refresh(site["other"])
    assert (site["other"].lat, site["other"].long) == (Decimal("43.9"), Decimal("125.3"))
    change = db.session.scalar(select(AuditEvent).filter_by(action="community.update"))
    assert change.detail["changes"]["lat"] == [None, "43.9"]
    for lat, long in (("91", "125"), ("43.9", ""), ("NaN", "125"), ("x", "1")):
        response = client.post("/c/PL002/edit", data=form | {"lat": lat, "long": long})
        assert response.status_code == 400, (lat, long)
    db.session.refresh(site["other"])
    assert site["other"].lat == Decimal("43.9")


# --- point 10: one statement per page ------------------------------------------------------------------------------

def _statements(app, url, client) -> tuple[int, int]:
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen), len(response.get_json())


def _tickets(site, n, make_user):
    from participation.complaints.operations import act
    from participation.models import Organisation
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="noise"))
    agency = db.session.scalar(select(Organisation)) or Organisation(name="长春建工", kind="contractor")
    db.session.add(agency)
    site["community"].contractor = agency
    hotline = make_user("hotline")
    for i in range(n):
        ticket = file_ticket(None, site["community"], category=category, description=f"噪音{i}", channel="open311",
                             building=site["community"].buildings[i % 2])
        if i % 2:
            act(hotline, ticket, "dispatch", agency=agency)
    db.session.commit()


def test_a_page_of_requests_is_one_statement_whatever_its_size(app, client, site, make_user):
    _tickets(site, 3, make_user)
    few, listed_few = _statements(app, f"{BASE}/requests.json", client)
    _tickets(site, 30, make_user)
    many, listed_many = _statements(app, f"{BASE}/requests.json", client)
    assert (listed_few, listed_many) == (3, 33)
    assert few == many and many <= 2
    paged, listed = _statements(app, f"{BASE}/requests.json?page_size=10&page=2", client)
    assert listed == 10 and paged == many
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 33


def test_the_openapi_document_is_built_once(app, client, monkeypatch):
    from participation.api import openapi
    built = []
    original = openapi.openapi_document
    monkeypatch.setattr(openapi, "openapi_document", lambda: built.append(1) or original())
    app.extensions.pop("openapi_json", None)
    first, second = client.get("/api/v1/openapi.json"), client.get("/api/v1/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.get_json()["openapi"].startswith("3.") and first.data == second.data
    assert built == [1]


def test_anonymous_reads_are_rate_limited_per_address(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "ANONYMOUS_READ_LIMIT", "5/minute")
    urls = [f"{BASE}/requests.json", f"{BASE}/services.xml", f"{BASE}/discovery.json", f"{BASE}/requests.json",
            f"{BASE}/services/noise.json"]
    assert [client.get(url).status_code for url in urls] == [200] * 5
    refused = client.get(f"{BASE}/requests.json")
    assert refused.status_code == 429 and refused.get_json()[0]["code"] == 429
    other = client.get(f"{BASE}/requests.json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    # a platform's POST counts against its key, not the reads
    assert post(client, site["key"], address_string="PL001小区").status_code == 200


def test_anonymous_api_requests_are_rate_limited_but_tokens_are_not(app, client, site, monkeypatch):
    from tests.api.conftest import call
    monkeypatch.setitem(app.config, "ANONYMOUS_READ_LIMIT", "4/minute")
    statuses = [client.get("/api/v1/openapi.json").status_code, client.get("/api/v1/communities").status_code,
                call(client, "GET", "/api/v1/communities", "not-a-token").status_code,
                client.get("/api/v1/communities/PL001").status_code]
    assert statuses == [200, 401, 401, 401]
    refused = client.get("/api/v1/openapi.json")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert client.get("/api/v1/communities").status_code == 429
    from participation.api.tokens import create_token
    _row, token = create_token(None, "ok", "admin")
    db.session.commit()
    assert all(call(client, "GET", "/api/v1/communities", token).status_code == 200 for _ in range(6))
