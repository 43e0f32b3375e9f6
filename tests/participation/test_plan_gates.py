"""The gates on the plan's own actions (DESIGN §2, participation.plans.gates): each refused with its words when its
conditions are missing, passed when they are met, and let through by an administrator only with a written reason
(a GateOverride row, an audit event, a line on the plan page); a failed owner vote takes its items and their cost
out of the plan, and every surface shows the item's vote status.

The community: 2 buildings × 2 单元 × 3 floors × 2 = 24 households. The field survey found B01 (屋面防水, 30 yuan/m²)
needing repair over 100 m², so version 1 holds B01 (3,000 yuan); version 2 adds I06 (停车位, Art. 278 item 8, a
lump sum of 200,000 yuan), which needs a special-class owner vote.
"""
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.acceptance.operations import open_round
from participation.acceptance.queries import subject_of
from participation.extensions import db
from participation.lifecycle.overrides import GateRefused
from participation.models import AuditEvent, CatalogueItem, FieldFinding, GateOverride, PlanComment, PlanVersion
from participation.models.types import utcnow
from participation.plans import comments, gates
from participation.plans.export import plan_json, plan_workbook
from participation.plans.inputs import plan_inputs
from participation.plans.operations import (adopt_suggestions, adopt_version, edit_version, save_budget, set_work,
                                            today)
from tests.conftest import csrf_token
from tests.plan_steps import comment_round, finish_vote, open_item_vote, review_done

B01_COST, I06_COST = Decimal("3000.00"), Decimal("200000.00")


def item(code: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(code=code))


def count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def audits(action: str) -> int:
    return count(AuditEvent, action=action)


@pytest.fixture
def site(reference_data, make_community, make_user):
    community = make_community("GT1")
    organiser = make_user("organiser", communities=[community])
    owner_rep = make_user("owner_rep", communities=[community])
    admin = make_user("admin", username="gate-admin")
    db.session.add(FieldFinding(community=community, item=item("B01"), condition="needs_repair",
                                quantity=Decimal(100), recorded_by=organiser))
    db.session.flush()
    plan = adopt_suggestions(organiser, community, plan_inputs(community))
    return community, plan, organiser, owner_rep, admin


def with_i06(site) -> PlanVersion:
    community, plan, organiser, *_ = site
    changes = {"I06": {"included": True, "reason": "居民反映停车难"}}
    return edit_version(organiser, plan, changes, None, "加入停车位")


def refused_words(call) -> list[str]:
    with force_locale("en"), pytest.raises(GateRefused) as refused:
        call()
    return refused.value.missing


# --- adopting: the comment period --------------------------------------------------------------------------------

def test_adopting_needs_its_own_closed_comment_period_with_every_objection_answered(site):
    community, plan, organiser, *_ = site
    first = plan.versions[0]
    assert refused_words(lambda: adopt_version(organiser, first)) == [
        "Version 1 has not been shown to residents for comment (方案公示): publish it for comment first."]
    period = comments.publish(organiser, first, today(), today() + timedelta(days=6))
    words = refused_words(lambda: adopt_version(organiser, first))
    assert len(words) == 1 and words[0].startswith("The comment period of version 1 is still open until")
    home = community.buildings[0].units[0].households[0]
    b01 = next(row for row in first.items if row.item.code == "B01")
    objection = comments.comment(home, period, b01, "object", "太贵了")
    whole = comments.comment(community.buildings[1].units[0].households[0], period, None, "object", "不同意")
    hidden = comments.comment(community.buildings[1].units[1].households[0], period, b01, "object", "骂人的话")
    comments.hide(organiser, hidden, "不文明用语")
    comments.close(organiser, period)
    words = refused_words(lambda: adopt_version(organiser, first))
    # hiding rude words does not silence the objection: it is counted (and named with its item) like the others
    assert words == ["3 objections have no answer yet (屋面防水及保温维修: 2; the plan as a whole: 1): answer them first."]
    assert first.status == "draft" and count(GateOverride) == 0
    comments.answer(organiser, objection, "已核实，按实际面积计价")
    comments.answer(organiser, whole, "已说明")
    assert refused_words(lambda: adopt_version(organiser, first)) == [
        "1 objection has no answer yet (屋面防水及保温维修: 1): answer it first."]
    comments.answer(organiser, hidden, "请文明发言；价格已按实际面积核实")
    assert adopt_version(organiser, first).status == "adopted"
    assert count(GateOverride) == 0


