"""The demo's joint review (联合共审, 同步计划): the locality's review parties — three departments (规自, 城管, 房管)
and five pipeline companies (water, power, gas, heating, telecom) as organisations with their speciality — two
agency accounts (the 房管 department and the water company), NG001's completed review of its adopted version (one
item returned by the gas company and approved after the answer), NG003's open review (some parties signed, one
item returned, some not yet) and pipeline works: NG001's done in the past, NG003's planned with one conflict (water
and heating on 3号楼 with overlapping dates).

Everything goes through ``participation.jointreview.operations`` (open, sign off, answer a return, close — the works
gate — and record works), run under ``clock.fixed_clock`` at demo times. Every party signs with its own agency
account: the two above are printed with the demo's logins, the other six (``demo-review-<speciality>``) are not.
"""
from sqlalchemy import select

from participation.accounts.operations import create_user
from participation.demo import clock
from participation.extensions import db
from participation.jointreview import operations as reviews
from participation.models import Building, CatalogueItem, Community, Locality, Organisation, PlanVersion, User
from participation.models.jointreview import JointReview, PipelineWork, ReviewParty

# name, kind, speciality, phone
PARTIES = (
    ("长春市规划和自然资源局南关分局", "department", "planning", "0431-88926100"),
    ("长春市南关区城市管理局", "department", "urban_management", "0431-88926200"),
    ("长春市南关区房屋管理局", "department", "housing", "0431-88926300"),
    ("长春水务集团南关供水分公司", "pipeline", "water", "0431-96199"),
    ("国网长春供电公司南关营业部", "pipeline", "power", "0431-95598"),
    ("长春燃气股份有限公司南关服务站", "pipeline", "gas", "0431-96566"),
    ("长春市热力集团南关分公司", "pipeline", "heating", "0431-96166"),
    ("中国联通长春分公司南关区分部", "pipeline", "telecom", "0431-10010"),
)
# speciality → (username, password, display name): an agency account scoped to that organisation
ACCOUNTS = {
    "housing": ("demo-department", "demo-department-2025", "演示·区房屋管理局"),
    "water": ("demo-pipeline", "demo-pipeline-2025", "演示·供水公司"),
}
# NG001: the gas company returns 道路 (B12) first, and approves it after the organiser's answer
NG001_REVIEW = {"opened": -118, "signed": -110, "closed": (-104, 16),
                "returned": ("gas", "B12", "道路翻修前请先与燃气公司核对中压管线走向，避免挖伤燃气管。", -112)}
# NG003: parties that signed every item so far; the heating company returned one item; the rest not yet
NG003_REVIEW = {"opened": -12, "signed": ("planning", "urban_management", "housing", "water"),
                "partly": ("power", 3),
                "returned": ("heating", "B11", "热力集团明年对全安街一带主管网改造，请把楼内供热改造与主管网改造同步，"
                                                "施工时间待协调。", -6)}
# community, speciality, item, building (or None), place, starts (days), ends (days), note
PIPELINE_WORKS = (
    ("NG001", "water", "B06", None, "小区主路（北门至6号楼）", -60, -35, "供水主管更换，与道路翻修同步开挖。"),
    ("NG001", "telecom", "B09", None, "小区主路（北门至6号楼）", -34, -22, "弱电线缆入地，利用供水施工后的管沟。"),
    ("NG003", "water", "B06", "3", "3号楼南侧", 10, 40, "3号楼至5号楼供水管线更换。"),
    ("NG003", "heating", "B11", "3", "3号楼南侧", 30, 70, "3号楼供热管网改造。"),
)


def seed_review_parties(locality: Locality, admin: User) -> dict[str, Organisation]:
    """The locality's review parties by speciality (organisations added where missing, listed by the admin)."""
    found = {}
    for name, kind, speciality, phone in PARTIES:
        organisation = db.session.scalar(select(Organisation).filter_by(name=name))
        if organisation is None:
            organisation = Organisation(name=name, kind=kind, speciality=speciality, phone=phone)
            db.session.add(organisation)
            db.session.flush()
        if db.session.scalar(select(ReviewParty.id).filter_by(locality_id=locality.id,
                                                                organisation_id=organisation.id)) is None:
            reviews.add_party(admin, locality, organisation)
        found[speciality] = organisation
    db.session.flush()
    return found


