"""An organiser on a phone opens the community dashboard (the charts draw), downloads the plan-inputs workbook,
adopts the suggestions as a draft plan, edits it into a second version with a reason (items awaiting an owner vote
left out), shows it for comment and adopts it — for NG002, since the demo's NG001 already has its plan (under
comment)."""
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

SHEETS = ["概况", "需求汇总", "分楼栋", "资金测算", "意见与投诉"]


def test_dashboard_workbook_and_plan_versions(page, live_server, login, shot, tmp_path):
    login(page, "organiser")
    page.goto(f"{live_server}/c/NG001/dashboard")
    expect(page.locator("main")).to_contain_text("曙光里小区")
    # plotly draws each chart as an SVG inside its container: the page's charts, not just their JSON
    drawn = page.locator(".js-plotly-plot .main-svg")
    expect(drawn.first).to_be_visible(timeout=15000)
    assert page.locator(".js-plotly-plot").count() >= 4
    shot(page, "40-dashboard")

    page.goto(f"{live_server}/c/NG002/plan")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel 表").click()
    path = tmp_path / "plan.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == SHEETS
    costs = [row for row in workbook["需求汇总"].iter_rows(values_only=True) if row and row[1] == "I13"]
    assert costs, "the item rows are in the summary sheet"
    shot(page, "41-plan-inputs")

    page.get_by_role("button", name="采纳建议，生成方案草稿").click()
    expect(page.locator("h1")).to_contain_text(re.compile("第 ?1 ?版"))
    page.get_by_role("link", name="修改并生成新版本").first.click()
    row = page.locator("#row-I13")
    row.get_by_label("数量").fill("12000")
    row.get_by_label("修改原因").fill("只做西侧三栋楼的外墙保温，面积按实测")
    # Items that change the owners' shared parts (民法典 Art. 278: elevators, charging points…) may be adopted only
    # after their owner vote passed (issue 15); none is held here, so this version leaves them out, with the reason.
    for awaiting in page.locator("fieldset[id^=row-]:has(.vote-status[data-status=pending])").all():
        included = awaiting.locator("input[type=checkbox]")
        if included.is_checked():
            included.uncheck()
            awaiting.get_by_label("修改原因").fill("须经业主表决，表决通过前本期不纳入")
    page.get_by_label("本版本的修改说明").fill("节能改造分期实施")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("第 ?2 ?版"))
    change = page.locator("#change-I13")
    expect(change).to_contain_text("只做西侧三栋楼的外墙保温")
    expect(change).to_contain_text("12,000")
    shot(page, "42-plan-version-2")
    # A version is adopted only after its comment period closed (issue 15): shown for comment, closed early (no
    # resident commented), then adopted from the version's page.
    page.get_by_role("link", name="公示征求意见").click()
    page.get_by_role("button", name="公示", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())              # "close the comment period now?"
    page.get_by_role("button", name="立即结束公示期").click()
    expect(page.get_by_role("button", name="立即结束公示期")).to_have_count(0)
    page.locator("main").get_by_role("link", name=re.compile("第 ?2 ?版")).first.click()
    page.get_by_role("button", name="采用此版本").click()
    expect(page.locator("body")).to_contain_text("已采用")
