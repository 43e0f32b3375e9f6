"""``flask --app app bench-data``: a deterministic city of a given size, for ``bench/`` (issue 4, "Scale").

Districts of 长春市, communities ``BX0001`` …, buildings of 5 单元 × 6 floors × 2 households (the last one partly
filled), households with registered areas and occupancy, a field survey of every catalogue item, budgets for the
communities past 储备, and plans in versions for those past 年度计划 — all drawn from ``random.Random`` seeded with
``--seed`` and the community's number, so the same arguments give the same city. Rows go in by COPY on PostgreSQL
and executemany elsewhere, with ids assigned here, never ORM objects one by one: ~430,000 households take seconds.

Residents' answers belong to the survey engine, which participation never imports: when the roster is in, this
command sends ``bench_city_generated``; ``surveys.cli_benchdata`` listens and adds each community's needs survey,
its submitted responses and their tallies. It refuses a database holding data that is not the bench's (as
``seed-demo`` refuses non-demo data) and one that already holds a bench city: use a fresh database.
"""
import random
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import click
from blinker import Namespace
from flask import Flask, current_app
from sqlalchemy import func, select, text

from participation.accounts.operations import create_user
from participation.extensions import db
from participation.handlers import Refused
from participation.models import CatalogueItem, Community, District, Locality, User
from participation.models.fieldsurvey import NEEDS_WORK
from participation.models.types import utcnow
from participation.reference.seed import seed_catalogue, seed_localities
from participation.roster.files import natural_key

PREFIX = "BX"
RECORDER = "bench-recorder"
DISTRICTS = ("南关区", "朝阳区", "宽城区", "二道区", "绿园区", "双阳区", "九台区")
UNITS, FLOORS, PER_FLOOR = 5, 6, 2           # one building: 60 households, as 43万户 / 7,273 栋 ≈ 59
STATUS_WEIGHTS = (("reserve", 15), ("annual_plan", 20), ("planning", 20), ("plan_notice", 10), ("works", 20),
                  ("acceptance", 8), ("aftercare", 7))
WITH_BUDGET = {"annual_plan", "planning", "plan_notice", "works", "acceptance", "aftercare"}
WITH_PLAN = {"planning", "plan_notice", "works", "acceptance", "aftercare"}
ADOPTED = {"works", "acceptance", "aftercare"}
CONDITION_ODDS = {"basic": (("needs_repair", 0.5), ("missing", 0.1), ("good", 0.4)),
                  "other": (("missing", 0.15), ("needs_repair", 0.05), ("good", 0.5), ("not_applicable", 0.3))}
CENT = Decimal("0.01")

_signals = Namespace()
# Sent once the roster, findings, budgets and plans are flushed, with ``community_ids`` (in code order), ``seed``
# and ``full_surveys``; receivers return {"surveys": n, "responses": n} and never commit.
bench_city_generated = _signals.signal("bench-city-generated")


class BenchRefused(Refused):
    """The database holds data that is not the bench's, or a bench city already; nothing was changed."""


@dataclass
class BenchResult:
    communities: int = 0
    buildings: int = 0
    units: int = 0
    households: int = 0
    findings: int = 0
    budgets: int = 0
    plans: int = 0
    plan_items: int = 0
    community_ids: list = field(default_factory=list)


