"""Robot messages end to end through the worker's engine (``deliver_due``) to a local 企业微信 webhook: a staff
event's message written by ``outbox.to_robots``, and the test message an organiser sends from the robot page. A
revoked key fails the delivery at once, with the key masked in the log."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import Delivery, DeliveryAttempt, Notification, WecomRobot
from participation.reach import outbox
from participation.reach.delivery import deliver_due
from participation.reach.kinds import KINDS
from participation.reach.robots import TEST_KIND
from tests.conftest import csrf_token
from tests.reach.conftest_robots import KEY, only_request, robot_server  # noqa: F401 (fixture)


@pytest.fixture
def place(make_community):
    return make_community("R001", buildings=1, units=1, floors=1, per_floor=1)


def _robot(server, community, **fields) -> WecomRobot:
    robot = WecomRobot(name=fields.pop("name", "曙光里社区工作群"), webhook_url=server.url, community_id=community.id,
                       kinds=fields.pop("kinds", ["ticket.dispatched"]), **fields)
    db.session.add(robot)
    db.session.commit()
    return robot


def test_a_dispatch_reaches_the_subscribed_group_through_the_worker(robot_server, place):
    _robot(robot_server, place)
    outbox.to_robots("ticket.dispatched", "工单 GD-9 已派给甲建筑公司", community=place)
    db.session.commit()
    counts = deliver_due()
    assert counts.sent == 1
    assert only_request(robot_server) == {"msgtype": "text", "text": {"content": "工单 GD-9 已派给甲建筑公司"}}
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.state == "sent" and delivery.provider_id == f"wecom-{delivery.idempotency_key}"
    assert deliver_due().sent == 0 and len(robot_server.received) == 1        # once


def test_the_test_button_posts_to_the_group(client, login_as, robot_server, place):
    robot = _robot(robot_server, place)
    login_as("organiser", place, display_name="李组织")
    token = csrf_token(client.get("/c/R001/robots").text)
    assert client.post(f"/robots/{robot.id}/test", data={"csrf_token": token}).status_code == 302
    assert deliver_due().sent == 1
    content = only_request(robot_server)["text"]["content"]
    assert "曙光里社区工作群" in content and "李组织" in content


def test_a_revoked_key_fails_at_once_and_the_log_masks_it(robot_server, place):
    robot_server.answer = {"errcode": 93000, "errmsg": f"invalid webhook url, hint: key={KEY}"}
    _robot(robot_server, place)
    outbox.to_robots("ticket.dispatched", "工单 GD-9 已派给甲建筑公司", community=place)
    db.session.commit()
    assert deliver_due().failed == 1
    delivery = db.session.scalars(select(Delivery)).one()
    attempt = db.session.scalars(select(DeliveryAttempt)).one()
    assert delivery.state == "failed" and delivery.attempts == 1
    assert "93000" in delivery.last_error and KEY not in delivery.last_error and KEY not in attempt.error


def test_flow_control_is_retried_later(robot_server, place):
    robot_server.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
    _robot(robot_server, place)
    outbox.to_robots("ticket.dispatched", "工单", community=place)
    db.session.commit()
    assert deliver_due().retry == 1
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.state == "pending" and delivery.attempts == 1


@pytest.mark.skipif(TEST_KIND not in KINDS, reason="robot.test is not in participation/reach/kinds.py yet (notes)")
def test_a_test_message_to_a_revoked_robot_fails_and_admins_hear_of_it(client, login_as, make_user, robot_server,
                                                                        place):
    """A failed delivery tells the admins with its kind's label, so the test message's kind must be a known one."""
    robot_server.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    robot = _robot(robot_server, place)
    admin = make_user("admin")
    login_as("organiser", place)
    token = csrf_token(client.get("/c/R001/robots").text)
    client.post(f"/robots/{robot.id}/test", data={"csrf_token": token})
    assert deliver_due().failed == 1
    told = db.session.scalars(select(Notification).where(Notification.kind == "delivery.failed")).one()
    assert told.user_id == admin.id
