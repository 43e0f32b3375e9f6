"""The staff 工作台 (/staff): per role the right lines; every count equals the rows of the list its link opens
(followed with the test client and counted); scoping (an organiser of A never counts B's); zero lines kept quiet;
the follow-up visit list's 403/404."""
import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.jointreview.operations import open_review
from participation.models import (AcceptanceRecord, CatalogueItem, ComplaintCategory, Organisation, Plan, PlanComment,
                                  PlanCommentPeriod, PlanItem, PlanVersion, ReviewParty)
from participation.models.types import utcnow
from participation.plans.gates import comment_period_missing
from participation.plans.operations import today
from participation.survey_facts import EXTENSION
from participation.votes.operations import close_vote, create_vote
from surveys.models import Survey
from tests.conftest import PASSWORD, csrf_token
from tests.participation.test_city_overview import _needs_survey, _respond

LINE = re.compile(r'<li class="todo-line( quiet)?" data-key="([^"]+)" data-count="(\d+)"'
                  r'(?: data-community="([^"]+)")?>\s*(?:<a href="([^"]+)")?')


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    other = Organisation(name="别家施工队", kind="contractor")
    db.session.add_all([contractor, other])
    community = make_community("TD001", contractor=contractor)
    outsider = make_community("TD002", contractor=other)
    users = {
        "organiser": make_user("organiser", username="org", communities=[community]),
        "outsider_organiser": make_user("organiser", username="org2", communities=[outsider]),
        "hotline": make_user("hotline", username="desk"),
        "agency": make_user("agency", username="builder", organisation=contractor),
        "owner_rep": make_user("owner_rep", username="rep", communities=[community]),
        "grid": make_user("grid", username="gridder", buildings=[community.buildings[0]]),
        "admin": make_user("admin", username="boss"),
    }
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    db.session.commit()
    return {"community": community, "outsider": outsider, "users": users, "category": category,
            "contractor": contractor}


def sign_in(client, username):
    page = client.get("/login")
    if page.status_code != 200:
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").text)})
        page = client.get("/login")
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)})


def english(client):
    """Read the page in English (the words the assertions quote; the Chinese ones come from the catalogue)."""
    client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/staff").text)})
    assert '<html lang="en' in client.get("/staff").text


def todo_lines(client) -> list[dict]:
    page = client.get("/staff")
    assert page.status_code == 200
    return [{"quiet": bool(quiet), "key": key, "count": int(count), "community": community,
             "href": html.unescape(href) if href else None}
            for quiet, key, count, community, href in LINE.findall(page.text)]


def lines_of(client, key) -> list[dict]:
    return [entry for entry in todo_lines(client) if entry["key"] == key]


def ticket(site, *, community=None, received=None, **fields):
    community = community or site["community"]
    made = file_ticket(site["users"]["hotline"], community, category=site["category"],
                       household=community.buildings[0].units[0].households[0], description="楼道墙皮脱落",
                       channel="community_hotline", now=received, **fields)
    db.session.commit()
    return made


def overdue(site, **fields):
    return ticket(site, received=utcnow() - timedelta(days=30), **fields)


def due_soon(site, **fields):
    made = ticket(site, **fields)
    made.due_at = utcnow() + timedelta(hours=5)
    db.session.commit()
    return made


def rows_in(client, href, pattern) -> int:
    page = client.get(href)
    assert page.status_code == 200, href
    return len(re.findall(pattern, page.text))


QUEUE_ROW = r'data-receipt="'


# --- tickets ---------------------------------------------------------------------------------------------------------

def test_organiser_ticket_counts_match_the_queue_and_stay_in_scope(client, site):
    for _ in range(3):
        overdue(site)
    due_soon(site)
    ticket(site)   # due in 7 days: neither line
    for _ in range(2):
        overdue(site, community=site["outsider"])
    sign_in(client, "org")
    (late,) = lines_of(client, "tickets_overdue")
    (soon,) = lines_of(client, "tickets_due_soon")
    assert (late["count"], soon["count"]) == (3, 1)
    assert rows_in(client, late["href"], QUEUE_ROW) == 3
    assert rows_in(client, soon["href"], QUEUE_ROW) == 1
    sign_in(client, "org2")
    (late,) = lines_of(client, "tickets_overdue")
    assert late["count"] == 2 and rows_in(client, late["href"], QUEUE_ROW) == 2


