"""The demo's participation on NG001's plan, driven through the real operations on the demo's calendar
(``participation.demo.clock``): the owner vote of building 2 on its maintenance fund (民法典 Art. 278 item 5, the
funding line's vote) finalised before the plan is adopted; the plan itself (``plan.py``: versions, comment periods,
the failed 停车位 vote, adoption, joint review, works); the residents' satisfaction rating of the stairwell lights
that failed, its 整改 ticket (dispatched, signed, replied, completed), the re-rating that passed and the joint
acceptance record signed by organiser, owner representative and supervisor; and a rating round open now on the
entrance doors (门禁, B05), finished twelve days ago.

Deterministic given the demo's today and idempotent: fixed texts, every object looked up by its natural key and
only added when missing. Operations that read their module's clock run under ``clock.fixed_clock``.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from participation.acceptance import operations as acceptance, queries as acceptance_queries
from participation.complaints.operations import act
from participation.demo import clock
from participation.demo.complaints import SUPERVISOR_LOGIN
from participation.demo.plan import household as _household, seed_demo_plan
from participation.extensions import db
from participation.models import (AcceptanceRating, AcceptanceRecord, Building, CatalogueItem, Community, Household,
                                  Plan, Unit, User, Vote)
from participation.plans import operations as plans
from participation.votes import ballots, operations as votes

COMMUNITY = "NG001"

# The residents' rating of the stairwell lights in buildings 1 and 2: round 1 fails, the 整改 ticket is worked,
# round 2 passes, the record is signed.
RATED_ITEM = "B04"
RATED_BUILDINGS = ("1", "2")
ROUND_1 = {"opens": (-60, 9), "closes": (-54, 18), "respond": Decimal("0.6"), "dissatisfied": (5, (0, 2)),
           "comments": ("3楼到5楼声控灯不灵敏，要跺好几下脚才亮。", "灯太暗，晚上看不清台阶。")}
ROUND_2 = {"opens": (-45, 9), "closes": (-39, 18), "respond": Decimal("0.65"), "dissatisfied": (12, (0,)),
           "comments": ("亮是亮了，就是有一盏灯罩还没装。",)}
RECTIFICATION = (  # action, hours after the round closed, who, note
    ("sign", 2, "k", None),
    ("reply", 72, "k", "已更换声控开关42个，灯具功率由5瓦调为9瓦，逐层试灯合格。"),
    ("complete", 74, "desk", None),
)
RECORD_TEXT = "楼道灯及声控开关改造（1号楼、2号楼）经整改后居民满意度复评通过，联合验收合格。"
RECORD_SIGNED = (("org", (-36, 10)), ("rep", (-36, 15)), ("s", (-35, 9)))
# A round open now on the entrance doors (门禁), finished twelve days ago: about a third answered so far.
OPEN_ITEM, OPEN_BUILDINGS = "B05", ("3", "4", "5")
OPEN_ROUND = {"opens": (-2, 9), "closes": (5, 18), "respond": Decimal("0.3"),
              "dissatisfied": (7, (0,)), "comments": ("门禁卡只给了一张，家里老人没有卡。", "门禁晚上声音太响。")}
# (days after demo today, hour) pairs above are read through clock.at when the demo runs, not when imported

FUND_LINE = (Decimal("150000"), (-127, 10))     # the budget's 维修资金 line, entered after the vote passed
# The owner vote of building 2 on its maintenance fund (民法典第二百七十八条 item 5, an ordinary matter).
VOTE = {
    "matter": 5, "building": "2",
    "title": "2号楼使用住宅专项维修资金更换落水管",
    "description": "本次改造不含落水管更换。拟使用2号楼住宅专项维修资金约3.2万元，更换全楼落水管，"
                   "费用按各户建筑面积分摊。",
    "created": (-150, 9), "closes": (-137, 18), "first_ballot": (-149, 9),
    "objection": ("2", "3", "102", "一楼住户用不上落水管，也要按面积分摊吗？", (-135, 10)),
    "answer": ("落水管损坏导致一楼墙根渗水和地面积水，更换后一楼同样受益；分摊按业主大会议事规则以面积计算。",
               (-134, 10)),
    "cosigned": (-133, 10), "finalised": (-128, 10),
}


def seed_demo_participation(communities: list[Community], users: dict) -> dict:
    """Add what is missing of NG001's plan, comments, rating rounds, record and owner vote; returns the counts added."""
    community = next(c for c in communities if c.code == COMMUNITY)
    people = {"org": users["organiser"], "rep": users["owner_rep"], "grid": users["grid"], "desk": users["hotline"],
              "k": users["agency"], "signers": users["signers"],
              "s": db.session.scalar(select(User).filter_by(username=SUPERVISOR_LOGIN[0]))}
    added = {"plan_versions": 0, "plan_comments": 0, "rating_rounds": 0, "acceptance_records": 0, "votes": 0}
    _vote(community, people, added)     # the maintenance-fund vote is final before the plan is adopted
    _fund_line(community, people)
    plan = seed_demo_plan(community, people, added)
    if plan is not None:
        _rating(community, plan, people, added)
        _open_round(community, plan, people, added)
    db.session.flush()
    return added