def test_the_comment_period_of_an_earlier_version_does_not_count(site):
    community, plan, organiser, *_ = site
    comment_round(organiser, plan.versions[0])
    second = edit_version(organiser, plan, {"B01": {"quantity": "120", "reason": "复测"}}, None, "复测")
    words = refused_words(lambda: adopt_version(organiser, second))
    assert words == ["Version 2 has not been shown to residents for comment (方案公示): publish it for comment "
                     "first."]


# --- adopting: owner votes ---------------------------------------------------------------------------------------

def test_adopting_needs_a_passed_vote_for_each_art278_item(site):
    community, plan, organiser, owner_rep, _admin = site
    comment_round(organiser, plan.versions[0])
    second = with_i06(site)
    comment_round(organiser, second)
    assert refused_words(lambda: adopt_version(organiser, second)) == [
        "停车位施划与停车场（库）改造 (民法典 Art. 278, item 8): no owner vote on it yet."]
    vote = open_item_vote(organiser, community, 8, "停车位施划", [item("I06")])
    assert refused_words(lambda: adopt_version(organiser, second)) == [
        "停车位施划与停车场（库）改造: its owner vote “停车位施划” is still running."]
    finish_vote(vote, organiser, owner_rep, yes_share=0.75)          # 18 of 24 = ¾: the special class passes
    assert vote.result_passed
    assert adopt_version(organiser, second).status == "adopted"
    assert {work.item.code for work in plan.works} == {"B01", "I06"}


def test_both_gates_name_everything_missing_at_once(site):
    second = with_i06(site)
    words = refused_words(lambda: adopt_version(site[2], second))
    assert len(words) == 2 and "方案公示" in words[0] and "no owner vote on it yet" in words[1]


# --- a failed vote takes its items and their cost out ------------------------------------------------------------

def test_a_failed_vote_excludes_its_items_and_their_cost_everywhere(site, client, login_as):
    community, plan, organiser, owner_rep, _admin = site
    second = with_i06(site)
    assert second.total_cost == B01_COST + I06_COST
    assert gates.effective_total(second) == B01_COST + I06_COST
    row = next(r for r in plan_inputs(community)["items"] if r["code"] == "I06")
    assert row["vote_status"] == "pending"
    vote = open_item_vote(organiser, community, 8, "停车位施划", [item("I06")])
    assert next(r for r in plan_inputs(community)["items"] if r["code"] == "I06")["vote_status"] == "running"
    finish_vote(vote, organiser, owner_rep, yes_share=0.5)           # half: fails
    assert vote.status == "final" and vote.result_passed is False
    # the draft is not rewritten behind the organisers' backs, but reads without I06
    assert len(plan.versions) == 2 and second.total_cost == B01_COST + I06_COST
    view = gates.version_view(second)
    assert view["total"] == B01_COST and view["removed"] == I06_COST
    shown = next(r for r in view["rows"] if r["code"] == "I06")
    assert shown["excluded_by_vote"] and shown["cost"] == 0 and shown["vote_status"] == "failed"
    with force_locale("zh_Hans_CN"):
        assert gates.failed_reason(gates.vote_states(community)["I06"]).startswith("业主表决未通过")
    # the plan inputs: status 未通过, out of the estimate, the reason says why
    with force_locale("zh_Hans_CN"):
        result = plan_inputs(community)
    row = next(r for r in result["items"] if r["code"] == "I06")
    assert (row["vote_status"], row["vote_status_label"], row["suggestion"]) == ("failed", "未通过", "exclude")
    assert "业主表决未通过" in row["reason"]
    assert next(r for r in result["items"] if r["code"] == "B01")["vote_status_label"] == "无需表决"
    document = json.loads(json.dumps(plan_json(result)))
    json_row = next(r for r in document["items"] if r["code"] == "I06")
    assert json_row["vote_status"] == "failed" and json_row["vote_status_label"] == "未通过"
    assert json_row["vote"]["passed"] is False                       # the old key stays
    with force_locale("zh_Hans_CN"):
        sheet = load_workbook(io.BytesIO(plan_workbook(result)))["需求汇总"]
    headers = [cell.value for cell in sheet[1]]
    status_column = headers.index("业主表决状态") + 1
    line = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "I06")
    assert sheet.cell(line, status_column).value == "未通过"
    # the pages show the lower total and the status column
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan/versions/2").text
    assert 'id="total-cost">3,000.00<' in page and 'id="excluded-by-vote"' in page and "业主表决未通过" in page
    assert 'data-status="failed">未通过' in page
    assert "3,000.00" in client.get("/c/GT1/plan").text.split('id="version-2-total"')[1][:40]
    # the next version leaves I06 out, with the vote's words as its reason; adoption then passes the vote gate
    third = edit_version(organiser, plan, {"B01": {"quantity": "110", "reason": "复测"}}, None, "复测并去掉停车位")
    i06 = next(r for r in third.items if r.item.code == "I06")
    assert not i06.included and "停车位施划" in i06.change_reason
    assert third.total_cost == Decimal("3300.00") and gates.owner_votes_missing(third) == []