def test_hotline_sees_call_backs_and_returned_tickets_city_wide(client, site):
    desk = site["users"]["hotline"]
    overdue(site)
    overdue(site, community=site["outsider"])
    completed = ticket(site)
    for step in ("dispatch", "sign", "reply", "complete"):
        user = site["users"]["agency"] if step in ("sign", "reply") else desk
        act(user, completed, step, agency=site["contractor"], note="已处理")
    returned = ticket(site)
    act(desk, returned, "dispatch", agency=site["contractor"])
    act(site["users"]["agency"], returned, "return", note="不归我们管")
    db.session.commit()
    sign_in(client, "desk")
    counts = {entry["key"]: entry for entry in todo_lines(client)}
    assert counts["tickets_overdue"]["count"] == 2
    assert counts["tickets_callback"]["count"] == 1
    assert counts["tickets_returned"]["count"] == 1
    for key in ("tickets_overdue", "tickets_callback", "tickets_returned"):
        assert rows_in(client, counts[key]["href"], QUEUE_ROW) == counts[key]["count"], key
    assert completed.receipt in client.get(counts["tickets_callback"]["href"]).text


def test_agency_lines_are_its_own_tickets_to_sign_for(client, site):
    desk = site["users"]["hotline"]
    for _ in range(2):
        act(desk, ticket(site), "dispatch", agency=site["contractor"])
    act(desk, ticket(site, community=site["outsider"]), "dispatch",
        agency=db.session.scalar(select(Organisation).filter_by(name="别家施工队")))
    db.session.commit()
    sign_in(client, "builder")
    (to_sign,) = lines_of(client, "tickets_to_sign")
    assert to_sign["count"] == 2 and rows_in(client, to_sign["href"], QUEUE_ROW) == 2
    assert "tickets_callback" not in {entry["key"] for entry in todo_lines(client)}
    (reopened,) = lines_of(client, "tickets_reopened")
    assert reopened["quiet"] and reopened["count"] == 0 and reopened["href"] is None


def test_queue_due_filter_and_reopened_filter(client, site):
    overdue(site)
    due_soon(site)
    sign_in(client, "desk")
    assert rows_in(client, "/hotline?due=overdue", QUEUE_ROW) == 1
    assert rows_in(client, "/hotline?due=soon", QUEUE_ROW) == 1
    assert rows_in(client, "/hotline", QUEUE_ROW) == 2
    assert rows_in(client, "/hotline?reopened=1", QUEUE_ROW) == 0
    assert rows_in(client, "/hotline?due=nonsense", QUEUE_ROW) == 2


# --- plan comments, gates --------------------------------------------------------------------------------------------

def plan_with_period(community, *, opens_on, closes_on, closed=False):
    item = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    version = PlanVersion(number=1, status="draft", items=[
        PlanItem(item=item, position=1, included=True, quantity=Decimal(1), unit_cost=item.unit_cost,
                 cost=item.unit_cost, suggestion="include")])
    db.session.add(Plan(community=community, versions=[version]))
    period = PlanCommentPeriod(version=version, opens_on=opens_on, closes_on=closes_on,
                               closed_at=utcnow() if closed else None)
    db.session.add(period)
    db.session.flush()
    return version, period


def objection(version, period, household, *, answered=False, stance="object", hidden=False):
    row = PlanComment(period_id=period.id, version_id=version.id, household_id=household.id, stance=stance,
                      body="不同意", answer="已答复" if answered else None, answered_at=utcnow() if answered else None,
                      hidden_at=utcnow() if hidden else None, hidden_reason="不文明用语" if hidden else None)
    db.session.add(row)
    return row


HUB_NEXT = re.compile(r'id="module-comments".*?<strong>Next step:</strong>\s*([^<]+)<', re.S)


def test_unanswered_objections_read_the_same_on_the_hub_the_todo_the_list_and_the_gate(app, client, site):
    """One rule (plans.gates.unanswered_objection): a hidden objection still waits for its answer."""
    community = site["community"]
    version, period = plan_with_period(community, opens_on=today() - timedelta(days=5),
                                       closes_on=today() + timedelta(days=2))
    homes = community.buildings[0].units[0].households
    waiting = objection(version, period, homes[0])
    objection(version, period, homes[1], hidden=True)
    objection(version, period, homes[2], answered=True)
    objection(version, period, homes[3], stance="support")
    db.session.commit()
    sign_in(client, "org")
    english(client)

    def figures():
        hub = HUB_NEXT.search(client.get("/c/TD001").text)
        (line_,) = lines_of(client, "objections_unanswered")
        listed = rows_in(client, line_["href"], r'<tr id="c\d+"')
        own = rows_in(client, "/c/TD001/plan/versions/1/comments?unanswered=1", r'<tr id="c\d+"')
        with app.test_request_context(), force_locale("en"):
            gate = [words for words in comment_period_missing(version) if "objection" in words]
        return hub.group(1).strip() if hub else None, line_["count"], listed, own, gate

    assert figures() == ("2 objections to answer.", 2, 2, 2,
                         ["2 objections have no answer yet (the plan as a whole: 2): answer them first."])
    waiting.answer, waiting.answered_at = "已答复", utcnow()
    db.session.commit()
    assert figures() == ("1 objection to answer.", 1, 1, 1,
                         ["1 objection has no answer yet (the plan as a whole: 1): answer it first."])


