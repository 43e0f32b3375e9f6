"""A fresh community taken through the whole lifecycle (issue 15, DESIGN §2) on phones, every step reached by clicking
from the staff home (/staff) or, for residents, from the entry page their slip's QR code opens (/r/<code>) and their
home: roster import with the owners' ID tails → code slips → field survey from its Excel template → a needs survey
built from the item block, answered by residents, closed → suggestions adopted as a draft → comment period, an
objection answered, closed → an owner vote on the Art. 278 item and the after-care vote, cast by the owners,
co-signed, final → version adopted → joint review → works finished (on the page and from the works Excel) → a
rating round and the acceptance record → and the stage moved on the community's page at each step, its gate passing
because the step was done.

Two things are not done by the pages, each said where it happens: the owner votes' objection period (询异公示, 7 days)
is moved into the past with one UPDATE of the e2e database; and the joint review's six parties without a demo
account are covered by one administrator's override with a written reason, which the plan then shows.

The community is new (E2E15), so the other journeys sharing the demo database are not disturbed."""
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select, update

from participation.extensions import db
from participation.models import Community, Vote
from participation.models.types import utcnow
from tests.e2e import lifecycle_steps as steps

def test_a_fresh_community_goes_from_roster_to_after_care(page, browser, browser_context_args, live_server, demo,
                                                          login, shot, tmp_path, e2e_app):
    organiser = steps.accepting(page)
    today = date.today()
    login(organiser, "organiser")
    expect(organiser).to_have_url(re.compile(r"/staff$"))
    shot(organiser, "90-staff-home")

    # --- 储备: the roster, with the owners' ID tails, imported from the header's link --------------------------------
    organiser.locator("header").get_by_role("link", name="导入花名册").click()
    organiser.locator("input[type=file]").set_input_files(str(steps.roster(tmp_path / "roster.xlsx")))
    organiser.get_by_role("button", name="检查并导入").click()
    expect(organiser.locator(".roster-result")).to_contain_text("花名册已导入")
    shot(organiser, "90-01-roster-imported")

    steps.hub(organiser)                               # a new community starts in reserve; its gate names the budget
    expect(organiser.locator("#next-stage input[name=forward-stage]")).to_have_value("annual_plan")
    expect(organiser.locator("#next-stage .gate-missing li")).to_have_count(1)
    expect(organiser.locator("#next-stage button[type=submit]")).to_have_count(0)
    shot(organiser, "90-02-hub-reserve")
    organiser.locator("#module-plan h3 a").click()
    organiser.get_by_role("link", name="预算与资金").click()
    organiser.locator("#plan_year").fill(str(datetime.now(ZoneInfo("Asia/Shanghai")).year))
    organiser.locator("#envelope").fill("900000")
    organiser.get_by_role("button", name="保存").click()
    steps.advance(organiser, "annual_plan", "census")
    steps.advance(organiser, "census", "needs")

    # contractor and supervisor of the works, so they can take tickets and sign the acceptance record
    steps.hub(organiser)
    organiser.get_by_role("link", name="编辑小区信息").click()
    steps.choose(organiser.locator("select[name=contractor]"), "长春安平建筑工程有限公司")
    steps.choose(organiser.locator("select[name=supervisor]"), "长春正信工程监理有限公司")
    organiser.get_by_role("button", name="保存").click()

    # --- 调查摸底: code slips, read off the slips page ----------------------------------------------------------------
    steps.module(organiser, "slips")
    organiser.get_by_role("link", name=re.compile("1单元")).click()
    organiser.get_by_role("button", name="发码并打印").click()
    slips = organiser.locator("article.slip")
    expect(slips).to_have_count(4)
    codes = {}
    for slip in slips.all():
        room = re.search(r"(\d{3})室", slip.inner_text()).group(1)
        codes[room] = slip.locator(".code").inner_text().strip()
    assert sorted(codes) == steps.ROOMS
    shot(organiser, "90-03-slips")

    # the field survey from its Excel template: B04 needs repair, B05 is missing, the other basic items are fine
    steps.module(organiser, "field_survey")
    with organiser.expect_download() as download:
        organiser.locator("a[href$='/field-survey/template.xlsx']").first.click()
    download.value.save_as(tmp_path / "field-template.xlsx")
    organiser.locator("a[href$='/field-survey/import']").first.click()
    filled = steps.field_survey_file(tmp_path / "field-template.xlsx", tmp_path / "field.xlsx")
    organiser.locator("input[type=file]").set_input_files(str(filled))
    organiser.get_by_role("button", name="检查并导入").click()
    expect(organiser.locator("main table").first).to_contain_text("16")
    shot(organiser, "90-04-field-survey-imported")

    # the needs survey, built from the item block (B04, B05, I06; no elevator question), opened to residents
    steps.module(organiser, "surveys")
    organiser.get_by_role("link", name="新建问卷").click()
    organiser.locator("#kind-1").check()
    organiser.locator("#title_zh").fill(steps.SURVEY)
    organiser.get_by_role("button", name="创建草稿").click()
    organiser.get_by_role("link", name="选择改造项目").click()
    for box in organiser.locator("input[name=items]").all():
        box.set_checked(box.get_attribute("value") in steps.ITEMS)
    organiser.locator("input[name=elevator]").set_checked(False)
    organiser.get_by_role("button", name="保存项目").click()
    organiser.get_by_role("button", name="开始问卷").click()
    expect(organiser.get_by_role("button", name="结束问卷")).to_be_visible()
    shot(organiser, "90-05-needs-survey-open")
    steps.advance(organiser, "needs", "planning")

    # --- 问需: three households answer on their phones ----------------------------------------------------------------
    for n, room in enumerate(steps.ROOMS[:3]):
        resident = steps.resident(browser, browser_context_args, live_server, codes[room])
        if n == 0:
            shot(resident, "90-06-resident-home-survey-to-fill")
        receipt = steps.answer_survey(resident)
        expect(resident.locator("main")).to_contain_text(receipt)
        if n == 0:
            shot(resident, "90-07-resident-home-survey-submitted")
        steps.close(resident)

    steps.module(organiser, "surveys")
    organiser.get_by_role("link", name=steps.SURVEY).click()
    organiser.get_by_role("button", name="结束问卷").click()
    expect(organiser.get_by_role("button", name="结束问卷")).to_have_count(0)

    # --- 方案编制: plan inputs → the suggestions adopted as a draft ----------------------------------------------------
    steps.module(organiser, "plan")
    expect(organiser.locator("main")).to_contain_text(steps.PARKING)
    shot(organiser, "90-08-plan-inputs")
    organiser.get_by_role("button", name="采纳建议，生成方案草稿").click()
    expect(organiser.locator("h1")).to_contain_text(re.compile("第 ?1 ?版"))
    expect(organiser.locator("#item-I06")).to_have_class(re.compile("included"))    # most answered 需要
    expect(organiser.locator("#item-I06 .vote-status")).to_have_attribute("data-status", "pending")
    shot(organiser, "90-09-draft-version-1")
    steps.advance(organiser, "planning", "plan_notice")

    # --- 方案公示: the comment period, a resident's objection, answered, the period closed ----------------------------
    steps.module(organiser, "plan")
    organiser.locator("#plan-versions, section[aria-labelledby=plan-versions]").get_by_role(
        "link", name=re.compile("第 ?1 ?版")).first.click()
    organiser.get_by_role("link", name="公示征求意见").click()
    organiser.get_by_role("button", name="公示", exact=True).click()
    expect(organiser.get_by_role("button", name="立即结束公示期")).to_be_visible()
    steps.advance(organiser, "plan_notice", "owner_vote")
    # the owner-vote gate names the Art. 278 item that has no vote yet
    gate = organiser.locator("#next-stage")
    expect(gate.locator(".gate-missing")).to_contain_text(steps.PARKING)
    expect(gate.locator("button[type=submit]")).to_have_count(0)         # no way on for the organiser
    gate.screenshot(path=str(shot(organiser, "90-10-gate-owner-vote-missing").with_name("90-10b-gate-card.png")))

    objector = steps.resident(browser, browser_context_args, live_server, codes["202"])
    objector.locator("a[href$='/r/%s/plan']" % steps.CODE).first.click()
    # a first version has nothing to compare with: every item is folded in its kind, opened with one tap
    objector.locator("details.plan-category:has(input[name=item][value=I06]) > summary").click()
    form = objector.locator("form:has(input[name=item][value=I06])")
    form.locator("input[name=stance][value=object]").check()
    form.locator("textarea[name=body]").fill("停车位画在楼前会挡住消防通道，请重新考虑位置。")
    form.locator("button[type=submit]").click()
    expect(objector.locator("main")).to_contain_text("请重新考虑位置")
    shot(objector, "90-11-resident-objection")

    steps.module(organiser, "comments")
    organiser.locator("textarea[name=answer]").first.fill("停车位改画在楼侧，消防通道保持畅通；是否施划由业主表决决定。")
    organiser.get_by_role("button", name="保存答复").first.click()
    organiser.get_by_role("button", name="立即结束公示期").click()
    expect(organiser.get_by_role("button", name="立即结束公示期")).to_have_count(0)
    shot(organiser, "90-12-comment-period-closed")
    objector.reload()
    expect(objector.locator("main")).to_contain_text("消防通道保持畅通")     # the answer reaches the resident
    steps.close(objector)

    # --- 业主表决: the Art. 278 vote on I06 and the after-care vote, opened from the hub -------------------------------
    steps.module(organiser, "votes")
    organiser.get_by_role("link", name="新建投票").click()
    organiser.locator("#matter").select_option("8")
    organiser.locator("#title").fill(steps.PARKING_VOTE)
    organiser.locator("input[name=plan_items]").first.check()
    organiser.locator("#open_now").click()
    expect(organiser.locator("main")).to_contain_text(steps.PARKING)
    shot(organiser, "90-13-parking-vote-open")

    steps.module(organiser, "aftercare")
    organiser.locator("select[name=mode]").select_option(index=2)
    organiser.locator("input[name=fee]").fill("0.50")
    closes = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=10)
    organiser.locator("input[name=closes_at]").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    organiser.locator("form[action$='/aftercare'] button[type=submit]").click()
    expect(organiser.locator("main")).to_contain_text("0.5")
    shot(organiser, "90-14-aftercare-vote-open")
    steps.advance(organiser, "owner_vote", "joint_review")

    titles = [steps.PARKING_VOTE]
    for n, room in enumerate(steps.ROOMS):
        owner = steps.resident(browser, browser_context_args, live_server, codes[room])
        votes = owner.locator("#home-votes .vote-list > li")
        expect(votes).to_have_count(2)
        if n == 0:
            titles.append(next(t for t in votes.locator(".status-title").all_inner_texts() if t != steps.PARKING_VOTE))
            shot(owner, "90-15-owner-home-two-votes")
        for title in titles:
            steps.cast(owner, title, steps.TAILS[room])
        expect(owner.locator("#votes-link")).to_have_count(0)        # nothing left that says 去投票
        if n == 0:
            shot(owner, "90-16-owner-home-voted")
        steps.close(owner)

    for title in titles:
        steps.module(organiser, "votes")
        organiser.get_by_role("link", name=title).click()
        organiser.get_by_role("button", name="结束投票并计票").click()
        expect(organiser.get_by_role("button", name="确定最终结果")).to_be_visible()
    shot(organiser, "90-17-vote-preliminary")

    # The one data shortcut: the objection period (询异公示) of a closed vote lasts at least a day, so the two votes'
    # objection deadlines are moved into the past with one UPDATE on the e2e database; nobody objected.
    with e2e_app.app_context():
        community_id = db.session.scalar(select(Community.id).filter_by(code=steps.CODE))
        moved = db.session.execute(update(Vote).where(Vote.community_id == community_id,
                                                      Vote.status == "preliminary")
                                   .values(objection_until=utcnow() - timedelta(minutes=1)))
        assert moved.rowcount == 2
        db.session.commit()

    # the owner representative's scope gains the new community (an administrator's clicks), and co-signs both
    admin = steps.signed_in(browser, browser_context_args, live_server, *steps.demo_user(demo, "admin"))
    admin.locator("header").get_by_role("link", name="系统管理").click()
    admin.get_by_role("link", name="工作人员账号").click()
    admin.locator("tr", has_text="demo-owner-rep").get_by_role("link", name="修改").click()
    communities = admin.locator("#communities")
    chosen = communities.evaluate("s => Array.from(s.selectedOptions).map(o => o.value)")
    communities.select_option(chosen + [communities.locator("option", has_text=steps.CODE).get_attribute("value")])
    admin.get_by_role("button", name="保存").click()

    owner_rep = steps.signed_in(browser, browser_context_args, live_server, *steps.demo_user(demo, "owner_rep"))
    expect(owner_rep.locator("#todo li[data-key=votes_cosign]")).to_have_attribute("data-count", "2")
    shot(owner_rep, "90-18-owner-rep-to-do")
    for title in titles:
        owner_rep.locator("header").get_by_role("link", name="工作台").click()
        owner_rep.locator("#todo li[data-key=votes_cosign] a").click()
        owner_rep.get_by_role("link", name=title).click()
        owner_rep.get_by_role("button", name="我已监督计票，会签此结果").click()
        expect(owner_rep.get_by_role("button", name="我已监督计票，会签此结果")).to_have_count(0)

    for title in titles:
        steps.module(organiser, "votes")
        organiser.get_by_role("link", name=title).click()
        organiser.get_by_role("button", name="确定最终结果").click()
        expect(organiser.get_by_role("button", name="确定最终结果")).to_have_count(0)
    shot(organiser, "90-19-vote-final")

    # --- the version adopted: its comment period closed with the objection answered, its I06 vote passed -------------
    steps.module(organiser, "plan")
    organiser.locator("#plan-versions, section[aria-labelledby=plan-versions]").get_by_role(
        "link", name=re.compile("第 ?1 ?版")).first.click()
    expect(organiser.locator("#item-I06 .vote-status")).to_have_attribute("data-status", "passed")
    organiser.get_by_role("button", name="采用此版本").click()
    expect(organiser.locator("main")).to_contain_text("已采用")
    shot(organiser, "90-20-version-adopted")
    steps.advance(organiser, "joint_review", "works")

    # --- 联合审查: opened by the organiser, signed by the demo's department and pipeline company -----------------------
    steps.module(organiser, "joint_review")
    organiser.locator("form[action$='/joint-review/open'] button").click()
    expect(organiser.locator("form[action$='/joint-review/close']")).to_be_visible()
    for username, password in (steps.DEPARTMENT, steps.PIPELINE):
        party = steps.signed_in(browser, browser_context_args, live_server, username, password)
        party.locator(f"#todo li[data-key=review_open][data-community={steps.CODE}] a").click()
        forms = party.locator("main form[action$='/signoff']")
        expect(forms).to_have_count(len(steps.ITEMS))
        for index in range(len(steps.ITEMS)):
            form = party.locator("main form[action$='/signoff']").nth(index)
            form.locator("input[value=approved]").check()
            form.locator("button[type=submit]").click()
            expect(party.locator("main form[action$='/signoff']").nth(index)).to_be_visible()
        shot(party, f"90-21-joint-review-{username}")
        steps.close(party)

    # The six other parties of the locality have no account in the demo: the administrator completes the review
    # with a written reason — the one demonstrated override — and the plan shows it.
    admin.locator("header").get_by_role("link", name="工作台").click()
    admin.locator("#communities").get_by_role("link", name=steps.NAME).click()
    admin.locator("#module-joint_review h3 a").click()
    close = admin.locator("form[action$='/joint-review/close']")
    close.locator("textarea[name=reason]").fill(steps.OVERRIDE)
    close.locator("button[type=submit]").click()
    expect(admin.locator("form[action$='/joint-review/close']")).to_have_count(0)
    shot(admin, "90-22-joint-review-complete")
    admin.locator("header").get_by_role("link", name="工作台").click()
    admin.locator("#communities").get_by_role("link", name=steps.NAME).click()
    admin.locator("#module-plan h3 a").click()
    overrides = admin.locator("#overrides")
    expect(overrides).to_contain_text(steps.OVERRIDE)
    overrides.screenshot(path=str(shot(admin, "90-23-plan-shows-override").with_name("90-23b-override-card.png")))
    steps.advance(organiser, "works", "acceptance")

    # --- 实施: B04 and B05 finished on the works page, I06 through the works Excel (template → import) -----------------
    steps.module(organiser, "works")
    for code in steps.ITEMS[:2]:
        organiser.locator(f"#status-{code}").select_option("finished")
        organiser.locator(f"#started_on-{code}").fill(today.isoformat())
        organiser.locator(f"#finished_on-{code}").fill(today.isoformat())
        organiser.locator(f"form:has(#status-{code}) button[type=submit]").click()
        expect(organiser.locator(f"#status-{code}")).to_have_value("finished")
    organiser.locator("a[href$='/plan/works/import']").first.click()
    with organiser.expect_download() as download:
        organiser.locator("a[href$='/plan/works/template.xlsx']").first.click()
    download.value.save_as(tmp_path / "works-template.xlsx")
    workbook = load_workbook(tmp_path / "works-template.xlsx")
    row = next(row for row in workbook["施工进度"].iter_rows(min_row=2) if row[0].value == "I06")
    row[2].value, row[3].value, row[4].value = "已完工", today.isoformat(), today.isoformat()
    row[5].value = "停车位已在楼侧施划，消防通道留空"
    workbook.save(tmp_path / "works.xlsx")
    organiser.locator("input[type=file]").set_input_files(str(tmp_path / "works.xlsx"))
    organiser.get_by_role("button", name="检查并导入").click()
    expect(organiser.locator("main table").first).to_be_visible()
    shot(organiser, "90-24-works-imported")
    steps.module(organiser, "works")
    for code in steps.ITEMS:
        expect(organiser.locator(f"#status-{code}")).to_have_value("finished")
    shot(organiser, "90-24b-works-finished")
    steps.advance(organiser, "acceptance", "aftercare")

    # --- 验收: a rating round on the whole project, the residents rate, the record signed by three ---------------------
    steps.module(organiser, "acceptance")
    section = organiser.locator("#open-round")
    steps.choose(section.locator("select[name=subject]"), "整个项目")
    section.locator("input[name=closes_on]").fill((today + timedelta(days=7)).isoformat())
    section.get_by_role("button", name="开始评价").click()
    rounds = organiser.locator(".acceptance-round[data-status=open]")
    expect(rounds).to_have_count(1)
    round_id = rounds.get_attribute("id").split("-")[1]
    for n, room in enumerate(steps.ROOMS):
        rater = steps.resident(browser, browser_context_args, live_server, codes[room])
        rater.locator(f"#rating-{round_id} a").click()
        rater.get_by_role("button", name="满意", exact=True).click()
        expect(rater.locator("#your-rating")).to_contain_text("满意")
        if n == 0:
            shot(rater, "90-25-resident-rating")
        steps.close(rater)
    steps.module(organiser, "acceptance")
    organiser.locator(f"#round-{round_id}").locator("button").click()
    expect(organiser.locator(f"#round-{round_id}")).to_have_attribute("data-result", "passed")

    record = organiser.locator("#new-record")
    steps.choose(record.locator("select[name=subjects]"), "整个项目")
    record.locator("textarea[name=result_text]").fill("楼道灯、门禁、停车位均已完工，居民评价满意，同意验收。")
    record.locator("button[type=submit]").click()
    organiser.locator("section[id^=record-]").last.get_by_role("button", name=re.compile("身份签字")).click()
    record_id = organiser.locator("section[id^=record-]").last.get_attribute("id").split("-")[1]
    owner_rep.locator("header").get_by_role("link", name="工作台").click()
    owner_rep.locator(f"#todo li[data-key=acceptance_sign][data-community={steps.CODE}] a").click()
    owner_rep.locator(f"#record-{record_id}").get_by_role("button", name=re.compile("身份签字")).click()
    supervisor = steps.signed_in(browser, browser_context_args, live_server, *steps.SUPERVISOR)
    supervisor.locator("#communities").get_by_role("link", name=steps.NAME).click()
    supervisor.locator("#module-acceptance h3 a").click()
    supervisor.locator(f"#record-{record_id}").get_by_role("button", name=re.compile("身份签字")).click()
    steps.module(organiser, "acceptance")
    expect(organiser.locator(f"#record-{record_id}").get_by_role("button", name=re.compile("身份签字"))) \
        .to_have_count(0)
    shot(organiser, "90-26-acceptance-record-signed")

    # --- 建后管理: the after-care vote decided, the last stage reached ---------------------------------------------------
    steps.advance(organiser, "aftercare", None)
    expect(organiser.locator(".stage-ladder li[aria-current=step]")).to_contain_text("建后管理")
    shot(organiser, "90-27-hub-aftercare")

    resident = steps.resident(browser, browser_context_args, live_server, codes["101"])
    resident.locator("a[href$='/r/%s/progress']" % steps.CODE).first.click()
    for name in ("楼道灯更换", "楼栋门禁", steps.PARKING):
        expect(resident.locator("main")).to_contain_text(name)
    shot(resident, "90-28-resident-progress")
    steps.close(resident)
