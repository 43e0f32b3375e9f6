"""Each /api/v1 endpoint's data, checked against the operations the staff pages use on a small fixture."""
import json

import pytest
from sqlalchemy import select

from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.labels import mask_phone
from participation.models import ComplaintCategory, Organisation, Ticket
from participation.plans.export import plan_json
from participation.plans.inputs import plan_inputs
from participation.roster.communities import community_summaries
from participation.votes.ballots import cast_ballot
from participation.votes.operations import create_vote, tally, visible_tally
from surveys.results.summaries import participation, survey_results
from tests.api.conftest import call
from tests.surveys.results_support import build_world


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    db.session.add(contractor)
    community = make_community("AP001", contractor=contractor)
    outsider = make_community("AP002")
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    organiser = make_user("organiser", username="org", communities=[community])
    db.session.commit()
    return {"community": community, "outsider": outsider, "category": category, "contractor": contractor,
            "organiser": organiser}


def test_communities_match_the_summaries(client, site, make_token):
    token = make_token("organiser", communities=[site["community"]])
    body = call(client, "GET", "/api/v1/communities", token).get_json()
    expected = community_summaries(site["organiser"])
    assert [(c["code"], c["buildings"], c["units"], c["households"]) for c in body["communities"]] == \
        [(s["community"].code, s["buildings"], s["units"], s["households"]) for s in expected]
    one = call(client, "GET", "/api/v1/communities/AP001", token).get_json()
    assert one == body["communities"][0] and (one["buildings"], one["units"], one["households"]) == (2, 4, 24)


def test_households_paginated_and_masked(client, site, make_token):
    token = make_token("organiser", communities=[site["community"]])
    first = call(client, "GET", "/api/v1/communities/AP001/households?per_page=10", token).get_json()
    assert first["total"] == 24 and len(first["households"]) == 10 and first["page"] == 1
    last = call(client, "GET", "/api/v1/communities/AP001/households?per_page=10&page=3", token).get_json()
    assert len(last["households"]) == 4
    row = first["households"][0]
    household = site["community"].buildings[0].units[0].households[0]
    assert (row["building"], row["unit"], row["room"], row["area"]) == ("1", "1", "101", "60.50")
    assert row["phone"] == mask_phone(household.phone) and household.phone not in json.dumps(first)
    assert call(client, "GET", "/api/v1/communities/AP001/households?page=0", token).status_code == 400
    assert call(client, "GET", "/api/v1/communities/AP001/households?per_page=x", token).status_code == 400
    grid = make_token("grid", buildings=[site["community"].buildings[1]])
    seen = call(client, "GET", "/api/v1/communities/AP001/households?per_page=200", grid).get_json()
    assert seen["total"] == 12 and {h["building"] for h in seen["households"]} == {"2"}


def test_plan_inputs_are_the_operation_s(client, site, make_token):
    token = make_token("organiser", communities=[site["community"]])
    body = call(client, "GET", "/api/v1/communities/AP001/plan-inputs", token).get_json()
    expected = json.loads(json.dumps(plan_json(plan_inputs(site["community"]))))
    body.pop("generated_at"), expected.pop("generated_at")
    assert body == expected and body["participation"]["households"] == expected["participation"]["households"]


