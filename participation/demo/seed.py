"""The demo: four old communities of 长春市南关区 at different stages (three with a roster, one in 储备), one account
per role (and the joint review's agency accounts), household codes from a fixed seed; its activity is placed
relative to the day it runs (participation.demo.clock).

Deterministic (every random choice comes from ``random.Random`` seeded with a fixed string) and idempotent (each
object is looked up by its natural key and only added when missing, so a second run adds nothing). Only code hashes
are stored, so a second run re-derives each household's code from the seed and prints it only if it still matches
the live hash: a code an organiser has regenerated since is left out rather than printed wrong.
"""
import logging
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from participation.accounts.operations import create_user
from participation.complaints.deadlines import seed_holidays
from participation.demo.complaints import seed_demo_complaints
from participation.demo.jointreview import agency_accounts, pipeline_works, seed_review_parties
from participation.demo.participation import seed_demo_participation
from participation.demo.stages import seed_review_community
from participation.demo.votes import seed_demo_votes
from participation.demo.work_photos import seed_work_photos
from participation.extensions import db
from participation.fieldsurvey.operations import record_finding, roster_quantity, roster_totals
from participation.handlers import Refused
from participation.models import (ROLES, Building, CatalogueItem, Community, CommunityBudget, District, FieldFinding,
                                  Household, HouseholdCode, Locality, Organisation, Unit, User)
from participation.reference.seed import default_locality, seed_catalogue, seed_localities
from participation.roster import codes
from participation.roster.imports import set_id_tail

logger = logging.getLogger(__name__)

SEED = "minhu-woying-demo-1"
DISTRICT = "南关区"
HOUSEHOLDS_WANTED = 290  # about 300 a community (长春: 1,339 communities, 43万 households)

# code, name, address, year built, stage (participation.models.lifecycle.STAGES: NG001 实施, NG002 问需, NG003 联合审查,
# NG004 储备),
# (质量监督举报, 监理投诉, 社区热线), contractor, supervisor
COMMUNITIES = (
    ("NG001", "曙光里小区", "长春市南关区曙光路128号", 1989, "works",
     ("0431-88950112", "0431-85601231", "0431-88761001"),
     ("长春安平建筑工程有限公司", "0431-84650018"), ("长春正信工程监理有限公司", "0431-85902236")),
    ("NG002", "桃源路小区", "长春市南关区桃源路56号", 1993, "needs",
     ("0431-88950112", "0431-85601232", "0431-88762002"),
     ("吉林宏远建设集团有限公司", "0431-81730025"), ("吉林诚达建设监理有限公司", "0431-85917740")),
    ("NG003", "全安街小区", "长春市南关区全安街209号", 1998, "joint_review",
     ("0431-88950112", "0431-85601233", "0431-88763003"),
     ("长春兴业市政工程有限公司", "0431-86120447"), ("长春恒信工程咨询监理有限公司", "0431-85838816")),
    # 储备: listed for a future year, nothing surveyed yet — no roster, no contractor, only the community's hotline
    ("NG004", "民康路小区", "长春市南关区民康路77号", 2000, "reserve", (None, None, "0431-88764004"), None, None),
)

# role → (username, password, display name); passwords are fixed so the demo can be shown to anyone.
USERS = {
    "admin": ("demo-admin", "demo-admin-2025", "演示·市旧改办管理员"),
    "organiser": ("demo-organiser", "demo-organiser-2025", "演示·南关区社区工作人员"),
    "owner_rep": ("demo-owner-rep", "demo-owner-rep-2025", "演示·曙光里业主代表"),
    "grid": ("demo-grid", "demo-grid-2025", "演示·曙光里网格员"),
    "hotline": ("demo-hotline", "demo-hotline-2025", "演示·热线接线员"),
    "agency": ("demo-agency", "demo-agency-2025", "演示·施工单位"),
}
GRID_BUILDINGS = ("1", "2", "3")  # of the first community

# The one owner of two units (same 业主标识): they live in the first and rent out the second.
TWO_UNIT_OWNER = (("1", "1", "301"), ("3", "2", "602"))

