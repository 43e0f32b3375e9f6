"""Resident entry at /r/<community_code>: the page, success and failure, the processing notice, the home page."""
import pytest
from sqlalchemy import select

from participation.entry.assisted import start_assisting
from participation.extensions import db
from participation.models import Community, Household, HouseholdActivity, Throttle
from participation.roster.codes import display, issue_code
from tests.conftest import csrf_token


def household_at(community: Community, building: int = 1, unit: int = 1, index: int = 0) -> Household:
    return community.buildings[building - 1].units[unit - 1].households[index]


@pytest.fixture
def site(make_community):
    community = make_community("220102001", status="planning")
    household = household_at(community, 1, 2, 5)   # 1号楼2单元302室
    code = issue_code(None, household)
    db.session.commit()
    return community, household, code


def enter(client, community_code: str, code: str, **kwargs):
    page = client.get(f"/r/{community_code}", **kwargs)
    return client.post(f"/r/{community_code}", data={"code": code, "csrf_token": csrf_token(page.text)}, **kwargs)


def accept_notice(client):
    page = client.get("/home/notice")
    return client.post("/home/notice", data={"accept": "1", "csrf_token": csrf_token(page.text)})


# --- the entry page ---------------------------------------------------------------------------------------------

def test_entry_page_has_one_large_labelled_field_and_the_complaint_numbers(client, site):
    community, _, _ = site
    response = client.get(f"/r/{community.code}")
    assert response.status_code == 200
    html = response.text
    assert community.name in html
    assert '<label for="code">户码</label>' in html
    for attribute in ('inputmode="text"', 'autocomplete="off"', 'autocapitalize="characters"', 'class="code'):
        assert attribute in html
    assert 'method="post"' in html and f'action="/r/{community.code}"' in html
    assert 'href="tel:043188881234"' in html
    assert 'href="tel:13900001111"' in html and 'href="tel:043185550000"' in html
    assert "社区热线" in html


def test_entry_page_loads_its_script_from_a_file_and_has_no_inline_code(client, site):
    html = client.get(f"/r/{site[0].code}").text
    assert '<script src="/static/js/entry.js" defer></script>' in html
    assert "<script>" not in html and "style=" not in html and "onclick" not in html
    response = client.get("/static/js/entry.js")
    script = response.text
    response.close()
    assert "location.hash" in script and "replaceState" in script and "submit()" in script


def test_unknown_community_is_404(client, site):
    assert client.get("/r/NO-SUCH").status_code == 404
    token = csrf_token(client.get(f"/r/{site[0].code}").text)
    assert client.post("/r/NO-SUCH", data={"code": site[2], "csrf_token": token}).status_code == 404


def test_first_visit_gets_a_random_browser_id_in_the_signed_session(client, site, app):
    client.get(f"/r/{site[0].code}")
    with client.session_transaction() as session:
        first = session["entry_browser"]
    assert len(first) >= 20
    other = app.test_client()
    other.get(f"/r/{site[0].code}")
    with other.session_transaction() as session:
        assert session["entry_browser"] != first


def test_large_text_mode_applies_to_the_entry_page(client, site):
    client.set_cookie("large_text", "1", domain="localhost")
    assert 'class="large-text' in client.get(f"/r/{site[0].code}").text


# --- success and failure ----------------------------------------------------------------------------------------

def test_a_typed_code_opens_the_notice_then_the_home_page(client, site):
    community, household, code = site
    response = enter(client, community.code, display(code).lower())
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    response = client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home/notice")
    notice = client.get("/home/notice").text
    assert "个人信息" in notice and community.district.name in notice and community.name in notice
    assert accept_notice(client).headers["Location"].endswith("/home")
    home = client.get("/home")
    assert home.status_code == 200
    assert "1号楼2单元302室" in home.text


def test_a_wrong_code_gets_a_clear_message_and_reveals_nothing(client, site, app, make_community):
    community, _, code = site
    other = make_community("220102002")
    foreign = issue_code(None, household_at(other))
    db.session.commit()
    wrong = enter(client, community.code, "K7M-4PX-2QH")
    assert wrong.status_code == 400
    assert "户码不对" in wrong.text
    # A real code of another community gets exactly the same answer as a made-up one.
    elsewhere = enter(app.test_client(), community.code, foreign)
    assert elsewhere.status_code == 400
    strip = lambda html: html.replace(foreign, "").replace("K7M-4PX-2QH", "")  # noqa: E731
    assert strip(elsewhere.text).count("户码不对") == strip(wrong.text).count("户码不对") == 1
    assert client.get("/home").status_code == 302
    with client.session_transaction() as session:
        assert "household_id" not in session


def test_a_malformed_code_is_explained_and_not_counted(client, site):
    response = enter(client, site[0].code, "12345")
    assert response.status_code == 400
    assert "9位字母和数字" in response.text
    assert db.session.query(Throttle).count() == 0


def test_an_empty_code_is_asked_for(client, site):
    response = enter(client, site[0].code, "")
    assert response.status_code == 400
    assert "请输入纸条上印的户码" in response.text


