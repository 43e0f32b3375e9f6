"""The demo's joint review (联合共审, 同步计划): the locality's review parties — three departments (规自, 城管, 房管)
and five pipeline companies (water, power, gas, heating, telecom) as organisations with their speciality — two
agency accounts (the 房管 department and the water company), NG001's completed review of its adopted version (one
item returned by the gas company and approved after the answer), NG003's open review (some parties signed, one
item returned, some not yet) and pipeline works: NG001's done in the past, NG003's planned with one conflict (water
and heating on 3号楼 with overlapping dates).

The joint-review operations package was not there when this was written: the rows are written directly, with the
times the review would have had (the completeness rule of ``JointReview.closed_at`` is kept: closed only when every
party approved every included item).
"""
from datetime import timedelta

from sqlalchemy import select

from participation.accounts.operations import create_user
from participation.demo import clock
from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, Locality, Organisation, PlanVersion, User
from participation.models.jointreview import JointReview, JointReviewParty, PipelineWork, ReviewParty, ReviewSignoff

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


def seed_review_parties(locality: Locality) -> dict[str, Organisation]:
    """The locality's review parties by speciality (organisations and ``ReviewParty`` rows added where missing)."""
    found = {}
    for name, kind, speciality, phone in PARTIES:
        organisation = db.session.scalar(select(Organisation).filter_by(name=name))
        if organisation is None:
            organisation = Organisation(name=name, kind=kind, speciality=speciality, phone=phone)
            db.session.add(organisation)
            db.session.flush()
        if db.session.scalar(select(ReviewParty.id).filter_by(locality_id=locality.id,
                                                                organisation_id=organisation.id)) is None:
            db.session.add(ReviewParty(locality_id=locality.id, organisation_id=organisation.id))
        found[speciality] = organisation
    db.session.flush()
    return found


def agency_accounts(parties: dict[str, Organisation], result) -> dict[str, User]:
    """The department's and the pipeline company's agency accounts, printed after the others."""
    users = {}
    for speciality, (username, password, display_name) in ACCOUNTS.items():
        user = db.session.scalar(select(User).filter_by(username=username))
        created = user is None
        if created:
            user = create_user(None, username=username, password=password, role="agency",
                               display_name=display_name, organisation=parties[speciality], is_demo=True)
        if created or user.check_password(password):
            result.users.append({"role": "agency", "username": username, "password": password})
        else:
            result.omitted_users.append(username)
        users[speciality] = user
    return users


def _parties(community: Community) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).join(ReviewParty, ReviewParty.organisation_id ==
                                                             Organisation.id)
                                   .where(ReviewParty.locality_id == community.district.locality_id)
                                   .order_by(ReviewParty.id)))


def _open(version: PlanVersion, community: Community, organiser: User, days: int) -> JointReview:
    review = JointReview(version_id=version.id, opened_at=clock.at(days, 9), opened_by_id=organiser.id)
    review.parties = [JointReviewParty(organisation_id=party.id) for party in _parties(community)]
    db.session.add(review)
    db.session.flush()
    return review


def _sign(review: JointReview, party: Organisation, item, decision: str, comment, moment) -> None:
    signoff = db.session.scalar(select(ReviewSignoff).filter_by(review_id=review.id, organisation_id=party.id,
                                                                 plan_item_id=item.id))
    if signoff is None:
        signoff = ReviewSignoff(review_id=review.id, organisation_id=party.id, plan_item_id=item.id)
        db.session.add(signoff)
    signoff.decision, signoff.comment, signoff.at = decision, comment, moment
    db.session.flush()


def complete_review(community: Community, version: PlanVersion, people: dict) -> JointReview:
    """NG001's review: opened after adoption, every party approves every included item, closed."""
    spec = NG001_REVIEW
    review = _open(version, community, people["org"], spec["opened"])
    included = [item for item in version.items if item.included]
    speciality, code, comment, returned_on = spec["returned"]
    for index, party in enumerate(_parties(community)):
        for position, item in enumerate(included):
            moment = clock.at(spec["signed"] - index % 4, 10, position % 60)
            if party.speciality == speciality and item.item.code == code:
                _sign(review, party, item, "returned", comment, clock.at(returned_on, 15))
                moment = clock.at(spec["signed"], 16)
            _sign(review, party, item, "approved", None, moment)
    review.closed_at, review.closed_by_id = clock.at(*spec["closed"]), people["org"].id
    db.session.flush()
    return review


def open_review(community: Community, version: PlanVersion, people: dict) -> JointReview:
    """NG003's review, open: four parties signed every item, one part of them, one returned an item."""
    spec = NG003_REVIEW
    review = _open(version, community, people["org"], spec["opened"])
    included = [item for item in version.items if item.included]
    parties = {party.speciality: party for party in _parties(community)}
    for index, speciality in enumerate(spec["signed"]):
        for position, item in enumerate(included):
            _sign(review, parties[speciality], item, "approved", None, clock.at(-10 + index, 14, position % 60))
    speciality, count = spec["partly"]
    for position, item in enumerate(included[:count]):
        _sign(review, parties[speciality], item, "approved", None, clock.at(-3, 10, position))
    speciality, code, comment, days = spec["returned"]
    for position, item in enumerate(included):
        if item.item.code == code:
            _sign(review, parties[speciality], item, "returned", comment, clock.at(days, 11))
        elif position < 2:
            _sign(review, parties[speciality], item, "approved", None, clock.at(days, 10, position))
    return review


def pipeline_works(communities: dict[str, Community], parties: dict[str, Organisation], people: dict) -> int:
    """The pipeline companies' own works where missing (found by community, organisation and place)."""
    added = 0
    for code, speciality, item_code, building_name, place, starts, ends, note in PIPELINE_WORKS:
        community, organisation = communities.get(code), parties[speciality]
        if community is None or db.session.scalar(select(PipelineWork.id).filter_by(
                community_id=community.id, organisation_id=organisation.id, place=place)) is not None:
            continue
        building = None if building_name is None else db.session.scalar(
            select(Building).filter_by(community_id=community.id, name=building_name))
        db.session.add(PipelineWork(
            organisation_id=organisation.id, community_id=community.id, place=place, note=note,
            item_id=db.session.scalar(select(CatalogueItem.id).filter_by(code=item_code)),
            building_id=None if building is None else building.id, starts_on=clock.day(starts),
            ends_on=clock.day(ends), created_by_id=getattr(people.get(speciality), "id", None),
            created_at=min(clock.at(starts - 20, 10), clock.at(-2, 10)) + timedelta(0)))
        added += 1
    db.session.flush()
    return added
