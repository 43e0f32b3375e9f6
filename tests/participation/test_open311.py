"""Open311 GeoReport v2 at /open311/v2/: discovery, services and definitions in JSON and XML, POST with a key (as
FixMyStreet's and open311 1.1's clients send it), the errors the spec names, GET filters and window, no caller data
in any GET, the key CLI, and the PyPI ``georeport`` client against a live server."""
import hashlib
import json
import threading
from datetime import datetime, timedelta
from xml.etree import ElementTree

import georeport
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from participation.api import open311_requests
from participation.api.open311_keys import create_key, hash_key, revoke_key
from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.models import ComplaintCategory, Organisation, Ticket
from participation.models.complaints import URGENCIES, Open311Key
from participation.models.types import utcnow

BASE = "/open311/v2"
PHONE, EMAIL, FIRST, LAST = "13912345678", "caller@example.org", "Xiaoming", "Wang"


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    db.session.add(contractor)
    community = make_community("OS001", contractor=contractor)
    other = make_community("OS002")
    _row, key = create_key("fixmystreet")
    db.session.commit()
    return {"community": community, "other": other, "key": key, "contractor": contractor,
            "hotline": make_user("hotline"), "agency": make_user("agency", organisation=contractor)}


def codes() -> list[str]:
    return list(db.session.scalars(select(ComplaintCategory.code).where(ComplaintCategory.retired_at.is_(None))
                                   .order_by(ComplaintCategory.position, ComplaintCategory.id)))


def xml(response) -> ElementTree.Element:
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.data)


def as_json(response):
    assert response.content_type == "application/json; charset=utf-8"
    return json.loads(response.text)


def ticket_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def post(client, fmt="json", query="", **fields):
    return client.post(f"{BASE}/requests.{fmt}{query}", data=fields)


def filed(site, when=None, **fields):
    """A ticket filed as the web form would, at ``when``."""
    category = db.session.scalar(select(ComplaintCategory).filter_by(code=fields.pop("code", "noise")))
    ticket = file_ticket(None, site["community"], category=category, description=fields.pop("description", "夜间施工"),
                         now=when or utcnow(), **fields)
    db.session.commit()
    return ticket


# --- discovery, services, definitions -----------------------------------------------------------------------------

