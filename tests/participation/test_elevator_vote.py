"""The elevator consent vote (issue 6 point 3): opened on a request after its consultation, scoped to the 单元,
matter 7 of 民法典第二百七十八条 (改建, special class: 双四分之三 of the participating owners with the ⅔ quorum), or
the locality's stricter ``elevator_consent`` rule shown with its source; settled as approved only when the vote
passed and every owner whose home the shaft would occupy consented on their own (拟占用业主专有部分的，还应当征得该
专有部分的业主同意), else rejected with the reasons in words. The pages link the vote; the vote page can show the
household's estimated share (templates/elevators/_my_share.html).

The site: a 7-floor 单元 of 14 households (2 a floor), each its own owner with 60.50 m², able to take an elevator.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from participation.elevators.operations import (ElevatorRefused, consent_reasons, elevator_overview,
                                                mark_shaft_households, open_consent_vote, open_consultation,
                                                record_shaft_consent, settle_consent, start_request)
from participation.elevators.shares import share_for_vote
from participation.extensions import db
from participation.models import AuditEvent, Community, LocalityRule, Notification, Vote
from participation.models.types import utcnow
from participation.plans.inputs import plan_inputs
from participation.reference.locality import RuleInvalid, validate_rule
from participation.votes import art278
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, finalise, rule_of, tally
from tests.conftest import csrf_token
from tests.participation.test_elevators import _resident

LOCAL_SOURCE = "测试市既有住宅加装电梯办法第十条：经本单元全体业主90%以上同意"


@pytest.fixture
def site(reference_data, make_community, make_user):
    community = make_community("EV001", buildings=1, units=2, floors=7, per_floor=2)
    other = make_community("EV002", buildings=1, units=1, floors=7, per_floor=2)
    for unit in community.buildings[0].units + other.buildings[0].units:
        unit.elevator_possible = True
    organiser = make_user("organiser", communities=[community])
    owner_rep = make_user("owner_rep", communities=[community])
    db.session.commit()
    return community, organiser, owner_rep


def _unit(community):
    return community.buildings[0].units[0]


def _households(unit):
    return sorted(unit.households, key=lambda household: (household.floor, household.room))


def _request_in_consultation(community, organiser):
    request = start_request(_households(_unit(community))[-1])
    open_consultation(organiser, request)
    return request


def _closes():
    return utcnow() + timedelta(days=7)


def _vote_and_finish(vote, organiser, owner_rep, yes: int):
    """``yes`` owners vote yes on paper, the others no; close, co-sign, final."""
    for index, household in enumerate(_households(vote.unit)):
        cast_ballot(vote, household, "yes" if index < yes else "no", "paper", organiser)
    close_vote(organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(owner_rep, vote)
    finalise(organiser, vote)


def _strict_rule(community):
    rule = LocalityRule(locality=community.district.locality, kind="elevator_consent", key="share_of_all",
                        number_value=Decimal("0.9"), unit="fraction", valid_from=2020, source=LOCAL_SOURCE)
    db.session.add(rule)
    db.session.flush()
    return rule


def test_the_consent_vote_opens_scoped_to_the_unit_with_the_special_class(site):
    """民法典第二百七十八条第一款第七项 (改建): special class, decided by 双四分之三 of the participating owners."""
    community, organiser, _ = site
    request = _request_in_consultation(community, organiser)
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    assert (vote.matter, vote.matter_class, vote.scope, vote.unit_id, vote.status) == \
        (7, "special", "unit", _unit(community).id, "open")
    assert request.status == "vote" and request.vote_id == vote.id and request.vote is vote
    assert vote.rule_text is None and rule_of(vote) == art278.SPECIAL
    assert tally(vote)["headcount_total"] == 14 and tally(vote)["rule"]["locality"] is False
    assert "600,000.00" in vote.description      # the catalogue's cost, and the subsidy of the year
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elevator.vote"))
    assert event.detail["vote_id"] == vote.id and event.detail["rule"] == "3/4 participating"
    told = db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "elevator.request"))
    assert told == 3 * 14                          # started, consultation, the vote: each home of the 单元


def test_the_vote_cannot_open_before_the_consultation_and_nothing_is_created(site):
    community, organiser, _ = site
    request = start_request(_households(_unit(community))[0])
    with pytest.raises(ElevatorRefused):
        open_consent_vote(organiser, request, closes_at=_closes())
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0 and request.status == "started"


def test_a_stricter_locality_rule_decides_instead_with_its_source(site):
    """A locality's 90 % of all owners: 12 of 14 yes meets Art. 278's ¾ but not the locality's rule."""
    community, organiser, owner_rep = site
    _strict_rule(community)
    request = _request_in_consultation(community, organiser)
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    assert vote.rule_text == "9/10 all" and LOCAL_SOURCE in vote.rule_source
    assert tally(vote)["rule"] == {"text": "9/10 all", "source": vote.rule_source, "locality": True}
    _vote_and_finish(vote, organiser, owner_rep, yes=12)
    assert art278.decide(vote.result_area_total, vote.result_area_participating, vote.result_area_yes, 14, 14, 12,
                         art278.SPECIAL).passed
    assert vote.result_passed is False
    settle_consent(organiser, request)
    assert request.status == "rejected"
    reasons = " ".join(consent_reasons(request))
    assert "90%" in reasons and "12" in reasons


