"""The plan's comment period (方案公示 / 征求意见): publishing a version, residents' support / objection per item
from a phone, editing until close, closing and locking the final version; moderation that hides but never deletes;
answers the household reads; refusals that change nothing; the objection flag in the plan inputs; the A4 notice.
"""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.extensions import db
from participation.lifecycle.overrides import GateRefused
from participation.models import (AuditEvent, CatalogueItem, Community, Locality, LocalityRule, Plan, PlanComment,
                                  PlanCommentPeriod, PlanItem, PlanVersion, User)
from participation.plans import comments as ops
from participation.plans.inputs import plan_inputs
from participation.plans.operations import PlanRefused, adopt_version, edit_version, today
from participation.roster.codes import issue_code
from tests.conftest import AuthActions, csrf_token
from tests.participation.test_entry_views import accept_notice, enter

PLAN_PAGE = "/r/PC1/plan"
COMMENTS = "/c/PC1/plan/versions/1/comments"


@pytest.fixture
def site(app, reference_data, make_community, make_user):
    """Community PC1 with version 1 of its plan (B01 in at 2 × unit cost, I01 out), a draft with its measures;
    PC2 next door; codes for two PC1 households and one of PC2."""
    community, other = make_community("PC1"), make_community("PC2")
    b01, i01 = (db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B01", "I01"))
    version = PlanVersion(number=1, status="draft", measures="居民出资10%", items=[
        PlanItem(item=b01, position=1, included=True, quantity=Decimal(2), unit_cost=b01.unit_cost,
                 cost=2 * b01.unit_cost, suggestion="include"),
        PlanItem(item=i01, position=2, included=False, quantity=Decimal(1), unit_cost=i01.unit_cost,
                 cost=i01.unit_cost, suggestion="reserve")])
    db.session.add(Plan(community=community, versions=[version]))
    homes = community.buildings[0].units[0].households
    codes = {"home": issue_code(None, homes[0]), "neighbour": issue_code(None, homes[1]),
             "foreign": issue_code(None, other.buildings[0].units[0].households[0])}
    db.session.commit()
    return community, version, homes, codes


def resident(app, code, community="PC1"):
    client = app.test_client()
    assert enter(client, community, code).status_code == 302
    assert accept_notice(client).status_code == 302
    return client


def post(client, url, data, page=None):
    token = csrf_token(client.get(page or url).text)
    return client.post(url, data={"csrf_token": token} | data)


def publish_http(client, days=7, first=None):
    first = first or today()
    return post(client, f"{COMMENTS}/publish", {"opens_on": first.isoformat(),
                                                "closes_on": (first + timedelta(days=days - 1)).isoformat()},
                page=COMMENTS)


def say(client, stance, body="", item="B01"):
    return post(client, PLAN_PAGE, {"item": item, "stance": stance, "body": body})


def rows() -> list[PlanComment]:
    return db.session.scalars(select(PlanComment).order_by(PlanComment.id)).all()


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def snapshot() -> list[tuple]:
    return [(row.id, row.stance, row.body, row.hidden_at, row.answer) for row in rows()]


@pytest.fixture
def published(app, site, client, login_as):
    """Version 1 open for comment (published through the organiser's form); the organiser stays signed in."""
    community = site[0]
    login_as("organiser", community)
    assert publish_http(client).status_code == 302
    return site


# --- publishing, commenting, editing, closing, locking ------------------------------------------------------------

def test_publish_comment_edit_close_and_lock(app, published, client):
    community, version, homes, codes = published
    period = db.session.scalar(select(PlanCommentPeriod))
    assert (period.opens_on, period.closes_on, period.measures) == (today(), today() + timedelta(days=6), "居民出资10%")
    assert audits("plan_comment_period.publish") == 1

    home = resident(app, codes["home"])
    page = home.get(PLAN_PAGE)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "居民出资10%" in page.text and 'id="item-B01"' in page.text and 'id="item-I01"' in page.text
    assert say(home, "support").status_code == 302
    assert [(row.stance, row.body, row.plan_item.item.code) for row in rows()] == [("support", None, "B01")]
    # Changing the view keeps one row per household and item; the change is audited.
    assert say(home, "object", "太贵了").status_code == 302
    assert [(row.stance, row.body) for row in rows()] == [("object", "太贵了")]
    assert audits("plan_comment.create") == 1 and audits("plan_comment.update") == 1
    assert say(home, "other", "整体同意", item="").status_code == 302       # the whole plan
    assert len(rows()) == 2 and rows()[1].plan_item_id is None
    assert "太贵了" in home.get(PLAN_PAGE).text

    counts = client.get(COMMENTS)
    tally = re.search(r'<tr id="tally-B01">(.*?)</tr>', counts.text, re.S).group(1)
    assert re.findall(r'class="num">(\d+)</td>', tally) == ["0", "1", "0", "0"]   # support, object, other, hidden
    assert homes[0].address in counts.text          # staff see whose comment it is

    assert post(client, f"{COMMENTS}/close", {}, page=COMMENTS).status_code == 302
    assert db.session.get(PlanCommentPeriod, period.id).closed_at is not None
    before = snapshot()
    refused = say(home, "support")
    assert refused.status_code == 400
    assert "The comment period is closed" in refused.text or "征求意见已结束" in refused.text
    assert snapshot() == before
    assert 'name="stance"' not in home.get(PLAN_PAGE).text

    # Locking needs the adopted version; then no new version and no other adoption.
    assert post(client, "/c/PC1/plan/versions/1/lock", {}, page=COMMENTS).status_code == 302
    assert db.session.get(PlanCommentPeriod, period.id).locked_at is None
    with force_locale("en"), pytest.raises(GateRefused) as refused:   # the adoption gate: an objection unanswered
        adopt_version(None, db.session.get(PlanVersion, version.id))
    assert refused.value.missing == ["1 objection has no answer yet (屋面防水及保温维修: 1): answer it first."]
    db.session.rollback()
    ops.answer(None, rows()[0], "按实际面积计价，费用已核减")
    adopt_version(None, db.session.get(PlanVersion, version.id))
    db.session.commit()
    assert post(client, "/c/PC1/plan/versions/1/lock", {}, page=COMMENTS).status_code == 302
    assert db.session.get(PlanCommentPeriod, period.id).locked_at is not None
    assert audits("plan_version.lock") == 1
    plan = db.session.get(PlanVersion, version.id).plan
    with pytest.raises(PlanRefused):
        edit_version(None, plan, {"B01": {"quantity": "3", "reason": "现场复核"}}, None, "复核")
    db.session.rollback()
    assert len(db.session.get(PlanVersion, version.id).plan.versions) == 1
    with pytest.raises(ops.CommentRefused):
        ops.publish(None, db.session.get(PlanVersion, version.id), today(), today() + timedelta(days=10))


def test_the_next_version_lists_changed_items_and_why_for_residents(app, site, client, login_as):
    community, version, homes, codes = site
    edit_version(None, version.plan, {"I01": {"included": True, "reason": "居民要求加装"}}, "居民出资5%", "征求意见后调整")
    db.session.commit()
    login_as("organiser", community)
    assert post(client, "/c/PC1/plan/versions/2/comments/publish",
                {"opens_on": today().isoformat(), "closes_on": (today() + timedelta(days=9)).isoformat()},
                page="/c/PC1/plan/versions/2/comments").status_code == 302
    page = app.test_client().get(PLAN_PAGE)     # a public notice: readable without a code
    assert page.status_code == 200
    change = re.search(r'<li id="change-I01">(.*?)</li>', page.text, re.S).group(1)
    assert "居民要求加装" in change
    assert "居民出资5%" in page.text and "征求意见后调整" in page.text
    assert 'name="stance"' not in page.text and 'id="enter-to-comment"' in page.text
    # Only the newest version can be published, once.
    assert post(client, f"{COMMENTS}/publish", {"opens_on": today().isoformat(),
                                                "closes_on": (today() + timedelta(days=9)).isoformat()},
                page=COMMENTS).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PlanCommentPeriod)) == 1