def register(app: Flask) -> None:
    @app.cli.command("bench-data")
    @click.option("--communities", default=20, show_default=True, type=click.IntRange(1, 100000))
    @click.option("--households-per-community", "per_community", default=320, show_default=True,
                  type=click.IntRange(1, 100000))
    @click.option("--households", "total", type=click.IntRange(1, 10000000),
                  help="Total households, spread evenly (overrides --households-per-community).")
    @click.option("--seed", default=1, show_default=True, type=int)
    @click.option("--full-surveys", default=0, show_default=True, type=click.IntRange(0, 1),
                  help="1: the first community gets the demo's full needs survey (every item, ranking, cost "
                       "sharing) answered; the others a one-question needs survey. (The demo's answers are "
                       "seeded by address, so a second full survey would repeat its receipts.)")
    def bench_data_command(communities, per_community, total, seed, full_surveys):
        """Generate a deterministic city for the benchmarks (refuses a database holding other data)."""
        started = time.perf_counter()
        try:
            result = generate_city(communities, total // communities if total else per_community, seed=seed)
        except BenchRefused as refusal:
            db.session.rollback()
            raise click.ClickException(f"{refusal.message} Nothing was changed.") from refusal
        surveys = {"surveys": 0, "responses": 0}
        for _receiver, added in bench_city_generated.send(current_app._get_current_object(),
                                                          community_ids=result.community_ids, seed=seed,
                                                          full_surveys=full_surveys):
            for key in surveys:
                surveys[key] += (added or {}).get(key, 0)
        db.session.commit()
        click.echo(f"Bench city (seed {seed}): {result.communities} communities, {result.buildings} buildings, "
                   f"{result.units} 单元, {result.households} households, {result.findings} findings, "
                   f"{result.budgets} budgets, {result.plans} plans ({result.plan_items} plan items), "
                   f"{surveys['surveys']} needs surveys, {surveys['responses']} responses; "
                   f"{time.perf_counter() - started:.1f} s")


def non_bench_data() -> dict:
    return {"communities": db.session.scalar(select(func.count(Community.id))
                                             .where(~Community.code.startswith(PREFIX))),
            "users": db.session.scalar(select(func.count(User.id)).where(User.username != RECORDER)),
            "bench": db.session.scalar(select(func.count(Community.id)).where(Community.code.startswith(PREFIX)))}


def generate_city(communities: int, per_community: int, *, seed: int = 1) -> BenchResult:
    """Add the bench city's roster, findings, budgets and plans; flushes, never commits."""
    found = non_bench_data()
    if found["communities"] or found["users"]:
        raise BenchRefused(f"This database holds data that is not bench data ({found['communities']} communities, "
                           f"{found['users']} accounts); bench-data only runs on an empty database.")
    if found["bench"]:
        raise BenchRefused(f"This database already holds a bench city ({found['bench']} communities); "
                           "use a fresh database.")
    seed_catalogue()
    seed_localities()
    db.session.flush()
    locality = db.session.scalar(select(Locality).filter_by(city="长春市")) or db.session.scalar(select(Locality))
    districts = []
    for name in DISTRICTS:
        district = db.session.scalar(select(District).filter_by(locality_id=locality.id, name=name))
        if district is None:
            district = District(locality=locality, name=name)
            db.session.add(district)
        districts.append(district)
    recorder = create_user(None, username=RECORDER, password=f"bench-{seed}-recorder", role="admin")
    db.session.flush()
    catalogue = list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.retired_at.is_(None))
                                        .order_by(CatalogueItem.code)))
    return _Writer(seed, [d.id for d in districts], recorder.id, catalogue).run(communities, per_community)


def _pick(rng: random.Random, odds) -> str:
    draw, running = rng.random() * sum(weight for _name, weight in odds), 0
    for name, weight in odds:
        running += weight
        if draw < running:
            return name
    return odds[-1][0]


