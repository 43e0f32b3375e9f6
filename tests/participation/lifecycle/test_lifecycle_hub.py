"""The community page as the hub (issue 15, point 3): each role sees the cards of the modules it may open — and each
card's link opens — and no others; organisers and admins move the stage from it (only admins see the override
reason); a community outside the user's scope is 404."""
import re
from decimal import Decimal

import pytest
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, CommunityBudget, GateOverride, Organisation
from participation.plans.inputs import plan_inputs
from participation.plans.operations import adopt_suggestions, today
from tests.conftest import csrf_token

EVERY = {"roster", "slips", "field_survey", "surveys", "plan", "votes", "elevators", "joint_review", "works",
         "acceptance", "aftercare", "complaints", "dashboard"}
CARDS = {
    "admin": EVERY,
    "organiser": EVERY,
    "owner_rep": EVERY - {"slips", "complaints"},
    "grid": {"roster", "slips", "field_survey", "plan", "elevators", "works", "aftercare"},
    "hotline": {"roster", "plan", "works", "acceptance", "complaints"},
    "agency": {"works", "acceptance", "complaints"},  # the community's contractor: its works photos
    "pipeline": {"field_survey", "complaints"},       # a pipeline company listed on the community
}


@pytest.fixture
def community(reference_data, make_community):
    community = make_community("HB1", buildings=2, units=1, floors=2, per_floor=2)
    make_community("HB2", buildings=1, units=1, floors=1, per_floor=1)
    db.session.commit()
    return community


def sign_in(login_as, community, role):
    if role == "agency":
        contractor = Organisation(name="长春建工", kind="contractor")
        community.contractor = contractor
        db.session.flush()
        return login_as("agency", organisation=contractor)
    if role == "pipeline":
        pipeline = Organisation(name="供水公司", kind="pipeline")
        db.session.add(pipeline)
        db.session.flush()
        return login_as("agency", community, organisation=pipeline)
    return login_as(role, community)


def cards(html: str) -> set[str]:
    return set(re.findall(r'id="module-([a-z_]+)"', html))


def card_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for block in re.findall(r'<li class="card" id="module-[a-z_]+">(.*?)</li>\s*'
                                                               r'(?=<li class="card"|</ul>)', html, re.S)
            for link in re.findall(r'href="([^"]+)"', block)]


@pytest.mark.parametrize("role", sorted(CARDS))
def test_each_role_sees_its_cards_and_every_card_opens(client, login_as, community, role):
    sign_in(login_as, community, role)
    response = client.get("/c/HB1")
    assert response.status_code == 200
    html = response.text
    assert cards(html) == CARDS[role]
    links = card_links(html)
    assert len(links) >= len(CARDS[role])
    for link in links:
        assert client.get(link).status_code == 200, link
    assert gettext("Next stage: %(stage)s", stage=gettext("Annual plan")) in html
    if role == "organiser" or role == "admin":
        assert 'name="forward-stage"' in html
    else:
        assert 'name="forward-stage"' not in html and "/c/HB1/stage" not in html
    assert ('name="forward-reason"' in html) == (role == "admin")


def test_the_hub_lists_plan_versions_and_comments_once_there_is_a_plan(client, login_as, community):
    organiser = login_as("organiser", community)
    adopt_suggestions(organiser, community, plan_inputs(community))
    db.session.commit()
    html = client.get("/c/HB1").text
    assert "module-comments" in html and 'href="/c/HB1/plan/versions/1"' in html


@pytest.mark.parametrize("path", ["/c/HB2", "/c/NOPE"])
def test_a_community_outside_the_scope_is_not_found(client, login_as, community, path):
    login_as("organiser", community)
    assert client.get(path).status_code == 404


def test_visitors_go_to_sign_in(client, community):
    response = client.get("/c/HB1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _post(client, code, data):
    page = client.get(f"/c/{code}").text
    return client.post(f"/c/{code}/stage", data={"csrf_token": csrf_token(page), **data})


def test_moving_on_is_refused_with_the_missing_words_then_made(client, login_as, community):
    login_as("organiser", community)
    response = _post(client, "HB1", {"forward-stage": "annual_plan", "forward-reason": "急"})
    assert response.status_code == 422
    assert str(escape(gettext("The year's budget envelope is not recorded yet (plan → budget)."))) in response.text
    assert community.status == "reserve"
    db.session.add(CommunityBudget(community_id=community.id, plan_year=today().year, envelope=Decimal(500000)))
    db.session.commit()
    response = _post(client, "HB1", {"forward-stage": "annual_plan"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/c/HB1")
    db.session.refresh(community)
    assert community.status == "annual_plan"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "community.stage")) is not None


def test_an_admin_overrides_from_the_hub_and_goes_back_with_a_reason(client, login_as, community):
    login_as("admin")
    assert _post(client, "HB1", {"forward-stage": "annual_plan"}).status_code == 422
    response = _post(client, "HB1", {"forward-stage": "annual_plan", "forward-reason": "区里已批复预算"})
    assert response.status_code == 302
    override = db.session.scalar(select(GateOverride))
    assert (override.gate, override.reason) == ("stage:annual_plan", "区里已批复预算")
    assert "区里已批复预算" in client.get("/c/HB1").text          # the hub shows the override with its reason
    assert _post(client, "HB1", {"back-stage": "reserve"}).status_code == 422       # back needs a reason
    assert _post(client, "HB1", {"back-stage": "reserve", "back-reason": "误操作"}).status_code == 302
    db.session.refresh(community)
    assert community.status == "reserve"


def test_the_stage_form_refuses_readers_other_communities_and_posts_without_csrf(client, login_as, community):
    login_as("owner_rep", community)
    page = client.get("/c/HB1").text
    assert client.post("/c/HB1/stage", data={"csrf_token": csrf_token(page),
                                             "forward-stage": "annual_plan"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login_as("organiser", community)
    assert client.post("/c/HB1/stage", data={"forward-stage": "annual_plan"}).status_code == 400
    token = csrf_token(client.get("/c/HB1").text)
    assert client.post("/c/HB2/stage", data={"csrf_token": token, "forward-stage": "annual_plan"}).status_code == 404
    db.session.refresh(community)
    assert community.status == "reserve"