def test_adopting_a_version_that_still_includes_a_failed_item_is_refused(site):
    community, plan, organiser, owner_rep, _admin = site
    second = with_i06(site)
    comment_round(organiser, second)
    finish_vote(open_item_vote(organiser, community, 8, "停车位施划", [item("I06")]), organiser, owner_rep,
                yes_share=0.5)
    assert refused_words(lambda: adopt_version(organiser, second)) == [
        "停车位施划与停车场（库）改造: its owner vote “停车位施划” did not pass: leave the item out in a new version."]


def test_a_plan_adopted_from_the_suggestions_after_a_failed_vote_leaves_the_item_out(reference_data, make_community,
                                                                                   make_user):
    community = make_community("GT2")
    organiser = make_user("organiser", communities=[community])
    owner_rep = make_user("owner_rep", communities=[community])
    finish_vote(open_item_vote(organiser, community, 8, "停车位施划", [item("I06")]), organiser, owner_rep,
                yes_share=0.25)
    version = adopt_suggestions(organiser, community, plan_inputs(community)).versions[0]
    i06 = next(r for r in version.items if r.item.code == "I06")
    assert not i06.included and "停车位施划" in i06.change_reason


# --- the admin's override ----------------------------------------------------------------------------------------

def test_an_admin_overrides_with_a_reason_audited_and_shown_on_the_plan(site, client, login_as):
    community, plan, organiser, _rep, admin = site
    first = plan.versions[0]
    # an organiser's reason does not open a gate
    refused_words(lambda: adopt_version(organiser, first, override_reason="赶工期"))
    # an admin without a reason is refused like anyone
    refused_words(lambda: adopt_version(admin, first))
    assert count(GateOverride) == 0 and first.status == "draft"
    adopt_version(admin, first, override_reason="区政府已召开听证会，书面意见已收集")
    assert first.status == "adopted"
    override = db.session.scalar(select(GateOverride))
    assert (override.gate, override.version_id, override.by_id) == ("adopt_comment_period", first.id, admin.id)
    assert "方案公示" in override.missing
    assert audits("gate.override") == 1
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan").text
    assert f'id="override-{override.id}"' in page and "区政府已召开听证会" in page and "方案公示" in page


def test_the_version_page_lists_what_is_missing_and_only_admins_see_the_reason_field(site, client, login_as):
    community, plan, *_ = site
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan/versions/1").text
    assert 'name="override_reason"' not in page
    token = csrf_token(page)
    refused = client.post("/c/GT1/plan/versions/1/adopt", data={"csrf_token": token, "override_reason": "就这样"})
    assert refused.status_code == 400 and 'id="gate-missing"' in refused.text
    assert "<li>" in refused.text.split('id="gate-missing"')[1] and "方案公示" in refused.text
    assert db.session.get(PlanVersion, plan.versions[0].id).status == "draft"
    assert client.post("/c/GT1/plan/versions/1/adopt", data={}).status_code == 400      # no CSRF token
    client.post("/logout", data={"csrf_token": token})
    login_as("admin")
    page = client.get("/c/GT1/plan/versions/1").text
    assert 'name="override_reason"' in page
    done = client.post("/c/GT1/plan/versions/1/adopt", data={"csrf_token": csrf_token(page),
                                                              "override_reason": "应急抢修，先行实施"})
    assert done.status_code == 302
    assert db.session.get(PlanVersion, plan.versions[0].id).status == "adopted"
    assert count(GateOverride, gate="adopt_comment_period") == 1