# --- the residents' rating, its rectification and the joint acceptance record -------------------------------------

def _rating(community: Community, plan: Plan, people: dict, added: dict) -> None:
    item = db.session.scalar(select(CatalogueItem).filter_by(code=RATED_ITEM))
    subject = acceptance_queries.subject_of(item)
    work = plans.works_by_item(plan).get(item.id)
    if work is None or work.status != "finished":
        return          # staff changed the works since: nothing to rate
    if acceptance_queries.last_round(plan, subject) is None:
        buildings = [b for b in community.buildings if b.name in RATED_BUILDINGS]
        households = _households(buildings)
        first = _round(community, subject, buildings, households, ROUND_1, people)
        moment = clock.at(*ROUND_1["closes"])
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
        record_.created_at = clock.at(*RECORD_SIGNED[0][1]) - timedelta(hours=1)
        for who, moment in RECORD_SIGNED:
            acceptance.sign_record(people[who], record_, now=clock.at(*moment))
        added["acceptance_records"] += 1


def _round(community, subject, buildings, households, spec, people, *, close: bool = True) -> AcceptanceRating:
    """One round: the first share of the households answer (every fourth through the grid worker at the door),
    some dissatisfied with the round's comments; closed at its closing time (unless ``close`` is false)."""
    opens, closes = clock.at(*spec["opens"]), clock.at(*spec["closes"])
    round_ = acceptance.open_round(people["org"], community, subject, closes_at=closes, buildings=buildings,
                                   now=opens)
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
                        now=opens + timedelta(minutes=37 * index))
    if close:
        acceptance.close_round(people["org"], round_, now=closes)
    return round_


def _households(buildings: list[Building]) -> list[Household]:
    return list(db.session.scalars(
        select(Household).join(Unit, Unit.id == Household.unit_id).join(Building, Building.id == Unit.building_id)
        .where(Building.id.in_([b.id for b in buildings]), Household.occupancy != "vacant")
        .order_by(Building.sort_key, Unit.sort_key, Household.sort_key)))


def _open_round(community: Community, plan: Plan, people: dict, added: dict) -> None:
    """The round open now on B05 (finished works only), a third of its households answered so far."""
    item = db.session.scalar(select(CatalogueItem).filter_by(code=OPEN_ITEM))
    subject = acceptance_queries.subject_of(item)
    work = plans.works_by_item(plan).get(item.id)
    if work is None or work.status != "finished" or acceptance_queries.last_round(plan, subject) is not None:
        return
    buildings = [b for b in community.buildings if b.name in OPEN_BUILDINGS]
    _round(community, subject, buildings, _households(buildings), OPEN_ROUND, people, close=False)
    added["rating_rounds"] += 1


def _fund_line(community: Community, people: dict) -> None:
    """The budget's 维修资金 line, through ``save_budget`` and its gate (the matter-5 vote passed)."""
    budget = plans.budget_for(community)
    if budget is None or budget.maintenance_fund is not None:
        return
    fields = {name: getattr(budget, name) for name in plans.BUDGET_FIELDS}
    fields["maintenance_fund"] = FUND_LINE[0]
    with clock.fixed_clock(plans, now=clock.at(*FUND_LINE[1])):
        plans.save_budget(people["org"], community, fields)


# --- the owner vote ------------------------------------------------------------------------------------------------

def _vote(community: Community, people: dict, added: dict) -> None:
    if db.session.scalar(select(Vote.id).filter_by(community_id=community.id, title=VOTE["title"])) is not None:
        return
    building = next(b for b in community.buildings if b.name == VOTE["building"])
    organiser = people["org"]
    with clock.fixed_clock(votes, ballots, now=clock.at(*VOTE["created"])) as now:
        vote = votes.create_vote(organiser, community, VOTE["matter"], VOTE["title"], description=VOTE["description"],
                                 scope="buildings", buildings=[building], closes_at=clock.at(*VOTE["closes"]),
                                 open_now=True)
        households = {h.id: h for h in db.session.scalars(votes.households_in_scope(vote))}
        owners = sorted(votes.electorate(vote).values(), key=lambda owner: owner.household_ids[0])
        for index, owner in enumerate(owners):
            if index % 6 == 5:
                continue                    # about one owner in six does not vote
            choice = "no" if index % 6 == 2 else "abstain" if index % 12 == 4 else "yes"
            now.now = clock.at(*VOTE["first_ballot"]) + timedelta(hours=6 * index)
            ballots.cast_ballot(vote, households[owner.household_ids[0]], choice, "paper", actor=organiser,
                              sheet_no=f"{index + 1:03d}")
        now.now = clock.at(*VOTE["closes"])
        votes.close_vote(organiser, vote)
        building_name, unit, room, text, moment = VOTE["objection"]
        now.now = clock.at(*moment)
        objection = votes.record_objection(vote, text, household=_household(community, building_name, unit, room))
        now.now = clock.at(*VOTE["answer"][1])
        votes.answer_objection(organiser, objection, VOTE["answer"][0])
        now.now = clock.at(*VOTE["cosigned"])
        votes.cosign(people["rep"], vote)
        now.now = clock.at(*VOTE["finalised"])
        votes.finalise(organiser, vote)
    added["votes"] += 1