# The field survey of the first community: item, condition, share of the roster quantity, note.
FINDINGS = (
    ("B01", "needs_repair", 1, "屋面防水层老化，顶层住户反映雨季渗漏。"),
    ("B02", "needs_repair", 1, "外墙皮大面积脱落，楼道墙面污损。"),
    ("B03", "needs_repair", Decimal("0.5"), "约一半单元的楼宇门、楼梯扶手锈蚀松动。"),
    ("B04", "missing", 1, "楼道灯大多损坏，没有声控开关。"),
    ("B05", "missing", 1, "各单元都没有门禁。"),
    ("B06", "needs_repair", 1, "供水管为80年代铸铁管，跑冒滴漏。"),
    ("B07", "needs_repair", 1, "雨污合流，低洼处雨季积水。"),
    ("B08", "good", None, "2019年供电公司已改造。"),
    ("B09", "needs_repair", 1, "架空线杂乱，需规整入地。"),
    ("B10", "good", None, "燃气管线2018年已更换。"),
    ("B11", "needs_repair", 1, "供热管网老化，末端楼栋冬季室温偏低。"),
    ("B12", "needs_repair", 1, "主路破损坑洼，老人出行不便。"),
    ("B13", "missing", 1, "楼内没有消防设施，消防通道被占用。"),
    ("B14", "missing", 1, "小区没有监控。"),
    ("B15", "needs_repair", 1, "垃圾投放点没有分类，也没有遮雨棚。"),
    ("B16", "needs_repair", 1, "约一半路灯不亮。"),
    ("I02", "needs_repair", 1, "绿地裸露，树木多年未修剪。"),
    ("I04", "missing", 1, "楼道没有扶手和休息座椅，老年住户多。"),
    ("I06", "needs_repair", 1, "没有施划停车位，乱停车堵塞通道。"),
    ("I07", "missing", 1, "电动车飞线充电，有火灾隐患。"),
    ("I14", "missing", Decimal("0.15"), "6至7层住宅，没有电梯；约15%的单元具备加装条件且居民意愿较强。"),
    ("U01", "good", None, "300米内有社区综合服务中心。"),
    ("U03", "not_applicable", None, "周边已有幼儿园，小区内无空地。"),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"


class DemoRefused(Refused):
    """The database holds data that is not the demo's; nothing was changed. ``found`` counts it by kind."""

    def __init__(self, found: dict):
        super().__init__(f"this database holds data that is not demo data ({found['communities']} communities, "
                         f"{found['users']} accounts); seed-demo only runs on an empty database or on its own demo. "
                         "Nothing was changed.")
        self.found = found


@dataclass
class DemoResult:
    users: list[dict] = field(default_factory=list)
    households: list[dict] = field(default_factory=list)
    communities: list[dict] = field(default_factory=list)
    added: dict = field(default_factory=dict)
    omitted_codes: list[str] = field(default_factory=list)
    omitted_users: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"users": self.users, "households": self.households}


def non_demo_data() -> dict:
    """How many communities and accounts are not the demo's (any → refuse)."""
    return {
        "communities": db.session.scalar(select(func.count(Community.id)).where(Community.is_demo.is_(False))),
        "users": db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(False))),
    }


def sort_key(name: str) -> str:
    """Digit runs zero-padded, so 2 sorts before 10 (the roster importer's scheme)."""
    return "".join(part.zfill(8) if part.isdigit() else part for part in re.split(r"([0-9]+)", name))[:40]


def household_code(community_code: str, building: str, unit: str, room: str) -> str:
    """The demo code of one household: its own random stream, so it never depends on what else exists."""
    return codes.new_code(random.Random(f"{SEED}:code:{community_code}:{building}:{unit}:{room}"))


def owner_id_tail(owner_key: str) -> str:
    """The demo owner's ID-number tail (业主证件后六位): six digits of its own random stream, the same for every unit
    of one owner. Fake, so the demo prints it: a tester verifies as the owner with it before voting."""
    return f"{random.Random(f'{SEED}:id-tail:{owner_key}').randrange(10 ** 6):06d}"


def seed_demo() -> DemoResult:
    """Add whatever of the demo is missing and report its logins and household codes. Never commits."""
    found = non_demo_data()
    if any(found.values()):
        raise DemoRefused(found)
    result = DemoResult()
    seed_catalogue()
    seed_localities()
    seed_holidays()      # the working-day clocks of the demo's complaints count 国庆 and 调休
    locality = db.session.scalar(select(Locality).filter_by(province="吉林省", city="长春市")) or default_locality()
    district = db.session.scalar(select(District).filter_by(locality_id=locality.id, name=DISTRICT))
    if district is None:
        district = District(locality=locality, name=DISTRICT)
        db.session.add(district)
    counter = _Counter()
    communities = [_community(district, spec, counter) for spec in COMMUNITIES]
    db.session.flush()
    users = _users(district, communities, counter, result)
    for community in (communities[0], communities[2]):     # the communities with a plan
        _field_survey(community, users["organiser"], counter)
        _budget(community, users["organiser"])
    _codes(communities, counter, result)
    counter.added.update(seed_demo_complaints(communities, users, result))   # tickets and patrol findings
    parties = seed_review_parties(locality, users["admin"])                 # the joint review's departments and pipeline companies
    signers = agency_accounts(parties, result)               # every party's account; two of them printed
    counter.added.update(seed_demo_participation(communities, {**users, "signers": signers}))   # NG001: to works
    counter.added["work_photos"] = seed_work_photos(communities[0], users["agency"])   # NG001's finished items
    people = {"org": users["organiser"], "rep": users["owner_rep"], "signers": signers}
    review_added = {"plan_versions": 0}
    seed_review_community(communities[2], people, review_added)        # NG003: its joint review open now
    counter.added["plan_versions"] += review_added["plan_versions"]
    counter.added["pipeline_works"] = pipeline_works({c.code: c for c in communities}, signers)
    counter.added.update(seed_demo_votes(communities, users))   # open votes: an elevator, property management
    result.added = counter.added
    for community in communities:
        totals = roster_totals(community)
        result.communities.append({"code": community.code, "name": community.name,
                                   "buildings": totals["buildings"], "households": totals["households"]})
    return result


