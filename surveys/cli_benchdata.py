"""The survey side of ``flask --app app bench-data``: each bench community's needs survey and its answers.

``participation.demo.benchdata`` builds the roster and sends ``bench_city_generated``; this module (imported by
``surveys.cli`` with the other command modules) listens, since participation never imports the survey engine.

The first ``full_surveys`` communities get the demo's full needs survey (every catalogue item, the top-5 ranking,
cost sharing, the elevator), answered by about 70 % of occupied households through ``surveys.demo.bulk_answers``;
the others a one-question needs survey (屋面 B01: need / neutral / no) answered by 50–75 % of occupied households,
written in bulk — responses and answers by COPY on PostgreSQL — and counted into the tallies by one INSERT … SELECT
… GROUP BY. Surveys of communities past 方案编制 are closed, the others open. Deterministic from the seed.
"""
import random
from datetime import timedelta

from sqlalchemy import select, text

from participation.demo.benchdata import bench_city_generated, bulk_insert
from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, Household, Unit
from participation.models.types import utcnow
from surveys.demo import build_needs_survey, bulk_answers, community_households, needs_answers
from surveys.models import Choice, Question, Section, Survey

CLOSED_FROM = ("plan_notice", "works", "acceptance", "aftercare")
LEVELS = (("need", 0.7), ("neutral", 0.2), ("no", 0.1))
TITLE = {"zh": "改造需求调查（基准）", "en": "Renovation needs survey (bench)"}


@bench_city_generated.connect
def add_bench_surveys(_sender=None, *, community_ids, seed, full_surveys=0, **_extra) -> dict:
    now = utcnow().replace(microsecond=0)
    communities = {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(community_ids)))}
    added = {"surveys": 0, "responses": 0}
    for community_id in community_ids[:full_surveys]:
        community = communities[community_id]
        survey = build_needs_survey(community, None, opened=now - timedelta(days=40), closes=now + timedelta(days=30))
        added["surveys"] += 1
        added["responses"] += bulk_answers(survey, community_households(community), "needs", needs_answers, None,
                                           now - timedelta(minutes=5), share=0.7)
        if community.status in CLOSED_FROM:
            survey.close(now=now)
    light = [communities[cid] for cid in community_ids[full_surveys:]]
    if light:
        added["surveys"] += len(light)
        added["responses"] += _light_surveys(light, seed, now)
    db.session.flush()
    return added


def _light_surveys(communities: list[Community], seed: int, now) -> int:
    item = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    surveys = {}
    for community in communities:
        closed = community.status in CLOSED_FROM
        survey = Survey(community_id=community.id, title=dict(TITLE), description={}, status="closed" if closed
                        else "open", opens_at=now - timedelta(days=40),
                        closes_at=now - timedelta(days=1) if closed else now + timedelta(days=30))
        section = Section(name="items", position=1, label={"zh": "改造项目", "en": "Renovation items"})
        survey.sections.append(section)
        survey.questions.append(Question(
            section=section, name="need_B01", type="select_one", role="item_need", item_id=item.id, position=1,
            required=True, label={"zh": "您家需要屋面防水及保温维修吗？", "en": "Does your home need the roof repaired?"},
            choices=[Choice(name=name, position=i, label={"zh": name}) for i, (name, _odds) in enumerate(LEVELS, 1)]))
        surveys[community.id] = survey
    db.session.add_all(surveys.values())
    db.session.flush()
    homes = db.session.execute(
        select(Building.community_id, Household.id, Household.occupancy)
        .join(Unit, Unit.building_id == Building.id).join(Household, Household.unit_id == Unit.id)
        .where(Building.community_id.in_(list(surveys))).order_by(Household.id)).all()
    next_response = (db.session.scalar(text("SELECT max(id) FROM survey_responses")) or 0) + 1
    next_answer = (db.session.scalar(text("SELECT max(id) FROM survey_answers")) or 0) + 1
    shares = {cid: random.Random(f"{seed}:survey-share:{cid}").uniform(0.5, 0.75) for cid in surveys}
    responses, answers = [], []
    for community_id, household_id, occupancy in homes:
        rng = random.Random(f"{seed}:answer:{household_id}")
        if occupancy == "vacant" or rng.random() >= shares[community_id]:
            continue
        survey = surveys[community_id]
        when = survey.opens_at + timedelta(hours=rng.randint(1, 24 * 38))
        responses.append({"id": next_response, "survey_id": survey.id, "household_id": household_id,
                          "status": "submitted", "receipt": f"B{next_response:011d}", "channel": "web",
                          "staff_id": None, "version": 1, "sensitive_consent_at": None, "created_at": when,
                          "updated_at": when, "submitted_at": when})
        pick = rng.random()
        level = "need" if pick < LEVELS[0][1] else "neutral" if pick < LEVELS[0][1] + LEVELS[1][1] else "no"
        answers.append({"id": next_answer, "response_id": next_response, "question_id": survey.questions[0].id,
                        "choice": level, "rank": None, "number": None, "text_value": None, "date_value": None})
        next_response += 1
        next_answer += 1
    if responses:
        bulk_insert("survey_responses", responses)
        bulk_insert("survey_answers", answers)
        # the tallies a save would have kept, for every light survey at once
        db.session.execute(text(
            "INSERT INTO survey_tallies (survey_id, question_id, kind, value, rank, count, area) "
            "SELECT r.survey_id, a.question_id, 'choice', a.choice, 0, count(*), sum(h.area) "
            "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
            "JOIN households h ON h.id = r.household_id "
            "WHERE r.id BETWEEN :first AND :last AND r.status = 'submitted' "
            "GROUP BY r.survey_id, a.question_id, a.choice"),
            {"first": responses[0]["id"], "last": responses[-1]["id"]})
    return len(responses)
