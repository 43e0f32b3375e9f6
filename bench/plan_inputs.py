"""Plan inputs and the city overview at scale (issue 4, "Scale"), each against hand-written SQL in the same run.

(a) ``plan_inputs(community)`` for a 2,000-household community (``flask bench-data --communities 1
    --households-per-community 2000 --full-surveys 1``: the demo's full needs survey answered by ~70 % of occupied
    households, a finding for every catalogue item) against the raw SQL a hand-made summary would need: one
    ``GROUP BY (question_id, choice)`` over the survey's answers plus one roster ``GROUP BY``. Goal: < 50 ms.
    SQLite always, PostgreSQL with BENCH_DATABASE_URL.
(b) ``city_overview(admin)`` for a city of 1,339 communities and ~430,000 households (``--households 430000``),
    a finding for each of the ~41 catalogue items everywhere, budgets, plans in versions and needs-survey
    responses, on PostgreSQL, against one hand-written SQL statement of GROUP BYs over the same tables computing
    the same figures per community: households, vacant, area, 单元 and buildings, submitted responses of occupied
    households, the cost of the plan version in force, else the field survey's cost (quantity × unit cost).
    Goal: ≤ 1.5×.

Prints medians of ``--repeat`` runs and the ratios. BENCH_DATABASE_URL's tables are dropped and re-created: never
point it at a database you care about. ``--communities``/``--households`` shrink (b) for a quick look.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/plan_inputs.py
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from bench.timing import medians_ms  # noqa: E402
from participation.dashboards.city import city_overview  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import Community, Household, User  # noqa: E402
from participation.plans.inputs import plan_inputs  # noqa: E402

ANSWERS_SQL = text("SELECT a.question_id, a.choice, count(*), sum(h.area) FROM survey_answers a "
                   "JOIN survey_responses r ON r.id = a.response_id JOIN households h ON h.id = r.household_id "
                   "WHERE r.survey_id = :survey AND r.status = 'submitted' GROUP BY a.question_id, a.choice")
ROSTER_SQL = text("SELECT b.id, count(h.id), sum(h.area) FROM buildings b JOIN units u ON u.building_id = b.id "
                  "JOIN households h ON h.unit_id = u.id WHERE b.community_id = :community GROUP BY b.id")
CITY_SQL = text("""
WITH homes AS (
  SELECT b.community_id AS cid, count(*) AS households, sum(h.area) AS area,
         sum(CASE WHEN h.occupancy = 'vacant' THEN 1 ELSE 0 END) AS vacant
  FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id
  GROUP BY b.community_id),
parts AS (
  SELECT b.community_id AS cid, count(u.id) AS units, count(DISTINCT b.id) AS buildings
  FROM buildings b LEFT JOIN units u ON u.building_id = b.id GROUP BY b.community_id),
answered AS (
  SELECT s.community_id AS cid, count(*) AS responded
  FROM survey_responses r JOIN surveys s ON s.id = r.survey_id JOIN households h ON h.id = r.household_id
  WHERE r.status = 'submitted' AND h.occupancy <> 'vacant'
  GROUP BY s.community_id),
in_force AS (
  SELECT p.community_id AS cid, sum(i.cost) FILTER (WHERE i.included) AS cost
  FROM plans p JOIN plan_versions v ON v.plan_id = p.id JOIN plan_items i ON i.version_id = v.id
  WHERE v.number = (SELECT coalesce(max(w.number) FILTER (WHERE w.status = 'adopted'), max(w.number))
                    FROM plan_versions w WHERE w.plan_id = p.id)
  GROUP BY p.community_id),
costs AS (
  SELECT f.community_id AS cid,
         sum(coalesce(f.quantity, CASE ci.quantity_unit WHEN 'per_m2_area' THEN homes.area
             WHEN 'per_household' THEN homes.households WHEN 'per_unit' THEN parts.units
             WHEN 'per_building' THEN parts.buildings ELSE 1 END) * ci.unit_cost) AS cost
  FROM field_findings f JOIN catalogue_items ci ON ci.id = f.item_id
  JOIN homes ON homes.cid = f.community_id JOIN parts ON parts.cid = f.community_id
  WHERE f.condition IN ('needs_repair', 'missing') GROUP BY f.community_id)
