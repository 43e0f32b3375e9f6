"""The 企业微信 robot channel against a local receiver that checks each request as the robot's documentation
describes it (POST, JSON ``{"msgtype": "text", "text": {"content": …}}``, application/json) and answers as the
robot does: errcode 0, 45009 (flow control), 93000 (invalid key), an HTTP error, or nothing in time."""
import pytest

from participation.extensions import db
from participation.models import Delivery, WecomRobot
from participation.reach import outbox
from participation.reach.channels import DeliveryError
from participation.reach.channels.wecom import MAX_CONTENT_BYTES, cut, masked, send, url_problem
from tests.reach.conftest_robots import KEY, only_request, robot_server  # noqa: F401 (fixture)


def test_a_text_message_is_posted_as_the_robot_expects(robot_server):
    provider_id = send(robot_server.url, "工单 GD-1 已派单：楼道墙皮脱落", key="wecom-abc")
    assert provider_id == "wecom-wecom-abc"
    assert only_request(robot_server) == {"msgtype": "text", "text": {"content": "工单 GD-1 已派单：楼道墙皮脱落"}}


def test_a_long_message_is_cut_to_the_robots_limit_between_characters(robot_server):
    send(robot_server.url, "派" * 1000, key="k")       # 3000 bytes in UTF-8
    content = only_request(robot_server)["text"]["content"]
    assert len(content.encode("utf-8")) <= MAX_CONTENT_BYTES
    assert content == "派" * (MAX_CONTENT_BYTES // 3)
    assert cut("ab派", 3) == "ab" and cut("ab派", 5) == "ab派"


@pytest.mark.parametrize("answer, temporary", [
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, True),
    ({"errcode": -1, "errmsg": "system busy"}, True),
    ({"errcode": 93000, "errmsg": f"invalid webhook url, hint: key={KEY}"}, False),
    ({"errcode": 40008, "errmsg": "invalid message type"}, False),
    (500, True), (502, True), (429, True), (404, False), (400, False),
    ("redirect", False),
    ("<html>proxy</html>", True),
])
def test_each_answer_is_temporary_or_permanent_and_never_shows_the_key(robot_server, answer, temporary):
    robot_server.answer = answer
    with pytest.raises(DeliveryError) as raised:
        send(robot_server.url, "测试", key="k")
    assert raised.value.temporary is temporary
    assert KEY not in str(raised.value)
    assert KEY[-4:] in str(raised.value)              # enough to tell which robot
    assert len(robot_server.received) == 1            # a redirect is not followed


def test_a_timeout_is_temporary(robot_server):
    robot_server.answer = "slow"
    with pytest.raises(DeliveryError) as raised:
        send(robot_server.url, "测试", key="k", timeout=0.2)
    assert raised.value.temporary is True
    assert KEY not in str(raised.value)


def test_a_refused_connection_is_temporary(robot_server):
    port = robot_server.server_port
    robot_server.shutdown()
    robot_server.server_close()
    with pytest.raises(DeliveryError) as raised:
        send(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={KEY}", "测试", key="k", timeout=2)
    assert raised.value.temporary is True
    assert KEY not in str(raised.value)


@pytest.mark.parametrize("url", [
    f"http://10.0.0.5/cgi-bin/webhook/send?key={KEY}",
    f"http://localhost/cgi-bin/webhook/send?key={KEY}",
    f"http://127.0.0.1@10.0.0.5/cgi-bin/webhook/send?key={KEY}",
    f"ftp://127.0.0.1/cgi-bin/webhook/send?key={KEY}",
    "http://127.0.0.1/cgi-bin/webhook/send",
    "not a url",
])
def test_a_url_off_the_allowed_hosts_is_refused_before_anything_is_sent(robot_server, url):
    assert url_problem(url) is not None
    with pytest.raises(DeliveryError) as raised:
        send(url, "测试", key="k")
    assert raised.value.temporary is False
    assert KEY not in str(raised.value)
    assert robot_server.received == []


def test_the_default_allows_only_the_robots_host(app, monkeypatch):
    monkeypatch.delitem(app.config, "WECOM_ALLOWED_HOSTS", raising=False)
    assert url_problem(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}") is None
    assert url_problem(f"https://127.0.0.1/cgi-bin/webhook/send?key={KEY}") is not None


def test_a_host_with_its_port_may_be_allowed_alone(app, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_ALLOWED_HOSTS", "qyapi.weixin.qq.com, 127.0.0.1:8080")
    assert url_problem(f"http://127.0.0.1:8080/send?key={KEY}") is None
    assert url_problem(f"http://127.0.0.1:9090/send?key={KEY}") is not None


def test_masked_shows_the_host_and_the_keys_end_only():
    assert masked(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}") == "qyapi.weixin.qq.com key=…5aaa"
    assert masked("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=short") == "qyapi.weixin.qq.com key=…"


def test_a_dispatch_written_by_the_outbox_reaches_the_subscribed_robot(robot_server, make_community):
    """End to end without the worker: the event writes the message through ``outbox.to_robots``; the delivery's
    robot and text, sent through the channel, arrive at the group's webhook. A robot not subscribed, or off,
    gets nothing written."""
    community = make_community(buildings=1, units=1, floors=1, per_floor=1)
    subscribed = WecomRobot(name="社区工作群", webhook_url=robot_server.url, community_id=community.id,
                            kinds=["ticket.dispatched"])
    other_kinds = WecomRobot(name="只收逾期", webhook_url=robot_server.url, community_id=community.id,
                             kinds=["ticket.overdue"])
    off = WecomRobot(name="已停用", webhook_url=robot_server.url, community_id=community.id,
                     kinds=["ticket.dispatched"], active=False)
    db.session.add_all([subscribed, other_kinds, off])
    db.session.flush()
    outbox.to_robots("ticket.dispatched", "工单 GD-7 已派给甲建筑公司，请在 2 个工作日内处理", community=community)
    db.session.commit()
    delivery = db.session.scalars(db.select(Delivery)).one()
    assert delivery.channel == "wecom" and delivery.notification.robot_id == subscribed.id
    provider_id = send(delivery.notification.robot.webhook_url, delivery.notification.text,
                       key=delivery.idempotency_key)
    assert provider_id == f"wecom-{delivery.idempotency_key}"
    assert only_request(robot_server)["text"]["content"] == "工单 GD-7 已派给甲建筑公司，请在 2 个工作日内处理"
