"""What the plan's comment period and joint acceptance tell, and whom (issue 16 point 4): a comment period that
opens tells every household of its community (on publishing, or on its first day by the periodic job, once); an
objection tells the organisers and the community's 企业微信 groups once per comment, without the household or its
words; a rating round tells the households it asks; a record the owner representative can sign tells them and the
groups once. A second community's households and staff hear nothing."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.acceptance import messages as acceptance_messages
from participation.acceptance.operations import close_round, create_record, open_round, rate, sign_record
from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight
from participation.models import (CatalogueItem, Delivery, Household, Notification, Organisation, Plan, PlanItem,
                                  PlanVersion, PlanWork, WecomRobot)
from participation.models.types import utcnow
from participation.plans import comments
from participation.plans.messages import tell_opened_periods
from participation.plans.operations import today
from participation.reach.kinds import ROBOT_KINDS

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


def households_of(community) -> list[Household]:
    return [h for b in community.buildings for u in b.units for h in u.households]


def told(kind, **where) -> list[Notification]:
    query = select(Notification).where(Notification.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query.order_by(Notification.id)).all()


def recipients(kind) -> tuple[set, set, set]:
    rows = told(kind)
    return ({r.household_id for r in rows if r.household_id}, {r.user_id for r in rows if r.user_id},
            {r.robot_id for r in rows if r.robot_id})


def robots_for(community, other):
    robots = {"community": WecomRobot(name="群", webhook_url=HOOK + "a", community=community, kinds=list(ROBOT_KINDS)),
              "other": WecomRobot(name="别的群", webhook_url=HOOK + "b", community=other, kinds=list(ROBOT_KINDS))}
    db.session.add_all(robots.values())
    return robots


# --- the plan's comment period ------------------------------------------------------------------------------------

@pytest.fixture
def plan_site(reference_data, make_community, make_user):
    """PC1 (12 households) with version 1 of its plan (B01, I01); PC2 next door; each with an organiser."""
    community, other = make_community("PC1"), make_community("PC2")
    b01, i01 = (db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B01", "I01"))
    version = PlanVersion(number=1, status="draft", measures="居民出资10%", items=[
        PlanItem(item=b01, position=1, included=True, quantity=Decimal(2), unit_cost=b01.unit_cost,
                 cost=2 * b01.unit_cost, suggestion="include"),
        PlanItem(item=i01, position=2, included=False, quantity=Decimal(1), unit_cost=i01.unit_cost,
                 cost=i01.unit_cost, suggestion="reserve")])
    db.session.add(Plan(community=community, versions=[version]))
    users = {"organiser": make_user("organiser", communities=[community]),
             "other_organiser": make_user("organiser", communities=[other]),
             "owner_rep": make_user("owner_rep", communities=[community])}
    robots = robots_for(community, other)
    db.session.commit()
    return {"community": community, "other": other, "version": version, "users": users, "robots": robots}


def publish(site, first=None, days=7):
    first = first or today()
    period = comments.publish(site["users"]["organiser"], site["version"], first, first + timedelta(days=days - 1))
    db.session.commit()
    return period


def test_a_period_opening_today_tells_every_household_of_its_community_once(plan_site):
    community = plan_site["community"]
    period = publish(plan_site)
    households, users, robots = recipients("plan.comment_opened")
    assert households == {h.id for h in households_of(community)} and not users and not robots
    last_day = period.closes_on
    for row in told("plan.comment_opened"):
        assert row.params == {"community": community.name, "deadline": f"{last_day.month}月{last_day.day}日"}
        assert row.link == "/r/PC1/plan" and row.community_id == community.id
    sms = db.session.scalar(select(func.count(Delivery.id)).where(Delivery.channel == "sms"))
    assert sms == len(households)                                        # every household has a phone
    assert tell_opened_periods() == 0                                    # the job finds them told
    db.session.commit()
    assert len(told("plan.comment_opened")) == len(households)


def test_a_period_published_ahead_is_told_on_its_first_day_by_the_job(plan_site):
    first = today() + timedelta(days=3)
    publish(plan_site, first=first)
    assert told("plan.comment_opened") == []
    assert tell_opened_periods(beijing_midnight(first) - timedelta(minutes=1)) == 0   # the evening before
    opening = beijing_midnight(first) + timedelta(hours=9)
    assert tell_opened_periods(opening) == len(households_of(plan_site["community"]))
    db.session.commit()
    assert tell_opened_periods(opening + timedelta(hours=1)) == 0
    assert recipients("plan.comment_opened")[0] == {h.id for h in households_of(plan_site["community"])}


def test_an_objection_tells_the_organisers_and_groups_once_per_comment_and_nothing_personal(plan_site):
    period = publish(plan_site)
    users, robots, version = plan_site["users"], plan_site["robots"], plan_site["version"]
    home, neighbour = households_of(plan_site["community"])[:2]
    b01 = version.items[0]
    comments.comment(neighbour, period, b01, "support", None)
    db.session.commit()
    assert told("plan.objection") == []                                  # support says nothing
    row = comments.comment(home, period, b01, "object", "我家老人住一楼，张三电话13912345678")
    db.session.commit()
    _households, told_users, told_robots = recipients("plan.objection")
    assert told_users == {users["organiser"].id}                         # not PC2's, not the owner representative
    assert told_robots == {robots["community"].id}
    for message in told("plan.objection"):
        assert b01.item.name in message.text and message.params == {}
        assert not any(word in message.text for word in ("张三", "13912345678", home.address, home.phone))
        assert message.robot_id or message.link == "/c/PC1/plan/versions/1/comments?stance=object"
    count = len(told("plan.objection"))
    comments.comment(home, period, b01, "object", "改一下措辞")            # the same objection, new words
    comments.comment(home, period, b01, "support", None)
    comments.comment(home, period, b01, "object", None)                  # and back: still one comment
    db.session.commit()
    assert len(told("plan.objection")) == count
    comments.comment(neighbour, period, None, "object", "整个方案不同意")    # the whole plan, another comment
    db.session.commit()
    assert len(told("plan.objection")) == 2 * count
    assert row.id != comments.household_comments(neighbour, version)[None].id


# --- joint acceptance ---------------------------------------------------------------------------------------------

@pytest.fixture
def acceptance_site(make_community, make_user, reference_data):
    """AC001: two buildings of one 单元, five floors (10 households), B01 finished; AC002 next door."""
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="吉林监理", kind="supervisor")
    db.session.add_all([contractor, supervisor])
    community = make_community("AC001", buildings=2, units=1, floors=5, per_floor=1, contractor=contractor,
                               supervisor=supervisor)
    other = make_community("AC002", buildings=1, units=1, floors=1, per_floor=2, contractor=contractor)
    b01 = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    for where in (community, other):
        db.session.add(Plan(community=where, works=[
            PlanWork(item=b01, status="finished", started_on=date(2026, 5, 1), finished_on=date(2026, 9, 30))]))
    users = {"organiser": make_user("organiser", communities=[community]),
             "owner_rep": make_user("owner_rep", communities=[community]),
             "second_rep": make_user("owner_rep", communities=[community]),
             "other_rep": make_user("owner_rep", communities=[other])}
    robots = robots_for(community, other)
    db.session.commit()
    return {"community": community, "other": other, "b01": b01, "users": users, "robots": robots}


def open_b01(site, buildings=None) -> object:
    round_ = open_round(site["users"]["organiser"], site["community"], f"item:{site['b01'].id}",
                        closes_at=utcnow() + timedelta(days=7), buildings=buildings)
    db.session.commit()
    return round_


def test_a_rating_round_tells_the_households_it_asks(acceptance_site):
    community = acceptance_site["community"]
    first = community.buildings[0]
    round_ = open_b01(acceptance_site, buildings=[first])
    households, users, robots = recipients("rating.opened")
    assert households == {h.id for u in first.units for h in u.households} and not users and not robots
    closes = (round_.closes_at - timedelta(seconds=1)).astimezone(BEIJING).date()
    for row in told("rating.opened"):
        assert row.params == {"community": community.name, "deadline": f"{closes.month}月{closes.day}日"}
        assert row.link == f"/r/rating/{round_.id}"


def test_a_record_the_owner_representative_can_sign_tells_them_and_the_groups_once(acceptance_site):
    users, robots, community = acceptance_site["users"], acceptance_site["robots"], acceptance_site["community"]
    round_ = open_b01(acceptance_site)
    record_ = create_record(users["organiser"], community, [f"item:{acceptance_site['b01'].id}"], "合格")
    db.session.commit()
    assert told("cosign.waiting") == []                                  # its rating is still open: not signable
    for household in households_of(community):
        rate(household, round_, "satisfied")
    assert close_round(users["organiser"], round_).result == "passed"
    db.session.commit()
    _households, told_users, told_robots = recipients("cosign.waiting")
    assert told_users == {users["owner_rep"].id, users["second_rep"].id}  # not AC002's, not the organiser
    assert told_robots == {robots["community"].id}
    for row in told("cosign.waiting"):
        assert (row.robot_id or row.link == "/c/AC001/acceptance") and acceptance_site["b01"].name in row.text
    assert acceptance_messages.cosign_waiting(community) == 0            # asked again: told already
    db.session.commit()
    assert len(told("cosign.waiting")) == 3 and record_.owner_rep_signed_at is None


def test_a_record_made_after_the_rating_passed_tells_at_once_and_a_signed_one_never(acceptance_site):
    users, community = acceptance_site["users"], acceptance_site["community"]
    round_ = open_b01(acceptance_site)
    for household in households_of(community):
        rate(household, round_, "basically_satisfied")
    close_round(users["organiser"], round_)
    db.session.commit()
    assert told("cosign.waiting") == []                                  # no record yet
    record_ = create_record(users["organiser"], community, [f"item:{acceptance_site['b01'].id}"], "合格")
    db.session.commit()
    assert len(told("cosign.waiting")) == 3
    sign_record(users["owner_rep"], record_)
    second = create_record(users["organiser"], community, [f"item:{acceptance_site['b01'].id}"], "复验合格")
    db.session.commit()
    keys = {row.dedupe_key.split(":")[2] for row in told("cosign.waiting")}
    assert keys == {str(record_.id), str(second.id)}                     # the signed one was not told again