class _Writer:
    """Draws the rows and writes each table in one bulk statement, with ids assigned from the table's maximum."""

    def __init__(self, seed, district_ids, recorder_id, catalogue):
        self.seed, self.district_ids, self.recorder_id, self.catalogue = seed, district_ids, recorder_id, catalogue
        self.now = utcnow()
        self.next_id = {}
        self.rows = {name: [] for name in ("communities", "buildings", "units", "households", "field_findings",
                                           "community_budgets", "plans", "plan_versions", "plan_items")}

    def _id(self, table_name: str) -> int:
        if table_name not in self.next_id:
            self.next_id[table_name] = (db.session.scalar(text(f"SELECT max(id) FROM {table_name}")) or 0) + 1
        value = self.next_id[table_name]
        self.next_id[table_name] += 1
        return value

    def run(self, communities: int, per_community: int) -> BenchResult:
        result = BenchResult()
        for number in range(1, communities + 1):
            result.community_ids.append(self._community(number, per_community))
        for table_name, rows in self.rows.items():
            if rows:
                bulk_insert(table_name, rows)
        result.communities = len(self.rows["communities"])
        result.buildings, result.units = len(self.rows["buildings"]), len(self.rows["units"])
        result.households, result.findings = len(self.rows["households"]), len(self.rows["field_findings"])
        result.budgets, result.plans = len(self.rows["community_budgets"]), len(self.rows["plans"])
        result.plan_items = len(self.rows["plan_items"])
        return result

    def _community(self, number: int, households: int) -> int:
        rng = random.Random(f"{self.seed}:community:{number}")
        community_id, status = self._id("communities"), _pick(rng, STATUS_WEIGHTS)
        self.rows["communities"].append({
            "id": community_id, "district_id": self.district_ids[(number - 1) % len(self.district_ids)],
            "code": f"{PREFIX}{number:04d}", "name": f"基准{number}号小区", "address": None,
            "year_built": rng.randint(1975, 2000), "status": status, "quality_hotline": "0431-88881234",
            "supervisor_hotline": None, "community_hotline": "0431-85550000", "contractor_id": None,
            "supervisor_id": None, "is_demo": False})
        totals = self._roster(community_id, households, rng)
        costs = self._findings(community_id, totals, rng)
        if status in WITH_BUDGET:
            self._budget(community_id, totals["households"], rng)
        if status in WITH_PLAN:
            self._plan(community_id, status, costs)
        return community_id

    def _roster(self, community_id: int, households: int, rng: random.Random) -> dict:
        totals = {"households": 0, "area": Decimal(0), "units": 0, "buildings": 0, "elevator_units": 0}
        building_number = 0
        while totals["households"] < households:
            building_number += 1
            building_id = self._id("buildings")
            self.rows["buildings"].append({"id": building_id, "community_id": community_id,
                                           "name": str(building_number), "sort_key": natural_key(str(building_number))})
            totals["buildings"] += 1
            for unit_number in range(1, UNITS + 1):
                if totals["households"] >= households:
                    break
                unit_id, elevator = self._id("units"), rng.random() < 0.4
                self.rows["units"].append({"id": unit_id, "building_id": building_id, "name": str(unit_number),
                                           "sort_key": natural_key(str(unit_number)), "elevator_possible": elevator})
                totals["units"] += 1
                totals["elevator_units"] += elevator
                for floor in range(1, FLOORS + 1):
                    for door in range(1, PER_FLOOR + 1):
                        if totals["households"] >= households:
                            break
                        room = f"{floor}{door:02d}"
                        area = Decimal(rng.randint(4500, 9500)) / 100
                        occupancy = "vacant" if rng.random() < 0.06 else "rented" if rng.random() < 0.2 \
                            else "owner_occupied"
                        self.rows["households"].append({
                            "id": self._id("households"), "unit_id": unit_id, "room": room,
                            "sort_key": natural_key(room), "floor": floor, "area": area, "owner_key": None,
                            "owner_id_tail_hash": None, "contact_name": None, "phone": None, "occupancy": occupancy,
                            "notice_accepted_at": None, "created_at": self.now, "updated_at": self.now})
                        totals["households"] += 1
                        totals["area"] += area
        return totals

    def _findings(self, community_id: int, totals: dict, rng: random.Random) -> list[tuple]:
        """A finding for every catalogue item; returns (item, quantity, cost) of those needing work."""
        needed = []
        by_unit = {"per_m2_area": totals["area"], "per_household": totals["households"], "per_unit": totals["units"],
                   "per_building": totals["buildings"], "lump_sum": 1}
        for item in self.catalogue:
            condition = _pick(rng, CONDITION_ODDS["basic" if item.category == "basic" else "other"])
            quantity = None
            if item.owner_matter == 7 and item.quantity_unit == "per_unit":   # an elevator: where one fits
                quantity = Decimal(totals["elevator_units"]) if condition in NEEDS_WORK else None
            elif condition in NEEDS_WORK and rng.random() < 0.2:
                quantity = (Decimal(by_unit.get(item.quantity_unit, 1)) * Decimal(rng.randint(30, 100)) / 100
                            ).quantize(Decimal("1"))
            self.rows["field_findings"].append({
                "id": self._id("field_findings"), "community_id": community_id, "item_id": item.id,
                "condition": condition, "quantity": quantity, "note": None, "photo_path": None,
                "recorded_by_id": self.recorder_id, "updated_at": self.now})
            if condition in NEEDS_WORK:
                used = quantity if quantity is not None else Decimal(by_unit.get(item.quantity_unit, 0))
                needed.append((item, used, (used * item.unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)))
        return needed

    def _budget(self, community_id: int, households: int, rng: random.Random) -> None:
        envelope = Decimal(households * rng.randint(20000, 32000))
        self.rows["community_budgets"].append({
            "id": self._id("community_budgets"), "community_id": community_id, "plan_year": rng.randint(2021, 2025),
            "envelope": envelope, "central_subsidy": (envelope * Decimal("0.4")).quantize(CENT),
            "local_funds": (envelope * Decimal("0.3")).quantize(CENT),
            "pipeline_units": None if rng.random() < 0.5 else (envelope * Decimal("0.1")).quantize(CENT),
            "original_owners": None, "social_capital": None, "residents_direct": None, "maintenance_fund": None,
            "housing_fund": None, "public_revenue": None, "note": None, "updated_by_id": self.recorder_id,
            "updated_at": self.now})

    def _plan(self, community_id: int, status: str, needed: list[tuple]) -> None:
        plan_id = self._id("plans")
        self.rows["plans"].append({"id": plan_id, "community_id": community_id, "created_by_id": self.recorder_id,
                                   "created_at": self.now})
        versions = (("superseded", True), ("adopted", False)) if status in ADOPTED else (("draft", True),)
        for number, (version_status, drop_last) in enumerate(versions, 1):
            version_id = self._id("plan_versions")
            self.rows["plan_versions"].append({
                "id": version_id, "plan_id": plan_id, "number": number, "status": version_status, "measures": None,
                "reason": None if number == 1 else "联合共审后调整", "created_by_id": self.recorder_id,
                "created_at": self.now, "adopted_at": None if version_status == "draft" else self.now})
            for position, (item, quantity, cost) in enumerate(needed, 1):
                self.rows["plan_items"].append({
                    "id": self._id("plan_items"), "version_id": version_id, "item_id": item.id,
                    "position": position, "included": not (drop_last and position == len(needed)),
                    "quantity": quantity, "unit_cost": item.unit_cost, "cost": cost, "suggestion": None,
                    "change_reason": None})


def bulk_insert(table_name: str, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys, ids included) in one go: COPY on PostgreSQL, executemany
    elsewhere; on PostgreSQL the id sequence is moved past the new ids."""
    connection = db.session.connection()
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":   # (JSON columns: the table's type serialises dicts)
        connection.execute(db.metadata.tables[table_name].insert(), rows)
        return
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
    cursor.close()
    if "id" in columns:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                                f"(SELECT max(id) FROM {table_name}))"))
