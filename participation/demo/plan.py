"""The demo's plan of 曙光里小区 (NG001), told in the lawful order the plan's gates ask for, on the demo's calendar
(days before demo today, ``participation.demo.clock``):

1. version 1 from the plan inputs (the basic items);
2. version 2 adds 停车位 (I06), which residents asked for and which needs an owner vote (Art. 278 item 8);
3. the owners' vote on 停车位施划, linked to I06, fails: enough owners took part, too few agreed;
4. version 3 takes I06 out again, with the vote's result as its reason;
5. version 3's comment period: residents comment, every objection is answered, the period is closed;
6. version 3 is adopted (the building-2 维修资金 vote of ``participation.py`` was final before);
7. the joint review of version 3 (``jointreview.py``) is completed; only then the works start;
8. the works: some items finished, some in progress, all dated in the past;
9. version 4 (楼道扶手和座椅 I04) is open for comment now, closing in a few days: objections answered and not.

Operations run under ``clock.fixed_clock`` so each step carries its demo time. Idempotent: the demo's plan is known
by version 2's reason; a plan staff made otherwise is left alone, with everything on it.
"""
from sqlalchemy import select

from participation.demo import clock
from participation.demo.jointreview import complete_review
from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, Household, Plan, PlanVersion, Unit, Vote
from participation.plans import comments as plan_comments, operations as plans, vote_items
from participation.plans.inputs import plan_inputs
from participation.votes import ballots, operations as votes

COMMUNITY = "NG001"
V1_CREATED = (-170, 10)
PARKING_VOTE = {
    "matter": 8, "item": "I06", "title": "曙光里小区施划停车位业主表决",
    "description": "拟在小区主路两侧和6号楼前空地施划停车位约60个，按月收取停车管理费，用于停车秩序维护。",
    "opens": (-165, 9), "closes": (-152, 18), "finalised": (-143, 10),
}
VERSION_2 = {
    "created": (-168, 10),
    "changes": {"I06": {"included": True, "reason": "居民多次反映乱停车堵塞消防通道，拟施划停车位，须经业主表决。"}},
    "measures": None,
    "reason": "根据居民反映增加停车位施划，提请业主表决。",
}
VERSION_3 = {
    "created": (-140, 10),
    "changes": {"I06": {"included": False, "reason": "停车位施划业主表决未通过：同意的面积和人数都不足参与表决的四分之三。"}},
    "measures": "改造期间每周五下午在社区服务站答复居民问题；施工噪音作业不晚于晚上八点。",
    "reason": "根据停车位表决结果调整方案，形成公示稿。",
    "opens": -138, "closes": -125, "closed_at": (-125, 17), "adopted": (-120, 10),
    "note": "方案第三版公示，请各户对改造项目和整体方案发表意见。",
}
# building, unit, room, item code (None: the whole plan), stance, words, hide reason, answer, day
COMMENTS_3 = (
    ("1", "1", "601", "B01", "support", "顶楼年年漏雨，屋面防水一定要做。", None, None, -137),
    ("2", "2", "502", "B12", "object", "道路改造别把楼前晾衣服的地方占了。", None,
     "道路只在原路面上翻修，不占用楼前晾晒场地；施工前在各单元门口公示平面图。", -136),
    ("5", "1", "301", "I06", "object", "停车位表决没通过，为什么还有人在画线？", None,
     "停车位项目已按表决结果从方案中去掉，画线是消防通道标识，不是停车位。", -133),
    ("6", "3", "401", None, "support", "方案考虑到了老年人，支持。", None, None, -131),
    ("3", "1", "601", None, "other", "什么时候开始施工？希望提前通知。", None,
     "方案采用并经联合审查后开工，开工前一周在各单元门口张贴通知。", -130),
)
WORKS = (  # item, status, started (days), finished (days)
    ("B04", "finished", -100, -62),
    ("B05", "finished", -40, -12),
    ("B01", "in_progress", -75, None),
    ("B02", "in_progress", -75, None),
    ("B12", "in_progress", -55, None),
    ("B06", "in_progress", -20, None),
)
VERSION_4 = {
    "created": (-8, 10),
    "changes": {"I04": {"included": True, "reason": "需求调查中老年住户多，楼道扶手和休息座椅需求集中。"}},
    "measures": "改造期间每周五下午在社区服务站答复居民问题；施工噪音作业不晚于晚上八点。楼道扶手安装时逐户上门确认位置。",
    "reason": "根据居民需求调查和施工中的反映，增加楼道扶手和休息座椅。",
    "opens": -4, "closes": 3,
    "note": "方案第四版公示（新增楼道扶手和座椅），请各户发表意见。",
}
COMMENTS_4 = (
    ("1", "1", "502", "I04", "support", "家里老人上五楼要歇好几次，楼道扶手和座椅早就该装了。", None, None, -4),
    ("2", "2", "502", "I04", "object", "楼道本来就窄，放了座椅担架都抬不下去。", None,
     "座椅为折叠式，贴墙安装，收起后楼道净宽不变；安装前请消防部门确认。", -3),
    ("4", "2", "302", "I04", "object", "就知道花钱搞形式，社区这帮人就知道糊弄老百姓，一群废物！",
     "含有辱骂他人的言辞，文字已隐藏；反对意见照常计入统计。", None, -3),
    ("3", "2", "201", "I04", "object", "我家在二楼，用不上座椅，费用也要分摊吗？", None, None, -2),
    ("5", "1", "201", "I04", "support", None, None, None, -2),
    ("7", "1", "401", None, "other", "屋面防水什么时候做到7号楼？", None, None, -1),
)


