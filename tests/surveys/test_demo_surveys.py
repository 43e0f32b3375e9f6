"""seed-demo's surveys, each where its community's stage puts it: NG001's needs survey ran and closed before its
plan was made (the plan inputs read it) and its 施工安排 opinion survey closed two weeks ago, both showing results to
residents; NG002's needs survey is open now, about 60 % answered with a few drafts; NG003 has a draft; the admin has a
needs template. Deterministic for a given demo today, idempotent, every answer one the web form would accept, the
--json output unchanged."""
import json
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import Building, Community, Household, Plan, PlanVersion, Unit, User
from participation.survey_facts import facts
from surveys.answering.checks import clean_answers, in_audience
from surveys.answering.operations import response_values
from surveys.builder import queries
from surveys.demo import NEEDS_TITLE, OPEN_TITLE, OPINION_TITLE, TEMPLATE_TITLE
from surveys.models import Answer, Question, Response, ResponseRevision, Survey
from tests.conftest import empty_every_table

TODAY = date(2026, 11, 20)
MIDNIGHT = datetime.combine(TODAY, time(0), tzinfo=BEIJING).astimezone(timezone.utc)


def seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def community(code: str) -> Community:
    return db.session.scalar(select(Community).filter_by(code=code))


def survey_titled(title: dict) -> Survey:
    return next(s for s in db.session.scalars(select(Survey)) if s.title.get("zh") == title["zh"])


def households_of(code: str) -> int:
    return db.session.scalar(select(func.count(Household.id)).join(Unit).join(Building).join(Community)
                             .where(Community.code == code))


def submitted(survey: Survey) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.survey_id == survey.id,
                                                          Response.status == "submitted")))


def answers_snapshot() -> list[tuple]:
    """Every answer by address and question name: what must be the same on every fresh database."""
    rows = db.session.execute(
        select(Community.code, Building.name, Unit.name, Household.room, Question.name, Answer.choice, Answer.rank,
               Answer.number, Answer.text_value, Response.channel, Response.status, Response.receipt,
               Response.created_at)
        .select_from(Answer).join(Response, Answer.response_id == Response.id)
        .join(Question, Answer.question_id == Question.id).join(Household, Response.household_id == Household.id)
        .join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .join(Community, Community.id == Building.community_id))
    return sorted(tuple(str(value) for value in row) for row in rows)


def test_ng001s_needs_survey_ran_before_its_plan_and_the_plan_inputs_read_it(runner):
    output = seed(runner, "--today", TODAY.isoformat()).output
    assert "added now: 6 surveys" in output
    needs = survey_titled(NEEDS_TITLE)
    assert needs.community.code == "NG001" and needs.status == "closed" and not needs.is_accepting(MIDNIGHT)
    assert needs.results_visibility == "after_close"
    first = db.session.scalar(select(PlanVersion).join(Plan).where(Plan.community_id == needs.community_id,
                                                                   PlanVersion.number == 1))
    assert needs.opens_at < needs.closes_at < first.created_at
    roles = {q.role for q in needs.questions}
    assert {"item_need", "item_share", "item_priority", "cofunding_band", "elevator"} <= roles
    responses = submitted(needs)
    assert 0.55 <= len(responses) / households_of("NG001") <= 0.65
    times = sorted(r.submitted_at for r in responses)
    assert needs.opens_at <= times[0] and times[-1] < needs.closes_at
    assert times[len(times) // 2] - times[0] > timedelta(days=2)          # spread over the window, most early
    answers = db.session.scalar(select(func.count(Answer.id)).join(Response).where(Response.survey_id == needs.id))
    assert 50 <= answers / len(responses) <= 75
    read = facts().community_needs(needs.community)
    assert read["survey"]["id"] == needs.id and read["survey"]["status"] == "closed"
    assert read["participation"] and any(row["respondents"] for row in read["items"].values())


def test_ng001s_opinion_survey_closed_two_weeks_ago_with_results_for_residents(runner):
    seed(runner, "--today", TODAY.isoformat())
    opinion = survey_titled(OPINION_TITLE)
    assert opinion.community.code == "NG001" and opinion.status == "closed"
    assert opinion.results_visibility == "after_close"
    assert MIDNIGHT - timedelta(days=30) < opinion.closes_at < MIDNIGHT - timedelta(days=7)
    responses = submitted(opinion)
    total = households_of("NG001")
    assert 0.3 * total <= len(responses) <= 0.5 * total
    assert all(opinion.opens_at <= r.submitted_at < opinion.closes_at for r in responses)


def test_the_resident_home_lists_the_recent_results_on_the_real_today(runner):
    """Seeded on the real today (as the demo is shown): NG001's opinion survey is listed with its results, the
    needs survey of months ago is not; NG002's open survey is listed to answer."""
    seed(runner)
    opinion, needs, running = (survey_titled(t) for t in (OPINION_TITLE, NEEDS_TITLE, OPEN_TITLE))
    home = db.session.scalar(select(Household).join(Unit).join(Building).where(
        Building.community_id == opinion.community_id))
    listed = {row["id"]: row for row in facts().household_surveys(home.id)}
    assert listed[opinion.id]["results_visible"] and listed[opinion.id]["status"] == "closed"
    assert needs.id not in listed
    other = db.session.scalar(select(Household).join(Unit).join(Building).where(
        Building.community_id == running.community_id))
    (row,) = facts().household_surveys(other.id)
    assert row["id"] == running.id and row["status"] == "open"


def test_ng002s_needs_survey_is_open_about_60_percent_answered_with_drafts(runner):
    seed(runner, "--today", TODAY.isoformat())
    survey = survey_titled(OPEN_TITLE)
    assert survey.community.code == "NG002" and community("NG002").status == "needs"
    assert survey.status == "open" and survey.is_accepting(MIDNIGHT)
    assert MIDNIGHT - timedelta(days=21) <= survey.opens_at <= MIDNIGHT - timedelta(days=14)
    assert MIDNIGHT + timedelta(days=21) <= survey.closes_at <= MIDNIGHT + timedelta(days=28)
    assert any(q.role == "item_need" for q in survey.questions)
    responses = submitted(survey)
    assert 0.55 <= len(responses) / households_of("NG002") <= 0.65
    assert all(survey.opens_at <= r.submitted_at < MIDNIGHT for r in responses)     # nothing after the eve
    organiser = db.session.scalar(select(User).filter_by(username="demo-organiser"))
    assisted = [r for r in responses if r.channel != "web"]
    assert {"paper", "door_to_door"} <= {r.channel for r in assisted}
    assert all(r.staff_id == organiser.id for r in assisted) and 0.1 < len(assisted) / len(responses) < 0.3
    drafts = db.session.scalars(select(Response).where(Response.survey_id == survey.id,
                                                       Response.status == "draft")).all()
    assert 2 <= len(drafts) <= 6
    assert all(d.submitted_at is None and survey.opens_at < d.created_at < MIDNIGHT for d in drafts)
    revisions = db.session.scalar(select(func.count(ResponseRevision.id)).join(Response)
                                  .where(Response.survey_id == survey.id))
    assert revisions == len(responses) + len(drafts)
    listed = facts().community_surveys(survey.community_id)
    assert [(row["status"], row["is_needs_survey"]) for row in listed] == [("open", True)]


def test_a_needs_template_of_the_admin_and_drafts_first_on_their_lists(runner):
    """The builder's editing pages have something to edit: NG003's draft for the works, and NG001's next survey,
    the newest on NG001's list (staff meet it first), made on the demo's calendar."""
    seed(runner, "--today", TODAY.isoformat())
    template = survey_titled(TEMPLATE_TITLE)
    admin = db.session.scalar(select(User).filter_by(username="demo-admin"))
    assert template.is_template and template.community_id is None and template.created_by_id == admin.id
    assert template.status == "draft" and any(q.role == "item_need" for q in template.questions)
    (draft,) = [row for row in facts().community_surveys(community("NG003").id)]
    assert draft["status"] == "draft"
    survey = db.session.get(Survey, draft["id"])
    assert survey.sections and any(q.choices for q in survey.questions)
    assert not db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey.id))
    rows = queries.community_surveys(community("NG001"))
    assert [row["survey"].status for row in rows][:1] == ["draft"] and len(rows) == 3
    newest = rows[0]["survey"]
    assert MIDNIGHT - timedelta(days=7) < newest.created_at < MIDNIGHT and any(q.choices for q in newest.questions)


