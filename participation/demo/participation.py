"""The demo's participation on NG001's plan, driven through the real operations: the plan (version 1 adopted from
the plan inputs, its works), a second version published for comment with residents' comments (support, objection,
one hidden with its reason, answered ones), the residents' satisfaction rating of the stairwell lights that failed,
its 整改 ticket (dispatched, signed, replied, completed), the re-rating that passed and the joint acceptance record
signed by organiser, owner representative and supervisor, and one owner vote (matter 5, 使用维修资金, building 2)
finalised with its result.

Deterministic and idempotent like the rest of the demo: fixed texts, fixed times (Beijing, 2025, before the
complaints' demo "now" of 2025-11-14), every object looked up by its natural key and only added when missing.

Two exceptions to the fixed times, both forced by the operations' own rules:
- The comment period of version 2 opens on the real today and lasts 14 days: ``plan_comments.publish`` refuses a
  period that starts in the past and ``comment`` takes comments only while it is open, so the demo shows an open
  period when it is seeded. The comments, their answers and hiding carry the real time too (those operations
  read the clock themselves).
- The owner-vote operations take no ``now``: they read ``votes.utcnow`` and ``ballots.utcnow``. The demo runs them
  under ``fixed_clock`` (below), which sets those clocks to each step's fixed time and restores them afterwards, so
  the vote's lifecycle (voting dates, the 7-day objection period, finalising after it) is the real one at 2025 times.

Further demo votes (the elevator consent vote, the property-management vote) belong in their own module next to
this one, called from ``seed_demo`` after ``seed_demo_participation``; ``fixed_clock`` and ``at`` are for them too.
"""
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from participation.acceptance import operations as acceptance, queries as acceptance_queries
from participation.complaints.operations import act
from participation.demo.complaints import SUPERVISOR_LOGIN, at
from participation.extensions import db
from participation.models import (AcceptanceRating, AcceptanceRecord, Building, CatalogueItem, Community, Household,
                                  Plan, Unit, User, Vote)
from participation.plans import comments as plan_comments, operations as plans
from participation.plans.inputs import plan_inputs
from participation.votes import ballots, operations as votes

COMMUNITY = "NG001"

# Version 1: adopted from the plan inputs' suggestions; its works as of the demo's autumn.
PLAN_CREATED, PLAN_ADOPTED = at(7, 10, 10), at(7, 15, 10)
WORKS = (  # item, status, started (m, d), finished (m, d)
    ("B04", "finished", (9, 1), (10, 10)),
    ("B01", "in_progress", (10, 8), None),
    ("B02", "in_progress", (10, 8), None),
    ("B12", "in_progress", (10, 20), None),
)

# Version 2: two improvements the residents asked for, published for comment.
VERSION_2 = {
    "changes": {"I04": {"included": True, "reason": "需求调查中老年住户多，楼道扶手和休息座椅需求集中。"},
                "I06": {"included": True, "reason": "乱停车堵塞消防通道，居民多次反映，施划停车位。"}},
    "measures": "改造期间每周五下午在社区服务站答复居民问题；施工噪音作业不晚于晚上八点。",
    "reason": "根据居民需求调查和第一阶段施工中的反映，增加楼道扶手和座椅、停车位施划两项。",
}
COMMENT_DAYS = 14
COMMENT_NOTE = "方案第二版公示，请各户对新增的两项和整体方案发表意见。"
# building, unit, room, item code (None: the whole plan), stance, words, hide reason, answer
COMMENTS = (
    ("1", "1", "502", "I04", "support", "家里老人上五楼要歇好几次，楼道扶手和座椅早就该装了。", None, None),
    ("2", "2", "502", "I06", "object", "画了停车位以后楼前就没地方晾被子了，希望保留一块空地。", None,
     "已记录。停车位只在现有路边空地施划，不占用楼前晾晒场地；施工前在各单元门口公示平面图。"),
    ("4", "2", "302", "I06", "object", "停车位就是给有车的人谋好处，社区这帮人就知道糊弄老百姓，一群废物！",
     "含有辱骂他人的言辞，文字已隐藏；反对意见照常计入统计。", None),
    ("3", "1", "601", None, "other", "顶楼漏水什么时候能修好？屋面防水是不是已经在做了？", None,
     "屋面防水在第一版方案中，10月起已分楼施工；顶楼住户可在“我的诉求”中查看进度。"),
    ("5", "1", "201", "I04", "support", None, None, None),
    ("6", "3", "401", None, "support", "方案考虑到了老年人，支持。", None, None),
)

