"""Issue 16's journey on phones: what the product says leaves it. An administrator adds the contractor's 企业微信
group robot from the administration pages; a resident enters with the slip's code and reports a problem from the
home page; the hotline dispatches it and the worker — ``flask --app app worker --burst``, run as its command —
posts the dispatch to the robot's webhook (a local receiver) without the resident's name or phone; the contractor
replies, and the next burst writes the reply's SMS line in the file backend once and marks it 短信已发送 on the
household's 我的消息; then the resident signs out and enters once by phone and SMS code, reading the code from the
file backend's newest ``entry.code`` line.

The journey needs its own server: the session's ``live_server`` has SMS off and the robots' hosts limited to
企业微信's, so this module serves the same demo database with SMS to a file (``SMS_FILE`` in the instance
directory), quiet hours off, 127.0.0.1 allowed for robots and the queue in the instance directory, which the
worker reads with the same settings. Other journeys are untouched; the worker also sends the demo's waiting
messages on its first run (the household chosen is the one with the fewest, so its daily cap is not reached).
"""
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from participation.entry.phone_codes import normalise_mobile
from participation.extensions import db
from participation.models import Building, Community, Delivery, Household, Notification, Ticket, Unit
from tests.e2e import reach_steps as steps
from tests.e2e.lifecycle_steps import accepting, demo_user
from tests.e2e.residents import agree_to_notice_if_asked

COMMUNITY = "NG001"               # its contractor is the demo agency's organisation
AGENCY = "长春安平建筑工程有限公司"
ROBOT_NAME = "安平施工一群"
ROBOT_KEY = "e2e16-robot-0a1b2c3d"
DAILY_CAP = 5                     # the default SMS_DAILY_CAP the journey runs under
COMPLAINT = "3号楼楼道灯改造后一直不亮，晚上上下楼看不见台阶，老人不敢出门。"
REPLY = "已更换3号楼全部楼道灯的感应开关，经夜间测试均能正常点亮。"


@pytest.fixture(scope="module")
def receiver():
    with steps.Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def reach(demo, receiver):
    """The settings the journey's server and worker share: the demo's database and keys (as the session's server
    has them), SMS to a file, quiet hours off, the local receiver allowed, the queue beside the database."""
    instance: Path = demo["instance"]
    env = {
        "DATABASE_URL": f"sqlite:///{instance / 'e2e.db'}", "SECRET_KEY": "e2e-secret",
        "HOUSEHOLD_CODE_KEY": "e2e-code-key", "UPLOAD_FOLDER": str(instance / "uploads"),
        "QUEUE_BACKEND": "sqlite", "QUEUE_FILE": str(instance / "reach-queue.db"),
        "SMS_BACKEND": "file", "SMS_FILE": str(instance / "reach-sms.jsonl"), "QUIET_HOURS": "off",
        "SMS_DAILY_CAP": str(DAILY_CAP), "WECOM_ALLOWED_HOSTS": f"qyapi.weixin.qq.com,127.0.0.1:{receiver.port}",
    }
    return {"env": env, "sms_file": Path(env["SMS_FILE"]), "instance": instance}


@pytest.fixture(scope="module")
def reach_app(reach):
    env = reach["env"]
    return create_app({
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
        "HOUSEHOLD_CODE_KEY": env["HOUSEHOLD_CODE_KEY"], "UPLOAD_FOLDER": env["UPLOAD_FOLDER"],
        "RATELIMIT_STORAGE_URI": "memory://", "QUEUE_BACKEND": "sqlite", "QUEUE_FILE": env["QUEUE_FILE"],
        "SMS_BACKEND": "file", "SMS_FILE": env["SMS_FILE"], "QUIET_HOURS": "off", "SMS_DAILY_CAP": DAILY_CAP,
        "WECOM_ALLOWED_HOSTS": env["WECOM_ALLOWED_HOSTS"],
    })


@pytest.fixture(scope="module")
def server(reach_app):
    """The journey's live server: conftest's pattern (a thread of this process) with the reach settings."""
    running = make_server("127.0.0.1", 0, reach_app, threaded=True)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{running.server_port}"
    running.shutdown()


