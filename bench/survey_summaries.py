"""Survey summaries benchmark: a 2,000-household community, ~1,600 submitted needs-survey responses (bulk-inserted,
drawn as seed-demo draws them and checked by clean_answers), then ``surveys.results.summaries.survey_summaries`` for every
question against one raw SQL ``GROUP BY (question_id, choice)`` over the same answers, in the same run.

Prints the median milliseconds of ``--repeat`` runs and their ratio; the goal is a summary under 50 ms. SQLite always
(a fresh file); PostgreSQL too when BENCH_DATABASE_URL is set (its tables are dropped and re-created: never point it
at a database you care about).

    .venv/bin/python bench/survey_summaries.py [--repeat 7]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import Building, Community, District, Household, Locality, Unit  # noqa: E402
from participation.models.types import utcnow  # noqa: E402
from participation.reference.seed import seed_catalogue, seed_localities  # noqa: E402
from participation.roster.files import natural_key  # noqa: E402
from surveys.demo import build_needs_survey, bulk_answers, community_households, needs_answers  # noqa: E402
from surveys.models import Answer, Response  # noqa: E402
from surveys.results.summaries import item_block, participation, survey_results, survey_summaries  # noqa: E402
from surveys.results.tallies import rebuild  # noqa: E402

BUILDINGS, UNITS, FLOORS, PER_FLOOR = 25, 4, 10, 2    # 2,000 households
ANSWERED = 0.82                                        # ≈ 1,600 responses
RAW_SQL = text("SELECT a.question_id, a.choice, count(*) FROM survey_answers a "
               "JOIN survey_responses r ON r.id = a.response_id "
               "WHERE r.survey_id = :survey AND r.status = 'submitted' GROUP BY a.question_id, a.choice")


def build(url: str) -> tuple:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "HOUSEHOLD_CODE_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_catalogue()
        seed_localities()
        locality = db.session.scalar(select(Locality).order_by(Locality.id))
        community = Community(code="BENCH01", name="基准小区", district=District(locality=locality, name="南关区"))
        db.session.add(community)
        for b in range(1, BUILDINGS + 1):
            building = Building(name=str(b), sort_key=natural_key(str(b)))
            community.buildings.append(building)
            for u in range(1, UNITS + 1):
                unit = Unit(name=str(u), sort_key=natural_key(str(u)), elevator_possible=b % 2 == 1)
                building.units.append(unit)
                for floor in range(1, FLOORS + 1):
                    for door in range(1, PER_FLOOR + 1):
                        room = f"{floor}{door:02d}"
                        unit.households.append(Household(room=room, sort_key=natural_key(room), floor=floor,
                                                         area=Decimal("55.50") + door * 10))
        db.session.flush()
        now = utcnow()
        survey = build_needs_survey(community, None, opened=now - timedelta(days=20), closes=now + timedelta(days=9))
        started = time.perf_counter()
        added = bulk_answers(survey, community_households(community), "bench", needs_answers, None, now,
                             share=ANSWERED)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # what autovacuum does within a minute of a bulk insert; without statistics the planner sorts
            # 98,000 rows on disk for both sides
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        answers = db.session.scalar(select(func.count(Answer.id)))
        print(f"  built: 2,000 households, {added} responses, {answers} answer rows "
              f"({time.perf_counter() - started:.1f} s)")
        return app, survey.id


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        db.session.expire_all()   # no ORM cache carried between runs: each run reads the survey as a page would
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(label: str, url: str, repeat: int) -> None:
    print(f"{label}:")
    app, survey_id = build(url)
    with app.app_context():
        from surveys.models import Survey
        survey = db.session.get(Survey, survey_id)
        survey_summaries(survey)   # warm the connection pool and the statement caches for both sides
        db.session.execute(RAW_SQL, {"survey": survey_id}).all()
        baseline = median_ms(lambda: db.session.execute(RAW_SQL, {"survey": survey_id}).all(), repeat)
        summaries = median_ms(lambda: survey_summaries(db.session.get(Survey, survey_id)), repeat)
        items = median_ms(lambda: item_block(db.session.get(Survey, survey_id)), repeat)
        rates = median_ms(lambda: participation(db.session.get(Survey, survey_id)), repeat)

        def page():   # what the results page asks for in one request: questions and figures are read once
            survey = db.session.get(Survey, survey_id)
            participation(survey)
            survey_results(survey)
        whole = median_ms(page, repeat)

        def recount():   # what a roster import that corrects areas costs each survey (rolled back: not kept)
            rebuild(db.session.get(Survey, survey_id))
            db.session.rollback()
        recounted = median_ms(recount, 3)
        count = len(survey_summaries(survey))
        responses = db.session.scalar(select(func.count(Response.id)))
        print(f"  raw SQL GROUP BY (question_id, choice): {baseline:8.1f} ms")
        print(f"  survey_summaries, {count} questions:   {summaries:8.1f} ms  ratio {summaries / baseline:5.1f}×  "
              f"goal < 50 ms: {'met' if summaries < 50 else 'NOT met'}")
        print(f"  item_block (need by headcount/area): {items:8.1f} ms  ratio {items / baseline:5.1f}×")
        print(f"  participation (building and 单元):    {rates:8.1f} ms  ratio {rates / baseline:5.1f}×")
        print(f"  results page (all three, one request): {whole:8.1f} ms  ratio {whole / baseline:5.1f}×")
        print(f"  recount of the tallies from the answers: {recounted:8.1f} ms  ratio {recounted / baseline:5.1f}×  "
              f"(after bulk inserts or changed areas; median of 3)")
        print(f"  ({responses} responses; median of {repeat} runs)")
        db.session.remove()
        if label != "SQLite":
            db.drop_all()   # leave the scratch database empty
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{Path(folder) / 'summaries.db'}", args.repeat)
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        measure("PostgreSQL", url, args.repeat)
    else:
        print("PostgreSQL: skipped (set BENCH_DATABASE_URL to a scratch database)")


if __name__ == "__main__":
    main()
