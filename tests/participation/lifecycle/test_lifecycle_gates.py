"""The community's lifecycle (issue 15, point 1): each move to the next stage is refused with what is missing, in
words, and made once it is there; an administrator may override a gate with a written reason (audited), nobody else;
one stage at a time; back one stage with a reason.

The words are compared with their translation through ``gettext``, so the tests hold in either language."""
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from participation.aftercare.operations import propose_aftercare
from participation.extensions import db
from participation.lifecycle.operations import StageRefused, advance
from participation.lifecycle.overrides import GateRefused
from participation.lifecycle.stages import missing_for, names
from participation.models import (AuditEvent, CatalogueItem, CommunityBudget, FieldFinding, GateOverride, JointReview,
                                  PlanWork)
from participation.models.types import utcnow
from participation.plans.comments import publish
from participation.plans.inputs import plan_inputs
from participation.plans.operations import adopt_suggestions, latest_version, plan_for, today
from participation.plans.vote_items import link_items
from participation.survey_facts import facts
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, create_vote, finalise


def item(code: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(code=code))


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def site(reference_data, make_community, make_user):
    """LC1: 1 building × 1 单元 × 3 floors × 2 homes; its organiser, owner representative, and a city admin."""
    community = make_community("LC1", buildings=1, units=1, floors=3, per_floor=2)
    site = type("Site", (), {})()
    site.community = community
    site.organiser = make_user("organiser", communities=[community])
    site.owner_rep = make_user("owner_rep", communities=[community])
    site.admin = make_user("admin")
    db.session.flush()
    return site


@pytest.fixture
def surveys(app, monkeypatch):
    """The community's surveys as the survey engine reports them; a test fills the list."""
    listed: list[dict] = []
    monkeypatch.setattr(facts(), "community_surveys", lambda community_id: list(listed))
    return listed


def needs_survey(status: str) -> dict:
    return {"id": 1, "title": "问需调查", "status": status, "opens_at": None, "closes_at": None, "households": 6,
            "answered": 4, "is_needs_survey": True}


def refused_with(site, stage: str, expected: list[str]):
    with pytest.raises(GateRefused) as refusal:
        advance(site.organiser, site.community, stage)
    assert refusal.value.missing == expected
    assert site.community.status != stage


def moves(site, stage: str):
    before = site.community.status
    assert advance(site.organiser, site.community, stage) is None
    assert site.community.status == stage
    event = audits("community.stage")[-1]
    assert (event.detail["before"], event.detail["after"], event.detail["direction"]) == (before, stage, "forward")


def draft_plan(site):
    return adopt_suggestions(site.organiser, site.community, plan_inputs(site.community))


def with_elevator(site):
    """The draft with 加装电梯 (Art. 278 matter 7) included."""
    version = latest_version(plan_for(site.community))
    entry = next((e for e in version.items if e.item.code == "I14"), None)
    entry.included = True
    for other in version.items:     # only the elevator needs a vote in these tests
        if other.item.owner_matter and other.item.code != "I14":
            other.included = False
    db.session.flush()
    return version