def seed_demo_plan(community: Community, people: dict, added: dict) -> Plan | None:
    """NG001's plan as the module docstring tells it; None when the community has a plan the demo did not make."""
    plan = plans.plan_for(community)
    if plan is not None:
        second = plans.version_by_number(plan, 2)
        return plan if second is not None and second.reason == VERSION_2["reason"] else None
    organiser = people["org"]
    with clock.fixed_clock(plans, plan_comments, votes, ballots, now=clock.at(*V1_CREATED)) as now:
        plan = plans.adopt_suggestions(organiser, community, plan_inputs(community))
        plan.created_at = plan.versions[0].created_at = now.now
        now.now = clock.at(*VERSION_2["created"])
        second = plans.edit_version(organiser, plan, VERSION_2["changes"], VERSION_2["measures"], VERSION_2["reason"])
        second.created_at = now.now
        parking_vote(community, organiser, people["rep"], now)
        now.now = clock.at(*VERSION_3["created"])
        third = plans.edit_version(organiser, plan, VERSION_3["changes"], VERSION_3["measures"], VERSION_3["reason"])
        third.created_at = now.now
        comment_period(third, VERSION_3, COMMENTS_3, organiser, now)
        now.now = clock.at(*VERSION_3["closed_at"])
        plan_comments.close(organiser, plan_comments.period_for(third))
        now.now = clock.at(*VERSION_3["adopted"])
        plans.adopt_version(organiser, third)
        complete_review(community, third, people)      # the works wait for it
        for code, status, started, finished in WORKS:
            item = db.session.scalar(select(CatalogueItem).filter_by(code=code))
            now.now = clock.at(finished if finished is not None else started, 17)
            plans.set_work(organiser, plan, item, status, started_on=clock.day(started),
                           finished_on=None if finished is None else clock.day(finished), note=None)
        now.now = clock.at(*VERSION_4["created"])
        fourth = plans.edit_version(organiser, plan, VERSION_4["changes"], VERSION_4["measures"], VERSION_4["reason"])
        fourth.created_at = now.now
        comment_period(fourth, VERSION_4, COMMENTS_4, organiser, now)
    added["plan_versions"] += 4
    return plan


def household(community: Community, building: str, unit: str, room: str) -> Household:
    return db.session.scalar(select(Household).join(Unit, Unit.id == Household.unit_id)
                             .join(Building, Building.id == Unit.building_id)
                             .where(Building.community_id == community.id, Building.name == building,
                                    Unit.name == unit, Household.room == room))


def comment_period(version: PlanVersion, spec: dict, comments: tuple, organiser, now) -> int:
    """Publish ``version`` for comment on its demo days and add the residents' comments, hidden and answered as
    listed (answers the next morning); returns how many comments were added."""
    now.now = clock.at(spec["opens"] - 1, 16)
    period = plan_comments.publish(organiser, version, clock.day(spec["opens"]), clock.day(spec["closes"]),
                                   note=spec["note"])
    period.published_at = now.now
    community = version.plan.community
    for index, (building, unit, room, code, stance, body, hide_reason, answer, days) in enumerate(comments):
        now.now = clock.at(days, 8 + index % 10, 13 * index % 60)
        item = None if code is None else plan_comments.item_by_code(version, code)
        row = plan_comments.comment(household(community, building, unit, room), period, item, stance, body)
        row.created_at = row.updated_at = now.now
        if hide_reason or answer:
            now.now = clock.at(days + 1, 10) if days < -1 else clock.at(days, 20)
        if hide_reason:
            plan_comments.hide(organiser, row, hide_reason)
        if answer:
            plan_comments.answer(organiser, row, answer)
    return len(comments)


def parking_vote(community: Community, organiser, owner_rep, now) -> Vote:
    """The failed vote on 停车位 (I06): three owners in four take part, about five in eight of them agree."""
    spec = PARKING_VOTE
    now.now = clock.at(spec["opens"][0] - 2, 10)
    vote = votes.create_vote(organiser, community, spec["matter"], spec["title"], description=spec["description"],
                             scope="community", closes_at=clock.at(*spec["closes"]), open_now=False)
    vote_items.link_items(organiser, vote, [db.session.scalar(select(CatalogueItem).filter_by(code=spec["item"]))])
    now.now = clock.at(*spec["opens"])
    votes.open_vote(organiser, vote)
    households = {h.id: h for h in db.session.scalars(votes.households_in_scope(vote))}
    owners = sorted(votes.electorate(vote).values(), key=lambda owner: owner.household_ids[0])
    for index, owner in enumerate(owners):
        if index % 4 == 3:
            continue
        choice = "yes" if index % 8 < 5 else "no" if index % 8 < 7 else "abstain"
        now.now = clock.at(spec["opens"][0] + index % 12, 9 + index % 9, index % 60)
        ballots.cast_ballot(vote, households[owner.household_ids[0]], choice, "paper", actor=organiser,
                            sheet_no=f"{index + 1:03d}")
    now.now = clock.at(*spec["closes"])
    votes.close_vote(organiser, vote)
    now.now = clock.at(spec["finalised"][0] - 1, 10)
    votes.cosign(owner_rep, vote)
    now.now = clock.at(*spec["finalised"])
    votes.finalise(organiser, vote)
    return vote
