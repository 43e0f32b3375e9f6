"""The robot pages: admins manage every robot (a community's or an organisation's), organisers their communities'
only; a bad address is said in words and nothing is saved; the address is shown masked; every change is audited;
the test message is a notification with a wecom delivery, written through the outbox's path."""
import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Delivery, Notification, Organisation, WecomRobot
from participation.reach.kinds import ROBOT_KINDS
from tests.conftest import csrf_token

KEY = "0ec2sifa-7aaa-4bc4-97a0-693a91f6beef"
URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"


@pytest.fixture
def place(make_community):
    return make_community("R001", buildings=1, units=1, floors=1, per_floor=1)


@pytest.fixture
def elsewhere(make_community):
    return make_community("R002", buildings=1, units=1, floors=1, per_floor=1)


def _robot(community=None, organisation=None, **fields) -> WecomRobot:
    robot = WecomRobot(name=fields.pop("name", "工作群"), webhook_url=fields.pop("webhook_url", URL),
                       community_id=getattr(community, "id", None), organisation_id=getattr(organisation, "id", None),
                       kinds=fields.pop("kinds", ["ticket.dispatched"]), **fields)
    db.session.add(robot)
    db.session.commit()
    return robot


def _post(client, path, data, page=None):
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **data})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _robot_audits() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("wecom_robot.%")))