# The residents' rating of the stairwell lights in buildings 1 and 2: round 1 fails, the 整改 ticket is worked,
# round 2 passes, the record is signed.
RATED_ITEM = "B04"
RATED_BUILDINGS = ("1", "2")
ROUND_1 = {"opens": at(10, 13, 9), "closes": at(10, 19, 18), "respond": Decimal("0.6"), "dissatisfied": (5, (0, 2)),
           "comments": ("3楼到5楼声控灯不灵敏，要跺好几下脚才亮。", "灯太暗，晚上看不清台阶。")}
ROUND_2 = {"opens": at(11, 3, 9), "closes": at(11, 9, 18), "respond": Decimal("0.65"), "dissatisfied": (12, (0,)),
           "comments": ("亮是亮了，就是有一盏灯罩还没装。",)}
RECTIFICATION = (  # action, hours after the round closed, who, note
    ("sign", 2, "k", None),
    ("reply", 72, "k", "已更换声控开关42个，灯具功率由5瓦调为9瓦，逐层试灯合格。"),
    ("complete", 74, "desk", None),
)
RECORD_TEXT = "楼道灯及声控开关改造（1号楼、2号楼）经整改后居民满意度复评通过，联合验收合格。"
RECORD_SIGNED = (("org", at(11, 11, 10)), ("rep", at(11, 11, 15)), ("s", at(11, 12, 9)))

# The owner vote of building 2 on its maintenance fund (民法典第二百七十八条 item 5, an ordinary matter).
VOTE = {
    "matter": 5, "building": "2",
    "title": "2号楼使用住宅专项维修资金更换落水管",
    "description": "本次改造不含落水管更换。拟使用2号楼住宅专项维修资金约3.2万元，更换全楼落水管，"
                   "费用按各户建筑面积分摊。",
    "created": at(9, 1, 9), "closes": at(9, 14, 18), "first_ballot": at(9, 2, 9),
    "objection": ("2", "3", "102", "一楼住户用不上落水管，也要按面积分摊吗？", at(9, 16, 10)),
    "answer": ("落水管损坏导致一楼墙根渗水和地面积水，更换后一楼同样受益；分摊按业主大会议事规则以面积计算。",
               at(9, 17, 10)),
    "cosigned": at(9, 18, 10), "finalised": at(9, 22, 10),
}


class FixedClock:
    """What ``module.utcnow`` returns while the clock is fixed; set ``now`` before each step."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def fixed_clock(*modules, now: datetime):
    """Run the operations of ``modules`` (which read ``module.utcnow``) at fixed times; the clocks are restored
    after."""
    clock, saved = FixedClock(now), [module.utcnow for module in modules]
    for module in modules:
        module.utcnow = clock
    try:
        yield clock
    finally:
        for module, utcnow in zip(modules, saved):
            module.utcnow = utcnow


def seed_demo_participation(communities: list[Community], users: dict) -> dict:
    """Add what is missing of NG001's plan, comments, rating rounds, record and owner vote; returns the counts added."""
    community = next(c for c in communities if c.code == COMMUNITY)
    people = {"org": users["organiser"], "rep": users["owner_rep"], "grid": users["grid"], "desk": users["hotline"],
              "k": users["agency"],
              "s": db.session.scalar(select(User).filter_by(username=SUPERVISOR_LOGIN[0]))}
    added = {"plan_versions": 0, "plan_comments": 0, "rating_rounds": 0, "acceptance_records": 0, "votes": 0}
    plan = _plan(community, people, added)
    if plan is not None:
        _comment_period(plan, people, added)
        _rating(community, plan, people, added)
    _vote(community, people, added)
    db.session.flush()
    return added