# --- the maintenance fund ----------------------------------------------------------------------------------------

def test_money_from_the_maintenance_fund_needs_its_matter_5_vote(site):
    community, plan, organiser, owner_rep, admin = site
    fields = {"plan_year": "2026", "maintenance_fund": "50000"}
    assert refused_words(lambda: save_budget(organiser, community, fields)) == [
        "Money from the maintenance fund (维修资金) needs the owners' vote on using it (民法典 Art. 278, item 5): "
        "no such vote has passed in this community."]
    save_budget(organiser, community, {"plan_year": "2026", "maintenance_fund": "0"})     # 0 is no money: no gate
    vote = open_item_vote(organiser, community, 5, "使用维修资金", [])
    words = refused_words(lambda: save_budget(organiser, community, fields))
    assert words and "“使用维修资金” is still running" in words[0]
    finish_vote(vote, organiser, owner_rep, yes_share=0.25)           # fails
    refused_words(lambda: save_budget(organiser, community, fields))
    finish_vote(open_item_vote(organiser, community, 5, "使用维修资金（二）", []), organiser, owner_rep, yes_share=0.75)
    assert save_budget(organiser, community, fields).maintenance_fund == Decimal("50000.00")


def test_the_budget_form_shows_the_missing_vote_and_an_admin_may_override(site, client, login_as):
    community, *_ = site
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan/budget").text
    assert 'name="override_reason"' not in page
    refused = client.post("/c/GT1/plan/budget", data={"csrf_token": csrf_token(page), "plan_year": "2026",
                                                       "maintenance_fund": "80000"})
    assert refused.status_code == 400 and 'id="gate-missing"' in refused.text and "维修资金" in refused.text
    assert count(GateOverride) == 0


def test_an_admin_saves_the_fund_line_with_a_reason(site):
    community, plan, organiser, owner_rep, admin = site
    budget = save_budget(admin, community, {"plan_year": "2026", "maintenance_fund": "80000"},
                         override_reason="维修资金使用已于去年业主大会表决，纸质记录存档")
    assert budget.maintenance_fund == Decimal("80000.00")
    assert db.session.scalar(select(GateOverride.gate)) == "maintenance_fund_vote"
    # saving the budget again with the same amount does not ask again
    save_budget(organiser, community, {"plan_year": "2026", "maintenance_fund": "80000", "note": "备注"})
    assert count(GateOverride) == 1


def test_raising_the_maintenance_fund_needs_its_matter_6_vote(site, client, login_as):
    community, plan, organiser, owner_rep, admin = site
    fields = {"plan_year": "2026", "raises_maintenance_fund": True}
    assert refused_words(lambda: save_budget(organiser, community, fields)) == [
        "Raising the maintenance fund (筹集维修资金) needs the owners' vote on it (民法典 Art. 278, item 6): no such "
        "vote has passed in this community."]
    finish_vote(open_item_vote(organiser, community, 5, "使用维修资金", []), organiser, owner_rep, yes_share=0.75)
    refused_words(lambda: save_budget(organiser, community, fields))      # using the fund is not raising it
    vote = open_item_vote(organiser, community, 6, "续筹维修资金", [])
    assert "“续筹维修资金” is still running" in refused_words(lambda: save_budget(organiser, community, fields))[0]
    finish_vote(vote, organiser, owner_rep, yes_share=0.75)
    assert save_budget(organiser, community, fields).raises_maintenance_fund is True
    assert save_budget(organiser, community, {"plan_year": "2026"}).raises_maintenance_fund is False
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan/budget").text
    assert 'name="raises_maintenance_fund"' in page and "checked" not in page.split('name="raises_maintenance_fund"')[1][:40]


