"""Durability: kill -9 the whole gunicorn, and crash PostgreSQL (immediate shutdown), while phones submit surveys and
cast ballots; then count the writes acknowledged to a phone that the database does not hold (must be 0).

Same setup, server and phones as ``bench/load.py`` (the demo, an open needs survey, NG001's open votes; gunicorn
sync workers with DATABASE_URL and REDIS_URL). ``--phones`` phones (40) walk the resident's path — code, notice,
survey, receipt, owner check, ballot — each starting over from the entry page after any failure (a refused
connection, a 5xx, a lost session) until its whole visit went through or ``--deadline`` passed. A write is
*acknowledged* when the phone got the 302 to the survey's receipt page (a submitted response of its household) or
the 302 back to the vote after a ballot (a ballot of its household's owner with that choice).

PostgreSQL (scratch database from BENCH_DATABASE_URL or ``createdb``, dropped at the end):
  1. once ``--every`` (10) more writes were acknowledged: SIGKILL to every worker and to the master at once (no graceful anything), gunicorn started
     again a second later on the same port;
  2. after ``--every`` more: ``pg_ctlcluster --skip-systemctl-redirect <version> main stop -m immediate`` (PostgreSQL's
     processes quit at once, without a checkpoint, as in a crash; recovery replays the WAL at start), ``start``
     ``--outage`` s (2) later. gunicorn is NOT restarted: its pooled connections are dead and the app must notice
     (``pool_pre_ping``) and reconnect by itself; requests that fail more than 2 s after PostgreSQL answers again
     are counted apart (must be 0).
SQLite (``--sqlite``, a file under /tmp): step 1 only, twice; then ``PRAGMA integrity_check``.

    .venv/bin/python bench/durability.py [--sqlite] [--phones 40] [--workers 5]

The PostgreSQL server is shared on this machine: step 2 stops it for everyone for ``--outage`` seconds; the script
starts it again whatever happens (and says so), then waits for ``pg_isready``. An immediate shutdown is a crash of
PostgreSQL, not of the machine: what the operating system had been handed survives either way; a power cut would
also need fsync (printed).
"""
import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (Phone, drop_database, free_port, journey, prepare, scratch_database, sqlalchemy_url,
                        start_gunicorn, stop_gunicorn)


class TimedPhone(Phone):
    """A phone that also notes when each request ended (monotonic seconds)."""

    def __init__(self, port: int, ended: list):
        super().__init__(port, timeout=20)
        self.ended = ended

    def request(self, *args, **kwargs):
        answer = super().request(*args, **kwargs)
        self.ended.append((time.monotonic(), self.log[-1]))
        return answer