SELECT c.id, c.code, c.status, d.name, b.plan_year, homes.households, homes.area, homes.vacant, parts.units,
       parts.buildings, answered.responded, coalesce(in_force.cost, costs.cost) AS investment
FROM communities c JOIN districts d ON d.id = c.district_id LEFT JOIN community_budgets b ON b.community_id = c.id
LEFT JOIN homes ON homes.cid = c.id LEFT JOIN parts ON parts.cid = c.id LEFT JOIN answered ON answered.cid = c.id
LEFT JOIN in_force ON in_force.cid = c.id LEFT JOIN costs ON costs.cid = c.id ORDER BY c.code
""")


def fresh_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "HOUSEHOLD_CODE_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def generate(app, *args: str) -> float:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["bench-data", *args])
    if result.exit_code != 0:
        raise SystemExit(f"bench-data failed: {result.output}{result.exception or ''}")
    seconds = time.perf_counter() - started
    print(f"  {result.output.strip()}")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))   # what autovacuum does within a minute of a bulk load
            db.session.commit()
    return seconds


def bench_plan_inputs(label: str, url: str, repeat: int) -> None:
    print(f"(a) plan_inputs, 2,000 households, {label}:")
    app = fresh_app(url)
    generate(app, "--communities", "1", "--households-per-community", "2000", "--full-surveys", "1")
    with app.app_context():
        community = db.session.scalar(select(Community).filter_by(code="BX0001"))
        survey_id = db.session.scalar(text("SELECT id FROM surveys WHERE community_id = :c"), {"c": community.id})

        def baseline():
            db.session.execute(ANSWERS_SQL, {"survey": survey_id}).all()
            db.session.execute(ROSTER_SQL, {"community": community.id}).all()
        result = plan_inputs(community)   # warm both sides
        baseline()
        base, measured = medians_ms(baseline, lambda: plan_inputs(db.session.get(Community, community.id)), repeat)
        print(f"  raw SQL (answers GROUP BY + roster GROUP BY): {base:8.1f} ms")
        print(f"  plan_inputs:                                  {measured:8.1f} ms  ratio {measured / base:5.1f}×  "
              f"goal < 50 ms: {'met' if measured < 50 else 'NOT met'}")
        print(f"  ({result['participation']['responded']} responses, {len(result['items'])} items, "
              f"{result['budget']['cost_per_household']} yuan per household; median of {repeat})")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def bench_city(url: str, repeat: int, communities: int, households: int) -> None:
    print(f"(b) city_overview, {communities} communities, ~{households} households, PostgreSQL:")
    app = fresh_app(url)
    seconds = generate(app, "--communities", str(communities), "--households", str(households))
    print(f"  generated in {seconds:.1f} s")
    with app.app_context():
        admin = db.session.scalar(select(User).filter_by(username="bench-recorder"))
        count = db.session.scalar(select(func.count(Household.id)))
        rows = db.session.execute(CITY_SQL).all()   # warm both sides
        result = city_overview(admin)
        base, measured = medians_ms(lambda: db.session.execute(CITY_SQL).all(),
                                    lambda: city_overview(db.session.get(User, admin.id)), repeat)
        print(f"  hand-written SQL (one statement of GROUP BYs): {base:8.1f} ms ({len(rows)} rows)")
        print(f"  city_overview:                                 {measured:8.1f} ms  ratio {measured / base:5.2f}×  "
              f"goal ≤ 1.5×: {'met' if measured <= 1.5 * base else 'NOT met'}")
        totals = result["totals"]
        print(f"  ({totals['communities']} communities, {count} households, {totals['responded']} responded, "
              f"investment {totals['investment']:,.0f} yuan = {totals['investment'] / count:,.0f} per household; "
              f"median of {repeat})")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--communities", type=int, default=1339)
    parser.add_argument("--households", type=int, default=430000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_plan_inputs("SQLite", f"sqlite:///{Path(folder) / 'plan_inputs.db'}", args.repeat)
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print("PostgreSQL: skipped (set BENCH_DATABASE_URL to a scratch database)")
        return
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    bench_plan_inputs("PostgreSQL", url, args.repeat)
    bench_city(url, args.repeat, args.communities, args.households)


if __name__ == "__main__":
    main()