def test_discovery_in_json_and_xml(client, site):
    body = as_json(client.get(f"{BASE}/discovery.json"))
    assert body["endpoints"][0]["url"].endswith("/open311/v2")
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(body["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    assert {"changeset", "contact", "key_service"} <= set(body)
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/type").text == "production"


def test_services_are_the_localitys_categories(client, site):
    body = as_json(client.get(f"{BASE}/services.json"))
    assert isinstance(body, list)
    assert [s["service_code"] for s in body] == codes()
    names = dict(db.session.execute(select(ComplaintCategory.code, ComplaintCategory.name)).all())
    assert all(s["service_name"] == names[s["service_code"]] and s["type"] == "realtime" and s["metadata"] is True
               for s in body)
    root = xml(client.get(f"{BASE}/services.xml?jurisdiction_id="))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes()
    assert {s.findtext("metadata") for s in root.findall("service")} == {"true"}


def test_a_retired_category_is_no_service(client, site):
    db.session.scalar(select(ComplaintCategory).filter_by(code="noise")).retired_at = utcnow()
    db.session.commit()
    assert "noise" not in [s["service_code"] for s in as_json(client.get(f"{BASE}/services.json"))]
    assert client.get(f"{BASE}/services/noise.json").status_code == 404


def test_service_definition_in_json_and_xml(client, site):
    body = as_json(client.get(f"{BASE}/services/noise.json"))
    assert body["service_code"] == "noise"
    urgency = next(a for a in body["attributes"] if a["code"] == "urgency")
    assert urgency["datatype"] == "singlevaluelist" and [v["key"] for v in urgency["values"]] == list(URGENCIES)
    assert sorted(a["order"] for a in body["attributes"]) == list(range(1, len(body["attributes"]) + 1))
    assert client.get(f"{BASE}/service/noise.xml").data == client.get(f"{BASE}/services/noise.xml").data
    root = xml(client.get(f"{BASE}/services/noise.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "noise"
    codes_ = [a.findtext("code") for a in root.findall("attributes/attribute")]
    assert codes_[0] == "urgency" and {"building", "unit"} <= set(codes_)
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == list(URGENCIES)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_in_the_spec_error_format(client, site, fmt):
    response = client.get(f"{BASE}/services/nonesuch.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        assert as_json(response)[0]["code"] == 404
    else:
        root = xml(response)
        assert root.tag == "errors" and root.findtext("error/code") == "404" and root.findtext("error/description")


# --- POST ---------------------------------------------------------------------------------------------------------

def test_post_with_a_key_files_a_ticket_in_the_named_community(client, site):
    response = post(client, api_key=site["key"], service_code="construction_quality",
                    address_string="长春市南关区 OS001小区 2号楼1单元", description="楼道墙皮脱落",
                    **{"attribute[urgency]": "urgent"}, first_name=FIRST, last_name=LAST, phone=PHONE, email=EMAIL,
                    media_url="https://example.org/wall.jpg")
    assert response.status_code == 200, response.text
    body = as_json(response)
    assert len(body) == 1 and set(body[0]) <= {"service_request_id", "service_notice", "account_id"}
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=body[0]["service_request_id"]))
    assert ticket.community.code == "OS001" and ticket.category.code == "construction_quality"
    assert ticket.channel == "open311" and ticket.urgency == "urgent" and ticket.state == "received"
    assert (ticket.building.name, ticket.unit.name) == ("2", "1") and ticket.unit.building_id == ticket.building_id
    assert ticket.caller_phone == PHONE and ticket.caller_name == f"{FIRST} {LAST}"
    assert ticket.events[0].details["caller_email"] == EMAIL
    assert "https://example.org/wall.jpg" in ticket.description
    assert db.session.scalar(select(Open311Key)).last_used_at is not None


def test_fixmystreet_shaped_post(client, site):
    """As perllib/Open311.pm sends it: XML, api_key in the body, lat/long with the address, first/last name,
    description "title\\n\\ndetail\\n\\nurl", attribute[...] of its own, media_url."""
    response = post(client, "xml", api_key=site["key"], service_code="noise", lat="43.8868", long="125.3245",
                    address_string="OS001小区 1号楼, 长春", first_name="Li", last_name="Lei", email=EMAIL,
                    phone=PHONE, account_id="", description="Night works\n\nDrilling after 22:00\n\n"
                    "https://fms.example/report/42", media_url="https://fms.example/photo/42.jpeg",
                    **{"attribute[fixmystreet_id]": "42", "attribute[title]": "Night works",
                       "attribute[easting]": "1", "attribute[northing]": "2"})
    assert response.status_code == 200, response.text
    root = xml(response)
    assert root.tag == "service_requests"
    receipt = root.findtext("request/service_request_id")
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=receipt))
    assert ticket.building.name == "1" and ticket.unit is None and ticket.category.code == "noise"
    assert ticket.events[0].details["lat"] == "43.8868"


def test_open311_python_shaped_post_with_the_key_in_the_query_string(client, site):
    response = post(client, "xml", query=f"?api_key={site['key']}&jurisdiction_id=", service_code="noise",
                    address_string="OS002小区", description="噪音")
    assert response.status_code == 200, response.text
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=xml(response).findtext("request/service_request_id")))
    assert ticket.community.code == "OS002" and ticket.building is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "wrong", "revoked"])
def test_missing_or_bad_key_is_403_and_files_nothing(client, site, fmt, key):
    if key == "revoked":
        revoke_key("fixmystreet")
        db.session.commit()
        key = site["key"]
    fields = {"service_code": "noise", "address_string": "OS001小区", "description": "x"}
    if key is not None:
        fields["api_key"] = key
    response = post(client, fmt, **fields)
    assert response.status_code == 403
    code = as_json(response)[0]["code"] if fmt == "json" else xml(response).findtext("error/code")
    assert str(code) == "403"
    assert ticket_count() == 0


@pytest.mark.parametrize("fields, status", [
    ({"service_code": "nonesuch", "address_string": "OS001小区"}, 404),                   # spec: code not found
    ({"address_string": "OS001小区"}, 400),                                                # not provided
    # (issue 12.19: points and addresses that place nothing are kept for the desk: test_open311_placement.py)
    ({"service_code": "noise", "lat": "north", "long": "125.32"}, 400),                    # not coordinates
    ({"service_code": "noise", "lat": "43.88"}, 400),                                      # half a point
    ({"service_code": "noise"}, 400),                                                      # no location at all
    ({"service_code": "noise", "address_string": "OS001小区", "attribute[urgency]": "whenever"}, 400),
    ({"service_code": "noise", "address_string": "OS001小区", "description": "长" * 4001}, 400),
    ({"service_code": "noise", "address_string": "OS001小区", "media_url": "javascript:alert(1)"}, 400),
    ({"service_code": "noise", "address_string": "OS001小区", "phone": "1" * 30}, 400),
    ({"service_code": "noise", "address_string": "OS001小区", "description": "NUL\x00"}, 400),
])
def test_bad_requests_get_the_spec_status_and_file_nothing(client, site, fields, status):
    response = post(client, api_key=site["key"], description=fields.pop("description", "噪音"), **fields)
    assert response.status_code == status
    assert as_json(response)[0]["code"] == status and as_json(response)[0]["description"]
    assert ticket_count() == 0
    assert db.session.scalar(select(Open311Key)).last_used_at is None


