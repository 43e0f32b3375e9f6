"""The seam between participation and the survey engine (``participation.survey_facts``): the engine's
implementation has every method of the Protocol with its shape, the application registers it, and the city
overview's set-based questions give the figures the overview read before from the survey tables by name (the
statements below are those it ran, kept here as the reference). Without a survey engine, plan inputs and the city
show no survey figures."""
import inspect

import pytest
from flask import Flask
from sqlalchemy import and_, case, column, func, literal, or_, select, table

from participation import survey_facts
from participation.dashboards.city import city_overview
from participation.extensions import db
from participation.models import Community, Household, User
from participation.models.types import utcnow
from participation.plans.inputs import plan_inputs
from surveys.models import Question, Survey
from surveys.results.plan_needs import SurveyEngineFacts, community_needs
from tests.participation.test_city_overview import _needs_survey, _respond, city  # noqa: F401  (the fixture)

PROTOCOL_METHODS = ("community_needs", "needs_surveys", "responded", "elevator_items", "seed_demo")

# The survey tables as the city overview read them before the seam, by name.
surveys_t = table("surveys", column("id"), column("community_id"), column("is_template"), column("status"),
                  column("opens_at"), column("closes_at"))
questions_t = table("survey_questions", column("survey_id"), column("role"), column("item_id"))
responses_t = table("survey_responses", column("survey_id"), column("household_id"), column("status"))


def _before_needs_surveys(in_scope) -> dict:
    now = utcnow()
    has_needs = select(questions_t.c.survey_id).where(questions_t.c.survey_id == surveys_t.c.id,
                                                      questions_t.c.role == "item_need").exists()
    closed = or_(surveys_t.c.status == "closed",
                 and_(surveys_t.c.status == "open", surveys_t.c.closes_at.is_not(None), surveys_t.c.closes_at <= now))
    running = and_(surveys_t.c.status == "open", or_(surveys_t.c.opens_at.is_(None), surveys_t.c.opens_at <= now))
    rows = db.session.execute(
        select(surveys_t.c.community_id, func.max(case((closed, surveys_t.c.id))),
               func.max(case((running, surveys_t.c.id))))
        .where(surveys_t.c.community_id.in_(in_scope), surveys_t.c.is_template == literal(False), has_needs)
        .group_by(surveys_t.c.community_id)).all()
    return {cid: (closed_id, True) if closed_id is not None else (open_id, False)
            for cid, closed_id, open_id in rows if closed_id is not None or open_id is not None}


def _before_responded(survey_ids) -> dict:
    vacant = Household.__table__.alias("vacant")
    return dict(db.session.execute(
        select(surveys_t.c.community_id, func.count() - func.count(vacant.c.id))
        .select_from(responses_t).join(surveys_t, surveys_t.c.id == responses_t.c.survey_id)
        .outerjoin(vacant, and_(vacant.c.id == responses_t.c.household_id, vacant.c.occupancy == "vacant"))
        .where(responses_t.c.survey_id.in_(survey_ids), responses_t.c.status == "submitted")
        .group_by(surveys_t.c.community_id)).all()) if survey_ids else {}


def _before_elevator_items(survey_ids) -> dict:
    return dict(db.session.execute(
        select(surveys_t.c.community_id, func.max(questions_t.c.item_id))
        .join(questions_t, questions_t.c.survey_id == surveys_t.c.id)
        .where(surveys_t.c.id.in_(survey_ids or [-1]), questions_t.c.role == "elevator")
        .group_by(surveys_t.c.community_id)).all())


def test_the_engine_implements_the_protocol_method_by_method():
    engine = SurveyEngineFacts()
    assert isinstance(engine, survey_facts.SurveyFacts)
    for name in PROTOCOL_METHODS:
        wanted = inspect.signature(getattr(survey_facts.SurveyFacts, name))
        given = inspect.signature(getattr(SurveyEngineFacts, name))
        assert list(given.parameters) == list(wanted.parameters), name
        assert given.return_annotation == wanted.return_annotation, name
    protocol_methods = {name for name, value in vars(survey_facts.SurveyFacts).items()
                        if callable(value) and not name.startswith("_")}
    assert protocol_methods == set(PROTOCOL_METHODS)


def test_the_application_registers_the_engine_and_a_bare_app_has_none(app):
    with app.app_context():
        assert isinstance(survey_facts.facts(), SurveyEngineFacts)
    bare = Flask("bare")
    with bare.app_context():
        assert survey_facts.facts() is None


@pytest.fixture
def more(city, make_community, reference_data):
    """Beside the city: an open needs survey (CD) and an elevator question in CA's closed one."""
    d = make_community("CD", status="planning", buildings=1, units=2, floors=2)
    running = _needs_survey(d, closed=False)
    _respond(running, [h for b in d.buildings for u in b.units for h in u.households][:3])
    need = db.session.scalar(select(Question).join(Survey, Survey.id == Question.survey_id)
                             .where(Survey.community_id == city["a"].id, Question.role == "item_need"))
    db.session.add(Question(survey_id=need.survey_id, section_id=need.section_id, name="elevator",
                            type="select_one", role="elevator", item_id=city["items"]["I14"].id, position=2,
                            label={"zh": "电梯"}))
    db.session.commit()
    return city | {"d": d}


def test_the_city_questions_give_the_figures_read_before_from_the_tables(app, more):
    engine = survey_facts.facts()
    in_scope = select(Community.id)
    surveys = engine.needs_surveys(in_scope)
    assert surveys == _before_needs_surveys(in_scope)
    assert set(surveys) == {more["a"].id, more["d"].id}
    assert surveys[more["a"].id][1] is True and surveys[more["d"].id][1] is False
    survey_ids = [survey_id for survey_id, _closed in surveys.values()]
    assert engine.responded(survey_ids) == _before_responded(survey_ids) == {more["a"].id: 10, more["d"].id: 3}
    assert engine.responded([]) == {}
    elevator = engine.elevator_items(survey_ids)
    assert dict(db.session.execute(select(elevator.c.cid, elevator.c.item_id)).all()) \
        == _before_elevator_items(survey_ids) == {more["a"].id: more["items"]["I14"].id}


def test_plan_inputs_read_the_engines_needs(app, city):
    needs = community_needs(city["a"])
    assert survey_facts.facts().community_needs(city["a"]) == needs
    assert plan_inputs(city["a"])["survey"] == needs["survey"]


def test_without_a_survey_engine_there_are_no_survey_figures(app, city, monkeypatch):
    admin = db.session.scalar(select(User).filter_by(username="recorder"))
    with_engine = {row["code"]: row for row in city_overview(admin)["communities"]}
    monkeypatch.delitem(app.extensions, survey_facts.EXTENSION)
    assert survey_facts.facts() is None
    assert plan_inputs(city["a"])["survey"] is None
    rows = {row["code"]: row for row in city_overview(admin)["communities"]}
    assert rows["CA"]["survey_id"] is None and rows["CA"]["responded"] == 0 and rows["CA"]["response_rate"] is None
    assert rows["CA"]["preparatory"]["needs_survey_closed"] is False
    # the roster and the money do not depend on the survey (CA's survey has no elevator question)
    for code, row in rows.items():
        for key in ("households", "vacant", "area", "units", "buildings", "investment", "investment_source"):
            assert row[key] == with_engine[code][key], (code, key)
