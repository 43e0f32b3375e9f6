"""The demo's complaints: 40 tickets in every state, a few of them overdue or called back, and six patrol findings,
during the last five weeks of works, filed and moved through ``file_ticket`` / ``act`` at demo times so each step,
deadline and rate is what the real lifecycle would have made.

Deterministic given the demo's today (fixed texts; only receipt numbers are drawn at random) and idempotent: a
ticket or a finding is looked up by its community and description and only added when missing. Most tickets are
NG001's, whose contractor (the demo's agency account) and supervisor (``demo-supervisor``, added here) handle them; NG002
gets the desk's steps only (no agency account of its own). Times are Beijing time, written on a reference calendar
(autumn 2025, whose "now" was Friday 2025-11-14 18:00) and moved by ``at`` to yesterday 18:00 of the demo's today:
the last week keeps its spacing, older days are spread out 2.5 times, so the queue reaches back about five weeks.
Tickets still open are due, due soon or overdue as a real queue is (working days, holidays counted).
"""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from participation.accounts.operations import create_user
from participation.complaints.operations import act, file_ticket
from participation.complaints.patrols import record_finding
from participation.demo import clock
from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import Building, Community, ComplaintCategory, Household, PatrolFinding, Ticket, Unit, User

SUPERVISOR_LOGIN = ("demo-supervisor", "demo-supervisor-2025", "演示·监理单位")