# --- the plan and its comment period -------------------------------------------------------------------------------

def _plan(community: Community, people: dict, added: dict) -> Plan | None:
    """The demo's plan, or None when the community has a plan the demo did not make (staff made their own in an
    older demo database): the demo then leaves it, and everything on it, alone."""
    plan = plans.plan_for(community)
    if plan is not None and plan.created_at != PLAN_CREATED:
        return None
    if plan is None:
        organiser = people["org"]
        with fixed_clock(plans, now=PLAN_ADOPTED):
            plan = plans.adopt_suggestions(organiser, community, plan_inputs(community))
            version = plan.versions[0]
            plan.created_at = version.created_at = PLAN_CREATED
            plans.adopt_version(organiser, version)
        added["plan_versions"] += 1
        for code, status, started, finished in WORKS:
            item = db.session.scalar(select(CatalogueItem).filter_by(code=code))
            plans.set_work(organiser, plan, item, status, started_on=_day(started), finished_on=_day(finished),
                           note=None)
    if plans.version_by_number(plan, 2) is None and plans.locked_number(plan) is None:
        plans.edit_version(people["org"], plan, VERSION_2["changes"], VERSION_2["measures"], VERSION_2["reason"])
        added["plan_versions"] += 1
    return plan


def _day(month_day):
    if month_day is None:
        return None
    return at(*month_day, 12).date()


def _household(community: Community, building: str, unit: str, room: str) -> Household:
    return db.session.scalar(select(Household).join(Unit, Unit.id == Household.unit_id)
                             .join(Building, Building.id == Unit.building_id)
                             .where(Building.community_id == community.id, Building.name == building,
                                    Unit.name == unit, Household.room == room))


def _comment_period(plan: Plan, people: dict, added: dict) -> None:
    version = plans.version_by_number(plan, 2)
    if version is None or version.reason != VERSION_2["reason"]:
        return
    period = plan_comments.period_for(version)
    if period is None:
        if version is not plans.latest_version(plan):
            return      # staff made a newer version since: the demo leaves the plan as they left it
        opens = plans.today()     # the real today: a period cannot start in the past (see the module docstring)
        period = plan_comments.publish(people["org"], version, opens, opens + timedelta(days=COMMENT_DAYS - 1),
                                       note=COMMENT_NOTE)
    if not period.is_open(plans.today()):
        return
    community = plan.community
    for building, unit, room, code, stance, body, hide_reason, answer in COMMENTS:
        household = _household(community, building, unit, room)
        item = None if code is None else plan_comments.item_by_code(version, code)
        if (None if item is None else item.id) in plan_comments.household_comments(household, version):
            continue
        row = plan_comments.comment(household, period, item, stance, body)
        if hide_reason:
            plan_comments.hide(people["org"], row, hide_reason)
        if answer:
            plan_comments.answer(people["org"], row, answer)
        added["plan_comments"] += 1


# --- the residents' rating, its rectification and the joint acceptance record -------------------------------------

