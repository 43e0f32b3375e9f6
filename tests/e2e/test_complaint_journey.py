"""A complaint from a phone to its call-back: a resident reports a problem with a photo; the hotline dispatches it;
the contractor signs for it and replies; the hotline completes it and calls back; the resident sees every step."""
import io

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.residents import agree_to_notice_if_asked


def _photo(path):
    """A phone photo with GPS in its EXIF (the stored copy must not keep it)."""
    image = Image.new("RGB", (640, 480), (180, 120, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 52.0, 30.0), 3: "E", 4: (125.0, 19.0, 10.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_complaint_from_report_to_call_back(page, browser, browser_context_args, live_server, demo, login, shot,
                                              tmp_path):
    household = next(h for h in demo["households"] if h["community"] == "NG001" and h["building"] == "2")
    page.goto(f"{live_server}/r/NG001")
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(page)
    page.goto(f"{live_server}/complaints/new")
    page.get_by_label("施工质量").check()
    page.get_by_label("问题描述").fill("楼道新刷的墙皮一碰就掉，楼梯上全是碎渣，老人下楼容易滑倒。")
    page.locator("input[type=file]").set_input_files(str(_photo(tmp_path / "IMG_0001.jpg")))
    shot(page, "50-complaint-form")
    page.get_by_role("button", name="提交").click()
    receipt = page.locator("#receipt-number").inner_text().strip()
    assert receipt.startswith("C") and len(receipt) == 9
    expect(page.locator("main img")).to_have_count(1)
    shot(page, "51-complaint-receipt")

    desk = browser.new_context(**browser_context_args).new_page()
    login(desk, "hotline")
    desk.goto(f"{live_server}/hotline")
    expect(desk.locator("main")).to_contain_text(receipt)
    desk.goto(f"{live_server}/hotline/tickets/{receipt}")
    expect(desk.locator("main")).not_to_contain_text(household["code"])
    desk.locator("#act-dispatch select[name=agency]").select_option(index=1)   # nothing is chosen beforehand
    desk.locator("#act-dispatch").get_by_role("button", name="派单").click()
    expect(desk.locator("main")).to_contain_text("已派单")
    shot(desk, "52-hotline-dispatched")

    contractor = browser.new_context(**browser_context_args).new_page()
    login(contractor, "agency")
    contractor.goto(f"{live_server}/hotline/tickets/{receipt}")
    contractor.locator("#act-sign").get_by_role("button", name="签收").click()
    contractor.locator("#note-reply").fill("已铲除起皮墙面并重新刷涂，楼梯已清扫。")
    contractor.locator("#act-reply").get_by_role("button", name="回复").click()
    expect(contractor.locator("main")).to_contain_text("已回复")
    shot(contractor, "53-agency-replied")

    desk.goto(f"{live_server}/hotline/tickets/{receipt}")
    desk.locator("#act-complete").get_by_role("button", name="办结").click()
    callback = desk.locator("#act-callback")
    callback.locator("select[name=solved]").select_option("yes")
    callback.locator("select[name=satisfaction]").select_option("satisfied")
    callback.get_by_role("button", name="记录回访结果").click()
    expect(desk.locator("main")).to_contain_text("已结束")

    page.goto(f"{live_server}/complaints/{receipt}")
    timeline = page.locator("main")
    for step in ("已受理", "已派单", "办理中", "已回复", "已铲除起皮墙面并重新刷涂", "已办结，待回访", "已结束"):
        expect(timeline).to_contain_text(step)
    expect(timeline).not_to_contain_text("演示·")   # no staff names for residents, only organisations
    shot(page, "54-complaint-timeline")