# --- works ---------------------------------------------------------------------------------------------------------

def test_works_start_only_after_the_joint_review(site):
    community, plan, organiser, _rep, admin = site
    first = plan.versions[0]
    comment_round(organiser, first)
    adopt_version(organiser, first)
    b01 = item("B01")
    assert refused_words(lambda: set_work(organiser, plan, b01, "in_progress", started_on=today())) == [
        "The joint review (联合审查) of version 1 has not started: the departments and pipeline companies sign off "
        "the plan before works start."]
    review = review_done(first)
    review.closed_at = None
    assert refused_words(lambda: set_work(organiser, plan, b01, "in_progress", started_on=today())) == [
        "The joint review (联合审查) of version 1 is not complete yet."]
    set_work(organiser, plan, b01, "not_started", note="等待联合审查")        # no start: no gate
    review_done(first)
    assert set_work(organiser, plan, b01, "in_progress", started_on=today()).status == "in_progress"
    assert count(GateOverride) == 0


def test_an_admin_starts_works_before_the_review_with_a_reason(site):
    community, plan, organiser, _rep, admin = site
    comment_round(organiser, plan.versions[0])
    adopt_version(organiser, plan.versions[0])
    work = set_work(admin, plan, item("B01"), "in_progress", started_on=today(), override_reason="屋面漏水抢修")
    assert work.status == "in_progress"
    assert db.session.scalar(select(GateOverride.gate)) == "works_joint_review"
    # the works go on (in progress → finished) without asking again
    set_work(organiser, plan, item("B01"), "finished", started_on=today(), finished_on=today())
    assert count(GateOverride) == 1


def test_the_works_page_lists_the_missing_review(site, client, login_as):
    community, plan, organiser, *_ = site
    comment_round(organiser, plan.versions[0])
    adopt_version(organiser, plan.versions[0])
    db.session.commit()
    login_as("organiser", community)
    page = client.get("/c/GT1/plan/works").text
    refused = client.post("/c/GT1/plan/works", data={"csrf_token": csrf_token(page), "item": "B01",
                                                     "status": "in_progress"})
    assert refused.status_code == 400 and 'id="gate-missing"' in refused.text and "联合审查" in refused.text


# --- rating rounds -------------------------------------------------------------------------------------------------

def test_a_rating_round_opens_only_on_finished_items(site):
    community, plan, organiser, owner_rep, admin = site
    second = with_i06(site)
    finish_vote(open_item_vote(organiser, community, 8, "停车位施划", [item("I06")]), organiser, owner_rep,
                yes_share=0.75)
    comment_round(organiser, second)
    adopt_version(organiser, second)
    review_done(second)
    set_work(organiser, plan, item("B01"), "finished", started_on=today(), finished_on=today())
    closes = utcnow() + timedelta(days=7)
    words = refused_words(lambda: open_round(organiser, community, "project", closes_at=closes))
    assert words == ["The works on 停车位施划与停车场（库）改造 are not finished: residents rate finished works only."]
    words = refused_words(lambda: open_round(organiser, community, subject_of(item("I06")), closes_at=closes))
    assert len(words) == 1 and "停车位" in words[0]
    assert open_round(organiser, community, subject_of(item("B01")), closes_at=closes).status == "open"
    round_ = open_round(admin, community, "project", closes_at=closes, override_reason="先行评价已完工部分")
    assert round_.status == "open"
    assert db.session.scalar(select(GateOverride.gate)) == "rating_finished_items"


def test_comments_model_counts_objections_once(site):
    """The comment-period gate counts objections, not supports or other comments."""
    community, plan, organiser, *_ = site
    first = plan.versions[0]
    period = comments.publish(organiser, first, today(), today() + timedelta(days=6))
    b01 = next(row for row in first.items if row.item.code == "B01")
    comments.comment(community.buildings[0].units[0].households[0], period, b01, "support", None)
    comments.comment(community.buildings[0].units[0].households[1], period, b01, "other", "注意施工时间")
    comments.close(organiser, period)
    assert count(PlanComment) == 2 and gates.comment_period_missing(first) == []