def kill_all(process) -> int:
    """SIGKILL gunicorn's workers and its master at once (pids read from /proc: only processes this script started);
    how many were killed."""
    workers = []
    for task in Path(f"/proc/{process.pid}/task").glob("*/children"):
        workers += [int(pid) for pid in task.read_text().split()]
    killed = 0
    for pid in workers + [process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    process.wait(timeout=10)
    return killed


def pg_version() -> str:
    rows = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    return next(line.split()[0] for line in rows.splitlines() if line.split()[1] == "main")


def pg_ready(timeout: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
            return time.monotonic()
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not come back")


def crash_postgres(outage: float) -> tuple[float, float]:
    """Immediate shutdown, ``outage`` seconds down, start; (when it went down, when it answered again)."""
    version = pg_version()
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    down = time.monotonic()
    try:
        subprocess.run(command + ["stop", "-m", "immediate"], check=True)
        time.sleep(outage)
    finally:
        subprocess.run(command + ["start"], check=False)
    return down, pg_ready()


def verify(url: str, survey_id: int, acks: list) -> tuple[int, int, list]:
    """(acknowledged responses, acknowledged ballots, the acknowledged writes the database does not hold)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(sqlalchemy_url(url))
    lost = []
    with engine.connect() as connection:
        submitted = set(connection.scalars(text(
            "SELECT household_id FROM survey_responses WHERE survey_id = :s AND status = 'submitted'"),
            {"s": survey_id}))
        ballots = {(vote, household): choice for vote, household, choice in connection.execute(text(
            "SELECT vote_id, household_id, choice FROM ballots"))}
        integrity = connection.scalar(text("PRAGMA integrity_check")) if url.startswith("sqlite") else None
    engine.dispose()
    for kind, household, detail in acks:
        if kind == "response" and household not in submitted:
            lost.append((kind, household))
        if kind == "ballot" and ballots.get((detail[0], household)) != detail[1]:
            lost.append((kind, household, detail))
    if integrity is not None:
        print(f"  SQLite integrity_check: {integrity}")
    return sum(1 for a in acks if a[0] == "response"), sum(1 for a in acks if a[0] == "ballot"), lost


def wait_for_acks(acks: list, lock, more: int, deadline: float) -> int:
    """Wait until ``more`` further writes were acknowledged (so that the kill lands while phones are writing)."""
    with lock:
        wanted = len(acks) + more
    while time.monotonic() < deadline:
        with lock:
            if len(acks) >= wanted:
                return len(acks)
        time.sleep(0.05)
    return len(acks)


def run(url: str, args, *, postgres: bool) -> int:
    survey_id, residents = prepare(url)
    residents = sorted(residents, key=lambda resident: resident["vote"] is None)[:args.phones]
    port = free_port()
    server = [start_gunicorn(url, port, args.workers)]
    acks, ended, done, lock = [], [], [0], threading.Lock()
    deadline = time.monotonic() + args.deadline

    def phone(resident):
        while time.monotonic() < deadline:
            if journey(TimedPhone(port, ended), resident, survey_id, True, acks):   # list.append: atomic
                with lock:
                    done[0] += 1
                return
            time.sleep(0.3)

    started = time.monotonic()
    threads = [threading.Thread(target=phone, args=(resident,)) for resident in residents]
    for thread in threads:
        thread.start()
    events = []
    try:
        for _ in range(1 if postgres else 2):
            before = wait_for_acks(acks, lock, args.every, deadline)
            at = time.monotonic() - started
            killed = kill_all(server[0])
            time.sleep(1)
            server[0] = start_gunicorn(url, port, args.workers)
            events.append(f"t={at:.0f} s: SIGKILL to {killed} gunicorn processes ({before} writes acknowledged so "
                          f"far), gunicorn up again after {time.monotonic() - started - at:.1f} s")
        back = None
        if postgres:
            before = wait_for_acks(acks, lock, args.every, deadline)
            down, back = crash_postgres(args.outage)
            events.append(f"t={down - started:.0f} s: PostgreSQL immediate shutdown ({before} writes acknowledged "
                          f"so far); answering again after "
                          f"{back - down:.1f} s (pg_isready); gunicorn left running")
        for thread in threads:
            thread.join()
    finally:
        stop_gunicorn(server[0])
    seconds = time.monotonic() - started
    for event in events:
        print("  " + event)
    failed = [(at, entry) for at, entry in ended if not entry[3]]
    print(f"  {done[0]} of {len(residents)} phones got through in {seconds:.1f} s; {len(ended)} requests, "
          f"{len(failed)} failed (statuses {sorted({entry[1] for _at, entry in failed})})")
    if back is not None:
        late = [entry for at, entry in failed if at > back + 2]
        print(f"  failed more than 2 s after PostgreSQL was back (the app must reconnect by itself): {len(late)}")
    responses, ballots, lost = verify(url, survey_id, acks)
    print(f"  acknowledged to a phone: {responses} survey submissions, {ballots} ballots; LOST acknowledged writes: "
          f"{len(lost)}{' ' + str(lost[:5]) if lost else ''}")
    return len(lost)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite (kill -9 only) instead of PostgreSQL")
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--every", type=int, default=10, help="acknowledged writes before each kill or crash")
    parser.add_argument("--outage", type=float, default=2)
    parser.add_argument("--deadline", type=float, default=180)
    args = parser.parse_args()
    if args.sqlite:
        path = Path(f"/tmp/durability_bench_{os.getpid()}.db")
        print(f"SQLite ({path}), gunicorn {args.workers} sync workers, {args.phones} phones:")
        try:
            lost = run(f"sqlite:///{path}", args, postgres=False)
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url, created = scratch_database("durability_bench")
        from sqlalchemy import create_engine, text
        engine = create_engine(sqlalchemy_url(url))
        with engine.connect() as connection:
            settings = {name: connection.scalar(text(f"SHOW {name}")) for name in ("fsync", "synchronous_commit")}
        engine.dispose()
        print(f"PostgreSQL ({settings}), gunicorn {args.workers} sync workers, {args.phones} phones:")
        try:
            lost = run(url, args, postgres=True)
        finally:
            pg_ready()
            drop_database(created)
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