def _household(reach_app, demo) -> dict:
    """A demo household of NG001 whose roster phone is its own (the phone entry then opens it directly), that has
    filed nothing yet, and with the fewest SMS waiting from the demo (all go out on the worker's first run and
    count towards the household's daily cap): its slip code, roster phone and contact name."""
    with reach_app.app_context():
        rows = db.session.execute(
            select(Household, Building.name, Unit.name).join(Unit, Household.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id).join(Community, Building.community_id == Community.id)
            .where(Community.code == COMMUNITY, Household.phone.is_not(None))).all()
        phones = {}
        for household, _building, _unit in rows:
            phones.setdefault(normalise_mobile(household.phone), []).append(household.id)
        codes = {(h["building"], h["unit"], h["room"]): h["code"] for h in demo["households"]
                 if h["community"] == COMMUNITY}
        candidates = []
        for household, building, unit in rows:
            phone = normalise_mobile(household.phone)
            code = codes.get((building, unit, household.room))
            if phone is None or len(phones[phone]) != 1 or code is None:
                continue
            if db.session.scalar(select(func.count(Ticket.id)).where(Ticket.household_id == household.id)):
                continue
            waiting = db.session.scalar(
                select(func.count(Delivery.id)).join(Notification, Delivery.notification_id == Notification.id)
                .where(Notification.household_id == household.id, Delivery.channel == "sms",
                       Delivery.state == "pending"))
            candidates.append((waiting, household.id,
                               {"code": code, "phone": phone, "contact": household.contact_name or ""}))
        waiting, _id, chosen = min(candidates, key=lambda row: row[:2])
        # received + replied follow the demo's waiting ones on the same day; the cap must leave room for both
        assert waiting + 2 <= DAILY_CAP, f"every household has {waiting} SMS waiting; the reply would be capped"
        return chosen