REFERENCE_NOW = datetime(2025, 11, 14, 18, tzinfo=BEIJING)
RECENT = timedelta(days=7)      # the last week keeps its spacing; what is older is spread out
SPREAD = 2.5


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A time of the reference calendar moved to the demo's: as long before yesterday 18:00 (demo today's eve) as
    it was before the reference "now", older than a week spread out ``SPREAD`` times."""
    before = REFERENCE_NOW - datetime(2025, month, day, hour, minute, tzinfo=BEIJING)
    if before > RECENT:
        before = RECENT + (before - RECENT) * SPREAD
    return (clock.at(-1, 18) - before).replace(second=0, microsecond=0).astimezone(timezone.utc)


# Paths: the steps after filing, as (action, hours after filing, who, fields). "k" the contractor's account, "s" the
# supervisor's, "desk" the hotline, "org" the organiser.
def _steps(path: str, reply: float = 20, callback=("satisfied", True)) -> list[tuple]:
    dispatch = [("dispatch", 0.5, "desk", {"agency": "k"})]
    sign = dispatch + [("sign", min(2, reply / 2), "k", {})]
    replied = sign + [("reply", reply, "k", {"note": "已派人到场处理，问题已整改完毕。"})]
    completed = replied + [("complete", reply + 2, "desk", {})]
    satisfaction, solved = callback
    return {
        "received": [],
        "dispatched": dispatch,
        "dispatched_s": [("dispatch", 0.5, "desk", {"agency": "s"})],
        "returned": [("dispatch", 0.5, "desk", {"agency": "s"}),
                     ("return", 3, "s", {"note": "属施工单位责任范围，请改派施工单位。"})],
        "reassigned": [("dispatch", 0.5, "desk", {"agency": "s"}), ("reassign", 4, "desk", {"agency": "k"})],
        "handling": sign,
        "extension_asked": sign + [("request_extension", 30, "k", {"note": "防水材料需厂家订货，约需3天。",
                                                                   "until_days": 10})],
        "extension_approved": sign + [("request_extension", 30, "k", {"note": "需等待燃气公司配合停气作业。",
                                                                      "until_days": 10}),
                                      ("approve_extension", 33, "org", {})],
        "replied": replied,
        "completed": completed,
        "closed": completed + [("callback", reply + 26, "desk", {"solved": solved, "satisfaction": satisfaction})],
        "reopened": completed + [("callback", reply + 26, "desk", {"solved": False, "satisfaction": "dissatisfied"})],
        "unreachable": completed + [("callback_unreachable", reply + 26 + 24 * n, "desk", {}) for n in range(3)],
        "rejected": [("reject", 1, "desk", {"note": "不属于本次改造工程范围，已告知向物业反映。"})],
        "duplicate": [("mark_duplicate", 0.5, "desk", {})],
    }[path]


# community, category, where (("home", building, unit, room) | ("place", name)), urgency, channel, filed (m, d, h),
# description (the natural key), path, path options
COMPLAINTS = (
    ("NG001", "construction_quality", ("home", "1", "1", "601"), "normal", "web", (10, 27, 9),
     "顶楼屋面防水施工后仍然渗水，卧室墙角发霉。", "closed", {"reply": 30}),
    ("NG001", "construction_quality", ("home", "2", "1", "301"), "normal", "community_hotline", (10, 27, 14),
     "新换的单元门关不严，门禁刷卡经常失灵。", "closed", {"reply": 20, "callback": ("basically_satisfied", True)}),
    ("NG001", "noise", ("place", "3号楼南侧空地"), "normal", "hotline_12345", (10, 28, 22),
     "晚上十点以后还在切割钢筋，噪音很大，影响休息。", "closed", {"reply": 10}),
    ("NG001", "blocked_access", ("place", "小区北门"), "urgent", "web", (10, 29, 7),
     "北门被施工材料堵住，救护车和老人轮椅都过不去。", "closed", {"reply": 6}),
    ("NG001", "construction_safety", ("home", "4", "2", "501"), "urgent", "community_hotline", (10, 29, 10),
     "外墙脚手架没有挂安全网，楼下就是孩子上学的路。", "closed", {"reply": 5}),
    ("NG001", "gas", ("home", "5", "1", "201"), "emergency", "hotline_12345", (10, 30, 19),
     "楼道里有明显燃气味，怀疑施工碰到了燃气管。", "closed", {"reply": 1.5}),
    ("NG001", "utilities", ("home", "6", "2", "401"), "normal", "web", (10, 31, 8),
     "改造换水管后水压很低，四楼以上早上接不上水。", "closed", {"reply": 30, "callback": ("dissatisfied", True)}),
    ("NG001", "sanitation", ("place", "7号楼西侧垃圾点"), "normal", "walk_in", (10, 31, 15),
     "施工垃圾堆在生活垃圾点旁边，一周没有清运。", "closed", {"reply": 50}),
    ("NG001", "construction_quality", ("home", "1", "2", "302"), "normal", "web", (11, 1, 10),
     "楼道墙面刚刷完漆就起皮脱落。", "reopened", {"reply": 40}),
    ("NG001", "construction_quality", ("home", "3", "1", "401"), "normal", "community_hotline", (11, 2, 9),
     "窗台外保温层有裂缝，下雨往屋里渗水。", "unreachable", {"reply": 48}),
    ("NG001", "noise", ("place", "1号楼与2号楼之间"), "normal", "web", (11, 3, 6),
     "早上六点就开始用电镐，周末也不停。", "closed", {"reply": 200, "callback": ("dissatisfied", True)}),
    ("NG001", "construction_quality", ("home", "2", "2", "601"), "normal", "web", (11, 3, 11),
     "屋面防水卷材接缝没有压实，鼓包明显。", "completed", {"reply": 60}),
    ("NG001", "blocked_access", ("place", "5号楼单元门口"), "urgent", "community_hotline", (11, 4, 8),
     "单元门口挖开了管沟，没有盖板，晚上看不见。", "completed", {"reply": 8}),
    ("NG001", "construction_safety", ("place", "8号楼东侧"), "urgent", "hotline_12345", (11, 4, 16),
     "塔吊作业区没有围挡，行人从下面穿过。", "replied", {"reply": 20}),
    ("NG001", "utilities", ("home", "8", "1", "101"), "normal", "web", (11, 5, 9),
     "一楼下水道改管后返味，卫生间臭味很重。", "replied", {"reply": 20}),
    ("NG001", "construction_quality", ("home", "4", "1", "301"), "normal", "web", (11, 5, 13),
     "新装的楼道扶手有松动，老人扶着会晃。", "replied", {"reply": 190}),
    ("NG001", "gas", ("home", "6", "1", "501"), "normal", "community_hotline", (11, 6, 10),
     "燃气表改到户外后，表箱没有上锁。", "extension_approved", {}),
    ("NG001", "construction_quality", ("home", "1", "1", "501"), "normal", "web", (11, 6, 15),
     "顶楼楼梯间屋顶也在漏雨，防水好像没做到这里。", "extension_asked", {}),
    ("NG001", "noise", ("place", "小区中心广场"), "normal", "web", (11, 7, 21),
     "夜里运渣土车进出，倒车提示音一直响。", "handling", {}),
    ("NG001", "construction_quality", ("home", "1", "2", "601"), "normal", "web", (11, 8, 9),
     "屋面施工后顶层天花板出现水印。", "handling", {}),
    ("NG001", "sanitation", ("place", "2号楼北侧绿地"), "normal", "walk_in", (11, 9, 10),
     "绿地被当成堆料场，草全压死了。", "handling", {}),
    ("NG001", "construction_safety", ("home", "3", "2", "201"), "urgent", "web", (11, 10, 8),
     "外墙拆下的旧空调支架堆在窗下，随时可能掉落。", "reassigned", {}),
    ("NG001", "property", ("place", "小区南门岗亭"), "normal", "community_hotline", (11, 10, 14),
     "施工期间门岗不登记外来人员，车辆随便进出。", "returned", {}),
    ("NG001", "blocked_access", ("place", "6号楼前道路"), "normal", "web", (11, 11, 9),
     "道路铣刨后一直没铺沥青，下雨全是泥。", "dispatched", {}),
    ("NG001", "construction_quality", ("home", "5", "2", "401"), "normal", "web", (11, 11, 16),
     "新换的窗户密封胶没打满，透风。", "dispatched", {}),
    ("NG001", "utilities", ("home", "7", "1", "301"), "urgent", "hotline_12345", (11, 12, 7),
     "施工挖断了暖气管，整个单元暖气不热。", "dispatched_s", {}),
    ("NG001", "construction_quality", ("home", "1", "1", "602"), "normal", "web", (11, 12, 10),
     "屋顶又漏了，和上次反映的是同一个地方。", "received", {}),
    ("NG001", "construction_quality", ("home", "1", "2", "501"), "normal", "web", (11, 13, 9),
     "1号楼顶层走廊墙面大面积渗水。", "received", {}),
    ("NG001", "other", ("home", "2", "1", "101"), "normal", "walk_in", (11, 13, 15),
     "想了解加装电梯的报名办法。", "rejected", {}),
    ("NG001", "noise", ("place", "小区中心广场"), "normal", "community_hotline", (11, 14, 8),
     "渣土车夜间倒车声音太吵，和邻居一起反映。", "duplicate", {"original": "夜里运渣土车进出，倒车提示音一直响。"}),
    ("NG001", "construction_safety", ("place", "4号楼西侧"), "emergency", "hotline_12345", (11, 14, 16),
     "外墙保温板被风吹落一块，砸坏了停着的车。", "received", {}),
    ("NG001", "construction_quality", ("home", "1", "1", "301"), "normal", "web", (11, 14, 17),
     "楼道窗户玻璃装反了，打不开。", "received", {}),
    ("NG002", "noise", ("place", "桃源路小区东门"), "normal", "web", (11, 3, 20),
     "东门外管线施工夜间打夯。", "received", {}),
    ("NG002", "blocked_access", ("home", "2", "1", "401"), "normal", "community_hotline", (11, 4, 9),
     "单元门口的坡道被拆了，轮椅下不去。", "received", {}),
    ("NG002", "sanitation", ("place", "3号楼后身"), "normal", "walk_in", (11, 5, 10),
     "拆下来的旧门窗堆在楼后面好几天。", "received", {}),
    ("NG002", "property", ("place", "桃源路小区物业办公室"), "normal", "web", (11, 6, 11),
     "物业收了停车费但车位被施工占用。", "rejected", {}),
    ("NG002", "construction_quality", ("home", "1", "2", "601"), "normal", "web", (11, 10, 9),
     "顶楼保温层施工后墙面开裂。", "received", {}),
    ("NG002", "utilities", ("home", "4", "1", "201"), "urgent", "hotline_12345", (11, 12, 18),
     "停水通知没贴，突然停水一整天。", "received", {}),
    ("NG002", "construction_quality", ("home", "1", "2", "602"), "normal", "web", (11, 13, 8),
     "顶楼墙面裂缝越来越大。", "duplicate", {"original": "顶楼保温层施工后墙面开裂。"}),
    ("NG003", "other", ("place", "全安街小区门口"), "normal", "community_hotline", (11, 7, 10),
     "小区什么时候开始改造？", "rejected", {}),
)

# source ("s" supervisor, "rep" owner representative), category, where, found (m, d, h), description
FINDINGS = (
    ("s", "construction_safety", ("place", "4号楼外墙脚手架"), (10, 28, 10), "脚手架连墙件缺失三处，立即整改。"),
    ("s", "construction_quality", ("building", "1"), (11, 4, 14), "屋面防水卷材搭接宽度不足10厘米，返工。"),
    ("s", "construction_quality", ("building", "6"), (11, 11, 10), "外墙保温板锚栓数量不足，抽查3处均不合格。"),
    ("rep", "construction_safety", ("place", "小区北门"), (11, 5, 16), "消防通道堆放管材，通道宽度不足。"),
    ("rep", "sanitation", ("place", "7号楼西侧"), (11, 9, 11), "施工垃圾未覆盖，刮风扬尘。"),
    ("rep", "construction_quality", ("building", "2"), (11, 13, 15), "楼道墙面腻子未干就刷漆，已起皮。"),
)


def _supervisor_account(community: Community, result) -> User:
    username, password, display_name = SUPERVISOR_LOGIN
    user = db.session.scalar(select(User).filter_by(username=username))
    created = user is None
    if created:
        user = create_user(None, username=username, password=password, role="agency", display_name=display_name,
                           organisation=community.supervisor, is_demo=True)
    if created or user.check_password(password):
        result.users.append({"role": "agency", "username": username, "password": password})
    else:
        result.omitted_users.append(username)
    return user


def _where(community: Community, where) -> dict:
    if where[0] == "place":
        return {"place": where[1]}
    building = db.session.scalar(select(Building).filter_by(community_id=community.id, name=where[1]))
    if where[0] == "building":
        return {"building": building}
    household = db.session.scalar(select(Household).join(Unit, Unit.id == Household.unit_id)
                                  .where(Unit.building_id == building.id, Unit.name == where[2],
                                         Household.room == where[3]))
    return {"household": household}


def seed_demo_complaints(communities: list[Community], users: dict, result) -> dict:
    """Add the demo's tickets and patrol findings that are missing; returns how many of each were added."""
    by_code = {community.code: community for community in communities}
    first = by_code["NG001"]
    people = {"desk": users["hotline"], "org": users["organiser"], "k": users["agency"],
              "s": _supervisor_account(first, result), "rep": users["owner_rep"]}
    agencies = {"k": first.contractor, "s": first.supervisor}
    categories = {category.code: category for category in db.session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.locality_id == first.district.locality_id))}
    added = {"tickets": 0, "patrol_findings": 0}
    for code, category, where, urgency, channel, filed, description, path, options in COMPLAINTS:
        community = by_code[code]
        if db.session.scalar(select(Ticket.id).filter_by(community_id=community.id, description=description)):
            continue
        start = at(*filed)
        extra = {"external_number": f"12345-{start.astimezone(BEIJING):%Y%m%d}-{len(description):03d}"} \
            if channel == "hotline_12345" else {}
        ticket = file_ticket(people["desk"] if channel != "web" else None, community,
                             category=categories[category], description=description, urgency=urgency,
                             channel=channel, now=start, **_where(community, where), **extra)
        steps = _steps(path, **{k: v for k, v in options.items() if k != "original"})
        for action, hours, who, fields in steps:
            moment = start + timedelta(hours=hours)
            fields = dict(fields)
            if "agency" in fields:
                fields["agency"] = agencies[fields["agency"]]
            if "until_days" in fields:
                fields["until"] = ticket.due_at + timedelta(days=fields.pop("until_days"))
            if action == "mark_duplicate":
                fields["original"] = db.session.scalar(select(Ticket).filter_by(
                    community_id=community.id, description=options["original"]))
            act(people[who], ticket, action, now=moment, **fields)
        added["tickets"] += 1
    for who, category, where, found, description in FINDINGS:
        if db.session.scalar(select(PatrolFinding.id).filter_by(community_id=first.id, description=description)):
            continue
        place = _where(first, where)
        record_finding(people[who], first, categories[category], description, building=place.get("building"),
                       place=place.get("place"), now=at(*found))
        added["patrol_findings"] += 1
    db.session.flush()
    return added
