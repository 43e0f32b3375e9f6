"""Issue 12 point 18: the forms people and platforms send, fed arbitrary field values — NUL and other control
characters, huge and negative numbers, long and odd unicode, lists where one value is expected, unknown fields —
never get a 5xx. Login, the resident's entry by household code, a resident filing a complaint, the hotline desk's
intake (and its caller search), Open311's POST and the query strings of the list pages.

The "ci" profile runs a bounded, derandomised number of examples (each one request); ``HYPOTHESIS_PROFILE=fuzz``
runs 5,000 an endpoint. Rate limits are off here (they answer 429, which is not what is being looked for); the
database throttles stay on. Each test prints how many requests it sent and which statuses came back."""
import io
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from participation.api.open311_keys import create_key
from participation.extensions import db, limiter
from participation.models import ComplaintCategory
from participation.roster.codes import issue_code
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter

HOSTILE = st.sampled_from([
    "9" * 40, "a\x00b", "\x00", "-1", "0", "1e309", "NaN", "10^20", "２", "١٢٣", "²", " ", "\t\n", "\u202e", "\ufeff",
    "=HYPERLINK(\"http://evil.example\",\"x\")", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd",
    "𠀀𝒜😀", "長" * 5000, "C" * 21, "NG001", "1号楼", "13800000000", "normal", "web", "satisfied",
])
VALUE = st.one_of(HOSTILE, st.text(max_size=60), st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
                  st.integers(min_value=-10**30, max_value=10**30).map(str))
VALUES = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))


def form(fields, required=()):
    """Any subset of ``fields`` (a list of names, or names with values that pass, drawn four times as often as
    hostile ones so that many requests get past the first check), plus now and then a field nobody asked for."""
    good = fields if isinstance(fields, dict) else {name: () for name in fields}
    values = {name: st.one_of(*[st.sampled_from(passing)] * 4, VALUES) if passing else VALUES
              for name, passing in good.items()}
    extra = st.dictionaries(st.sampled_from(["x", "page", "csrf_token2", "\x00"]), VALUE, max_size=1)
    always = {name: values.pop(name) for name in required}
    return st.tuples(st.fixed_dictionaries(always, optional=values), st.one_of(st.just({}), st.just({}), extra)) \
        .map(lambda parts: {**parts[1], **parts[0]})


class Tally:
    def __init__(self, name):
        self.name, self.statuses = name, Counter()

    def check(self, response):
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, (response.status_code, response.text[:500])

    def report(self):
        print(f"\n{self.name}: {sum(self.statuses.values())} requests, statuses {dict(sorted(self.statuses.items()))}")
        assert self.statuses and not any(status >= 500 for status in self.statuses)


