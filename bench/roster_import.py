"""Roster import benchmark: 2,000 households (5 communities of 400) from one .xlsx, into a fresh database.

Prints wall times and their ratio to a baseline measured in the same run — reading the same workbook with openpyxl
plus a plain sqlite3 ``executemany`` of as many rows — because these machines are noisy: ratios travel, seconds
do not. Each figure is the median of ``--repeat`` runs. SQLite always; PostgreSQL too when BENCH_DATABASE_URL is set
(its tables are dropped and re-created: never point it at a database you care about).

    .venv/bin/python bench/roster_import.py [--repeat 3]
"""
import argparse
import io
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook, load_workbook  # noqa: E402

from app import create_app  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import District, Locality  # noqa: E402
from participation.reference.seed import seed_localities  # noqa: E402
from participation.roster.files import HEADERS  # noqa: E402
from participation.roster.imports import import_roster  # noqa: E402

COMMUNITIES, BUILDINGS, UNITS, FLOORS, PER_FLOOR = 5, 10, 2, 10, 2   # 5 × 400 = 2,000 households
OCCUPANCY = ("自住",) * 8 + ("出租", "空置")


def roster_workbook() -> bytes:
    """The same 2,000 rows on every run (fixed seed); owners of two units and ID tails included."""
    rng = random.Random(2)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADERS))
    serial = 0
    for c in range(1, COMMUNITIES + 1):
        for b in range(1, BUILDINGS + 1):
            for u in range(1, UNITS + 1):
                for floor in range(1, FLOORS + 1):
                    for door in range(1, PER_FLOOR + 1):
                        serial += 1
                        owner = f"业主{serial - 1 if serial % 50 == 0 else serial}"   # every 50th: a second unit
                        tail = f"{zlib.crc32(owner.encode()) % 10 ** 6:06d}" if serial % 3 else None
                        sheet.append([f"BENCH{c:02d}", f"基准小区{c}", f"{b}号楼", str(u), f"{floor}{door:02d}", floor,
                                      round(rng.uniform(45, 95), 2), owner, tail, f"住户{serial}",
                                      f"13{rng.randrange(10 ** 9):09d}", rng.choice(OCCUPANCY)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def baseline(data: bytes, folder: Path) -> float:
    """openpyxl-read the workbook, then one plain executemany of its rows into SQLite with the app's pragmas."""
    path = folder / f"baseline-{time.monotonic_ns()}.db"
    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    workbook.close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(f"CREATE TABLE roster ({', '.join(f'c{i} TEXT' for i in range(len(HEADERS)))})")
    connection.executemany(f"INSERT INTO roster VALUES ({', '.join('?' * len(HEADERS))})",
                           [tuple(None if v is None else str(v) for v in row) for row in rows])
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def app_import(url: str, data: bytes) -> tuple[float, float]:
    """(first import, re-import of the same file) into freshly created tables at ``url``."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "HOUSEHOLD_CODE_KEY": "bench"})
    with app.test_request_context("/"):
        db.drop_all()
        db.create_all()
        seed_localities()
        db.session.add(District(locality=db.session.scalar(db.select(Locality)), name="基准区"))
        db.session.commit()
        timings = []
        for _run in range(2):
            started = time.perf_counter()
            counts = import_roster(None, data, filename="bench.xlsx")
            db.session.commit()
            timings.append(time.perf_counter() - started)
        assert counts["households"]["unchanged"] == COMMUNITIES * BUILDINGS * UNITS * FLOORS * PER_FLOOR
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed")
    repeat = parser.parse_args().repeat
    data = roster_workbook()
    households = COMMUNITIES * BUILDINGS * UNITS * FLOORS * PER_FLOOR
    with tempfile.TemporaryDirectory() as folder:
        base = statistics.median(baseline(data, Path(folder)) for _ in range(repeat))
        print(f"roster import: {households} households in {COMMUNITIES} communities, {len(data) // 1024} KB xlsx, "
              f"median of {repeat}")
        print(f"  baseline (openpyxl read + sqlite3 executemany): {base:6.2f} s")
        targets = [("sqlite", lambda: f"sqlite:///{Path(folder) / f'bench-{time.monotonic_ns()}.db'}")]
        if os.environ.get("BENCH_DATABASE_URL"):
            url = os.environ["BENCH_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
            targets.append(("postgresql", lambda: url))
        for name, make_url in targets:
            runs = [app_import(make_url(), data) for _ in range(repeat)]
            first, again = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"  {name:10} first import: {first:6.2f} s ({first / base:4.1f}× baseline); "
                  f"re-import (all unchanged): {again:6.2f} s ({again / base:4.1f}× baseline)")


if __name__ == "__main__":
    main()