def test_entry_needs_the_csrf_token(client, site):
    community, _, code = site
    client.get(f"/r/{community.code}")
    response = client.post(f"/r/{community.code}", data={"code": code})
    assert response.status_code == 400
    assert "表单已过期" in response.text
    assert client.get("/home").status_code == 302


def test_entering_keeps_the_language_choice(client, site):
    community, _, code = site
    page = client.get("/")
    client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(page.text), "next": "/"})
    enter(client, community.code, code)
    assert "I have read it and agree" in client.get("/home/notice").text


def test_entering_as_a_household_ends_a_staff_login(client, site, make_user, auth):
    community, _, code = site
    make_user("organiser", username="org", communities=[community])
    auth.login("org")
    assert client.get("/staff").status_code == 200
    enter(client, community.code, code)
    assert client.get("/staff").status_code == 302


def test_a_regenerated_code_ends_sessions_made_with_the_old_one(client, site):
    community, household, code = site
    enter(client, community.code, code)
    accept_notice(client)
    assert client.get("/home").status_code == 200
    new = issue_code(None, household)
    db.session.commit()
    response = client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert enter(client, community.code, code).status_code == 400
    assert enter(client, community.code, new).status_code == 302


def test_leaving_is_a_post_that_ends_the_session(client, site):
    community, _, code = site
    enter(client, community.code, code)
    accept_notice(client)
    home = client.get("/home").text
    assert 'action="/home/leave"' in home and "退出" in home
    assert client.get("/home/leave").status_code == 405
    client.post("/home/leave", data={"csrf_token": csrf_token(home)})
    assert client.get("/home").status_code == 302


def test_home_without_entering_sends_the_visitor_to_the_front_page(client, site):
    response = client.get("/home", follow_redirects=True)
    assert "请重新进入" in response.text
    assert client.get("/home/notice").status_code == 302


# --- the processing notice (PIPL Art. 17) ---------------------------------------------------------------------

def test_the_notice_says_who_why_what_how_long_and_the_rights(client, site):
    community, _, code = site
    enter(client, community.code, code)
    html = client.get("/home/notice").text
    for words in ("谁处理", "街道", "社区", "改造需求", "意见", "投诉", "业主表决", "地址", "面积", "电话",
                  "建后管理", "档案", "查阅", "更正", "删除", "撤回同意", "tel:043185550000"):
        assert words in html, words


def test_accepting_the_notice_is_recorded_once_with_its_channel(client, site):
    community, household, code = site
    enter(client, community.code, code)
    accept_notice(client)
    db.session.expire_all()
    assert household.notice_accepted_at is not None
    activity = db.session.scalar(select(HouseholdActivity))
    assert (activity.action, activity.channel, activity.staff_id) == ("notice.accept", "web", None)
    # Accepting again (a second tab) changes nothing and records nothing more.
    page = client.get("/home/notice")
    assert "我已阅读并同意" not in page.text
    client.post("/home/notice", data={"accept": "1", "csrf_token": csrf_token(page.text)})
    assert db.session.query(HouseholdActivity).count() == 1
    # The next entry goes straight home.
    enter(client, community.code, code)
    assert client.get("/home").status_code == 200


def test_the_notice_needs_the_csrf_token(client, site):
    community, household, code = site
    enter(client, community.code, code)
    assert client.post("/home/notice", data={"accept": "1"}).status_code == 400
    db.session.expire_all()
    assert household.notice_accepted_at is None


def test_declining_leaves_with_a_friendly_message_and_the_hotlines(client, site):
    community, household, code = site
    enter(client, community.code, code)
    page = client.get("/home/notice")
    response = client.post("/home/notice", data={"decline": "1", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 200
    assert "没有关系" in response.text and 'href="tel:043185550000"' in response.text
    db.session.expire_all()
    assert household.notice_accepted_at is None
    assert db.session.query(HouseholdActivity).count() == 0
    assert client.get("/home").status_code == 302


# --- the home page --------------------------------------------------------------------------------------------

def test_home_shows_the_address_stage_honest_sections_and_tel_links(client, site):
    community, _, code = site
    enter(client, community.code, code)
    accept_notice(client)
    response = client.get("/home")
    html = response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "1号楼2单元302室" in html and community.name in html
    assert "方案编制" in html                  # the lifecycle stage "planning"
    assert "还没有开放的调查" in html and "还没有开放的业主表决" in html
    assert html.count('href="tel:') == 3
    assert "<script>" not in html and "style=" not in html


def test_home_lists_what_staff_did_newest_first_with_channel_and_name(client, site, make_user):
    community, household, code = site
    grid = make_user("grid", username="grid-li", buildings=[community.buildings[0]])
    grid.display_name = "李网格"
    hotline = make_user("hotline", username="hotline-wang")
    hotline.display_name = "王接线"
    start_assisting(grid, household, "door_to_door")
    db.session.commit()
    start_assisting(hotline, household, "hotline")
    db.session.commit()
    enter(client, community.code, code)
    accept_notice(client)
    html = client.get("/home").text
    assert "李网格（网格员" in html and "入户代办" in html
    assert "王接线（热线" in html and "热线代办" in html
    assert html.index("同意了个人信息处理告知") < html.index("王接线") < html.index("李网格")
    assert "本人网上办理" in html