def test_comment_period_ending_and_unanswered_objections_match_the_comments_list(client, site):
    community = site["community"]
    version, period = plan_with_period(community, opens_on=today() - timedelta(days=5),
                                       closes_on=today() + timedelta(days=2))
    homes = community.buildings[0].units[0].households
    objection(version, period, homes[0])
    objection(version, period, homes[1])
    objection(version, period, homes[2], answered=True)
    objection(version, period, homes[3], stance="support")
    db.session.commit()
    sign_in(client, "org")
    (ending,) = lines_of(client, "period_ending")
    assert ending["community"] == "TD001" and ending["href"].endswith("/plan/versions/1/comments")
    (unanswered,) = lines_of(client, "objections_unanswered")
    assert unanswered["count"] == 2
    assert rows_in(client, unanswered["href"], r'<tr id="c\d+"') == 2
    (gate,) = lines_of(client, "gate_adoption")
    assert gate["quiet"]   # the period is still open: adoption is not next yet
    sign_in(client, "org2")
    assert lines_of(client, "objections_unanswered")[0]["quiet"]


def test_a_draft_whose_period_closed_waits_at_the_adoption_gate(client, site):
    plan_with_period(site["community"], opens_on=today() - timedelta(days=10), closes_on=today() - timedelta(days=3))
    db.session.commit()
    sign_in(client, "org")
    (gate,) = lines_of(client, "gate_adoption")
    assert gate["count"] == 1 and gate["href"].endswith("/c/TD001/plan/versions/1")
    assert client.get(gate["href"]).status_code == 200
    assert lines_of(client, "period_ending")[0]["quiet"]


# --- votes -----------------------------------------------------------------------------------------------------------

def test_votes_short_of_quorum_match_the_filtered_vote_list(client, site):
    organiser, community = site["users"]["organiser"], site["community"]
    create_vote(organiser, community, 1, "选聘物业", closes_at=utcnow() + timedelta(days=3), open_now=True)
    create_vote(organiser, community, 2, "管理规约", closes_at=utcnow() + timedelta(days=5), open_now=True)
    create_vote(organiser, community, 3, "草稿表决")   # a draft: not counted
    create_vote(organiser, site["outsider"], 1, "别的小区", closes_at=utcnow() + timedelta(days=3), open_now=True)
    db.session.commit()
    sign_in(client, "org")
    english(client)
    (short,) = lines_of(client, "votes_short")
    assert short["count"] == 2 and short["community"] == "TD001"
    assert "the first closes in 3 days" in client.get("/staff").text
    assert rows_in(client, short["href"], r'<tr id="vote-\d+"') == 2
    assert rows_in(client, "/c/TD001/votes", r'<tr id="vote-\d+"') == 3


def test_owner_rep_co_signs_and_signs_acceptance_records(client, site):
    organiser, community = site["users"]["organiser"], site["community"]
    vote = create_vote(organiser, community, 1, "选聘物业", closes_at=utcnow() + timedelta(days=3), open_now=True)
    close_vote(organiser, vote)
    plan = Plan(community=community)
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([AcceptanceRecord(community=community, plan=plan, result_text="合格"),
                        AcceptanceRecord(community=community, plan=plan, result_text="基本合格")])
    db.session.commit()
    sign_in(client, "rep")
    (cosign,) = lines_of(client, "votes_cosign")
    assert cosign["count"] == 1 and rows_in(client, cosign["href"], r'<tr id="vote-\d+"') == 1
    (records,) = lines_of(client, "acceptance_sign")
    assert records["count"] == 2
    assert rows_in(client, records["href"], r'/acceptance/record/\d+/sign"') == 2
    keys = {entry["key"] for entry in todo_lines(client)}
    assert "tickets_overdue" not in keys and "votes_short" not in keys