def test_the_locality_rule_kind_is_checked(site):
    community, _, _ = site
    locality = community.district.locality
    clean = validate_rule(locality, "elevator_consent", {"key": "share_of_all", "number_value": "0.9",
                                                         "valid_from": "2026", "source": "x"})
    assert clean["unit"] == "fraction"
    for raw in ({"key": "share", "number_value": "0.9"}, {"key": "share_of_all", "number_value": "1.5"},
                {"key": "share_of_all", "number_value": "0"}):
        with pytest.raises(RuleInvalid):
            validate_rule(locality, "elevator_consent", {**raw, "valid_from": "2026", "source": "x"})


def test_vote_passed_but_one_shaft_owner_refused_is_rejected_with_the_reason(site):
    community, organiser, owner_rep = site
    request = _request_in_consultation(community, organiser)
    first, second = _households(_unit(community))[:2]
    mark_shaft_households(organiser, request, [first, second])
    record_shaft_consent(organiser, request, first, True, "paper")
    record_shaft_consent(organiser, request, second, False, "door_to_door")
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    with pytest.raises(ElevatorRefused):
        settle_consent(organiser, request)          # not final yet
    _vote_and_finish(vote, organiser, owner_rep, yes=14)
    assert vote.result_passed
    settle_consent(organiser, request)
    assert request.status == "rejected"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elevator.rejected"))
    assert event.detail["passed"] is True and len(event.detail["reasons"]) == 1
    assert second.address in event.detail["reasons"][0] and first.address not in event.detail["reasons"][0]
    why = db.session.scalars(select(Notification).where(Notification.kind == "elevator.request")
                             .order_by(Notification.id.desc()).limit(14)).all()
    assert len({m.household_id for m in why}) == 14 and all(second.address in m.text for m in why)


def test_vote_passed_and_every_shaft_owner_consented_is_approved(site):
    community, organiser, owner_rep = site
    request = _request_in_consultation(community, organiser)
    first = _households(_unit(community))[0]
    mark_shaft_households(organiser, request, [first])
    record_shaft_consent(organiser, request, first, True, "paper")
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    _vote_and_finish(vote, organiser, owner_rep, yes=11)     # 11/14 ≥ ¾ by area and headcount
    settle_consent(organiser, request)
    assert request.status == "approved" and consent_reasons(request) == []
    row = elevator_overview(community)[0]
    assert row["status"] == "approved" and row["vote"]["passed"] is True and row["shaft"]["all_agreed"]
    assert plan_inputs(community)["elevators"][0]["vote"]["id"] == vote.id