def finish(vote, site, yes: int):
    households = sorted((h for b in site.community.buildings for u in b.units for h in u.households),
                        key=lambda household: household.id)
    for index, household in enumerate(households):
        cast_ballot(vote, household, "yes" if index < yes else "no", "paper", site.organiser)
    close_vote(site.organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(site.owner_rep, vote)
    finalise(site.organiser, vote)


# --- every gate: refused with its words, passed when met -----------------------------------------------------------

def test_annual_plan_needs_the_budget_envelope(site):
    refused_with(site, "annual_plan", [gettext("The year's budget envelope is not recorded yet (plan → budget).")])
    db.session.add(CommunityBudget(community_id=site.community.id, plan_year=today().year, envelope=Decimal(1000000)))
    db.session.flush()
    moves(site, "annual_plan")


def test_census_needs_households_on_the_roster(site, make_community):
    empty = make_community("LC0", buildings=0, status="annual_plan")
    site.organiser.communities.append(empty)
    with pytest.raises(GateRefused) as refusal:
        advance(site.organiser, empty, "census")
    assert refusal.value.missing == [gettext("The roster has no households yet: import the roster.")]
    site.community.status = "annual_plan"
    moves(site, "census")


def test_needs_wants_findings_and_a_needs_survey_open_to_residents(site, surveys):
    site.community.status = "census"
    refused_with(site, "needs", [gettext("No findings of the field survey are recorded yet."),
                                 gettext("There is no needs survey yet: create one in the survey builder.")])
    db.session.add(FieldFinding(community=site.community, item=item("B01"), condition="needs_repair",
                                quantity=Decimal(100), recorded_by=site.organiser))
    surveys.append(needs_survey("draft"))
    refused_with(site, "needs", [gettext("The needs survey “%(title)s” is still a draft: open it to residents.",
                                         title="问需调查")])
    surveys[0] = needs_survey("open")
    moves(site, "needs")


def test_planning_wants_the_needs_survey_closed_and_a_draft_plan(site, surveys):
    site.community.status = "needs"
    surveys.append(needs_survey("open"))
    refused_with(site, "planning", [
        gettext("The needs survey “%(title)s” has not closed yet.", title="问需调查"),
        gettext("There is no draft plan version yet: adopt the suggestions as a draft on the plan page.")])
    surveys[0] = needs_survey("closed")
    draft_plan(site)
    moves(site, "planning")


def test_plan_notice_wants_a_published_comment_period(site):
    site.community.status = "planning"
    refused_with(site, "plan_notice", [gettext("There is no draft plan version to put on public notice.")])
    draft_plan(site)
    refused_with(site, "plan_notice", [gettext("No comment period is published for version %(number)d yet.",
                                               number=1)])
    publish(site.organiser, latest_version(plan_for(site.community)), today(), today() + timedelta(days=7))
    moves(site, "plan_notice")


def test_owner_vote_wants_a_vote_for_every_art278_item_of_the_draft_or_its_exclusion(site):
    site.community.status = "plan_notice"
    draft_plan(site)
    version = with_elevator(site)
    refused_with(site, "owner_vote", [gettext(
        "%(count)d items need an owner vote and have none (or are not excluded): %(names)s.", count=1,
        names=item("I14").name)])
    entry = next(e for e in version.items if e.item.code == "I14")
    entry.included = False                       # excluded: nothing to vote on
    assert missing_for(site.community, "owner_vote") == []
    entry.included = True
    vote = create_vote(site.organiser, site.community, 7, "加装电梯（1单元）", scope="community",
                       closes_at=utcnow() + timedelta(days=10))
    link_items(site.organiser, vote, [item("I14")])
    moves(site, "owner_vote")


def test_joint_review_wants_an_adopted_version_with_its_votes_ended(site):
    site.community.status = "owner_vote"
    draft_plan(site)
    version = with_elevator(site)
    refused_with(site, "joint_review", [gettext("No plan version is adopted yet.")])
    version.status, version.adopted_at = "adopted", utcnow()
    vote = create_vote(site.organiser, site.community, 7, "加装电梯（1单元）", scope="community",
                       closes_at=utcnow() + timedelta(days=10), open_now=True)
    link_items(site.organiser, vote, [item("I14")])
    refused_with(site, "joint_review", [gettext("%(count)d votes have not ended yet: %(names)s.", count=1,
                                                names="加装电梯（1单元）")])
    finish(vote, site, yes=6)
    moves(site, "joint_review")


def test_works_wait_for_the_joint_review_to_complete(site):
    site.community.status = "joint_review"
    draft_plan(site)
    version = latest_version(plan_for(site.community))
    version.status, version.adopted_at = "adopted", utcnow()
    refused_with(site, "works", [gettext("The joint review of version %(number)d has not started.", number=1)])
    review = JointReview(version_id=version.id, opened_by_id=site.organiser.id)
    db.session.add(review)
    db.session.flush()
    refused_with(site, "works", [gettext("The joint review of version %(number)d is not complete.", number=1)])
    review.closed_at = utcnow()
    moves(site, "works")


def test_acceptance_wants_every_included_item_finished(site):
    site.community.status = "works"
    plan = draft_plan(site)
    version = latest_version(plan)
    version.status, version.adopted_at = "adopted", utcnow()
    for entry in version.items:
        entry.included = entry.item.code in ("B01", "B02")
    included = [entry for entry in version.items if entry.included]
    refused_with(site, "acceptance", [gettext("%(count)d items are not finished yet: %(names)s.",
                                              count=len(included), names=names(e.item.name for e in included))])
    for entry in included:
        db.session.add(PlanWork(plan_id=plan.id, item_id=entry.item_id, status="finished", started_on=today(),
                                finished_on=today()))
    db.session.flush()
    db.session.refresh(plan)
    moves(site, "acceptance")


def test_aftercare_wants_an_aftercare_vote_decided(site):
    site.community.status = "acceptance"
    refused_with(site, "aftercare", [gettext(
        "No after-care vote yet: propose the management mode and fee to the owners.")])
    proposal = propose_aftercare(site.organiser, site.community, "quasi", "0.50", utcnow() + timedelta(days=10))
    refused_with(site, "aftercare", [gettext("The after-care vote “%(title)s” is not decided yet.",
                                             title=proposal.vote.title)])
    finish(proposal.vote, site, yes=1)
    refused_with(site, "aftercare", [gettext(
        "The latest after-care vote did not pass: put a new proposal to the owners.")])
    proposal = propose_aftercare(site.organiser, site.community, "quasi", "0.40", utcnow() + timedelta(days=10))
    finish(proposal.vote, site, yes=6)
    moves(site, "aftercare")


# --- overrides, one step at a time, going back ---------------------------------------------------------------------

def test_an_admin_overrides_a_gate_with_a_reason_and_it_is_audited(site):
    with pytest.raises(GateRefused):
        advance(site.admin, site.community, "annual_plan")          # no reason: refused like anyone
    override = advance(site.admin, site.community, "annual_plan", reason="预算已由区里另行下达")
    assert site.community.status == "annual_plan"
    assert isinstance(override, GateOverride) and override.gate == "stage:annual_plan"
    assert override.reason == "预算已由区里另行下达"
    assert override.missing == gettext("The year's budget envelope is not recorded yet (plan → budget).")
    assert audits("gate.override")[-1].detail["reason"] == "预算已由区里另行下达"
    assert audits("community.stage")[-1].detail["override"] == override.id


def test_an_organisers_reason_does_not_override(site):
    with pytest.raises(GateRefused) as refusal:
        advance(site.organiser, site.community, "annual_plan", reason="我觉得可以了")
    assert refusal.value.missing
    assert site.community.status == "reserve"
    assert db.session.scalar(select(func.count(GateOverride.id))) == 0 and not audits("community.stage")


def test_one_stage_at_a_time_and_only_for_those_who_run_the_community(site):
    with pytest.raises(StageRefused) as refusal:
        advance(site.admin, site.community, "census", reason="跳过")
    assert "stage" in refusal.value.errors
    with pytest.raises(StageRefused) as refusal:
        advance(site.owner_rep, site.community, "annual_plan")
    assert "" in refusal.value.errors
    with pytest.raises(StageRefused):
        advance(site.organiser, site.community, "nonsense")
    assert site.community.status == "reserve"


def test_going_back_one_stage_needs_a_reason_and_is_audited(site):
    site.community.status = "needs"
    with pytest.raises(StageRefused) as refusal:
        advance(site.organiser, site.community, "census")
    assert "reason" in refusal.value.errors
    with pytest.raises(StageRefused):
        advance(site.organiser, site.community, "annual_plan", reason="太远")   # two back
    advance(site.organiser, site.community, "census", reason="楼栋底册有误，重新摸底")
    assert site.community.status == "census"
    event = audits("community.stage")[-1]
    assert (event.detail["direction"], event.detail["reason"]) == ("back", "楼栋底册有误，重新摸底")
    with pytest.raises(StageRefused):
        advance(site.owner_rep, site.community, "annual_plan", reason="x")