def test_posts_are_rate_limited_per_key(client, site):
    statuses = [post(client, api_key=site["key"]).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    _row, other = create_key("another")
    db.session.commit()
    assert post(client, api_key=other).status_code == 400


# --- GET ----------------------------------------------------------------------------------------------------------

def test_get_requests_fields_and_no_caller_data(client, site):
    ticket = filed(site, household=site["community"].buildings[1].units[0].households[0], caller_name="王小明",
                   caller_phone=PHONE, channel="open311")
    ticket.events[0].details = dict(ticket.events[0].details) | {"caller_email": EMAIL}
    room = ticket.household.room
    act(site["hotline"], ticket, "dispatch", agency=site["contractor"])
    act(site["agency"], ticket, "sign")
    act(site["agency"], ticket, "reply", note="已停止夜间施工")
    db.session.commit()
    pages = [client.get(f"{BASE}/requests.json"), client.get(f"{BASE}/requests.xml"),
             client.get(f"{BASE}/requests/{ticket.receipt}.json"), client.get(f"{BASE}/requests/{ticket.receipt}.xml")]
    for page in pages:
        assert page.status_code == 200
        for secret in (PHONE, PHONE[-4:] + "<", EMAIL, "王小明", f"{room}室", f'"{room}"'):
            assert secret not in page.text
    one = as_json(pages[2])
    assert len(one) == 1
    request = one[0]
    assert request["service_request_id"] == ticket.receipt and request["status"] == "open"
    assert request["status_notes"] == "已停止夜间施工" and request["agency_responsible"] == "长春建工"
    assert request["service_code"] == "noise" and request["service_name"] == ticket.category.name
    assert datetime.fromisoformat(request["expected_datetime"]) == ticket.due_at.replace(microsecond=0)
    assert datetime.fromisoformat(request["requested_datetime"]) == ticket.received_at.replace(microsecond=0)
    assert request["address"] == "OS001小区"   # issue 12.19: the community, nothing finer
    root = xml(pages[1])
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == ticket.receipt
    assert root.findtext("request/expected_datetime") == request["expected_datetime"]


def test_what_residents_wrote_elsewhere_is_not_published(client, site):
    """A complaint written on the app or told to the hotline is listed (category, state, times) without its words:
    its writer did not publish it, and free text may hold names and room numbers."""
    ticket = filed(site, description="302室张阿姨家门口的楼梯扶手松了")
    act(site["hotline"], ticket, "dispatch", agency=site["contractor"])
    act(site["agency"], ticket, "sign")
    act(site["agency"], ticket, "reply", note="已联系302室张阿姨，明天上午加固")
    db.session.commit()
    for url in (f"{BASE}/requests.json", f"{BASE}/requests.xml", f"{BASE}/requests/{ticket.receipt}.json"):
        page = client.get(url)
        assert page.status_code == 200 and ticket.receipt in page.text
        assert "张阿姨" not in page.text and "302室" not in page.text
    [request] = as_json(client.get(f"{BASE}/requests/{ticket.receipt}.json"))
    assert request["description"] is None and request["status_notes"] is None and request["status"] == "open"


def test_get_requests_filters_and_the_90_day_window(client, site, monkeypatch):
    now = utcnow()
    recent = filed(site, now - timedelta(days=10))
    old = filed(site, now - timedelta(days=100))
    quality = filed(site, now - timedelta(days=5), code="construction_quality")
    rejected = filed(site, now - timedelta(days=3), channel="open311")
    act(site["hotline"], rejected, "reject", note="不属于改造范围")
    db.session.commit()

    def ids(query=""):
        response = client.get(f"{BASE}/requests.json{query}")
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in as_json(response)]

    assert ids() == [rejected.receipt, quality.receipt, recent.receipt]          # newest first; old is outside
    assert ids("?status=open") == [quality.receipt, recent.receipt]
    assert ids("?status=closed") == [rejected.receipt]
    assert ids("?status=open,closed") == ids()
    assert ids("?service_code=construction_quality") == [quality.receipt]
    assert ids("?service_code=noise,construction_quality&status=") == ids()
    start = (now - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert ids(f"?start_date={start}&end_date={end}") == [old.receipt]
    assert ids(f"?start_date={start}") == [old.receipt]                          # start + 90 days
    assert ids(f"?service_request_id={old.receipt},{recent.receipt},CNOPE&status=open") == [recent.receipt,
                                                                                                old.receipt]
    closed = as_json(client.get(f"{BASE}/requests/{rejected.receipt}.json"))[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "不属于改造范围"
    assert ids("?page_size=2") == [rejected.receipt, quality.receipt]
    assert ids("?page_size=2&page=2") == [recent.receipt]
    assert ids("?page_size=2&page=3") == []
    monkeypatch.setattr(open311_requests, "MAX_RESULTS", 2)
    assert ids() == [rejected.receipt, quality.receipt]


@pytest.mark.parametrize("query", ["?start_date=yesterday", "?end_date=2025-13-01T00:00:00Z",
                                   "?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z",
                                   "?start_date=2025-06-01T00:00:00Z&end_date=2025-01-01T00:00:00Z",
                                   "?status=pending", "?page=0", "?page_size=1001", "?page=x",
                                   "?service_code=%00", "?service_request_id=C%00",
                                   "?start_date=9999-12-31T23:59:59Z", "?end_date=0001-01-01T00:00:00Z"])
def test_bad_get_arguments_are_400(client, site, query):
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}{query}")
        assert response.status_code == 400
        code = as_json(response)[0]["code"] if fmt == "json" else xml(response).findtext("error/code")
        assert str(code) == "400"


def test_unknown_request_is_404(client, site):
    assert client.get(f"{BASE}/requests/C%00.json").status_code == 400
    assert client.get(f"{BASE}/requests/CNOSUCH00.json").status_code == 404
    assert xml(client.get(f"{BASE}/requests/CNOSUCH00.xml")).findtext("error/code") == "404"


def test_an_empty_list_is_an_empty_array_and_element(client, site):
    assert as_json(client.get(f"{BASE}/requests.json")) == []
    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and list(root) == []


def test_posted_request_reads_back_without_the_caller(client, site):
    receipt = as_json(post(client, api_key=site["key"], service_code="noise", address_string="OS001小区1号楼2单元",
                           description="电钻声", first_name=FIRST, last_name=LAST, phone=PHONE, email=EMAIL,
                           media_url="https://example.org/a.jpg"))[0]["service_request_id"]
    for fmt in ("json", "xml"):
        page = client.get(f"{BASE}/requests/{receipt}.{fmt}")
        assert page.status_code == 200
        assert PHONE not in page.text and EMAIL not in page.text and FIRST not in page.text
    body = as_json(client.get(f"{BASE}/requests/{receipt}.json"))[0]
    assert body["media_url"] == "https://example.org/a.jpg" and body["address"] == "OS001小区"


# --- the key CLI --------------------------------------------------------------------------------------------------

def test_cli_creates_a_key_once_and_revokes_it(app, client, site):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["open311", "create-key", "city-app"])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    row = db.session.scalar(select(Open311Key).filter_by(name="city-app"))
    # Stored keyed (issue 13): the hash of the current key version, never the key nor its plain SHA-256.
    assert row.key_hash == hash_key(key) != hashlib.sha256(key.encode()).hexdigest() and key not in row.key_hash
    assert row.key_version == 1
    assert runner.invoke(args=["open311", "create-key", "city-app"]).exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Open311Key).filter_by(name="city-app")) == 1
    fields = {"service_code": "noise", "address_string": "OS001小区", "description": "噪音"}
    assert post(client, api_key=key, **fields).status_code == 200
    assert runner.invoke(args=["open311", "revoke-key", "city-app"]).exit_code == 0
    assert post(client, api_key=key, **fields).status_code == 403
    assert runner.invoke(args=["open311", "revoke-key", "nobody"]).exit_code != 0


