"""Staff-assisted mode: find a household, act for it through a channel, record who did what, stop."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, HouseholdActivity
from participation.roster.codes import issue_code
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter


@pytest.fixture
def site(make_community):
    community, other = make_community("220102001"), make_community("220103009")
    db.session.commit()
    return community, other


def target(community, building=0, unit=1, index=5):
    return community.buildings[building].units[unit].households[index]   # 1号楼2单元302室 by default


def start(client, household, channel="door_to_door"):
    url = f"/assist/households/{household.id}"
    return client.post(url, data={"channel": channel, "csrf_token": csrf_token(client.get(url).text)})


@pytest.mark.parametrize("role", ["admin", "owner_rep", "agency"])
def test_roles_that_do_not_act_for_households_get_403(client, login_as, site, role):
    household = target(site[0])
    login_as(role, site[0])
    assert client.get("/assist/").status_code == 403
    assert client.get(f"/assist/households/{household.id}").status_code == 403
    token = csrf_token(client.get("/staff").text)
    assert client.post(f"/assist/households/{household.id}",
                       data={"channel": "phone", "csrf_token": token}).status_code == 403
    assert client.post("/assist/stop", data={"csrf_token": token}).status_code == 403
    assert db.session.query(HouseholdActivity).count() == 0


def test_anonymous_visitors_are_sent_to_the_login(client, site):
    response = client.get("/assist/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_by_building_unit_and_room_as_people_write_them(client, login_as, site):
    community, _ = site
    login_as("organiser", community)
    page = client.get("/assist/", query_string={"community": community.code, "building": "1号楼", "unit": "2单元",
                                                "room": "302室"})
    assert page.status_code == 200
    assert page.text.count("/assist/households/") == 1 and "1号楼2单元302室" in page.text
    whole_unit = client.get("/assist/", query_string={"community": community.code, "building": "1", "unit": "2"})
    assert whole_unit.text.count("/assist/households/") == 6
    none = client.get("/assist/", query_string={"community": community.code, "room": "909"})
    assert "没有找到这户" in none.text


def test_a_grid_worker_finds_and_opens_only_their_buildings(client, login_as, site):
    community, other = site
    login_as("grid", community)
    page = client.get("/assist/", query_string={"community": community.code})
    assert page.text.count("/assist/households/") == 12 and "2号楼" not in page.text
    assert client.get(f"/assist/households/{target(community, building=1).id}").status_code == 404
    assert client.get(f"/assist/households/{target(community).id}").status_code == 200
    assert client.get("/assist/", query_string={"community": other.code}).status_code == 404
    assert client.get(f"/assist/households/{target(other).id}").status_code == 404
    assert start(client, target(community, building=1)).status_code == 404
    assert db.session.query(HouseholdActivity).count() == 0


def test_hotline_staff_find_households_across_the_city(client, login_as, site):
    community, other = site
    login_as("hotline", community)
    page = client.get("/assist/", query_string={"community": other.code, "building": "2", "unit": "1",
                                                "room": "101"})
    assert "2号楼1单元101室" in page.text


def test_acting_for_a_household_records_channel_and_staff_and_shows_a_banner(client, login_as, site):
    community, _ = site
    household = target(community)
    grid = login_as("grid", community, display_name="李网格")
    response = start(client, household, "door_to_door")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    activity = db.session.scalar(select(HouseholdActivity))
    assert (activity.action, activity.channel, activity.staff_id) == ("assist.start", "door_to_door", grid.id)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.assist"))
    assert (audit.actor_id, audit.channel, audit.object_id) == (grid.id, "door_to_door", str(household.id))

    # The notice comes first; staff record that the resident agreed on the spot.
    assert client.get("/home").headers["Location"].endswith("/home/notice")
    notice = client.get("/home/notice").text
    assert "正在为1号楼2单元302室办理（入户代办）" in notice and 'action="/assist/stop"' in notice
    assert "我不同意" not in notice
    unticked = client.post("/home/notice", data={"csrf_token": csrf_token(notice)})
    assert unticked.status_code == 400 and "居民同意后，请勾选这一项" in unticked.text
    client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice)})
    db.session.expire_all()
    assert household.notice_accepted_at is not None
    accepted = db.session.scalar(select(HouseholdActivity).where(HouseholdActivity.action == "notice.accept"))
    assert (accepted.channel, accepted.staff_id) == ("door_to_door", grid.id)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.notice_accept"))
    assert (audit.actor_id, audit.channel) == (grid.id, "door_to_door")

    home = client.get("/home")
    assert home.status_code == 200
    assert "正在为1号楼2单元302室办理" in home.text and "李网格（网格员" in home.text
    assert 'action="/home/leave"' not in home.text
    assert client.get("/staff").status_code == 200          # still signed in as staff


def test_the_resident_later_sees_what_staff_did(client, app, login_as, site):
    community, _ = site
    household = target(community)
    code = issue_code(None, household)
    db.session.commit()
    login_as("hotline", community, display_name="王接线")
    start(client, household, "phone")
    notice = client.get("/home/notice").text
    client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice)})
    resident = app.test_client()
    enter(resident, community.code, code)
    home = resident.get("/home")
    assert home.status_code == 200                            # the notice was accepted by phone already
    assert home.text.count("王接线（热线接线员）") == 2 and "电话代办" in home.text
    assert "工作人员打开本户页面代办" in home.text and "同意了个人信息处理告知" in home.text
    assert "正在为" not in home.text
    accept_notice(resident)   # nothing more to accept: a POST goes home
    assert db.session.query(HouseholdActivity).filter_by(action="notice.accept").count() == 1


def test_a_channel_must_be_one_staff_use(client, login_as, site):
    household = target(site[0])
    login_as("organiser", site[0])
    for channel in ("web", "carrier-pigeon", ""):
        assert start(client, household, channel).status_code == 400
    assert db.session.query(HouseholdActivity).count() == 0
    assert client.get("/home").status_code == 302


def test_acting_needs_the_csrf_token(client, login_as, site):
    household = target(site[0])
    login_as("organiser", site[0])
    response = client.post(f"/assist/households/{household.id}", data={"channel": "phone"})
    assert response.status_code == 400
    assert db.session.query(HouseholdActivity).count() == 0


def test_stopping_ends_the_assisted_session(client, login_as, site):
    household = target(site[0])
    login_as("organiser", site[0])
    start(client, household, "paper")
    page = client.get("/home/notice").text
    response = client.post("/assist/stop", data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"].endswith(f"/assist/households/{household.id}")
    assert "已结束为1号楼2单元302室代办" in client.get(response.headers["Location"]).text
    assert client.get("/home").status_code == 302
    assert "正在为" not in client.get("/assist/").text


def test_losing_the_building_ends_the_assisted_session(client, login_as, site):
    community, _ = site
    grid = login_as("grid", community)
    start(client, target(community), "door_to_door")
    assert client.get("/home/notice").status_code == 200
    grid.buildings = [community.buildings[1]]
    db.session.commit()
    assert client.get("/home/notice").status_code == 302
