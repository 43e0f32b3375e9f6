"""The hotline's pages in a browser (issue 17, points 8 and 9): the contractor's queue on a 360 px phone is one card per
ticket (no horizontal scroll, no card taller than a phone screen's half, receipts and time left readable), the desk's
queue at 1280 px a table with the time left in words; the ticket page's 派单 starts with no agency chosen and its
secondary actions closed; the contractor replies with a photo of the fix from the phone, and the photo is shown."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect


NARROW = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
          "locale": "zh-CN"}
DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


def _page(browser, options, live_server, demo, role):
    context = browser.new_context(**options)
    page = context.new_page()
    user = next(u for u in demo["users"] if u["role"] == role and (role != "agency" or u["username"] == "demo-agency"))
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(user["username"])
    page.get_by_label("密码").fill(user["password"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header")).to_be_visible()
    return page


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_contractors_queue_is_cards_on_a_phone(browser, live_server, demo, shot):
    page = _page(browser, NARROW, live_server, demo, "agency")
    page.goto(f"{live_server}/hotline")
    cards = page.locator("table.queue-cards tbody tr")
    count = cards.count()
    assert count >= 3
    _no_horizontal_scroll(page)
    heights = []
    for index in range(count):
        box = cards.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        heights.append(box["height"])
    assert max(heights) < 390, heights                      # 23 rows were ≈ 5,900 px, one character a line
    first = cards.first
    receipt = first.locator(".q-receipt a")
    assert re.fullmatch(r"C\w{8}", receipt.inner_text().strip())
    assert receipt.bounding_box()["height"] >= 44           # a tap area
    assert re.search(r"剩余|已超时", first.locator(".q-left").inner_text())
    # a card's fields say what they are (the table's header is not seen on a phone)
    assert "类别：" in first.locator(".q-category").inner_text() or \
        first.locator(".q-category").evaluate("e => getComputedStyle(e, '::before').content").startswith('"类别')
    assert page.evaluate("document.documentElement.scrollHeight") < 420 * count + 900
    shot(page, "hotline-queue-agency-360")
    page.context.close()


def test_the_desks_queue_has_the_time_left_and_the_first_line(browser, live_server, demo, shot):
    page = _page(browser, DESK, live_server, demo, "hotline")
    page.goto(f"{live_server}/hotline")
    header = page.locator("table.queue-cards thead").inner_text()
    assert "剩余时间" in header and "问题" in header
    _no_horizontal_scroll(page)
    rows = page.locator("table.queue-cards tbody tr")
    assert rows.count() >= 3
    assert max(rows.nth(i).bounding_box()["height"] for i in range(rows.count())) < 200
    words = rows.first.locator(".q-left strong").inner_text()
    assert re.fullmatch(r"(剩余|已超时) .+", words), words
    # urgent tickets first within their due band
    bands = page.eval_on_selector_all(
        "table.queue-cards tbody tr",
        "rows => rows.map(r => [r.className.includes('overdue') ? 0 : r.className.includes('due-soon') ? 1 : 2,"
        " ({emergency: 0, urgent: 1, normal: 2})[r.dataset.urgency]])")
    assert bands == sorted(bands), bands
    shot(page, "hotline-queue-desk-1280")
    page.context.close()


def test_dispatch_starts_with_no_agency_and_the_other_actions_closed(browser, live_server, demo, shot):
    page = _page(browser, NARROW, live_server, demo, "hotline")
    page.goto(f"{live_server}/hotline?state=received")
    page.locator("table.queue-cards tbody tr .q-receipt a").first.click()
    dispatch = page.locator("#act-dispatch")
    expect(dispatch).to_be_visible()
    assert dispatch.locator("select[name=agency]").input_value() == ""
    assert page.locator("#act-dispatch select option:checked").inner_text() == "请选择承办单位"
    for name in ("mark_duplicate", "reject"):
        more = page.locator(f"#more-{name}")
        assert more.get_attribute("open") is None
        expect(more.locator("textarea, input[name=original]").first).to_be_hidden()
    page.locator("#more-reject summary").click()
    expect(page.locator("#note-reject")).to_be_visible()
    _no_horizontal_scroll(page)
    boxes = [page.locator(sel).bounding_box() for sel in ("#act-dispatch", "#more-mark_duplicate", "#more-reject")]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    shot(page, "hotline-ticket-desk-360")
    page.context.close()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_contractor_replies_with_a_photo_from_the_phone(browser, live_server, demo, shot):
    page = _page(browser, NARROW, live_server, demo, "agency")
    page.goto(f"{live_server}/hotline?state=handling")
    page.locator("table.queue-cards tbody tr .q-receipt a").first.click()
    reply = page.locator("#act-reply")
    expect(reply).to_be_visible()
    extension = page.locator("#more-request_extension")
    reply_box, extension_box = reply.bounding_box(), extension.bounding_box()
    assert extension_box["y"] > reply_box["y"] + reply_box["height"]           # 申请延期 below the reply
    card = page.locator(".action-card", has=reply).bounding_box()
    assert abs(extension_box["x"] - card["x"]) <= 1 and abs(extension_box["width"] - card["width"]) <= 1
    page.locator("#note-reply").fill("楼道墙面已修补，请查看照片。")
    reply.locator("input[name=photos]").set_input_files([{"name": "fix.png", "mimeType": "image/png", "buffer": _png()}])
    reply.get_by_role("button", name="回复").click()
    expect(page.locator(".ticket-state")).to_have_text("已回复")
    photo = page.locator("ol.timeline .reply-photos img").first
    expect(photo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) > 0
    _no_horizontal_scroll(page)
    shot(page, "hotline-ticket-agency-replied-360")
    page.context.close()