# --- the georeport client from PyPI, against a live server -------------------------------------------------------

@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{BASE}"
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_us(site, live, fmt):
    first, second = filed(site, utcnow() - timedelta(days=2)), filed(site, code="construction_quality")
    db.session.commit()
    client = georeport.GeoReport(live, output_format=fmt)
    assert [s["service_code"] for s in client.get_service_list()] == codes()
    definition = client.get_service_definition("noise")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert attributes[0]["code"] == "urgency"
    assert [r["service_request_id"] for r in client.get_service_requests()] == [second.receipt, first.receipt]
    one = client.get_service_request(first.receipt)
    assert one["service_request_id"] == first.receipt and one["status"] == "open"
    assert one["service_code"] == "noise"


def test_the_longest_community_name_written_wins(client, site, make_community):
    make_community("OS003", name="OS001小区二期")
    db.session.commit()
    response = post(client, api_key=site["key"], service_code="noise", address_string="长春 OS001小区二期 1号楼",
                    description="噪音")
    assert response.status_code == 200, response.text
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=as_json(response)[0]["service_request_id"]))
    assert ticket.community.code == "OS003" and ticket.building.community_id == ticket.community_id
    # two names of the same length: a person decides (issue 12.19), nothing is filed in either
    ambiguous = post(client, api_key=site["key"], service_code="noise", address_string="OS001小区 or OS002小区",
                     description="噪音")
    assert ambiguous.status_code == 200 and ticket_count() == 1