@pytest.fixture
def site(app, make_community, make_user, reference_data, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    community = make_community("NG001", buildings=1, units=1, floors=2)
    household = community.buildings[0].units[0].households[0]
    code = issue_code(None, household)
    make_user("hotline", username="desk")
    _row, key = create_key("platform")
    db.session.commit()
    return {"community": community, "code": code, "key": key}


def test_login_form(client, site):
    tally = Tally("login")
    token = csrf_token(client.get("/login").text)

    @given(fields=form({"username": ["desk", "nobody"], "password": ["correct-horse-battery", "x" * 10]},
                       required=["username", "password"]),
           next_=st.one_of(st.just("/staff"), VALUE))
    def run(fields, next_):
        tally.check(client.post("/login", query_string={"next": next_}, data={"csrf_token": token, **fields}))

    run()
    tally.report()


def test_resident_entry(app, site):
    tally = Tally("resident entry")

    @given(fields=form({"code": [site["code"], site["code"].lower(), "ABCD-EFGH"], "challenge": [""], "proof": [""]},
                       required=["code"]),
           community=st.one_of(st.just("NG001"), st.just("NG001"), VALUE))
    def run(fields, community):
        client = app.test_client()   # a new phone each time: one that got in holds a new session
        token = csrf_token(client.get("/r/NG001").text)
        path = "/r/" + (community.replace("/", "") or "x")
        tally.check(client.post(path, data={"csrf_token": token, **fields}))

    run()
    tally.report()


def test_resident_complaint_filing(app, site):
    tally = Tally("complaint filing")
    client = app.test_client()
    assert enter(client, "NG001", site["code"]).status_code == 302
    assert accept_notice(client).status_code == 302
    token = csrf_token(client.get("/complaints/new").text)
    category = db.session.scalar(select(ComplaintCategory.id).where(ComplaintCategory.retired_at.is_(None)))
    photo = st.one_of(st.none(), st.tuples(st.binary(max_size=200), VALUE))

    @given(fields=form({"category": [str(category)], "where": ["home", "common"], "place": ["北门", ""],
                        "description": ["楼道灯坏了"], "urgency": ["normal", "urgent", "emergency"]},
                       required=["category", "where", "description", "urgency"]), photo=photo)
    def run(fields, photo):
        data = {"csrf_token": token, **fields}
        if photo is not None:
            data["photos"] = (io.BytesIO(photo[0]), photo[1])
        tally.check(client.post("/complaints/new", data=data, content_type="multipart/form-data"))

    run()
    tally.report()


def test_hotline_intake_and_caller_search(client, site, auth):
    tally = Tally("hotline intake")
    auth.login("desk")
    token = csrf_token(client.get("/hotline/new").text)

    household = str(site["community"].buildings[0].units[0].households[0].id)

    @given(fields=form({"household": [household], "community": ["NG001"], "building": ["1", "1号楼"],
                        "caller_name": ["王"], "caller_phone": ["13800000000"],
                        "channel": ["community_hotline", "hotline_12345", "walk_in"], "external_number": ["GD1"],
                        "category": ["construction_quality", "noise"], "description": ["漏水"],
                        "urgency": ["normal", "emergency"], "place": [""], "decision": ["", "new"],
                        "complex_case": ["y"]},
                       required=["category", "description", "urgency", "channel"]),
           search=form({"household": [household], "find": ["1"], "phone": ["138"], "community": ["NG001"],
                        "address": ["1-1-101"], "building": ["1"], "unit": ["1"], "room": ["101"]}))
    def run(fields, search):
        tally.check(client.post("/hotline/new", data={"csrf_token": token, **fields}))
        tally.check(client.get("/hotline/new", query_string=search))

    run()
    tally.report()


def test_open311_post(client, site):
    tally = Tally("open311 POST")

    @given(fields=form({"service_code": ["noise", "construction_quality"],
                        "address_string": ["NG001小区 1号楼1单元", "人民大街1号"], "lat": ["43.88"],
                        "long": ["125.32"], "description": ["噪音"], "first_name": [], "last_name": [], "phone": [],
                        "email": [], "media_url": ["https://example.org/a.jpg"], "device_id": [], "account_id": [],
                        "attribute[urgency]": ["normal"], "attribute[building]": ["1"], "attribute[unit]": ["1"],
                        "attribute[place]": [], "address_id": []},
                       required=["service_code", "address_string"]),
           real_key=st.integers(0, 3))
    def run(fields, real_key):
        data = {**fields, "api_key": site["key"]} if real_key else fields
        tally.check(client.post("/open311/v2/requests.json", data=data))

    run()
    tally.report()


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/hotline", "/admin/audit", "/admin/audit.csv",
                                  "/api/v1/communities/NG001/households"])
def test_query_strings_of_list_pages(client, site, auth, make_user, path):
    from participation.api.tokens import create_token
    tally = Tally(f"GET {path}")
    make_user("admin", username="boss")
    _row, token = create_token(None, "fuzz", "admin")
    db.session.commit()
    auth.login("boss")
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=max(20, settings.default.max_examples // 5))
    @given(args=form(["page", "page_size", "per_page", "service_request_id", "service_code", "status", "start_date",
                      "end_date", "community", "state", "category", "agency", "actor", "action", "channel",
                      "date_from", "date_to"]))
    def run(args):
        tally.check(client.get(path, query_string=args, headers=headers))

    run()
    tally.report()