def _audits(action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- organisers: their communities' robots ------------------------------------------------------------------------

def test_an_organiser_adds_a_robot_to_their_community_and_sees_it_masked(client, login_as, place):
    login_as("organiser", place)
    form = client.get("/c/R001/robots/new")
    assert form.status_code == 200
    ticked = re.findall(r'<input[^>]*checked[^>]*name="kinds"[^>]*value="([^"]+)"|'
                        r'<input[^>]*name="kinds"[^>]*value="([^"]+)"[^>]*checked', form.text)
    assert {a or b for a, b in ticked} == set(ROBOT_KINDS)  # a subscription: every kind offered, all ticked
    response = _post(client, "/c/R001/robots/new", {"name": "曙光里社区工作群", "webhook_url": URL,
                                                    "kinds": ["ticket.dispatched", "ticket.overdue"],
                                                    "active": "y"})
    assert response.status_code == 302 and response.location.startswith("/c/R001/robots")
    robot = db.session.scalars(select(WecomRobot)).one()
    assert (robot.community_id, robot.name, robot.webhook_url) == (place.id, "曙光里社区工作群", URL)
    assert robot.kinds == ["ticket.dispatched", "ticket.overdue"] and robot.active
    page = client.get("/c/R001/robots").text
    assert "曙光里社区工作群" in page and "qyapi.weixin.qq.com key=…beef" in page
    assert KEY not in page
    [audit] = _audits("wecom_robot.create")
    assert audit.community_id == place.id and KEY not in str(audit.detail)


@pytest.mark.parametrize("url, words", [
    (f"http://10.1.2.3/cgi-bin/webhook/send?key={KEY}", "qyapi.weixin.qq.com"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "key="),
    ("qyapi.weixin.qq.com", "https://"),
    ("", "webhook"),
])
def test_a_bad_address_is_said_in_words_and_nothing_is_saved(client, login_as, place, url, words):
    login_as("organiser", place)
    response = _post(client, "/c/R001/robots/new", {"name": "工作群", "webhook_url": url,
                                                    "kinds": ["ticket.dispatched"], "active": "y"})
    assert response.status_code == 400
    assert words in response.text and 'class="error"' in response.text
    assert _count(WecomRobot) == 0 and _robot_audits() == 0


def test_no_name_and_no_kind_are_refused_together(client, login_as, place):
    login_as("organiser", place)
    response = _post(client, "/c/R001/robots/new", {"name": " ", "webhook_url": URL, "active": "y"})
    assert response.status_code == 400
    assert response.text.count('class="error"') >= 2
    assert _count(WecomRobot) == 0


def test_a_kind_robots_do_not_take_is_refused(client, login_as, place):
    login_as("organiser", place)
    response = _post(client, "/c/R001/robots/new", {"name": "群", "webhook_url": URL,
                                                    "kinds": ["ticket.dispatched", "entry.code"]})
    assert response.status_code == 400 and _count(WecomRobot) == 0


def test_editing_keeps_the_address_when_left_empty_and_audits_what_changed(client, login_as, place):
    robot = _robot(place)
    login_as("organiser", place)
    page = client.get(f"/robots/{robot.id}/edit")
    assert page.status_code == 200 and KEY not in page.text and "…beef" in page.text
    response = _post(client, f"/robots/{robot.id}/edit", {"name": "新名字", "webhook_url": "",
                                                          "kinds": ["ticket.overdue"]})
    assert response.status_code == 302
    db.session.refresh(robot)
    assert (robot.name, robot.webhook_url, robot.kinds, robot.active) == ("新名字", URL, ["ticket.overdue"], False)
    [audit] = _audits("wecom_robot.update")
    assert set(audit.detail["changes"]) == {"name", "kinds", "active"}


def test_a_new_address_replaces_the_old_one_and_the_audit_row_holds_it_masked(client, login_as, place):
    robot = _robot(place)
    login_as("organiser", place)
    new_key = "1111aaaa-2222-3333-4444-55556666cafe"
    _post(client, f"/robots/{robot.id}/edit", {"name": robot.name, "kinds": robot.kinds, "active": "y",
                                                "webhook_url": URL.replace(KEY, new_key)})
    db.session.refresh(robot)
    assert new_key in robot.webhook_url
    [audit] = _audits("wecom_robot.update")
    assert audit.detail["changes"] == {"webhook": ["qyapi.weixin.qq.com key=…beef", "qyapi.weixin.qq.com key=…cafe"]}
    assert new_key not in str(audit.detail) and KEY not in str(audit.detail)


def test_a_bad_new_address_on_edit_changes_nothing(client, login_as, place):
    robot = _robot(place)
    login_as("organiser", place)
    response = _post(client, f"/robots/{robot.id}/edit", {"name": "别的名字", "kinds": robot.kinds, "active": "y",
                                                          "webhook_url": "http://192.168.1.1/x?key=abc"},
                     page=f"/robots/{robot.id}/edit")
    assert response.status_code == 400
    db.session.refresh(robot)
    assert (robot.name, robot.webhook_url) == ("工作群", URL) and _robot_audits() == 0


def test_the_test_button_writes_a_message_with_a_wecom_delivery(client, login_as, place):
    robot = _robot(place, name="曙光里社区工作群")
    login_as("organiser", place, display_name="李组织")
    response = _post(client, f"/robots/{robot.id}/test", {}, page="/c/R001/robots")
    assert response.status_code == 302
    message = db.session.scalars(select(Notification)).one()
    assert (message.robot_id, message.community_id, message.kind) == (robot.id, place.id, "robot.test")
    assert "曙光里社区工作群" in message.text
    [delivery] = message.deliveries
    assert (delivery.channel, delivery.state, delivery.community_id) == ("wecom", "pending", place.id)
    assert len(_audits("wecom_robot.test")) == 1


def test_a_switched_off_robot_sends_no_test_and_switches_on_again(client, login_as, place):
    robot = _robot(place)
    login_as("organiser", place)
    assert _post(client, f"/robots/{robot.id}/switch", {}, page="/c/R001/robots").status_code == 302
    db.session.refresh(robot)
    assert robot.active is False and len(_audits("wecom_robot.disable")) == 1
    assert f"/robots/{robot.id}/test" not in client.get("/c/R001/robots").text    # no button for it
    response = _post(client, f"/robots/{robot.id}/test", {}, page="/c/R001/robots")
    assert response.status_code == 302 and _count(Notification) == 0 and _count(Delivery) == 0
    _post(client, f"/robots/{robot.id}/switch", {}, page="/c/R001/robots")
    db.session.refresh(robot)
    assert robot.active is True and len(_audits("wecom_robot.enable")) == 1


# --- scope --------------------------------------------------------------------------------------------------------

def test_an_organiser_never_reaches_another_communitys_or_an_organisations_robot(client, login_as, place,
                                                                                   elsewhere):
    theirs = _robot(elsewhere, name="别人的群")
    crew = Organisation(name="甲建筑公司", kind="contractor")
    db.session.add(crew)
    db.session.flush()
    organisations = _robot(organisation=crew, name="施工队群")
    login_as("organiser", place)
    assert client.get("/c/R002/robots").status_code == 404
    assert client.get("/c/R002/robots/new").status_code == 404
    for robot in (theirs, organisations):
        assert client.get(f"/robots/{robot.id}/edit").status_code == 404
        token = csrf_token(client.get("/c/R001/robots/new").text)
        assert client.post(f"/robots/{robot.id}/test", data={"csrf_token": token}).status_code == 404
        assert client.post(f"/robots/{robot.id}/switch", data={"csrf_token": token}).status_code == 404
    assert client.get("/admin/robots").status_code == 403
    assert "别人的群" not in client.get("/c/R001/robots").text
    assert _count(Notification) == 0 and _robot_audits() == 0


@pytest.mark.parametrize("role", ["owner_rep", "grid", "hotline", "agency"])
def test_other_roles_get_403(client, login_as, place, role):
    robot = _robot(place)
    login_as(role, place)
    assert client.get("/c/R001/robots").status_code == 403
    assert client.get("/c/R001/robots/new").status_code == 403
    assert client.get("/admin/robots").status_code == 403
    assert client.get(f"/robots/{robot.id}/edit").status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client, place):
    robot = _robot(place)
    for path in ("/admin/robots", "/c/R001/robots", f"/robots/{robot.id}/edit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_a_post_without_its_csrf_token_is_refused(app, client, login_as, place, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    robot = _robot(place)
    login_as("organiser", place)
    assert client.post(f"/robots/{robot.id}/test").status_code == 400
    response = client.post("/c/R001/robots/new", data={"name": "群", "webhook_url": URL,
                                                        "kinds": ["ticket.dispatched"]})
    assert response.status_code == 400
    assert _count(WecomRobot) == 1 and _count(Notification) == 0


# --- admins: every robot --------------------------------------------------------------------------------------------

def test_an_admin_adds_an_organisations_robot_and_lists_every_robot(client, login_as, place, elsewhere):
    crew = Organisation(name="甲建筑公司", kind="contractor")
    db.session.add(crew)
    _robot(place, name="社区群")
    db.session.commit()
    login_as("admin")
    form = client.get("/admin/robots/new")
    assert form.status_code == 200 and "甲建筑公司" in form.text and "R002" in form.text
    response = _post(client, "/admin/robots/new", {"group": f"o{crew.id}", "name": "施工队群", "webhook_url": URL,
                                                   "kinds": ["ticket.dispatched"], "active": "y"})
    assert response.status_code == 302 and response.location.startswith("/admin/robots")
    robot = db.session.scalar(select(WecomRobot).filter_by(name="施工队群"))
    assert robot.organisation_id == crew.id and robot.community_id is None
    page = client.get("/admin/robots").text
    assert "施工队群" in page and "社区群" in page and "甲建筑公司" in page and KEY not in page
    assert client.get(f"/robots/{robot.id}/edit").status_code == 200


def test_an_admin_must_choose_a_group(client, login_as, place):
    login_as("admin")
    for group in ("", "c999999", "o999999", "x1"):
        response = _post(client, "/admin/robots/new", {"group": group, "name": "群", "webhook_url": URL,
                                                       "kinds": ["ticket.dispatched"]})
        assert response.status_code == 400
    assert _count(WecomRobot) == 0


def test_a_district_admin_does_not_reach_another_districts_community_robot(client, login_as, place, make_community):
    far = make_community("F001", district="朝阳区", buildings=1, units=1, floors=1, per_floor=1)
    robot = _robot(far)
    district = place.district
    login_as("admin", district=district)
    assert client.get(f"/robots/{robot.id}/edit").status_code == 404
    assert client.get("/c/F001/robots").status_code == 404
    assert "F001" not in client.get("/admin/robots").text
    response = _post(client, "/admin/robots/new", {"group": f"c{far.id}", "name": "群", "webhook_url": URL,
                                                   "kinds": ["ticket.dispatched"]})
    assert response.status_code == 400 and _count(WecomRobot) == 1
