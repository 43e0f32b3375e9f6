"""The resident home shows where the household stands (issue 15 point 5; participation/entry/status.py): each survey
submitted / draft / not answered with its deadline, each owner vote voted (with the choice and channel) or not —
"Vote" never once the ballot is in, and never for a household whose owner is not in the vote's register — its
complaints with their state, its comments on the plan while they can change them, and the rating rounds open to it
(rated or not)."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.acceptance.operations import open_round, rate
from participation.complaints.operations import file_ticket
from participation.complaints.queries import community_categories
from participation.entry.status import vote_rows, votes_waiting
from participation.extensions import db
from participation.models import CatalogueItem, Household, Plan, PlanItem, PlanVersion, PlanWork
from participation.models.types import utcnow
from participation.plans.comments import comment, publish
from participation.plans.operations import today
from participation.votes.ballots import cast_ballot
from participation.votes.operations import create_vote
from surveys.models import Response, Survey
from tests.conftest import csrf_token, homes
from tests.participation.test_vote_pages import resident, staff


@pytest.fixture
def home_site(app, reference_data, vote_site):
    """vote_site (220102901; "org" organises it) with, for the second home of 单元 1: three open surveys (answered,
    draft, untouched), two open owner votes of its 单元, a plan version open for comment, B01 finished and open for
    rating."""
    community, unit, organiser, _rep = vote_site
    household = homes(unit)[1]
    now = utcnow()
    surveys = {}
    for days, key in ((3, "submitted"), (5, "draft"), (9, "untouched")):
        surveys[key] = Survey(community=community, status="open", title={"zh": f"问卷{key}", "en": f"Survey {key}"},
                              opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=days))
    db.session.add_all(surveys.values())
    db.session.flush()
    db.session.add(Response(survey_id=surveys["submitted"].id, household_id=household.id, status="submitted",
                            receipt="RS0000000001", submitted_at=now))
    db.session.add(Response(survey_id=surveys["draft"].id, household_id=household.id, status="draft",
                            receipt="RS0000000002"))
    votes = [create_vote(organiser, community, 7, title, scope="unit", unit=unit, open_now=True,
                         closes_at=now + timedelta(days=10))
             for title in ("加装电梯", "改建车棚")]
    b01 = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    version = PlanVersion(number=1, status="draft", items=[
        PlanItem(item=b01, position=1, included=True, quantity=Decimal(1), unit_cost=b01.unit_cost,
                 cost=b01.unit_cost, suggestion="include")])
    plan = Plan(community=community, versions=[version],
                works=[PlanWork(item=b01, status="finished", started_on=today() - timedelta(days=30),
                                finished_on=today() - timedelta(days=2))])
    db.session.add(plan)
    db.session.flush()
    period = publish(organiser, version, today(), today() + timedelta(days=6))
    round_ = open_round(organiser, community, f"item:{b01.id}", closes_at=now + timedelta(days=7))
    db.session.commit()
    return {"community": community, "unit": unit, "organiser": organiser, "household": household,
            "surveys": surveys, "votes": votes, "version": version, "period": period, "round": round_}


def _item(html: str, element_id: str) -> str:
    """The text of one <li id=...> of the page."""
    match = re.search(rf'<li id="{element_id}">(.*?)</li>', html, re.S)
    assert match, element_id
    return match.group(1)


def test_each_survey_shows_the_households_own_state_and_deadline(app, home_site):
    client = resident(app, home_site["household"])
    html = client.get("/home").text
    surveys = home_site["surveys"]
    submitted = _item(html, f"survey-{surveys['submitted'].id}")
    assert "Submitted" in submitted and "RS0000000001" in submitted and "See or change my answers" in submitted
    draft = _item(html, f"survey-{surveys['draft'].id}")
    assert "Draft, not submitted yet" in draft and "Continue answering" in draft
    untouched = _item(html, f"survey-{surveys['untouched'].id}")
    assert "Not filled in" in untouched and "please answer" in untouched
    assert f'href="/s/{surveys["untouched"].id}"' in untouched
    deadline = surveys["untouched"].closes_at + timedelta(hours=8)      # Beijing time
    assert f"Deadline: {deadline:%Y-%m-%d}" in re.sub(r"<[^>]+>", "", untouched)   # the date in a nowrap span
    # the soonest deadline first
    assert html.index(f'id="survey-{surveys["submitted"].id}"') < html.index(f'id="survey-{surveys["draft"].id}"')
    # another household of the community has answered none of them
    other = resident(app, homes(home_site["unit"])[3]).get("/home").text
    assert other.count("Not filled in") == 3 and "Submitted" not in other


def test_votes_say_vote_until_cast_then_the_choice_and_channel_and_no_vote_button(app, home_site):
    household, organiser = home_site["household"], home_site["organiser"]
    first, second = home_site["votes"]
    client = resident(app, household)
    html = client.get("/home").text
    assert 'id="votes-link"' in html and "Owner votes waiting for your vote: 2" in html
    for vote in (first, second):
        row = _item(html, f"vote-{vote.id}")
        assert "Not voted yet" in row and ">Go and vote</a>" in row
        assert f'href="/r/{home_site["community"].code}/votes/{vote.id}"' in row
    cast_ballot(first, household, "yes", "paper", organiser)
    db.session.commit()
    html = client.get("/home").text
    assert "Owner votes waiting for your vote: 1" in html
    assert "Voted: 同意 (yes) (on paper)" in _item(html, f"vote-{first.id}")
    assert ">Go and vote</a>" not in _item(html, f"vote-{first.id}")
    cast_ballot(second, household, "no", "paper", organiser)
    db.session.commit()
    html = client.get("/home").text
    # the complaint: "正在进行的业主投票：2 项。去投票" after both were cast
    assert 'id="votes-link"' not in html and "waiting for your vote" not in html and ">Go and vote</a>" not in html
    assert "Voted: 反对 (no) (on paper)" in _item(html, f"vote-{second.id}")
    assert "See this vote" in _item(html, f"vote-{second.id}")


def test_a_home_whose_owner_is_not_in_the_register_is_not_asked_to_vote(app, home_site):
    unit = home_site["unit"]
    newcomer = Household(room="401", sort_key="401", floor=4, area=Decimal("60.50"))
    unit.households.append(newcomer)        # added after the registers froze: in scope, not in the register
    db.session.commit()
    rows = vote_rows(newcomer)
    assert all(row["state"] == "not_owner" for row in rows) and votes_waiting(rows) == 0
    html = resident(app, newcomer).get("/home").text
    assert ">Go and vote</a>" not in html and 'id="votes-link"' not in html and "waiting for your vote" not in html
    assert all(f'id="vote-{vote.id}"' not in html or "Not in this vote's owner register" in html
               for vote in home_site["votes"])


def test_staff_acting_for_the_household_see_that_the_owner_voted_not_how_while_tallies_are_hidden(app, home_site):
    community, unit, organiser = home_site["community"], home_site["unit"], home_site["organiser"]
    hidden = create_vote(organiser, community, 4, "选聘物业", scope="unit", unit=unit, open_now=True,
                         hide_tallies=True)
    household = home_site["household"]
    household.notice_accepted_at = utcnow()
    cast_ballot(hidden, household, "yes", "paper", organiser)
    db.session.commit()
    org = staff(app, "org")
    page = org.get(f"/assist/households/{household.id}")
    assert org.post(f"/assist/households/{household.id}", data={
        "channel": "door_to_door", "csrf_token": csrf_token(page.text)}).status_code == 302
    row = _item(org.get("/home").text, f"vote-{hidden.id}")
    assert "Voted (on paper)" in row and "同意" not in row
    # the owner sees their own choice
    assert "Voted: 同意 (yes) (on paper)" in _item(resident(app, household).get("/home").text, f"vote-{hidden.id}")


def test_complaints_comments_and_ratings_with_their_state(app, home_site):
    community, household, version = home_site["community"], home_site["household"], home_site["version"]
    category = community_categories(community)[0]
    ticket = file_ticket(None, community, category=category, description="楼道灯坏了", household=household)
    db.session.commit()
    client = resident(app, household)
    html = client.get("/home").text
    assert ticket.receipt in html
    assert category.name in html and "Received" in html
    assert "Open for comments" in html and "You have not commented on this plan." in html
    assert "Read the plan and give your view" in html
    rating = _item(html, f"rating-{home_site['round'].id}")
    assert "Not rated yet" in rating and ">Go and rate</a>" in rating
    comment(household, home_site["period"], version.items[0], "object", "太贵了")
    rate(household, home_site["round"], "satisfied")
    db.session.commit()
    html = client.get("/home").text
    assert "Your comments:" in html and "I object" in html and "Change my comments" in html
    rating = _item(html, f"rating-{home_site['round'].id}")
    assert "Rated: Satisfied" in rating and "Change my rating" in rating
    # once the period closed, the comments stay listed, without the invitation to change them
    home_site["period"].closed_at = utcnow()
    db.session.commit()
    html = client.get("/home").text
    assert "Comment period ended" in html and "I object" in html and "Change my comments" not in html


def test_the_home_links_the_progress_page_and_needs_a_household(app, client, home_site):
    html = resident(app, home_site["household"]).get("/home").text
    assert f'href="/r/{home_site["community"].code}/progress"' in html
    assert client.get("/home").status_code == 302