def test_a_reply_reaches_the_resident_by_sms_and_the_dispatch_the_agency_group(browser, browser_context_args,
                                                                               server, reach, reach_app, receiver,
                                                                               demo, shot):
    def phone_page():
        return accepting(browser.new_context(**browser_context_args).new_page())

    household = _household(reach_app, demo)

    # --- 1. the administrator adds the contractor's group robot ------------------------------------------------------
    admin = steps.sign_in(phone_page(), server, *demo_user(demo, "admin"))
    admin.locator("header").get_by_role("link", name="系统管理").click()
    admin.locator("main").get_by_role("link", name="企业微信群机器人").click()
    admin.get_by_role("link", name="添加群机器人").click()
    admin.locator("select[name=group]").select_option(label=AGENCY)
    admin.locator("input[name=name]").fill(ROBOT_NAME)
    admin.locator("input[name=webhook_url]").fill(receiver.webhook(ROBOT_KEY))
    expect(admin.locator("input[name=kinds][value='ticket.dispatched']")).to_be_checked()
    steps.shots(shot, admin, "16-01-robot-form", narrow=True)
    admin.locator("main form button[type=submit]").click()
    card = admin.locator("section.card", has_text=ROBOT_NAME)
    expect(card).to_contain_text(AGENCY)
    expect(card).to_contain_text(ROBOT_KEY[-4:])
    expect(card).not_to_contain_text(ROBOT_KEY)           # the key is shown masked once saved
    steps.shots(shot, admin, "16-02-robot-saved", narrow=True)
    admin.context.close()

    # --- 2. the resident enters with the slip's code and reports a problem from the home page ------------------------
    resident = phone_page()
    resident.goto(f"{server}/r/{COMMUNITY}")
    resident.get_by_label("户码").fill(household["code"])
    resident.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(resident)
    address = resident.locator("h1").inner_text().strip()
    resident.locator("#complaint-link").click()
    resident.get_by_label("施工质量").check()
    resident.get_by_label("问题描述").fill(COMPLAINT)
    steps.shots(shot, resident, "16-03-complaint-form", narrow=True)
    resident.get_by_role("button", name="提交").click()
    receipt = resident.locator("#receipt-number").inner_text().strip()
    assert re.fullmatch(r"C\w{8}", receipt), receipt
    steps.shots(shot, resident, "16-04-complaint-receipt", narrow=True)

    # --- 3. the hotline finds it in its queue and dispatches it to the contractor -----------------------------------
    desk = steps.sign_in(phone_page(), server, *demo_user(demo, "hotline"))
    desk.locator("header").get_by_role("link", name="接诉即办").click()
    desk.get_by_role("link", name=receipt).first.click()
    dispatch = desk.locator("#act-dispatch")
    dispatch.locator("select[name=agency]").select_option(label=AGENCY)
    dispatch.get_by_role("button", name="派单").click()
    expect(desk.locator("main")).to_contain_text("已派单")
    steps.shots(shot, desk, "16-05-hotline-dispatched", narrow=True)
    desk.context.close()

    # --- 4. the worker posts the dispatch to the contractor's group --------------------------------------------------
    assert receiver.posts == []                               # nothing leaves before the worker runs
    steps.worker_burst(reach["env"])
    told = [post for post in receiver.posts if receipt in post["body"].get("text", {}).get("content", "")]
    assert len(told) == 1, receiver.texts()
    post = told[0]
    assert post["path"] == f"/cgi-bin/webhook/send?key={ROBOT_KEY}"
    assert post["content_type"].startswith("application/json")
    assert post["body"]["msgtype"] == "text"
    text = post["body"]["text"]["content"]
    assert household["phone"] not in text and household["phone"][-4:] not in text
    if household["contact"]:
        assert household["contact"] not in text

    # --- 5. the contractor finds the ticket from its messages and replies -------------------------------------------
    agency = steps.sign_in(phone_page(), server, *demo_user(demo, "agency"))
    line = agency.locator("li", has_text=receipt).first
    expect(line).to_be_visible()
    steps.shots(shot, agency, "16-06-agency-home-message", narrow=True)
    line.get_by_role("link", name="去看看").click()
    expect(agency.locator("h1")).to_contain_text(receipt)
    sign = agency.locator("#act-sign")
    if sign.count():
        sign.get_by_role("button", name="签收").click()
    agency.locator("#note-reply").fill(REPLY)
    agency.locator("#act-reply").get_by_role("button", name="回复").click()
    expect(agency.locator("main")).to_contain_text("已回复")
    steps.shots(shot, agency, "16-07-agency-replied", narrow=True)
    agency.context.close()

    # --- 6. the worker sends the reply's SMS once; 我的消息 says so ---------------------------------------------------
    assert not [line for line in steps.sms_lines(reach["sms_file"])
                if line["kind"] == "ticket.replied" and line["params"].get("receipt") == receipt]
    steps.worker_burst(reach["env"])
    steps.worker_burst(reach["env"])                         # a second run sends nothing again
    replied = [line for line in steps.sms_lines(reach["sms_file"])
               if line["kind"] == "ticket.replied" and line["params"].get("receipt") == receipt]
    assert replied == [{"phone": household["phone"], "kind": "ticket.replied", "template": "ticket.replied",
                        "params": {"receipt": receipt}, "community": COMMUNITY}]
    resident.locator("header").get_by_role("link", name="我的主页").click()
    messages_link = resident.locator("#messages-link")
    expect(messages_link).to_contain_text("未读")
    messages_link.click()
    message = resident.locator("#messages li", has_text=receipt).filter(has_text="有了答复")
    expect(message).to_contain_text("短信已发送")
    steps.shots(shot, resident, "16-08-my-messages", narrow=True)

    # --- 7. the resident leaves and enters once by phone and SMS code ------------------------------------------------
    resident.locator("header").get_by_role("link", name="我的主页").click()
    resident.locator("main").get_by_role("button", name="退出", exact=True).click()
    resident.goto(f"{server}/r/{COMMUNITY}")
    resident.get_by_role("link", name="用手机号登录").click()
    resident.get_by_label("手机号码").fill(household["phone"])
    steps.shots(shot, resident, "16-09-phone-entry", narrow=True)
    resident.locator("main form button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/phone/code$"))
    steps.worker_burst(reach["env"])
    codes = [line for line in steps.sms_lines(reach["sms_file"])
             if line["kind"] == "entry.code" and line["phone"] == household["phone"]]
    assert len(codes) == 1, codes
    assert re.fullmatch(r"\d{6}", codes[-1]["params"]["code"])
    resident.get_by_label("短信验证码").fill(codes[-1]["params"]["code"])
    steps.shots(shot, resident, "16-10-phone-code", narrow=True)
    resident.locator("main form button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/home$"))
    expect(resident.locator("h1")).to_have_text(address)                  # the same household's page
    expect(resident.locator("#home-complaints")).to_contain_text("施工质量")
    steps.shots(shot, resident, "16-11-home-by-sms-code", narrow=True)
