"""After-care (长效管理, issue 6 point 4) and the plan inputs that use the owners' decisions (point 8).

The property-management mode and fee standard are put to an ordinary vote of the whole community (民法典第二百七十八条
第一款第四项, 选聘物业: 双过半 of the participating owners with the ⅔ quorum); the latest final vote decides what the
plan shows, "not decided yet" otherwise. Items that need an owner vote show their vote's outcome; elevators appear
per 单元; the page, the JSON (against docs/plan-inputs.schema.json) and the workbook carry the new parts.
"""
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.aftercare.operations import AfterCareRefused, aftercare_outcome, propose_aftercare
from participation.elevators.operations import open_consent_vote, open_consultation, start_request
from participation.extensions import db
from participation.models import AfterCareProposal, AuditEvent, CatalogueItem, Vote
from participation.models.types import utcnow
from participation.plans.export import SHEETS, plan_json, plan_workbook
from participation.plans.inputs import plan_inputs
from participation.plans.vote_items import link_items
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, create_vote, finalise
from tests.conftest import csrf_token

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "plan-inputs.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def site(reference_data, make_community, make_user):
    """Two buildings × 1 单元 × 3 floors × 2 households (12 owners, 60.50 m² each); an organiser, an owner rep."""
    community = make_community("AC001", buildings=2, units=1, floors=3, per_floor=2)
    make_community("AC002", buildings=1, units=1, floors=2, per_floor=1)
    organiser = make_user("organiser", communities=[community])
    owner_rep = make_user("owner_rep", communities=[community])
    db.session.commit()
    return community, organiser, owner_rep


def _households(community):
    return sorted((household for building in community.buildings for unit in building.units
                   for household in unit.households), key=lambda household: household.id)


def _finish(vote, community, organiser, owner_rep, yes: int):
    for index, household in enumerate(_households(community) if vote.scope == "community" else
                                      sorted(vote.unit.households, key=lambda household: household.id)):
        cast_ballot(vote, household, "yes" if index < yes else "no", "paper", organiser)
    close_vote(organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(owner_rep, vote)
    finalise(organiser, vote)


def _closes():
    return utcnow() + timedelta(days=10)


def test_a_proposal_opens_an_ordinary_vote_of_the_community_naming_mode_and_fee(site):
    """民法典第二百七十八条第一款第四项: an ordinary matter."""
    community, organiser, _ = site
    proposal = propose_aftercare(organiser, community, "professional", "0.85", _closes())
    vote = proposal.vote
    assert (vote.matter, vote.matter_class, vote.scope, vote.status) == (4, "ordinary", "community", "open")
    assert proposal.fee == Decimal("0.85") and "0.85" in vote.description and "0.85" in vote.title
    assert "专业化物业服务" in vote.description
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "aftercare.propose"))
    assert event.detail == {**event.detail, "mode": "professional", "fee": "0.85", "vote_id": vote.id}


@pytest.mark.parametrize("mode, fee", [("palace", "0.85"), ("quasi", "abc"), ("quasi", "-1"), ("quasi", "0.855"),
                                       ("quasi", "")])
def test_a_bad_proposal_is_refused_and_nothing_is_created(site, mode, fee):
    community, organiser, _ = site
    with pytest.raises(AfterCareRefused) as refused:
        propose_aftercare(organiser, community, mode, fee, _closes())
    assert refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    assert db.session.scalar(select(func.count()).select_from(AfterCareProposal)) == 0


def test_before_any_final_vote_the_plan_says_not_decided(site):
    community, organiser, _ = site
    propose_aftercare(organiser, community, "quasi", "0.30", _closes())
    aftercare = plan_inputs(community)["aftercare"]
    assert aftercare["property_mode"] is None and aftercare["property_fee"] is None and not aftercare["decided"]
    assert aftercare_outcome(community) is None


def test_a_passed_aftercare_vote_puts_mode_and_fee_into_the_plan_inputs_and_exports(site):
    community, organiser, owner_rep = site
    proposal = propose_aftercare(organiser, community, "professional", "0.85", _closes())
    _finish(proposal.vote, community, organiser, owner_rep, yes=7)       # 7 of 12: more than half
    outcome = aftercare_outcome(community)
    assert outcome["passed"] and outcome["mode"] == "professional" and outcome["fee"] == Decimal("0.85")
    assert outcome["figures"]["headcount_yes"] == 7
    result = plan_inputs(community)
    assert result["aftercare"]["property_mode"] == "professional"
    assert result["aftercare"]["property_fee"] == Decimal("0.85") and result["aftercare"]["decided"]
    document = json.loads(json.dumps(plan_json(result)))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["aftercare"]["property_fee"] == 0.85
    book = load_workbook(io.BytesIO(plan_workbook(result)))
    assert book.sheetnames == list(SHEETS)
    overview = {book["概况"].cell(row, 1).value: book["概况"].cell(row, 2).value
                for row in range(2, book["概况"].max_row + 1)}
    assert 0.85 in overview.values() and any("专业化物业服务" in str(value) for value in overview.values())