def test_demo_answers_look_real_and_pass_the_servers_checks(runner):
    seed(runner, "--today", TODAY.isoformat())
    needs = survey_titled(NEEDS_TITLE)
    grid = db.session.scalar(select(User).filter_by(username="demo-grid"))
    responses = db.session.scalars(select(Response).where(Response.survey_id == needs.id)).all()
    channels = {r.channel for r in responses}
    assert {"web", "paper", "door_to_door"} <= channels
    assert all(r.staff_id == grid.id for r in responses if r.channel != "web")
    assert all(r.status == "submitted" and r.submitted_at >= needs.opens_at for r in responses)
    need_counts = {"basic": [0, 0], "upgrade": [0, 0]}
    elevator = next(q for q in needs.questions if q.role == "elevator")
    for response in responses[:60]:
        values = response_values(response)
        cleaned, errors = clean_answers(needs, response.household, {
            name: value if isinstance(value, list) else str(value) for name, value in values.items()})
        assert errors == {} and cleaned.keys() == values.keys()
        needed = {name[5:] for name, value in values.items() if name.startswith("need_") and value == "need"}
        assert set(values.get("priorities", [])) <= needed and len(values.get("priorities", [])) <= 5
        assert ("elevator" in values) == in_audience(elevator, response.household)
        for question in needs.questions:
            if question.role == "item_need" and question.item.category in need_counts:
                need_counts[question.item.category][0] += values[question.name] == "need"
                need_counts[question.item.category][1] += 1
    basic_share = need_counts["basic"][0] / need_counts["basic"][1]
    upgrade_share = need_counts["upgrade"][0] / need_counts["upgrade"][1]
    assert basic_share > 0.6 and 0.15 < upgrade_share < 0.5


def test_same_answers_on_every_fresh_database_and_json_unchanged(runner):
    first_json = json.loads(seed(runner, "--json", "--today", TODAY.isoformat()).stdout)
    assert set(first_json) == {"users", "households"}
    first = answers_snapshot()
    assert first
    empty_every_table()
    assert json.loads(seed(runner, "--json", "--today", TODAY.isoformat()).stdout) == first_json
    assert answers_snapshot() == first


def test_a_second_run_adds_nothing(runner):
    seed(runner)
    before = (db.session.scalar(select(func.count(Survey.id))), db.session.scalar(select(func.count(Response.id))),
              db.session.scalar(select(func.count(Answer.id))), db.session.scalar(select(func.count(Question.id))))
    output = seed(runner).output
    assert "added now: 0 surveys, 0 responses" in output
    after = (db.session.scalar(select(func.count(Survey.id))), db.session.scalar(select(func.count(Response.id))),
             db.session.scalar(select(func.count(Answer.id))), db.session.scalar(select(func.count(Question.id))))
    assert after == before
