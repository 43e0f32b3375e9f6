"""The steps of the lifecycle journey (tests/e2e/test_lifecycle_journey.py): its community, its owners and the
moves every part of the journey repeats (signing in, the community's page, a module's card, the stage form, a
resident's phone, a vote cast)."""
import re

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.e2e.residents import agree_to_notice_if_asked

CODE, NAME = "E2E15", "全程小区"
ROSTER = ["小区编码", "小区名称", "楼栋", "单元", "房号", "楼层", "面积", "业主标识", "业主证件后六位", "联系人", "电话",
          "居住状态"]
ROOMS = ["101", "102", "201", "202"]
TAILS = {room: f"1{room[0]}{room[2]}{room[0]}{room[2]}8" for room in ROOMS}   # each owner's ID-number tail
SURVEY = "全程小区改造需求调查"
PARKING = "停车位施划与停车场（库）改造"          # I06: Art. 278 item 8, needs an owner vote
PARKING_VOTE = "停车位施划与停车场改造表决"
ITEMS = ("B04", "B05", "I06")
OVERRIDE = "其余六家单位的书面意见已在联审会上签收（纸质存档），均无修改意见。"
SUPERVISOR = ("demo-supervisor", "demo-supervisor-2025")
DEPARTMENT = ("demo-department", "demo-department-2025")
PIPELINE = ("demo-pipeline", "demo-pipeline-2025")


def roster(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ROSTER)
    for room in ROOMS:
        sheet.append([CODE, NAME, "1", "1", room, int(room[0]), f"{60 + int(room[0]) + int(room[2])}.50",
                      f"owner-{room}", TAILS[room], "李先生", "13912345678", "自住"])
    workbook.save(path)
    return path


def accepting(page):
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def signed_in(browser, browser_context_args, live_server, username, password):
    page = accepting(browser.new_context(**browser_context_args).new_page())
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff$"))
    return page


def demo_user(demo, role):
    user = next(u for u in demo["users"] if u["role"] == role)
    return user["username"], user["password"]


def hub(page):
    """Back to the community's page the way staff go: the 工作台 in the header, then the community's name."""
    page.locator("header").get_by_role("link", name="工作台").click()
    page.locator("#communities").get_by_role("link", name=NAME).click()
    expect(page.locator("h1")).to_contain_text(NAME)


def module(page, key):
    hub(page)
    page.locator(f"#module-{key} h3 a").click()


def advance(page, stage, following, shot=None):
    """Move the community to ``stage`` with the hub's form (its gate passes: nothing is missing, so the button
    shows); then the form offers ``following`` (None at the last stage)."""
    hub(page)
    move = page.locator("#next-stage")
    expect(move.locator("input[name=forward-stage]")).to_have_value(stage)
    expect(move.locator(".gate-missing")).to_have_count(0)
    move.locator("button[type=submit]").click()
    expect(page.locator("p.flash").first).to_be_visible()
    if following is None:
        expect(page.locator("#next-stage")).to_have_count(0)
    else:
        expect(page.locator("#next-stage input[name=forward-stage]")).to_have_value(following)
    if shot:
        shot(page, f"90-stage-{stage}")


def resident(browser, browser_context_args, live_server, code):
    """A resident's phone: the slip's QR code opens /r/<community>, the code typed in, the notice agreed to."""
    page = accepting(browser.new_context(**browser_context_args).new_page())
    page.goto(f"{live_server}/r/{CODE}")
    page.get_by_label("户码").fill(code)
    page.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(page)
    return page


def close(page):
    page.context.close()


def field_survey_file(template, path):
    workbook = load_workbook(template)
    sheet = workbook["实地调查"]
    for row in sheet.iter_rows(min_row=2):
        code = row[0].value
        if code and code.startswith("B"):
            row[3].value = {"B04": "需维修", "B05": "缺失"}.get(code, "完好")
            row[5].value = {"B04": "楼道灯大多不亮", "B05": "单元门没有门禁"}.get(code)
    workbook.save(path)
    return path


def answer_survey(page):
    """The needs survey comes a page per kind of item: each page's answers, then 下一页, until 提交答卷 shows. The
    follow-up (share_I06) and the ranking appear on the page of the needed items, once I06 is marked 需要."""
    page.get_by_role("link", name="请填写").click()
    answers = {"need_B04": "需要", "need_B05": "需要", "need_I06": "需要", "share_I06": "是",
               "cofunding_band": "每户500元以内"}
    for _step in range(10):
        for name, words in list(answers.items()):
            question = page.locator(f"[data-name={name}]")
            if question.count() and question.first.is_visible():
                question.get_by_text(words, exact=True).click()
                del answers[name]
        rank = page.locator("[data-name=priorities] button.rank-tap[data-choice=I06]")
        if rank.count() and rank.is_visible():
            rank.click()
            expect(rank.locator(".rank-badge")).to_have_text("1")
        submit = page.get_by_role("button", name="提交答卷")
        if submit.is_visible():
            break
        progress = page.locator("#survey-progress .progress-count")
        before = progress.inner_text()
        page.get_by_role("button", name="下一页").click()
        expect(progress).not_to_have_text(before)      # the next page has arrived (drawn here or sent by the server)
    assert not answers, f"never shown: {sorted(answers)}"
    submit.click()
    receipt = page.locator("#receipt-number").inner_text().strip()
    assert re.fullmatch(r"R[2-9A-HJKMNP-Z]{8}", receipt), receipt
    page.get_by_role("link", name="回到我家的页面").click()
    return receipt


def cast(page, title, tail):
    """From the home: the vote's line → verify as the owner with the ID tail (once per visit) → 同意 → confirm."""
    page.locator("#home-votes .vote-list > li", has_text=title).locator("a").click()
    tail_box = page.locator("#verify-form input[name=tail]")
    if tail_box.count():
        tail_box.fill(tail)
        page.locator("#verify-form button[type=submit]").click()
    page.locator("#choose-yes").click()
    expect(page.locator("#choice-named")).to_contain_text("同意")
    page.locator("#confirm-ballot").click()
    expect(page.locator("#my-ballot")).to_contain_text("同意")
    page.get_by_role("link", name="回到我家的页面").click()


def choose(select, words):
    select.select_option(select.locator("option", has_text=words).first.get_attribute("value"))