def test_complaint_filed_read_and_acted_on(client, site, make_token):
    desk = make_token("hotline")
    payload = {"community": "AP001", "category": "construction_quality", "description": "楼道灯不亮",
               "building": "1", "caller_phone": "13812345678"}
    created = call(client, "POST", "/api/v1/complaints", desk, payload)
    assert created.status_code == 201, created.get_json()
    receipt = created.get_json()["receipt"]
    ticket = db.session.scalar(select(Ticket).filter_by(receipt=receipt))
    assert ticket.state == "received" and ticket.channel == "community_hotline" and ticket.building.name == "1"
    assert created.get_json()["caller_phone"] == "138****5678" and "dispatch" in created.get_json()["actions"]
    shown = call(client, "GET", f"/api/v1/complaints/{receipt}", desk).get_json()
    assert shown["state"] == "received" and shown["timeline"][0]["action"] == "receive"
    refused = call(client, "POST", "/api/v1/complaints", desk, {**payload, "description": " "})
    assert refused.status_code == 422 and refused.get_json()["error"]["message"]
    assert call(client, "POST", "/api/v1/complaints", desk, {**payload, "category": "nope"}).status_code == 422
    assert call(client, "POST", "/api/v1/complaints", desk, {**payload, "community": "AP404"}).status_code == 404
    assert client.post("/api/v1/complaints", data="x", headers={"Authorization": f"Bearer {desk}"}).status_code == 400
    done = call(client, "POST", f"/api/v1/complaints/{receipt}/actions", desk,
                {"action": "dispatch", "agency": "长春建工"})
    assert done.status_code == 200 and done.get_json()["state"] == "dispatched"
    again = call(client, "POST", f"/api/v1/complaints/{receipt}/actions", desk,
                 {"action": "dispatch", "agency": "长春建工"})
    assert again.status_code == 409
    assert call(client, "POST", f"/api/v1/complaints/{receipt}/actions", desk, {"action": "sign"}).status_code == 403
    assert call(client, "POST", f"/api/v1/complaints/{receipt}/actions", desk, {"action": "fly"}).status_code == 400
    builder = make_token("agency", organisation=site["contractor"])
    signed = call(client, "POST", f"/api/v1/complaints/{receipt}/actions", builder, {"action": "sign"})
    assert signed.status_code == 200 and signed.get_json()["state"] == "handling"
    outsider = make_token("organiser", communities=[site["outsider"]])
    assert call(client, "GET", f"/api/v1/complaints/{receipt}", outsider).status_code == 404
    assert call(client, "GET", "/api/v1/complaints/CNOPE", desk).status_code == 404
    grid = make_token("grid", buildings=[site["community"].buildings[0]])
    assert call(client, "POST", "/api/v1/complaints", grid, payload).status_code == 403


def test_agency_sees_only_its_own_tickets(client, site, make_token):
    ticket = file_ticket(None, site["community"], category=site["category"], description="漏水", channel="web")
    db.session.commit()
    builder = make_token("agency", organisation=site["contractor"])
    assert call(client, "GET", f"/api/v1/complaints/{ticket.receipt}", builder).status_code == 404


def test_vote_result_hides_hidden_tallies(client, site, make_token):
    community = site["community"]
    unit = community.buildings[0].units[0]
    vote = create_vote(site["organiser"], community, 4, "物业管理方式", scope="unit", unit=unit,
                       hide_tallies=True, open_now=True)
    cast_ballot(vote, unit.households[0], "yes", "paper", actor=site["organiser"])
    db.session.commit()
    token = make_token("owner_rep", communities=[community])
    body = call(client, "GET", f"/api/v1/votes/{vote.id}/result", token).get_json()
    expected = json.loads(json.dumps(visible_tally(vote), default=str))
    assert body["hidden"] is True and "area_yes" not in body and "passed" not in body
    assert {key: body[key] for key in expected} == expected
    assert "area_yes" in tally(vote)
    outsider = make_token("owner_rep", communities=[site["outsider"]])
    assert call(client, "GET", f"/api/v1/votes/{vote.id}/result", outsider).status_code == 404
    assert call(client, "GET", "/api/v1/votes/999999/result", token).status_code == 404
    hotline = make_token("hotline")
    assert call(client, "GET", f"/api/v1/votes/{vote.id}/result", hotline).status_code == 403


def test_surveys_and_summary_are_the_results_page_s(client, reference_data, make_token, make_user):
    world = build_world()
    db.session.commit()
    token = make_token("organiser", communities=[world.community])
    listed = call(client, "GET", f"/api/v1/communities/{world.community.code}/surveys", token).get_json()
    assert world.survey.id in [survey["id"] for survey in listed["surveys"]]
    body = call(client, "GET", f"/api/v1/surveys/{world.survey.id}/summary", token).get_json()
    viewer = make_user("organiser", communities=[world.community])
    summaries, items = survey_results(world.survey, lang="zh")
    stats = participation(world.survey, viewer)
    assert body["questions"] == json.loads(json.dumps(summaries, default=str))
    assert body["items"] == json.loads(json.dumps(items, default=str))
    assert body["participation"]["responded"] == stats["responded"]
    agency = make_token("agency", communities=[world.community])
    assert call(client, "GET", f"/api/v1/surveys/{world.survey.id}/summary", agency).status_code == 403
    stranger = make_token("owner_rep", communities=[_other()])
    assert call(client, "GET", f"/api/v1/surveys/{world.survey.id}/summary", stranger).status_code == 404
    assert call(client, "GET", "/api/v1/surveys/999999/summary", token).status_code == 404


def _other():
    from tests.surveys.results_support import build_community
    community = build_community("R999", buildings=1, units=1, floors=1, per_floor=1)
    db.session.commit()
    return community
