"""我的消息 and the staff messages (issue 16, point 3; participation/reach/inbox.py, inbox_views.py): a household sees
its own messages only, newest first and paged, unread ones marked in words, what its SMS did said plainly; marking
read is a POST; staff see their own messages, the 工作台 counts the unread, organisers see their groups' robots."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import Delivery, Notification, WecomRobot
from participation.models.types import utcnow
from participation.reach import inbox, outbox
from tests.conftest import csrf_token
from tests.reach.conftest_inbox import inbox_site, mark_read, message, resident, staff  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("inbox_site")


def _page(client, site, query=""):
    response = client.get(f"/r/{site['a'].code}/messages{query}")
    assert response.status_code == 200
    return response.text


# --- the resident's page ------------------------------------------------------------------------------------------

def test_a_household_sees_its_own_messages_and_no_one_elses(app, inbox_site):
    mine, neighbour = inbox_site["homes"][:2]
    message(mine, "您家的调查开始了")
    message(neighbour, "邻居家的消息")
    message(inbox_site["b_homes"][0], "别的小区的消息")
    db.session.commit()
    html = _page(resident(app, mine), inbox_site)
    assert "您家的调查开始了" in html
    assert "邻居家的消息" not in html and "别的小区的消息" not in html


def test_another_communitys_messages_page_is_404_and_nobody_goes_to_the_start(app, client, inbox_site):
    mine = inbox_site["homes"][0]
    browser = resident(app, mine)
    assert browser.get(f"/r/{inbox_site['b'].code}/messages").status_code == 404
    token = csrf_token(browser.get(f"/r/{inbox_site['a'].code}/messages").text)
    assert browser.post(f"/r/{inbox_site['b'].code}/messages/read",
                        data={"upto": "1", "csrf_token": token}).status_code == 404
    away = client.get(f"/r/{inbox_site['a'].code}/messages")
    assert away.status_code == 302 and away.headers["Location"].endswith("/")


def test_unread_messages_are_counted_marked_in_words_and_read_only_by_the_button(app, inbox_site):
    mine, neighbour = inbox_site["homes"][:2]
    first, second = message(mine, "第一条"), message(mine, "第二条")
    other = message(neighbour, "邻居的")
    db.session.commit()
    browser = resident(app, mine)
    home = browser.get("/home").text
    assert "My messages: 2 unread" in home and f'href="/r/{inbox_site["a"].code}/messages"' in home
    html = _page(browser, inbox_site)
    assert "Unread: 2" in html and html.count(">Unread<") == 2
    assert html.index("第二条") < html.index("第一条")                       # newest first
    db.session.expire_all()
    assert first.read_at is None and second.read_at is None                  # a GET writes nothing
    done = mark_read(browser, f"/r/{inbox_site['a'].code}/messages/read", f"/r/{inbox_site['a'].code}/messages")
    assert done.status_code == 302
    db.session.expire_all()
    assert first.read_at is not None and second.read_at is not None
    assert other.read_at is None                                             # the neighbour's stays unread
    html = _page(browser, inbox_site)
    assert ">Unread<" not in html and "You have read every message." in html
    assert "My messages: " not in browser.get("/home").text


def test_mark_read_without_the_form_token_or_the_newest_id_changes_nothing(app, inbox_site):
    mine = inbox_site["homes"][0]
    written = message(mine)
    db.session.commit()
    browser = resident(app, mine)
    url = f"/r/{inbox_site['a'].code}/messages"
    assert browser.post(f"{url}/read", data={"upto": str(written.id)}).status_code == 400
    page = browser.get(url).text
    stale = browser.post(f"{url}/read", data={"csrf_token": csrf_token(page)})
    assert stale.status_code == 400 and "The page was out of date" in stale.text
    assert f'name="upto" type="hidden" value="{written.id}"' in stale.text   # the button works again
    db.session.expire_all()
    assert written.read_at is None


def test_a_message_that_came_after_the_page_was_drawn_stays_unread(app, inbox_site):
    mine = inbox_site["homes"][0]
    seen = message(mine, "看到的")
    db.session.commit()
    browser = resident(app, mine)
    url = f"/r/{inbox_site['a'].code}/messages"
    page = browser.get(url).text
    later = message(mine, "后来的")
    db.session.commit()
    browser.post(f"{url}/read", data={"upto": str(seen.id), "csrf_token": csrf_token(page)})
    db.session.expire_all()
    assert seen.read_at is not None and later.read_at is None


def test_the_page_says_in_words_what_each_sms_did(app, inbox_site):
    mine = inbox_site["homes"][0]
    rows = {
        "SMS sent": message(mine, "发送了", state="sent"),
        "SMS could not be sent": message(mine, "失败了", state="failed", attempts=5),
        "SMS not sent: you chose not to receive this kind of SMS": message(mine, "拒收了", state="skipped",
                                                                          skip_reason="opted_out"),
        "SMS not sent: today's number of SMS to your household was reached": message(
            mine, "超量了", state="skipped", skip_reason="capped"),
        "SMS will be sent after 8 a.m.": message(mine, "夜里的", state="pending",
                                                 next_attempt_at=utcnow() + timedelta(hours=5)),
        "SMS being sent": message(mine, "正在发", state="pending"),
    }
    mine.phone = None
    rows["In-app message only"] = message(mine, "没有电话")
    db.session.commit()
    html = _page(resident(app, mine), inbox_site)
    for words, written in rows.items():
        item = html[html.index(f'id="message-{written.id}"'):]
        item = item[:item.index("</li>")]
        assert words in item, (words, item)


@pytest.mark.parametrize("hour, expected", [(10, "sending"), (22, "after_quiet"), (6, "after_quiet")])
def test_a_waiting_sms_in_the_night_is_said_to_come_after_8(app, inbox_site, hour, expected):
    app.config["QUIET_HOURS"] = "on"
    written = message(inbox_site["homes"][0], state="pending",
                      next_attempt_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    beijing_hour = datetime(2026, 12, 7, hour, 30, tzinfo=timezone(timedelta(hours=8)))
    assert inbox.sms_state(written, beijing_hour) == expected


def test_an_urgent_sms_is_never_said_to_wait_for_the_morning(app, inbox_site):
    app.config["QUIET_HOURS"] = "on"
    written = message(inbox_site["homes"][0], "验证码", kind="entry.code", state="pending",
                      next_attempt_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    night = datetime(2026, 12, 7, 23, 0, tzinfo=timezone(timedelta(hours=8)))
    assert inbox.sms_state(written, night) == "sending"


def test_a_link_inside_the_site_is_offered_and_nothing_else(app, inbox_site):
    mine = inbox_site["homes"][0]
    inside = message(mine, "去投票", link=f"/r/{inbox_site['a'].code}/votes")
    outside = message(mine, "外链", link="//evil.example/x")
    db.session.commit()
    html = _page(resident(app, mine), inbox_site)
    item = html[html.index(f'id="message-{inside.id}"'):]
    assert f'href="/r/{inbox_site["a"].code}/votes"' in item[:item.index("</li>")]
    assert "evil.example" not in html
    assert inbox.link_of(outside) is None


def test_messages_are_paged_at_20(app, inbox_site):
    mine = inbox_site["homes"][0]
    for number in range(25):
        message(mine, f"消息{number:02d}号")
    db.session.commit()
    browser = resident(app, mine)
    first = _page(browser, inbox_site)
    assert first.count('class="message') == 20 and "消息24号" in first and "消息04号" not in first
    assert "Page 1 of 2" in first and "page=2" in first
    second = _page(browser, inbox_site, "?page=2")
    assert second.count('class="message') == 5 and "消息04号" in second and "消息05号" not in second
    assert browser.get(f"/r/{inbox_site['a'].code}/messages?page=x").status_code == 400


# --- staff ----------------------------------------------------------------------------------------------------------

def test_staff_see_their_own_messages_and_the_todo_counts_them(app, inbox_site, make_user):
    organiser = inbox_site["organiser"]
    colleague = make_user("organiser", username="org2", communities=[inbox_site["a"]])
    outbox.to_user(organiser, "ticket.overdue", "投诉已超时", community=inbox_site["a"], link="/hotline")
    outbox.to_user(colleague, "ticket.overdue", "别人的消息", community=inbox_site["a"])
    db.session.commit()
    browser = staff(app, "org")
    home = browser.get("/staff").text
    assert 'id="messages-unread" data-count="1"' in home and 'href="/messages"' in home
    assert "投诉已超时" in home and "别人的消息" not in home
    page = browser.get("/messages").text
    assert "投诉已超时" in page and "别人的消息" not in page and ">Unread<" in page
    assert mark_read(browser, "/messages/read", "/messages").status_code == 302
    assert 'id="messages-unread" data-count="0"' in browser.get("/staff").text
    assert db.session.scalar(select(Notification.read_at).where(Notification.text == "别人的消息")) is None


def test_an_organiser_sees_the_robot_messages_of_their_communities_only(app, inbox_site, make_user):
    a, b = inbox_site["a"], inbox_site["b"]
    for community in (a, b):
        db.session.add(WecomRobot(name=f"{community.code}群", webhook_url="https://qyapi.weixin.qq.com/x",
                                  community_id=community.id, kinds=["ticket.dispatched"]))
    db.session.flush()
    outbox.to_robots("ticket.dispatched", "甲小区派单", community=a)
    outbox.to_robots("ticket.dispatched", "乙小区派单", community=b)
    db.session.flush()
    delivered = db.session.scalars(select(Delivery).where(Delivery.channel == "wecom")).first()
    delivered.state, delivered.sent_at = "sent", utcnow()
    make_user("grid", username="grid", buildings=[a.buildings[0]])
    db.session.commit()
    page = staff(app, "org").get("/messages").text
    assert "甲小区派单" in page and "乙小区派单" not in page
    assert "NA001群" in page and ("Sent to the group" in page or "Waiting to be sent" in page)
    assert 'id="robot-table"' not in staff(app, "grid").get("/messages").text


def test_staff_pages_need_a_staff_sign_in(app, client, inbox_site):
    assert client.get("/messages").status_code == 302
    browser = resident(app, inbox_site["homes"][0])
    assert browser.get("/messages").headers["Location"].startswith("/login")