def _rating(community: Community, plan: Plan, people: dict, added: dict) -> None:
    item = db.session.scalar(select(CatalogueItem).filter_by(code=RATED_ITEM))
    subject = acceptance_queries.subject_of(item)
    work = plans.works_by_item(plan).get(item.id)
    if work is None or work.status != "finished":
        return          # staff changed the works since: nothing to rate
    if acceptance_queries.last_round(plan, subject) is None:
        buildings = [b for b in community.buildings if b.name in RATED_BUILDINGS]
        households = list(db.session.scalars(
            select(Household).join(Unit, Unit.id == Household.unit_id).join(Building, Building.id == Unit.building_id)
            .where(Building.id.in_([b.id for b in buildings]), Household.occupancy != "vacant")
            .order_by(Building.sort_key, Unit.sort_key, Household.sort_key)))
        first = _round(community, subject, buildings, households, ROUND_1, people)
        moment = ROUND_1["closes"]
        for action, hours, who, note in RECTIFICATION:
            act(people[who], first.ticket, action, note=note, now=moment + timedelta(hours=hours))
        _round(community, subject, buildings, households, ROUND_2, people)
        added["rating_rounds"] += 2
    if db.session.scalar(select(AcceptanceRecord.id).filter_by(community_id=community.id,
                                                               result_text=RECORD_TEXT)) is None:
        last = acceptance_queries.last_round(plan, subject)
        if last is None or last.result != "passed":
            return
        record_ = acceptance.create_record(people["org"], community, [subject], RECORD_TEXT)
        record_.created_at = RECORD_SIGNED[0][1] - timedelta(hours=1)
        for who, moment in RECORD_SIGNED:
            acceptance.sign_record(people[who], record_, now=moment)
        added["acceptance_records"] += 1


def _round(community, subject, buildings, households, spec, people) -> AcceptanceRating:
    """One round: the first share of the households answer (every fourth through the grid worker at the door),
    some dissatisfied with the round's comments; closed at its closing time."""
    round_ = acceptance.open_round(people["org"], community, subject, closes_at=spec["closes"],
                                   buildings=buildings, now=spec["opens"])
    eligible = acceptance_queries.eligible_count(round_)
    answering = int(eligible * spec["respond"]) + 1
    comments = iter(spec["comments"])
    for index, household in enumerate(households[:answering]):
        every, which = spec["dissatisfied"]
        dissatisfied = index % every in which
        rating = "dissatisfied" if dissatisfied else ("satisfied", "basically_satisfied")[index % 3 == 1]
        door = index % 4 == 3
        acceptance.rate(household, round_, rating, comment=next(comments, None) if dissatisfied else None,
                        channel="door_to_door" if door else "web", staff=people["grid"] if door else None,
                        now=spec["opens"] + timedelta(minutes=37 * index))
    acceptance.close_round(people["org"], round_, now=spec["closes"])
    return round_


# --- the owner vote ------------------------------------------------------------------------------------------------

def _vote(community: Community, people: dict, added: dict) -> None:
    if db.session.scalar(select(Vote.id).filter_by(community_id=community.id, title=VOTE["title"])) is not None:
        return
    building = next(b for b in community.buildings if b.name == VOTE["building"])
    organiser = people["org"]
    with fixed_clock(votes, ballots, now=VOTE["created"]) as clock:
        vote = votes.create_vote(organiser, community, VOTE["matter"], VOTE["title"], description=VOTE["description"],
                                 scope="buildings", buildings=[building], closes_at=VOTE["closes"], open_now=True)
        households = {h.id: h for h in db.session.scalars(votes.households_in_scope(vote))}
        owners = sorted(votes.electorate(vote).values(), key=lambda owner: owner.household_ids[0])
        for index, owner in enumerate(owners):
            if index % 6 == 5:
                continue                    # about one owner in six does not vote
            choice = "no" if index % 6 == 2 else "abstain" if index % 12 == 4 else "yes"
            clock.now = VOTE["first_ballot"] + timedelta(hours=6 * index)
            ballots.cast_ballot(vote, households[owner.household_ids[0]], choice, "paper", actor=organiser,
                              sheet_no=f"{index + 1:03d}")
        clock.now = VOTE["closes"]
        votes.close_vote(organiser, vote)
        building_name, unit, room, text, moment = VOTE["objection"]
        clock.now = moment
        objection = votes.record_objection(vote, text, household=_household(community, building_name, unit, room))
        clock.now = VOTE["answer"][1]
        votes.answer_objection(organiser, objection, VOTE["answer"][0])
        clock.now = VOTE["cosigned"]
        votes.cosign(people["rep"], vote)
        clock.now = VOTE["finalised"]
        votes.finalise(organiser, vote)
    added["votes"] += 1