class _Counter:
    def __init__(self):
        self.added = {"communities": 0, "buildings": 0, "households": 0, "codes": 0, "users": 0, "findings": 0}

    def add(self, kind: str, n: int = 1) -> None:
        self.added[kind] += n


def _organisation(name: str, phone: str, *, kind: str) -> Organisation:
    organisation = db.session.scalar(select(Organisation).filter_by(name=name))
    if organisation is None:
        organisation = Organisation(name=name, kind=kind, phone=phone)
        db.session.add(organisation)
    return organisation


def _community(district: District, spec, counter: _Counter) -> Community:
    code, name, address, year_built, status, hotlines, contractor, supervisor = spec
    community = db.session.scalar(select(Community).filter_by(code=code))
    if community is None:
        community = Community(code=code, name=name, address=address, year_built=year_built, status=status,
                              district=district, quality_hotline=hotlines[0], supervisor_hotline=hotlines[1],
                              community_hotline=hotlines[2], is_demo=True,
                              contractor=contractor and _organisation(*contractor, kind="contractor"),
                              supervisor=supervisor and _organisation(*supervisor, kind="supervisor"))
        db.session.add(community)
        counter.add("communities")
    if contractor is not None:      # a community in 储备 has no roster yet
        _buildings(community, random.Random(f"{SEED}:layout:{code}"), counter)
    return community


def _buildings(community: Community, rng: random.Random, counter: _Counter) -> None:
    """8–12 walk-ups of 6–7 floors, 2–3 units (单元), two households a floor, until about 300 households."""
    existing = {building.name: building for building in community.buildings}
    households, number = 0, 0
    while number < 8 or (households < HOUSEHOLDS_WANTED and number < 12):
        number += 1
        floors, units = rng.choice((6, 7)), rng.choice((2, 3))
        households += floors * units * 2
        building = existing.get(str(number))
        if building is None:
            building = Building(name=str(number), sort_key=sort_key(str(number)))
            community.buildings.append(building)
            counter.add("buildings")
        _units(building, floors, units, rng, counter)


def _units(building: Building, floors: int, units: int, rng: random.Random, counter: _Counter) -> None:
    existing_units = {unit.name: unit for unit in building.units}
    for u in range(1, units + 1):
        unit = existing_units.get(str(u))
        if unit is None:
            unit = Unit(name=str(u), sort_key=sort_key(str(u)))
            building.units.append(unit)
        rooms = {household.room for household in unit.households}
        # Every floor repeats the same two flats, so a door's area is the same on each floor.
        areas = [Decimal(rng.randint(4500, 9500)) / 100 for _door in (1, 2)]
        for floor in range(1, floors + 1):
            for door in (1, 2):
                room = f"{floor}{door:02d}"
                occupancy_draw, name_draw, phone_draw = rng.random(), rng.randrange(len(SURNAMES)), rng.random()
                phone = f"100{rng.randrange(10 ** 8):08d}"  # 100… is no mobile prefix: looks real, reaches nobody
                if room in rooms:
                    continue
                occupancy = "vacant" if occupancy_draw < 0.05 else "rented" if occupancy_draw < 0.2 else \
                    "owner_occupied"
                household = Household(
                    room=room, sort_key=sort_key(room), floor=floor, area=areas[door - 1], occupancy=occupancy,
                    owner_key=_owner_key(building.community.code, building.name, unit.name, room),
                    contact_name=None if occupancy == "vacant" else SURNAMES[name_draw] + ("先生", "女士")[door - 1],
                    phone=None if occupancy == "vacant" or phone_draw < 0.3 else phone)
                if building.community.code == COMMUNITIES[0][0] and (building.name, unit.name, room) in \
                        TWO_UNIT_OWNER:
                    # One owner of two flats (Art. 278 counts them once): lives in the first, rents out the second.
                    household.owner_key = _owner_key(building.community.code, *TWO_UNIT_OWNER[0])
                    household.contact_name, household.phone = "赵先生", "10004310278"
                    household.occupancy = "owner_occupied" if (building.name, unit.name, room) == \
                        TWO_UNIT_OWNER[0] else "rented"
                unit.households.append(household)
                counter.add("households")