# --- surveys and follow-up visits (the survey engine through survey_facts) -----------------------------------------

class FakeFacts:
    """The survey engine's side of the contract, as a test sets it: surveys per community, answered households."""

    def __init__(self, surveys, answered):
        self.surveys, self.answered = surveys, answered

    def community_surveys(self, community_id):
        return self.surveys.get(community_id, [])

    def answered_households(self, survey_id):
        return self.answered.get(survey_id, set())


def survey(survey_id, *, households, answered, closes_in=7, needs=True, status="open"):
    return {"id": survey_id, "title": f"问卷{survey_id}", "status": status, "opens_at": utcnow() - timedelta(days=3),
            "closes_at": utcnow() + timedelta(days=closes_in), "households": households, "answered": answered,
            "is_needs_survey": needs, "open_past_closing": False}


@pytest.fixture
def engine(app, monkeypatch, site):
    """TD001's open needs survey 1: building 1 (12 homes) had 5 answers (41 %), building 2 had 2 (16 %)."""
    community = site["community"]
    first, second = (building.units[0].households + building.units[1].households for building in community.buildings)
    answered = {h.id for h in first[:5]} | {h.id for h in second[:2]}
    fake = FakeFacts({community.id: [survey(1, households=24, answered=7),
                                     survey(2, households=24, answered=24, needs=False)]}, {1: answered})
    monkeypatch.setitem(app.extensions, EXTENSION, fake)
    return fake


FOLLOW_UP_ROW = r'class="follow-up-household"'


def test_organiser_follow_up_visits_are_the_buildings_under_30_percent(client, site, engine):
    sign_in(client, "org")
    (visits,) = lines_of(client, "follow_up")
    assert visits["count"] == 10   # building 2 only: 12 homes, 2 answered
    assert rows_in(client, visits["href"], FOLLOW_UP_ROW) == 10
    (to_close,) = lines_of(client, "survey_close")   # survey 2: every household answered
    assert to_close["count"] == 1 and to_close["href"].endswith("/surveys/2")


def test_grid_follow_up_visits_are_in_their_own_buildings(client, site, engine):
    sign_in(client, "gridder")
    (visits,) = lines_of(client, "follow_up")
    assert visits["count"] == 7   # building 1: 12 homes, 5 answered
    assert rows_in(client, visits["href"], FOLLOW_UP_ROW) == 7
    page = client.get(visits["href"]).text
    assert f'id="building-{site["community"].buildings[1].id}"' not in page
    keys = {entry["key"] for entry in todo_lines(client)}
    assert keys == {"follow_up"}


def test_follow_up_list_refuses_outside_scope_and_other_roles(client, site, engine):
    sign_in(client, "org2")
    assert client.get("/assist/follow-up?community=TD001").status_code == 404
    assert client.get("/assist/follow-up?community=NOPE").status_code == 404
    sign_in(client, "rep")
    assert client.get("/assist/follow-up?community=TD001").status_code == 403


def test_the_survey_engine_itself_gives_follow_ups_and_surveys_to_close(client, site):
    """No fake: real surveys and responses read through ``SurveyEngineFacts`` (answered_households,
    open_past_closing); every count equals the rows of the list its line opens."""
    community = site["community"]
    first, second = (building.units[0].households + building.units[1].households for building in community.buildings)
    needs = _needs_survey(community, closed=False)
    needs.closes_at = utcnow() + timedelta(days=5)
    _respond(needs, first[:5] + second[:2])                  # building 1: 5 of 12 (41 %), building 2: 2 of 12
    _respond(needs, second[2:4], status="draft")              # drafts are not answers
    lapsed = Survey(community=community, status="open", title={"zh": "过期未关"},
                    opens_at=utcnow() - timedelta(days=20), closes_at=utcnow() - timedelta(days=1))
    full = Survey(community=community, status="open", title={"zh": "都答了"}, opens_at=utcnow() - timedelta(days=2))
    done = Survey(community=community, status="closed", title={"zh": "已关闭"},
                  opens_at=utcnow() - timedelta(days=20), closes_at=utcnow() - timedelta(days=1))
    db.session.add_all([lapsed, full, done])
    db.session.flush()
    _respond(full, first + second)
    db.session.commit()
    sign_in(client, "org")
    (visits,) = lines_of(client, "follow_up")
    assert visits["count"] == 10 and visits["href"].endswith("low=1")     # building 2 only: 12 homes, 2 answered
    assert rows_in(client, visits["href"], FOLLOW_UP_ROW) == 10
    closing = lines_of(client, "survey_close")
    assert sorted(entry["href"].rsplit("/", 1)[1] for entry in closing) == sorted([str(lapsed.id), str(full.id)])
    assert all(entry["count"] == 1 for entry in closing)
    for entry in closing:
        assert client.get(entry["href"]).status_code == 200
    sign_in(client, "gridder")
    (visits,) = lines_of(client, "follow_up")
    assert visits["count"] == 7                                            # their building 1: 12 homes, 5 answered
    assert rows_in(client, visits["href"], FOLLOW_UP_ROW) == 7
    assert "not available" not in client.get("/staff").text