def test_the_vote_below_three_quarters_is_rejected_with_the_threshold_in_words(site):
    community, organiser, owner_rep = site
    request = _request_in_consultation(community, organiser)
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    _vote_and_finish(vote, organiser, owner_rep, yes=10)     # 10/14 < ¾
    settle_consent(organiser, request)
    assert request.status == "rejected"
    assert any("three quarters" in reason or "四分之三" in reason for reason in consent_reasons(request))


def test_the_pages_link_the_vote_and_the_share_is_shown_for_the_vote(app, site, client, login_as):
    community, organiser, _ = site
    request = _request_in_consultation(community, organiser)
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    top = _households(_unit(community))[-1]
    db.session.commit()
    resident = _resident(app, top)
    html = resident.get(f"/r/{community.code}/elevator").text
    assert f'href="/r/{community.code}/votes/{vote.id}"' in html
    shown = share_for_vote(vote, top)
    assert shown["my_share"]["share"] > 0
    assert share_for_vote(vote, community.buildings[0].units[1].households[0]) is None
    with app.test_request_context():
        rendered = render_template_string('{% include "elevators/_my_share.html" %}', elevator_share=shown)
    assert "vote-my-share-amount" in rendered and f"{shown['my_share']['share']:,.0f}" in rendered
    login_as("organiser", community)
    html = client.get(f"/c/{community.code}/elevators").text
    assert f'href="/c/{community.code}/votes/{vote.id}"' in html and "双四分之三" in html


def test_staff_open_the_vote_and_settle_it_through_the_page(site, client, login_as, make_user):
    community, organiser, owner_rep = site
    request = _request_in_consultation(community, organiser)
    db.session.commit()
    login_as("organiser", community)
    unit = _unit(community)
    page = client.get(f"/c/{community.code}/elevators")
    token = csrf_token(page.text)
    bad = client.post(f"/c/{community.code}/elevators/{unit.id}/vote", data={"csrf_token": token})
    assert bad.status_code == 400 and db.session.scalar(select(func.count()).select_from(Vote)) == 0
    past = client.post(f"/c/{community.code}/elevators/{unit.id}/vote",
                       data={"csrf_token": token, "closes_at": "2020-01-01T12:00"})
    assert past.status_code == 400 and db.session.scalar(select(func.count()).select_from(Vote)) == 0
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    ok = client.post(f"/c/{community.code}/elevators/{unit.id}/vote", data={"csrf_token": token, "closes_at": closes})
    assert ok.status_code == 302
    db.session.refresh(request)
    assert request.status == "vote" and request.vote.scope == "unit"
    early = client.post(f"/c/{community.code}/elevators/{unit.id}/settle", data={"csrf_token": token})
    assert early.status_code == 400
    _vote_and_finish(request.vote, organiser, owner_rep, yes=14)
    db.session.commit()
    done = client.post(f"/c/{community.code}/elevators/{unit.id}/settle", data={"csrf_token": token})
    assert done.status_code == 302
    db.session.refresh(request)
    assert request.status == "approved"


def test_another_communitys_unit_is_404_and_a_reader_role_403(site, client, login_as, auth):
    community, organiser, _ = site
    _request_in_consultation(community, organiser)
    other = db.session.scalar(select(Community).where(Community.code == "EV002"))
    db.session.commit()
    unit, foreign = _unit(community), other.buildings[0].units[0]
    login_as("owner_rep", community)
    token = csrf_token(client.get(f"/c/{community.code}/elevators").text)
    data = {"closes_at": "2030-01-01T12:00", "csrf_token": token}
    assert client.post(f"/c/{community.code}/elevators/{unit.id}/vote", data=data).status_code == 403
    auth.logout()
    login_as("grid", community)
    token = csrf_token(client.get(f"/c/{community.code}/elevators").text)
    data["csrf_token"] = token
    assert client.post(f"/c/{community.code}/elevators/{unit.id}/settle", data=data).status_code == 403
    auth.logout()
    login_as("admin")
    token = csrf_token(client.get(f"/c/{community.code}/elevators").text)
    data["csrf_token"] = token
    assert client.post(f"/c/{community.code}/elevators/{foreign.id}/vote", data=data).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
