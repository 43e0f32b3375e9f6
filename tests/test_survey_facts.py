"""The seam between participation and the survey engine (``participation.survey_facts``): the engine's
implementation has every method of the Protocol with its shape, the application registers it, and the city
overview's set-based questions give the figures the overview read before from the survey tables by name (the
statements below are those it ran, kept here as the reference). Without a survey engine, plan inputs and the city
show no survey figures."""
import inspect
from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import and_, case, column, func, literal, or_, select, table

from participation import survey_facts
from participation.dashboards.city import city_overview
from participation.extensions import db
from participation.models import Community, Household, User
from participation.models.types import utcnow
from participation.plans.inputs import plan_inputs
from surveys.models import Question, Section, Survey
from surveys.results.plan_needs import SurveyEngineFacts, community_needs
from tests.participation.test_city_overview import _items, _needs_survey, _respond, city  # noqa: F401  (the fixture)

PROTOCOL_METHODS = ("community_needs", "needs_surveys", "responded", "elevator_items", "community_surveys",
                    "household_surveys", "answered_households", "seed_demo")

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


def _survey(community, *, status="open", title="问卷", needs=False, opens=-10, closes=None) -> Survey:
    now = utcnow()
    survey = Survey(community=community, status=status, title={"zh": title, "en": title + " (en)"},
                    opens_at=now + timedelta(days=opens) if opens is not None else None,
                    closes_at=now + timedelta(days=closes) if closes is not None else None)
    if needs:
        section = Section(name="p1", position=1, label={"zh": "第1页"})
        survey.sections.append(section)
        survey.questions.append(Question(section=section, name="need", type="yes_no", role="item_need",
                                         item_id=_items()["B01"].id, position=1, label={"zh": "屋面"}))
    db.session.add(survey)
    db.session.flush()
    return survey


@pytest.fixture
def listed(app, reference_data, make_community):
    """Community LA (12 households, one vacant) with surveys in every state; LB beside it with its own."""
    a, b = make_community("LA", buildings=1, units=2, floors=3), make_community("LB", buildings=1, units=1)
    homes = [h for building in a.buildings for unit in building.units for h in unit.households]
    homes[0].occupancy = "vacant"
    surveys = {
        "needs": _survey(a, title="需求调查", needs=True, closes=5),
        "later": _survey(a, title="长期问卷", closes=None),
        "soon": _survey(a, title="快截止", closes=1),
        "draft": _survey(a, status="draft", title="草稿问卷", opens=None),
        "future": _survey(a, title="未开始", opens=3, closes=10),
        "recent": _survey(a, status="closed", title="刚结束", opens=-40, closes=-5),
        "lapsed": _survey(a, title="自动结束", opens=-40, closes=-2),      # open, but past its closing time
        "old": _survey(a, status="closed", title="旧问卷", opens=-90, closes=-45),
        "template": Survey(is_template=True, status="draft", title={"zh": "模板"}),
        "other": _survey(b, title="别的小区"),
    }
    db.session.add(surveys["template"])
    db.session.flush()
    _respond(surveys["needs"], homes[:4])                 # homes[0] is vacant: 3 count
    _respond(surveys["soon"], homes[1:2], status="draft")
    _respond(surveys["recent"], homes[1:3])
    db.session.commit()
    return {"a": a, "b": b, "homes": homes, "surveys": surveys}


def test_community_surveys_lists_every_survey_with_its_participation(app, listed):
    surveys = listed["surveys"]
    with app.test_request_context():
        rows = survey_facts.facts().community_surveys(listed["a"].id)
    by_id = {row["id"]: row for row in rows}
    assert [row["id"] for row in rows] == sorted(by_id, reverse=True)
    wanted = {key for key in surveys if key not in ("template", "other")}
    assert set(by_id) == {surveys[key].id for key in wanted}
    needs = by_id[surveys["needs"].id]
    assert set(needs) == {"id", "title", "status", "opens_at", "closes_at", "households", "answered",
                          "is_needs_survey", "open_past_closing"}
    assert needs["title"] == "需求调查" and needs["status"] == "open" and needs["is_needs_survey"] is True
    assert needs["households"] == 11 and needs["answered"] == 3
    assert needs["closes_at"] == surveys["needs"].closes_at
    assert by_id[surveys["soon"].id]["answered"] == 0                    # a draft is not an answer
    assert by_id[surveys["recent"].id]["answered"] == 2
    assert by_id[surveys["soon"].id]["is_needs_survey"] is False
    states = {key: by_id[surveys[key].id]["status"] for key in wanted}
    assert states == {"needs": "open", "later": "open", "soon": "open", "draft": "draft", "future": "draft",
                      "recent": "closed", "lapsed": "closed", "old": "closed"}
    # only a survey still open in the engine past its closing time is to be closed; one closed by staff is not
    assert {key for key in wanted if by_id[surveys[key].id]["open_past_closing"]} == {"lapsed"}
    assert survey_facts.facts().community_surveys(listed["b"].id)[0]["households"] == 6
    assert survey_facts.facts().community_surveys(-1) == []


def test_answered_households_are_those_with_a_submitted_response(app, listed):
    surveys, homes = listed["surveys"], listed["homes"]
    engine = survey_facts.facts()
    # the vacant home answered too: it is in the set (the follow-up list leaves vacant homes out itself)
    assert engine.answered_households(surveys["needs"].id) == {home.id for home in homes[:4]}
    assert engine.answered_households(surveys["soon"].id) == set()          # a draft is not an answer
    assert engine.answered_households(surveys["recent"].id) == {homes[1].id, homes[2].id}
    assert engine.answered_households(surveys["later"].id) == set()
    assert engine.answered_households(-1) == set()


def test_household_surveys_give_each_households_own_state(app, listed):
    surveys, homes = listed["surveys"], listed["homes"]
    engine = survey_facts.facts()
    with app.test_request_context():
        rows = engine.household_surveys(homes[1].id)
    ids = [row["id"] for row in rows]
    # open ones first, the soonest deadline first (none last), then the recently closed ones, newest first
    assert ids == [surveys[key].id for key in ("soon", "needs", "later", "lapsed", "recent")]
    by_key = {key: next(row for row in rows if row["id"] == surveys[key].id)
              for key in ("soon", "needs", "later", "lapsed", "recent")}
    assert {key: row["state"] for key, row in by_key.items()} == {
        "soon": "draft", "needs": "submitted", "later": "not_started", "lapsed": "not_started",
        "recent": "submitted"}
    assert {key: row["status"] for key, row in by_key.items()} == {
        "soon": "open", "needs": "open", "later": "open", "lapsed": "closed", "recent": "closed"}
    assert by_key["needs"]["receipt"] == f"R{surveys['needs'].id:03d}{homes[1].id:06d}"
    assert by_key["soon"]["receipt"] is None
    assert by_key["recent"]["results_visible"] is True and by_key["needs"]["results_visible"] is False
    assert by_key["soon"]["closes_at"] == surveys["soon"].closes_at and by_key["later"]["closes_at"] is None
    assert {"id", "title", "status", "closes_at", "state"} <= set(by_key["soon"])
    others = engine.household_surveys(homes[5].id)
    assert {row["state"] for row in others} == {"not_started"}
    assert engine.household_surveys(listed["b"].buildings[0].units[0].households[0].id)[0]["title"] == "别的小区"
    assert engine.household_surveys(-1) == []
    with app.test_request_context(), force_locale("en"):
        titles = {row["id"]: row["title"] for row in engine.household_surveys(homes[1].id)}
    assert titles[surveys["soon"].id] == "快截止 (en)"