def test_a_failed_latest_vote_decides_nothing(site):
    community, organiser, owner_rep = site
    proposal = propose_aftercare(organiser, community, "self_managed", "0", _closes())
    _finish(proposal.vote, community, organiser, owner_rep, yes=6)       # exactly half: 过半数 fails
    result = plan_inputs(community)["aftercare"]
    assert not result["decided"] and result["property_mode"] is None and result["vote"]["passed"] is False
    assert result["vote"]["reasons"]


def test_plan_inputs_show_an_items_vote_outcome(site):
    """I06 停车位 (Art. 278 item 8, special): a linked final vote's outcome shows on the item, the JSON and the
    workbook's last column."""
    community, organiser, owner_rep = site
    item = db.session.scalar(select(CatalogueItem).where(CatalogueItem.code == "I06"))
    vote = create_vote(organiser, community, 8, "停车位施划", closes_at=_closes(), open_now=True)
    link_items(organiser, vote, [item])
    assert plan_inputs(community)["items"][0].get("vote") is None
    row = next(row for row in plan_inputs(community)["items"] if row["code"] == "I06")
    assert row["vote"] is None                       # not final yet
    _finish(vote, community, organiser, owner_rep, yes=9)                # 9 of 12 = ¾: passes
    result = plan_inputs(community)
    row = next(row for row in result["items"] if row["code"] == "I06")
    assert row["vote"]["passed"] and row["vote"]["vote_id"] == vote.id and row["vote"]["headcount_yes"] == 9
    assert all(other["vote"] is None for other in result["items"] if other["code"] != "I06")
    jsonschema.validate(json.loads(json.dumps(plan_json(result))), SCHEMA, cls=jsonschema.Draft202012Validator)
    sheet = load_workbook(io.BytesIO(plan_workbook(result)))["需求汇总"]
    line = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "I06")
    assert "停车位施划" in sheet.cell(line, sheet.max_column).value
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.items"))
    assert audit.detail["changes"] == {"items": [[], ["I06"]]}


def test_elevators_per_unit_are_in_the_plan_inputs_and_exports(site):
    community, organiser, _ = site
    unit = community.buildings[0].units[0]
    unit.elevator_possible = True
    request = start_request(unit.households[0])
    open_consultation(organiser, request)
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    result = plan_inputs(community)
    assert [row["unit_id"] for row in result["elevators"]] == [unit.id]
    assert result["elevators"][0]["vote"]["id"] == vote.id and result["elevators"][0]["status"] == "vote"
    jsonschema.validate(json.loads(json.dumps(plan_json(result))), SCHEMA, cls=jsonschema.Draft202012Validator)
    sheet = load_workbook(io.BytesIO(plan_workbook(result)))["资金测算"]
    texts = [str(sheet.cell(r, 3).value) for r in range(2, sheet.max_row + 1)]
    line = next(text for text in texts if "双四分之三" in text)     # the rule in words, never its stored code
    assert "3/4 participating" not in line


def test_the_plan_page_shows_elevators_and_aftercare(site, client, login_as):
    community, organiser, owner_rep = site
    proposal = propose_aftercare(organiser, community, "quasi", "0.30", _closes())
    _finish(proposal.vote, community, organiser, owner_rep, yes=12)
    db.session.commit()
    login_as("organiser", community)
    html = client.get(f"/c/{community.code}/plan").text
    assert 'id="aftercare-decided"' in html and "0.30" in html
    assert f'href="/c/{community.code}/aftercare"' in html


def test_the_staff_page_lists_proposals_and_the_organiser_proposes(site, client, login_as):
    community, organiser, _ = site
    login_as("organiser", community)
    page = client.get(f"/c/{community.code}/aftercare")
    assert page.status_code == 200 and 'name="fee"' in page.text
    token = csrf_token(page.text)
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"/c/{community.code}/aftercare",
                      data={"csrf_token": token, "mode": "quasi", "fee": "很多", "closes_at": closes})
    assert bad.status_code == 400 and db.session.scalar(select(func.count()).select_from(AfterCareProposal)) == 0
    ok = client.post(f"/c/{community.code}/aftercare",
                     data={"csrf_token": token, "mode": "quasi", "fee": "0.30", "closes_at": closes})
    assert ok.status_code == 302
    proposal = db.session.scalar(select(AfterCareProposal))
    assert proposal.mode == "quasi" and proposal.vote.status == "open"
    html = client.get(f"/c/{community.code}/aftercare").text
    assert f'href="/c/{community.code}/votes/{proposal.vote_id}"' in html


@pytest.mark.parametrize("role, status", [("owner_rep", 200), ("grid", 200), ("hotline", 403), ("agency", 403)])
def test_readers_and_other_roles(site, client, login_as, role, status):
    community, _, _ = site
    login_as(role, community)
    response = client.get(f"/c/{community.code}/aftercare")
    assert response.status_code == status
    if status == 200:
        assert 'name="fee"' not in response.text


def test_another_community_is_404_and_a_reader_cannot_propose(site, client, login_as):
    community, _, _ = site
    login_as("owner_rep", community)
    token = csrf_token(client.get(f"/c/{community.code}/aftercare").text)
    assert client.get("/c/AC002/aftercare").status_code == 404
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/c/{community.code}/aftercare",
                           data={"csrf_token": token, "mode": "quasi", "fee": "0.30", "closes_at": closes})
    assert response.status_code == 403
    assert client.get("/c/NOPE/aftercare").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AfterCareProposal)) == 0