@pytest.mark.parametrize("days, first_offset, field", [(6, 0, "closes_on"), (91, 0, "closes_on"),
                                                       (7, -1, "opens_on")])
def test_publishing_checks_the_dates(app, site, client, login_as, days, first_offset, field):
    login_as("organiser", site[0])
    response = publish_http(client, days=days, first=today() + timedelta(days=first_offset))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert db.session.scalar(select(func.count()).select_from(PlanCommentPeriod)) == 0
    assert audits("plan_comment_period.publish") == 0


def test_one_comment_per_household_item_and_version_is_a_database_rule(app, published):
    community, version, homes, codes = published
    period = db.session.scalar(select(PlanCommentPeriod))
    item = version.items[0]
    for plan_item_id in (item.id, None):
        db.session.add(PlanComment(period_id=period.id, version_id=version.id, plan_item_id=plan_item_id,
                                   household_id=homes[0].id, stance="support"))
        db.session.commit()
        db.session.add(PlanComment(period_id=period.id, version_id=version.id, plan_item_id=plan_item_id,
                                   household_id=homes[0].id, stance="object"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert len(rows()) == 2


# --- moderation and answers ---------------------------------------------------------------------------------------

def test_hidden_comments_stay_and_are_hidden_from_residents_and_answers_show(app, published, client):
    community, version, homes, codes = published
    home, neighbour = resident(app, codes["home"]), resident(app, codes["neighbour"])
    say(home, "object", "这个方案是骗人的，XX是坏人")
    say(neighbour, "object", "楼道灯应该先修")
    rude, fair = rows()
    moderate = f"{COMMENTS}/moderate"

    before = snapshot()
    no_reason = post(client, moderate, {"comment": rude.id, "action": "hide", "reason": ""}, page=COMMENTS)
    assert no_reason.status_code == 400
    assert snapshot() == before
    assert post(client, moderate, {"comment": rude.id, "action": "hide", "reason": "人身攻击"},
                page=COMMENTS).status_code == 302
    assert post(client, moderate, {"comment": rude.id, "action": "answer", "reason": "", "answer": "已转交"},
                page=COMMENTS).status_code == 302
    assert post(client, moderate, {"comment": fair.id, "action": "answer", "answer": "将在第2版中增加楼道灯"},
                page=COMMENTS).status_code == 302
    kept = db.session.get(PlanComment, rude.id)
    assert kept.hidden_at is not None and kept.hidden_reason == "人身攻击" and kept.body.startswith("这个方案")
    assert audits("plan_comment.hide") == 1 and audits("plan_comment.answer") == 2

    # The neighbour reads the answer to its comment; the other household sees the answered fair comment without
    # any name or address, and never the hidden one.
    own = neighbour.get(PLAN_PAGE).text
    assert "将在第2版中增加楼道灯" in own
    other = home.get(PLAN_PAGE).text
    assert "楼道灯应该先修" in other and "将在第2版中增加楼道灯" in other
    assert homes[1].address not in other and homes[1].room not in re.search(
        r'id="answered-list">(.*?)</ul>', other, re.S).group(1)
    assert "人身攻击" in other                                       # its own hidden comment, with the reason
    assert "骗人" not in neighbour.get(PLAN_PAGE).text
    # Tallies still count the hidden objection.
    assert ops.tallies(version)[version.items[0].id]["object"] == 2
    assert post(client, moderate, {"comment": rude.id, "action": "unhide"}, page=COMMENTS).status_code == 302
    assert db.session.get(PlanComment, rude.id).hidden_at is None
    listed = client.get(COMMENTS + "?show=hidden").text
    assert "楼道灯应该先修" not in listed


# --- refusals change nothing --------------------------------------------------------------------------------------

def test_refusals_change_nothing(app, published):
    community, version, homes, codes = published
    home = resident(app, codes["home"])
    say(home, "support", "好")
    before = snapshot()
    too_long = say(home, "object", "长" * 1001)
    assert too_long.status_code == 400 and 'id="body-B01"' in too_long.text
    assert say(home, "other", "").status_code == 400                 # "other" needs words
    assert say(home, "maybe").status_code == 400
    no_token = home.post(PLAN_PAGE, data={"item": "B01", "stance": "object"})
    assert no_token.status_code == 400
    assert say(home, "object", item="Z99").status_code == 404
    # A household of PC2 cannot comment on PC1's plan.
    foreign = resident(app, codes["foreign"], community="PC2")
    token = csrf_token(foreign.get("/r/PC2").text)
    assert foreign.post(PLAN_PAGE, data={"csrf_token": token, "item": "B01", "stance": "object"}).status_code == 404
    assert 'name="stance"' not in foreign.get(PLAN_PAGE).text
    with pytest.raises(ops.CommentRefused):
        ops.comment(_pc2_household(), db.session.scalar(select(PlanCommentPeriod)), None, "object", None)
    db.session.rollback()
    assert snapshot() == before
    # Nobody acting: back to the start page, nothing saved.
    visitor = app.test_client()
    token = csrf_token(visitor.get("/r/PC1").text)
    assert visitor.post(PLAN_PAGE, data={"csrf_token": token, "stance": "object"}).status_code == 302
    assert snapshot() == before


def _pc2():
    return db.session.scalar(select(Community).filter_by(code="PC2"))


def _pc2_household():
    return _pc2().buildings[0].units[0].households[0]


def test_staff_acting_for_a_household_comment_on_its_behalf(app, published, client):
    """The organiser (signed in) acts for a household on the phone: the comment is the household's, with the
    channel and the staff member, and the audit row names the staff member."""
    community, version, homes, codes = published
    away = post(client, PLAN_PAGE, {"item": "B01", "stance": "support"}, page="/staff")
    assert away.status_code == 302 and away.location.endswith("/") and rows() == []
    url = f"/assist/households/{homes[2].id}"
    assert client.post(url, data={"channel": "phone", "csrf_token": csrf_token(client.get(url).text)}
                       ).status_code == 302
    notice = client.get("/home/notice")
    assert client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice.text)}
                       ).status_code == 302
    assert 'name="stance"' in client.get(PLAN_PAGE).text
    assert say(client, "support", "电话里说支持").status_code == 302
    staff = db.session.scalar(select(User).filter_by(username="organiser"))
    (made,) = rows()
    assert (made.household_id, made.channel, made.entered_by_id) == (homes[2].id, "phone", staff.id)
    event = db.session.scalar(select(AuditEvent).filter_by(action="plan_comment.create"))
    assert (event.actor_id, event.channel) == (staff.id, "phone")


