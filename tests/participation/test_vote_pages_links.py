"""The vote pages' links to elevators and to the plan (participation/votes/views.py, templates/votes/).

An elevator consent vote's resident page shows the household's estimated share before it votes
(templates/elevators/_my_share.html) and, for a home the shaft would occupy, that its own consent is needed; the
staff page links the elevator request. A new vote may name the plan items it decides (the newest plan version's
items whose suggestion is an owner vote); they are linked in the same transaction, listed on the vote's page, and
the plan inputs show the final vote's outcome next to them.

The elevator site: a 7-floor 单元 of 14 households (2 a floor) in a community whose plan year is 2024. By hand (长春,
DESIGN §4): the catalogue's I14 costs 600000, the 2024 subsidy is 100000, so the owners share 500000 over the
coefficients 2 × (0 + 0 + 1 + 1.5 + 2 + 2.5 + 3) = 20, i.e. 25000 a unit of coefficient: 7F pays 3 × 25000 = 75000,
3F pays 25000, 1F pays 0.
"""
import html as html_lib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.elevators.operations import (mark_shaft_households, open_consent_vote, open_consultation,
                                                record_shaft_consent, start_request)
from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, CommunityBudget, Plan, PlanItem, PlanVersion, Vote
from participation.models.types import utcnow
from participation.plans.inputs import plan_inputs
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, create_vote, finalise
from tests.conftest import csrf_token
from tests.participation.test_vote_pages import resident, staff


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def homes(unit):
    return sorted(unit.households, key=lambda household: (household.floor, household.room))


def _closes():
    return utcnow() + timedelta(days=7)


