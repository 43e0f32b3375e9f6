"""The demo's other community with a plan: 全安街小区 (NG003), at 联合审查. Its field survey and budget are in, its
version 1 came from the plan inputs, version 2 leaves out the items whose owner votes have not been held (停车位,
加装电梯), was shown for comment (an objection answered), closed and adopted, and its joint review is open now: some
parties signed off, the heating company returned an item, others have not answered; two pipeline works on 3号楼
overlap (the conflict the review shows).

NG001 is at 实施 (``plan.py``), NG002 at 问需 (roster and codes only; its plan is made by hand in the browser
journey). Same calendar and idempotency as ``plan.py``: the demo's plan is known by version 2's reason.
"""
from participation.demo import clock
from participation.demo.jointreview import open_review
from participation.demo.plan import comment_period
from participation.models import Community, Plan
from participation.plans import comments as plan_comments, operations as plans
from participation.plans.inputs import plan_inputs

COMMUNITY = "NG003"
V1_CREATED = (-60, 10)
VERSION_2 = {
    "created": (-45, 10),
    "changes": {"I06": {"included": False, "reason": "停车位施划尚未业主表决，表决通过后再列入方案。"},
                "I14": {"included": False, "reason": "加装电梯按单元由业主自愿申请、单独表决，不列入全小区方案。"}},
    "measures": "施工期间每周三下午在社区服务站答复居民问题。",
    "reason": "待表决的停车位、加装电梯两项暂不列入，形成公示稿。",
    "opens": -40, "closes": -27, "closed_at": (-27, 17), "adopted": (-22, 10),
    "note": "全安街小区改造方案公示，请各户发表意见。",
}
COMMENTS = (
    ("1", "1", "601", "B01", "support", "顶楼漏雨多年，支持屋面防水。", None, None, -39),
    ("2", "1", "302", "B11", "object", "暖气管冬天改造，家里会不会停暖？", None,
     "供热管网改造安排在非采暖季施工，具体时间与热力集团协调后公示。", -36),
    ("4", "2", "101", None, "support", None, None, None, -33),
)


def seed_review_community(community: Community | None, people: dict, added: dict) -> Plan | None:
    """NG003's plan up to its open joint review; None when it has a plan the demo did not make."""
    if community is None:
        return None
    plan = plans.plan_for(community)
    if plan is not None:
        second = plans.version_by_number(plan, 2)
        return plan if second is not None and second.reason == VERSION_2["reason"] else None
    organiser = people["org"]
    with clock.fixed_clock(plans, plan_comments, now=clock.at(*V1_CREATED)) as now:
        plan = plans.adopt_suggestions(organiser, community, plan_inputs(community))
        plan.created_at = plan.versions[0].created_at = now.now
        now.now = clock.at(*VERSION_2["created"])
        second = plans.edit_version(organiser, plan, VERSION_2["changes"], VERSION_2["measures"], VERSION_2["reason"])
        second.created_at = now.now
        comment_period(second, VERSION_2, COMMENTS, organiser, now)
        now.now = clock.at(*VERSION_2["closed_at"])
        plan_comments.close(organiser, plan_comments.period_for(second))
        now.now = clock.at(*VERSION_2["adopted"])
        plans.adopt_version(organiser, second)
    open_review(community, second, people)
    added["plan_versions"] += 2
    return plan