# --- permissions --------------------------------------------------------------------------------------------------

def test_403_and_404(app, site, client, login_as, make_user):
    community, version, homes, codes = site
    login_as("owner_rep", community)
    assert client.get(COMMENTS).status_code == 200
    assert 'action="/c/PC1/plan/versions/1/comments/publish"' not in client.get(COMMENTS).text
    token = csrf_token(client.get("/staff").text)
    data = {"csrf_token": token, "opens_on": today().isoformat(),
            "closes_on": (today() + timedelta(days=8)).isoformat()}
    assert client.post(f"{COMMENTS}/publish", data=data).status_code == 403
    assert client.get("/c/PC1/plan/versions/9/comments").status_code == 404
    assert client.get("/c/PC2/plan/versions/1/comments").status_code == 404
    assert client.get("/c/NOPE/plan/versions/1/notice").status_code == 404
    client.post("/logout", data={"csrf_token": token})
    make_user("organiser", username="pc2-organiser", communities=[_pc2()])
    db.session.commit()
    AuthActions(client).login("pc2-organiser")
    assert client.get(COMMENTS).status_code == 404
    token = csrf_token(client.get("/staff").text)
    assert client.post(f"{COMMENTS}/publish", data=data | {"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PlanCommentPeriod)) == 0
    assert app.test_client().get("/r/NOPE/plan").status_code == 404


def test_an_agency_gets_403(app, site, client, make_user, auth):
    make_user("agency", username="agency1")
    db.session.commit()
    auth.login("agency1")
    assert client.get(COMMENTS).status_code == 403
    assert client.get("/c/PC1/plan/versions/1/notice").status_code == 403


def test_moderating_a_comment_of_another_version_is_404(app, published, client):
    community, version, homes, codes = published
    home = resident(app, codes["home"])
    say(home, "object", "不需要")
    comment = rows()[0]
    edit_version(None, version.plan, {"B01": {"quantity": "3", "reason": "复核"}}, None, "复核")
    db.session.commit()
    response = post(client, "/c/PC1/plan/versions/2/comments/moderate",
                    {"comment": comment.id, "action": "hide", "reason": "x"}, page="/c/PC1/plan/versions/2/comments")
    assert response.status_code == 404
    assert rows()[0].hidden_at is None


# --- the plan inputs' flag ----------------------------------------------------------------------------------------

def _objections(site, count: int) -> None:
    community, version, homes, codes = site
    period = db.session.scalar(select(PlanCommentPeriod))
    households = [household for building in community.buildings for unit in building.units
                  for household in unit.households]
    for household in households[:count]:
        ops.comment(household, period, version.items[0], "object", None)
    ops.comment(households[-1], period, version.items[0], "support", None)
    db.session.commit()


def _flag(community):
    return next((flag for flag in plan_inputs(community)["flags"] if flag["kind"] == "comment_objections"), None)


def test_five_objections_flag_the_item_in_the_plan_inputs(app, published):
    community = published[0]
    _objections(published, 4)
    assert _flag(community) is None
    _objections(published, 5)
    flag = _flag(community)
    assert flag is not None and (flag["item"], flag["object"], flag["support"], flag["version"]) == ("B01", 5, 1, 1)
    assert "5" in flag["message"]
    assert ops.objections_by_item(community)["B01"]["object"] == 5


def test_the_localitys_rule_sets_the_objection_threshold(app, published):
    community = published[0]
    locality = db.session.scalar(select(Locality).filter_by(city="长春市"))
    db.session.add(LocalityRule(locality=locality, kind="plan_threshold", key="comment_objections_flag",
                                number_value=Decimal(3), unit="count", valid_from=2020, source="测试规则"))
    db.session.commit()
    _objections(published, 3)
    assert _flag(community)["object"] == 3


# --- the notice ---------------------------------------------------------------------------------------------------

def test_the_notice_prints_with_a_qr_code_to_the_comment_page(app, published, client):
    page = client.get("/c/PC1/plan/versions/1/notice")
    assert page.status_code == 200
    assert '<svg class="qr"' in page.text and "http://localhost/r/PC1/plan" in page.text
    assert "居民出资10%" in page.text and 'id="notice-B01"' in page.text and 'id="notice-I01"' not in page.text
    assert today().isoformat() in re.search(r'id="notice-period">(.*?)</p>', page.text, re.S).group(1)
    assert '/c/PC1/plan/versions/1/comments' in client.get("/c/PC1/plan/versions/1").text