def _owner_key(community_code: str, building: str, unit: str, room: str) -> str:
    return f"{community_code}-{building}-{unit}-{room}"


def _users(district: District, communities: list[Community], counter: _Counter, result: DemoResult) -> dict:
    first = communities[0]
    scopes = {
        "admin": {}, "organiser": {"district": district}, "owner_rep": {"communities": [first]},
        "grid": {"buildings": [b for b in first.buildings if b.name in GRID_BUILDINGS]},
        "hotline": {"district": district}, "agency": {"organisation": first.contractor},
    }
    users = {}
    for role in ROLES:
        username, password, display_name = USERS[role]
        user = db.session.scalar(select(User).filter_by(username=username))
        created = user is None
        if created:
            user = create_user(None, username=username, password=password, role=role, display_name=display_name,
                               is_demo=True, **scopes[role])
            counter.add("users")
        users[role] = user
        if created or user.check_password(password):
            result.users.append({"role": role, "username": username, "password": password})
        else:
            result.omitted_users.append(username)
    return users


# The first community's plan year and money as a 街道 office would enter them (yuan): a 2025 project, so the
# elevator subsidy of that year's rule applies.
BUDGET = {"plan_year": 2025, "envelope": Decimal("8500000"), "central_subsidy": Decimal("3600000"),
          "local_funds": Decimal("2400000"), "pipeline_units": Decimal("900000"), "original_owners": None,
          "social_capital": Decimal("300000"), "residents_direct": Decimal("200000"),
          "maintenance_fund": None, "housing_fund": None, "public_revenue": Decimal("50000")}
# The 维修资金 line (150,000 yuan) is added only after the owners' matter-5 vote passed, through save_budget and its
# gate (participation.demo.participation.FUND_LINE); NG003 has no such vote, so no such line.


def _budget(community: Community, organiser: User) -> None:
    if db.session.scalar(select(CommunityBudget.id).filter_by(community_id=community.id)) is None:
        db.session.add(CommunityBudget(community_id=community.id, updated_by_id=organiser.id,
                                       note="演示数据：资金盘子与各渠道资金为示意。", **BUDGET))
        db.session.flush()


def _field_survey(community: Community, organiser: User, counter: _Counter) -> None:
    totals = roster_totals(community)
    for code, condition, share, note in FINDINGS:
        item = db.session.scalar(select(CatalogueItem).filter_by(code=code))
        if item is None or db.session.scalar(select(FieldFinding.id).filter_by(
                community_id=community.id, item_id=item.id)) is not None:
            continue
        quantity = None
        if share is not None:
            quantity = (roster_quantity(item, totals) * Decimal(share)).quantize(
                Decimal("0.01") if item.quantity_unit == "per_m2_area" else Decimal("1"))
        record_finding(organiser, community, item, condition=condition, quantity=quantity, note=note)
        counter.add("findings")


def _codes(communities: list[Community], counter: _Counter, result: DemoResult) -> None:
    """Issue each new household its seed-derived code; report the codes that still match their live hash."""
    for community in communities:
        rows = db.session.execute(
            select(Household, Unit.name, Building.name).select_from(Household)
            .join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(Building.community_id == community.id)
            .order_by(Building.sort_key, Unit.sort_key, Household.sort_key)).all()
        issued = db.session.execute(
            select(HouseholdCode.household_id, HouseholdCode.code_hash, HouseholdCode.revoked_at)
            .join(Household, HouseholdCode.household_id == Household.id)
            .join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .where(Building.community_id == community.id)).all()
        live = {household_id: digest for household_id, digest, revoked_at in issued if revoked_at is None}
        ever_issued = {digest for _household_id, digest, _revoked_at in issued}
        for household, unit_name, building_name in rows:
            code = household_code(community.code, building_name, unit_name, household.room)
            digests = codes.code_hashes(community.code, code)   # under every version of the key ring
            place = f"{community.code} {building_name}-{unit_name}-{household.room}"
            if household.id not in live:
                if ever_issued.intersection(digests):
                    result.omitted_codes.append(place)  # its demo code was issued once and revoked since
                    continue
                codes.issue_code(None, household, code=code)
                counter.add("codes")
            elif live[household.id] not in digests:
                result.omitted_codes.append(place)  # regenerated by staff since: the seed no longer knows it
                continue
            tail = owner_id_tail(household.owner_key)
            if household.owner_id_tail_hash is None:
                set_id_tail(household, community.code, tail)
            result.households.append({"community": community.code, "building": building_name,
                                      "unit": unit_name, "room": household.room, "code": code,
                                      "owner_id_tail": tail})
