"""seed-demo's surveys: an open needs survey about 60 % answered, a closed one with answers; deterministic,
idempotent, every answer one the web form would accept, the --json output unchanged."""
import json

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Building, Community, Household, Unit, User
from surveys.answering.checks import clean_answers, in_audience
from surveys.answering.operations import response_values
from surveys.models import Answer, Question, Response, ResponseRevision, Survey
from tests.conftest import empty_every_table


def seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def surveys() -> dict[str, Survey]:
    return {survey.status: survey for survey in db.session.scalars(select(Survey))}


def households_of(code: str) -> int:
    return db.session.scalar(select(func.count(Household.id)).join(Unit).join(Building).join(Community)
                             .where(Community.code == code))


def answers_snapshot() -> list[tuple]:
    """Every answer by address and question name: what must be the same on every fresh database."""
    rows = db.session.execute(
        select(Building.name, Unit.name, Household.room, Question.name, Answer.choice, Answer.rank, Answer.number,
               Answer.text_value, Response.channel, Response.receipt)
        .select_from(Answer).join(Response, Answer.response_id == Response.id)
        .join(Question, Answer.question_id == Question.id).join(Household, Response.household_id == Household.id)
        .join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id))
    return sorted(tuple(str(value) for value in row) for row in rows)


def test_an_open_needs_survey_about_60_percent_answered_and_a_closed_one(runner):
    output = seed(runner).output
    assert "added now: 2 surveys" in output
    by_status = surveys()
    assert set(by_status) == {"open", "closed"}
    needs, closed = by_status["open"], by_status["closed"]
    assert needs.community.code == "NG001" and needs.is_accepting()
    assert not closed.is_accepting() and closed.closes_at < needs.opens_at
    roles = {q.role for q in needs.questions}
    assert {"item_need", "item_share", "item_priority", "cofunding_band", "elevator"} <= roles
    total = households_of("NG001")
    answered = db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == needs.id))
    assert 0.55 <= answered / total <= 0.65
    closed_answers = db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == closed.id))
    assert 0.3 * total <= closed_answers <= 0.5 * total
    answers = db.session.scalar(select(func.count(Answer.id)).join(Response).where(Response.survey_id == needs.id))
    assert 50 <= answers / answered <= 75
    assert db.session.scalar(select(func.count(ResponseRevision.id))) == answered + closed_answers


def test_demo_answers_look_real_and_pass_the_servers_checks(runner):
    seed(runner)
    needs = surveys()["open"]
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
    first_json = json.loads(seed(runner, "--json").stdout)
    assert set(first_json) == {"users", "households"}
    first = answers_snapshot()
    assert first
    empty_every_table()
    assert json.loads(seed(runner, "--json").stdout) == first_json
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