def agency_accounts(parties: dict[str, Organisation], result) -> dict[str, User]:
    """An agency account for every party, by speciality; the department's and the pipeline company's of ``ACCOUNTS``
    are printed after the other logins."""
    users = {}
    for speciality, organisation in parties.items():
        printed = speciality in ACCOUNTS
        username, password, display_name = ACCOUNTS.get(speciality) or (
            f"demo-review-{speciality}", f"demo-review-{speciality}-2025", f"演示·{organisation.name}")
        user = db.session.scalar(select(User).filter_by(username=username))
        created = user is None
        if created:
            user = create_user(None, username=username, password=password, role="agency",
                               display_name=display_name, organisation=organisation, is_demo=True)
        if printed and (created or user.check_password(password)):
            result.users.append({"role": "agency", "username": username, "password": password})
        elif printed:
            result.omitted_users.append(username)
        users[speciality] = user
    return users


def _open(community: Community, organiser: User, days: int, now) -> JointReview:
    now.now = clock.at(days, 9)
    review = reviews.open_review(organiser, community)
    review.opened_at = now.now
    return review


def _sign(signer: User, review: JointReview, item, decision: str, comment, moment, now) -> None:
    now.now = moment
    signoff = reviews.sign_off(signer, review, item, decision, comment)
    signoff.at = moment


def complete_review(community: Community, version: PlanVersion, people: dict) -> JointReview:
    """NG001's review: opened after adoption, every party approves every included item (the gas company returns
    道路 first and approves it after the organiser's answer), closed through the works gate."""
    spec, signers = NG001_REVIEW, people["signers"]
    with clock.fixed_clock(reviews, now=clock.at(spec["opened"], 9)) as now:
        review = _open(community, people["org"], spec["opened"], now)
        included = [item for item in version.items if item.included]
        speciality, code, comment, returned_on = spec["returned"]
        for index, signer in enumerate(signers[party.organisation.speciality] for party in review.parties):
            for position, item in enumerate(included):
                if signer.organisation.speciality == speciality and item.item.code == code:
                    _sign(signer, review, item, "returned", comment, clock.at(returned_on, 15), now)
                    signoff = next(s for s in review.signoffs if s.plan_item_id == item.id
                                   and s.organisation_id == signer.organisation_id)
                    now.now = clock.at(returned_on + 1, 10)
                    reviews.answer_return(people["org"], signoff, "已与燃气公司现场核对中压管线走向，道路翻修时燃气公司派人"
                                                                  "旁站，管线两侧一米内人工开挖。")
                    _sign(signer, review, item, "approved", None, clock.at(spec["signed"], 16), now)
                    continue
                _sign(signer, review, item, "approved", None,
                      clock.at(spec["signed"] - index % 4, 10, position % 60), now)
        now.now = clock.at(*spec["closed"])
        reviews.close_review(people["org"], review)
    return review


def open_review(community: Community, version: PlanVersion, people: dict) -> JointReview:
    """NG003's review, open: four parties signed every item, one part of them, one returned an item."""
    spec, signers = NG003_REVIEW, people["signers"]
    with clock.fixed_clock(reviews, now=clock.at(spec["opened"], 9)) as now:
        review = _open(community, people["org"], spec["opened"], now)
        included = [item for item in version.items if item.included]
        for index, speciality in enumerate(spec["signed"]):
            for position, item in enumerate(included):
                _sign(signers[speciality], review, item, "approved", None, clock.at(-10 + index, 14, position % 60),
                      now)
        speciality, count = spec["partly"]
        for position, item in enumerate(included[:count]):
            _sign(signers[speciality], review, item, "approved", None, clock.at(-3, 10, position), now)
        speciality, code, comment, days = spec["returned"]
        for position, item in enumerate(included):
            if item.item.code == code:
                _sign(signers[speciality], review, item, "returned", comment, clock.at(days, 11), now)
            elif position < 2:
                _sign(signers[speciality], review, item, "approved", None, clock.at(days, 10, position), now)
    return review


def pipeline_works(communities: dict[str, Community], signers: dict[str, User]) -> int:
    """The pipeline companies' own works where missing (found by community, organisation and place), recorded by
    each company's account."""
    added = 0
    for code, speciality, item_code, building_name, place, starts, ends, note in PIPELINE_WORKS:
        community, signer = communities.get(code), signers[speciality]
        if community is None or db.session.scalar(select(PipelineWork.id).filter_by(
                community_id=community.id, organisation_id=signer.organisation_id, place=place)) is not None:
            continue
        building = None if building_name is None else db.session.scalar(
            select(Building).filter_by(community_id=community.id, name=building_name))
        work = reviews.record_work(signer, community, {
            "item": db.session.scalar(select(CatalogueItem).filter_by(code=item_code)), "building": building,
            "place": place, "starts_on": clock.day(starts), "ends_on": clock.day(ends), "note": note})
        work.created_at = min(clock.at(starts - 20, 10), clock.at(-2, 10))
        added += 1
    db.session.flush()
    return added