# --- admin, zero lines, the community list ---------------------------------------------------------------------------

def test_admin_sees_stalled_communities_by_the_stated_rule(client, site):
    plan_with_period(site["community"], opens_on=today() - timedelta(days=40), closes_on=today() - timedelta(days=20))
    site["outsider"].status = "works"
    db.session.commit()
    overdue(site, community=site["outsider"])
    sign_in(client, "boss")
    english(client)
    page = client.get("/staff").text
    stalled = re.findall(r'<li data-community="([^"]+)">', page)
    assert stalled == ["TD001", "TD002"]
    reasons = re.findall(r'<li data-community="[^"]+">.*?<span class="muted">([^<]+)</span>', page, re.S)
    assert "version 1" in reasons[0] and "1 overdue ticket during" in reasons[1]
    assert "more than 14 days ago" in page   # the rule, stated on the page


def test_nothing_waiting_is_said_and_zero_lines_stay_quiet(client, site):
    sign_in(client, "org")
    lines = todo_lines(client)
    assert lines and all(entry["quiet"] and entry["href"] is None for entry in lines)
    assert {"tickets_overdue", "period_ending", "votes_short", "gate_adoption"} <= {e["key"] for e in lines}
    page = client.get("/staff").text
    assert 'id="nothing-waiting"' in page
    assert 'href="/c/TD001' in page   # the community list stays below, linking to the community


def test_a_reviewing_department_sees_the_items_awaiting_its_word(client, site, make_user):
    community = site["community"]
    items = list(db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.code).limit(2)))
    version = PlanVersion(number=1, status="adopted", adopted_at=utcnow(), items=[
        PlanItem(item=item, position=index, included=True, quantity=Decimal(1), unit_cost=Decimal(100),
                 cost=Decimal(100)) for index, item in enumerate(items)])
    db.session.add(Plan(community=community, versions=[version]))
    department = Organisation(name="规划和自然资源局", kind="department", speciality="planning")
    db.session.add(department)
    db.session.flush()
    db.session.add(ReviewParty(locality_id=community.district.locality_id, organisation_id=department.id))
    make_user("agency", username="dept", organisation=department)
    open_review(site["users"]["organiser"], community)
    db.session.commit()
    sign_in(client, "dept")
    (waiting,) = lines_of(client, "review_signoff")
    assert waiting["count"] == 2 and waiting["href"] == "/c/TD001/joint-review"
    assert client.get(waiting["href"]).status_code == 200
    assert lines_of(client, "review_conflicts")[0]["quiet"]
    assert not lines_of(client, "tickets_overdue")   # tickets are never a department's
    sign_in(client, "builder")   # the contractor is no party: no joint-review lines
    assert not [entry for entry in todo_lines(client) if entry["key"].startswith("review_")]


def test_the_filtered_lists_keep_their_scope(client, site):
    assert client.get("/staff").status_code == 302   # signed out: the login page
    assert client.get("/assist/follow-up?community=TD001").status_code == 302
    plan_with_period(site["outsider"], opens_on=today(), closes_on=today() + timedelta(days=7))
    db.session.commit()
    sign_in(client, "org")
    assert client.get("/c/TD002/votes?show=short").status_code == 404
    assert client.get("/c/TD002/plan/versions/1/comments?stance=object&unanswered=1").status_code == 404
    overdue(site, community=site["outsider"])
    assert rows_in(client, "/hotline?due=overdue&community=TD002", QUEUE_ROW) == 0


def test_a_community_whose_next_stage_needs_nothing_more_waits_at_its_gate(client, site):
    site["community"].status = "annual_plan"   # the census needs households on the roster: it has them
    site["outsider"].status = "annual_plan"
    db.session.commit()
    sign_in(client, "org")
    (ready,) = lines_of(client, "gate_stage")
    assert ready["count"] == 1 and ready["community"] == "TD001" and ready["href"] == "/c/TD001"
    assert client.get(ready["href"]).status_code == 200