def _finish(vote, households, organiser, owner_rep, yes: int):
    """``yes`` owners vote yes on paper, the others no; close, co-sign, final."""
    for index, household in enumerate(households):
        cast_ballot(vote, household, "yes" if index < yes else "no", "paper", organiser)
    close_vote(organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(owner_rep, vote)
    finalise(organiser, vote)


# --- the elevator share on the vote page ---------------------------------------------------------------------------

@pytest.fixture
def elevator_site(reference_data, make_community, make_user):
    community = make_community("VL001", buildings=1, units=2, floors=7, per_floor=2)
    for unit in community.buildings[0].units:
        unit.elevator_possible = True
    db.session.add(CommunityBudget(community=community, plan_year=2024))
    organiser = make_user("organiser", username="vl-org", communities=[community])
    make_user("owner_rep", username="vl-rep", communities=[community])
    db.session.commit()
    return community, community.buildings[0].units[0], organiser


def _consent_vote(community, unit, organiser, shaft=()):
    request = start_request(homes(unit)[-1])
    open_consultation(organiser, request)
    mark_shaft_households(organiser, request, list(shaft))
    vote = open_consent_vote(organiser, request, closes_at=_closes())
    db.session.commit()
    return request, vote


def _share_shown(page_text: str) -> str | None:
    start = page_text.find('id="vote-my-share-amount">')
    if start < 0:
        return None
    return page_text[start:].split(">", 1)[1].split("<", 1)[0]


def test_the_resident_page_of_an_elevator_vote_shows_the_households_share_before_it_votes(app, elevator_site):
    community, unit, organiser = elevator_site
    _, vote = _consent_vote(community, unit, organiser)
    url = f"/r/{community.code}/votes/{vote.id}"
    expected = {7: "75,000 yuan", 3: "25,000 yuan", 1: "0 yuan"}
    for floor, amount in expected.items():
        household = next(home for home in homes(unit) if home.floor == floor)
        page = resident(app, household).get(url)
        assert page.status_code == 200 and _share_shown(page.text) == amount, floor
        # above the ballot: the share comes before the owner check and the buttons
        assert page.text.index("vote-my-share-amount") < page.text.index('id="ballot"')
        assert f"{floor}F" in page.text and "not configured" not in page.text
        assert 'id="vote-shaft-mine"' not in page.text


def test_the_shaft_occupied_household_is_told_its_own_consent_is_needed(app, elevator_site):
    community, unit, organiser = elevator_site
    first, second = homes(unit)[:2]
    request, vote = _consent_vote(community, unit, organiser, shaft=[first, second])
    record_shaft_consent(organiser, request, second, True, "paper")
    db.session.commit()
    url = f"/r/{community.code}/votes/{vote.id}"
    page = resident(app, first).get(url).text
    assert 'id="vote-shaft-mine"' in page and "needs your own consent" in page and "The organiser will ask you." in page
    page = resident(app, second).get(url).text
    assert 'id="vote-shaft-mine"' in page and "Your answer: you agree." in page
    assert 'id="vote-shaft-mine"' not in resident(app, homes(unit)[5]).get(url).text


def test_a_vote_that_is_not_an_elevator_vote_shows_no_share(app, elevator_site):
    community, unit, organiser = elevator_site
    vote = create_vote(organiser, community, 7, "楼道改造", scope="unit", unit=unit, open_now=True)
    _consent_vote(community, community.buildings[0].units[1], organiser)   # another 单元's elevator vote
    db.session.commit()
    page = resident(app, homes(unit)[-1]).get(f"/r/{community.code}/votes/{vote.id}")
    assert page.status_code == 200 and 'id="ballot"' in page.text
    assert "vote-my-share" not in page.text and "vote-shaft-mine" not in page.text
    staff_page = staff(app, "vl-org").get(f"/c/{community.code}/votes/{vote.id}").text
    assert 'id="elevator-link"' not in staff_page


def test_the_staff_vote_page_links_the_elevator_request(app, elevator_site):
    community, unit, organiser = elevator_site
    _, vote = _consent_vote(community, unit, organiser)
    for username in ("vl-org", "vl-rep"):
        page = staff(app, username).get(f"/c/{community.code}/votes/{vote.id}")
        assert page.status_code == 200
        assert f'href="/c/{community.code}/elevators#unit-{unit.id}"' in page.text and 'id="elevator-link"' in page.text


def test_another_units_household_cannot_open_the_elevator_vote(app, elevator_site):
    community, unit, organiser = elevator_site
    _, vote = _consent_vote(community, unit, organiser)
    other = homes(community.buildings[0].units[1])[-1]
    assert resident(app, other).get(f"/r/{community.code}/votes/{vote.id}").status_code == 404


# --- plan items decided by a vote ------------------------------------------------------------------------------------

@pytest.fixture
def plan_site(reference_data, make_community, make_user):
    """PL001 (2 buildings × 1 单元 × 3 floors × 2: 12 owners of 60.50 m²) whose plan has version 1 (adopted: I06 and
    I08 need a vote) and version 2 (the newest, a draft: I06 and I14 need a vote, B01 is in, I08 is reserved); PL002
    without a plan; PL001's organiser and owner representative, PL002's organiser."""
    community = make_community("PL001", buildings=2, units=1, floors=3, per_floor=2)
    bare = make_community("PL002", buildings=1, units=1, floors=2, per_floor=1)
    items = {item.code: item for item in db.session.scalars(select(CatalogueItem))}

    def row(code, position, suggestion):
        item = items[code]
        return PlanItem(item=item, position=position, included=suggestion in ("include", "needs_vote"),
                        quantity=Decimal(1), unit_cost=item.unit_cost, cost=item.unit_cost, suggestion=suggestion)

    first = PlanVersion(number=1, status="adopted", adopted_at=utcnow() - timedelta(days=30),
                        items=[row("I06", 1, "needs_vote"), row("I08", 2, "needs_vote")])
    newest = PlanVersion(number=2, status="draft", reason="调整", items=[
        row("B01", 1, "include"), row("I06", 2, "needs_vote"), row("I08", 3, "reserve"), row("I14", 4, "needs_vote")])
    db.session.add(Plan(community=community, versions=[first, newest]))
    organiser = make_user("organiser", username="pl-org", communities=[community])
    owner_rep = make_user("owner_rep", username="pl-rep", communities=[community])
    make_user("organiser", username="pl-bare", communities=[bare])
    db.session.commit()
    return community, items, organiser, owner_rep


def _households(community):
    return sorted((household for building in community.buildings for unit in building.units
                   for household in unit.households), key=lambda household: household.id)


def _new_vote(client, community, **data):
    form = client.get(f"/c/{community.code}/votes/new")
    return client.post(f"/c/{community.code}/votes/new", data={
        "csrf_token": csrf_token(form.text), "matter": "8", "title": "停车位施划", "scope": "community",
        "open_now": "1", **data})


def test_the_new_vote_offers_the_newest_versions_items_that_need_a_vote(app, plan_site):
    community, items, _, _ = plan_site
    page = staff(app, "pl-org").get(f"/c/{community.code}/votes/new").text
    assert "Plan items this vote decides" in page
    offered = {code for code, item in items.items()
               if re.search(rf'<input [^>]*name="plan_items" type="checkbox" value="{item.id}"', page)}
    assert offered == {"I06", "I14"}
    assert "I06 停车位施划与停车场（库）改造" in html_lib.unescape(page)


def test_without_a_plan_there_is_no_list_and_an_item_sent_anyway_is_refused(app, plan_site):
    community, items, _, _ = plan_site
    client = staff(app, "pl-bare")
    page = client.get("/c/PL002/votes/new")
    assert page.status_code == 200 and "Plan items this vote decides" not in page.text
    form = client.get("/c/PL002/votes/new")
    response = client.post("/c/PL002/votes/new", data={
        "csrf_token": csrf_token(form.text), "matter": "8", "title": "停车位", "scope": "community", "open_now": "1",
        "plan_items": str(items["I06"].id)})
    assert response.status_code == 400 and "Choose the plan items from the list." in response.text
    assert count(Vote) == 0


def test_an_item_not_offered_is_refused_and_nothing_is_saved(app, plan_site):
    community, items, _, _ = plan_site
    client = staff(app, "pl-org")
    for code in ("I08", "B01"):           # I08 needs a vote only in the older version; B01 is simply in
        response = _new_vote(client, community, plan_items=[str(items["I06"].id), str(items[code].id)])
        assert response.status_code == 400 and "Choose the plan items from the list." in response.text
    response = _new_vote(client, community, plan_items="abc")
    assert response.status_code == 400
    assert count(Vote) == 0 and count(AuditEvent, AuditEvent.action == "vote.items") == 0


def test_a_refused_vote_links_nothing_and_keeps_the_items_ticked(app, plan_site):
    community, items, _, _ = plan_site
    client = staff(app, "pl-org")
    response = _new_vote(client, community, scope="unit", plan_items=str(items["I06"].id))   # no 单元 chosen
    assert response.status_code == 400
    assert count(Vote) == 0 and count(AuditEvent, AuditEvent.action == "vote.items") == 0
    ticked = set(re.findall(r'<input checked[^>]*name="plan_items"[^>]*value="(\d+)"', response.text))
    assert ticked == {str(items["I06"].id)} and "Choose the unit (单元)." in response.text


def test_creating_a_vote_with_items_links_them_and_the_plan_shows_the_final_outcome(app, plan_site):
    community, items, organiser, owner_rep = plan_site
    client = staff(app, "pl-org")
    response = _new_vote(client, community, plan_items=[str(items["I06"].id), str(items["I14"].id)])
    assert response.status_code == 302
    vote = db.session.scalar(select(Vote))
    assert vote.status == "open" and [item.code for item in vote.items] == ["I06", "I14"]
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.items"))
    assert audit.detail["changes"] == {"items": [[], ["I06", "I14"]]} and audit.actor_id == organiser.id

    page = client.get(f"/c/{community.code}/votes/{vote.id}").text
    assert 'id="vote-item-I06"' in page and 'id="vote-item-I14"' in page and 'id="vote-item-I08"' not in page
    assert f'href="/c/{community.code}/plan"' in page
    assert 'id="vote-items"' in resident(app, _households(community)[0]).get(
        f"/r/{community.code}/votes/{vote.id}").text

    assert all(row["vote"] is None for row in plan_inputs(community)["items"])      # not final yet
    _finish(vote, _households(community), organiser, owner_rep, yes=9)               # 9 of 12 = ¾: passes
    db.session.commit()
    rows = {row["code"]: row for row in plan_inputs(community)["items"]}
    for code in ("I06", "I14"):
        assert rows[code]["vote"]["vote_id"] == vote.id and rows[code]["vote"]["passed"]
        assert rows[code]["vote"]["headcount_yes"] == 9
    assert rows["I08"]["vote"] is None
    plan_page = client.get(f"/c/{community.code}/plan").text
    assert f'class="vote-outcome" href="/c/{community.code}/votes/{vote.id}"' in plan_page


def test_a_vote_without_items_links_nothing(app, plan_site):
    community, _, _, _ = plan_site
    assert _new_vote(staff(app, "pl-org"), community).status_code == 302
    vote = db.session.scalar(select(Vote))
    assert vote.items == [] and count(AuditEvent, AuditEvent.action == "vote.items") == 0
    assert 'id="vote-items"' not in staff(app, "pl-org").get(f"/c/{community.code}/votes/{vote.id}").text


def test_the_owner_rep_may_not_create_a_vote_with_items(app, plan_site):
    community, items, _, _ = plan_site
    client = staff(app, "pl-rep")
    token = csrf_token(client.get(f"/c/{community.code}/votes").text)
    response = client.post(f"/c/{community.code}/votes/new", data={
        "csrf_token": token, "matter": "8", "title": "x", "scope": "community", "plan_items": str(items["I06"].id)})
    assert response.status_code == 403 and count(Vote) == 0
    other = staff(app, "pl-bare")
    assert other.get(f"/c/{community.code}/votes/new").status_code == 404
