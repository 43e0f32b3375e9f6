"""An organiser imports a roster on a phone, sees row-numbered errors, fixes the file, and prints the slips."""
import re

from openpyxl import Workbook
from playwright.sync_api import expect

HEADERS = ["小区编码", "小区名称", "楼栋", "单元", "房号", "楼层", "面积", "业主标识", "联系人", "电话", "居住状态"]


def _roster(path, *, bad_area=False):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for unit in (1, 2):
        for floor in (1, 2):
            for door in (1, 2):
                area = "-3" if bad_area and (unit, floor, door) == (1, 2, 1) else f"{55 + floor + door}.25"
                sheet.append(["E2E01", "端到端小区", "1", str(unit), f"{floor}{door:02d}", floor, area, "", "王女士",
                              "13912345678", "自住"])
    workbook.save(path)
    return path


def test_import_roster_then_print_slips(page, live_server, login, shot, tmp_path, browser, browser_context_args):
    login(page, "organiser")
    page.goto(f"{live_server}/roster/import")
    page.locator("input[type=file]").set_input_files(str(_roster(tmp_path / "bad.xlsx", bad_area=True)))
    page.get_by_role("button", name="检查并导入").click()
    errors = page.locator(".roster-errors")
    expect(errors).to_contain_text("没有导入任何内容")
    expect(errors).to_contain_text("第4行：面积必须是正数")  # header = row 1; unit 1, floor 2, door 1 is row 4
    shot(page, "10-roster-import-errors")

    page.locator("input[type=file]").set_input_files(str(_roster(tmp_path / "good.xlsx")))
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator(".roster-result")).to_contain_text("花名册已导入")
    shot(page, "11-roster-imported")

    page.goto(f"{live_server}/slips/E2E01")
    page.get_by_role("link", name=re.compile("1单元")).click()
    page.get_by_role("button", name="发码并打印").click()
    slips = page.locator("article.slip")
    expect(slips).to_have_count(4)
    first = slips.first
    expect(first).to_contain_text("端到端小区")
    assert first.locator("svg, img").count() >= 1  # the QR code
    code = first.locator(".code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}", code), code
    shot(page, "12-slips-screen")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi, as the office printer lays it out
    page.emulate_media(media="print")
    code_box, slip_box = first.locator(".code").bounding_box(), first.bounding_box()
    assert code_box["x"] + code_box["width"] <= slip_box["x"] + slip_box["width"]  # the code is never cut off
    shot(page, "13-slips-print-a4")

    # The printed code opens that household's page on a resident's phone.
    resident = browser.new_context(**browser_context_args)
    phone = resident.new_page()
    phone.goto(f"{live_server}/r/E2E01")
    phone.get_by_label("户码").fill(code)
    phone.get_by_role("button", name="进入我家的页面").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("个人信息")
    resident.close()
