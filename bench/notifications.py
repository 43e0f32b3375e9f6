"""10,000 notifications queued through the outbox and delivered by the worker through the file SMS backend, with one
worker process and with two at once (issue 16, point 7), against a bare loop writing the same lines in the same run.

On a fresh database (a SQLite file in a temporary folder by default; PostgreSQL with ``--database-url`` or
BENCH_DATABASE_URL — its tables are dropped and re-created, never point it at a database you care about) it builds
one community of ``--households`` (2,000) households with phones, then for each run:

1. queues ``--count`` (10,000) messages with ``participation.reach.outbox.to_household`` in ``--transactions`` (1)
   transactions, each household getting count/households of them (survey and vote notices, each with its own
   title, so every SMS line is different), timed against one executemany of the same notification and delivery
   rows (Core, no outbox); the commit hands the deliveries to the queue (a SQLite queue file, as ``make run`` has);
2. starts ``--workers`` (1, then 2) ``flask --app app worker --burst`` processes at once (SMS_BACKEND=file,
   QUIET_HOURS=off, SMS_DAILY_CAP above anything a household gets) and times them from start to the last exit;
   a burst worker with nothing to do is timed first, so the start-up can be told apart from the delivering;
3. checks exactly once: the file holds each expected line once and nothing else, every delivery is ``sent`` with
   ``attempts == 1`` and one ``sent`` row in the delivery log; exits 1 when not;
4. empties the messages for the next run (fresh deliveries).

Baselines, median of 5, in the same run: a bare loop writing the same lines (``json.dumps`` and ``write`` to one
open file), and ``FileSender.send`` alone (the backend's open, append and close per line) — the floor the engine
adds its claims, rules, log rows and commits to.

``--held-batch-ab`` measures instead, in this process, ``participation.reach.delivery.deliver_due`` as it is against
the same with the batch it loads kept referenced until the batch is done (monkeypatched ``_load``): the session's
identity map holds objects weakly, so a batch loaded and dropped is read again row by row.

    .venv/bin/python bench/notifications.py
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_notifications .venv/bin/python bench/notifications.py
    .venv/bin/python bench/notifications.py --held-batch-ab --count 1000 --households 200
"""
import argparse
import json
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402
from sqlalchemy.orm import joinedload  # noqa: E402

from app import create_app  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import (Building, Community, Delivery, DeliveryAttempt, District, Household,  # noqa: E402
                                  Locality, Notification, Unit)
from participation.reach import outbox  # noqa: E402
from participation.reach.channels import Sms, SmsConfig  # noqa: E402
from participation.reach.channels.sms_file import FileSender, sms_line  # noqa: E402
from participation.reference.seed import seed_localities  # noqa: E402

FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
KINDS = ("survey.opened", "vote.opened", "survey.reminder", "vote.reminder")   # (community, title, deadline) each
COMMUNITY = ("BN001", "通知小区")


def settings(url: str, folder: Path) -> dict:
    """What the bench's own app and its worker processes share: the database, the queue file, the file backend."""
    return {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "HOUSEHOLD_CODE_KEY": secrets.token_hex(32),
            "SMS_BACKEND": "file", "SMS_FILE": str(folder / "sms.jsonl"), "QUIET_HOURS": "off",
            "SMS_DAILY_CAP": "1000", "QUEUE_BACKEND": "sqlite", "QUEUE_FILE": str(folder / "queue.db"),
            "UPLOAD_FOLDER": str(folder / "uploads")}


def fresh_app(env: dict):
    url = env["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"],
                      "HOUSEHOLD_CODE_KEY": env["HOUSEHOLD_CODE_KEY"], "QUEUE_BACKEND": "sqlite",
                      "QUEUE_FILE": env["QUEUE_FILE"], "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def build_community(households: int) -> None:
    """One community of ``households`` homes (10 per floor-and-unit block of 5 floors × 2 doors), each with a phone."""
    seed_localities()
    locality = db.session.scalar(select(Locality).filter_by(city="长春市"))
    community = Community(code=COMMUNITY[0], name=COMMUNITY[1], district=District(locality=locality, name="南关区"))
    db.session.add(community)
    made, building, unit = 0, None, None
    while made < households:
        if made % 40 == 0:
            building = Building(name=str(made // 40 + 1), sort_key=f"{made // 40 + 1:08d}")
            community.buildings.append(building)
        if made % 10 == 0:
            number = made % 40 // 10 + 1
            unit = Unit(name=str(number), sort_key=f"{number:08d}")
            building.units.append(unit)
        floor, door = made % 10 // 2 + 1, made % 2 + 1
        room = f"{floor}{door:02d}"
        unit.households.append(Household(room=room, sort_key=room, floor=floor, area=Decimal("60.50"),
                                          phone=f"139{made:08d}"))
        made += 1
    db.session.commit()


def planned(count: int, households: list, run: str) -> list[tuple]:
    """The messages of a run: (household, kind, params), message n to household n mod H, each title its own."""
    return [(households[n % len(households)], KINDS[n // len(households) % len(KINDS)],
             {"community": COMMUNITY[1], "title": f"{run}第{n:05d}号通知", "deadline": "1月20日"})
            for n in range(count)]


def queue_messages(messages: list[tuple], transactions: int) -> float:
    """The outbox's writes and commits, timed; each commit hands its deliveries to the queue."""
    size = -(-len(messages) // transactions)
    started = time.perf_counter()
    for first in range(0, len(messages), size):
        for household, kind, params in messages[first:first + size]:
            outbox.to_household(household, kind, f"{params['title']}开始了，请在{params['deadline']}前参加。",
                                params=params)
        db.session.commit()
    return time.perf_counter() - started


def bare_inserts(messages: list[tuple], community_id: int) -> float:
    """The same rows by two executemany (explicit ids far above the outbox's), timed, then deleted untimed."""
    base = 10 ** 8
    notes = [{"id": base + n, "household_id": household.id, "community_id": community_id, "kind": kind,
              "text": params["title"], "params": params} for n, (household, kind, params) in enumerate(messages)]
    sends = [{"id": base + n, "notification_id": base + n, "channel": "sms", "community_id": community_id,
              "idempotency_key": f"bare-{n}", "state": "pending"} for n in range(len(messages))]
    started = time.perf_counter()
    db.session.execute(insert(Notification), notes)
    db.session.execute(insert(Delivery), sends)
    db.session.commit()
    seconds = time.perf_counter() - started
    db.session.execute(delete(Delivery).where(Delivery.id >= base))
    db.session.execute(delete(Notification).where(Notification.id >= base))
    db.session.commit()
    return seconds


def expected_lines() -> Counter:
    """Every SMS the database says was queued, as the file backend writes it (keys sorted: PostgreSQL's JSON may
    give params back in another order)."""
    rows = db.session.execute(
        select(Household.phone, Notification.kind, Notification.params)
        .join(Notification, Notification.household_id == Household.id)
        .join(Delivery, Delivery.notification_id == Notification.id).where(Delivery.channel == "sms")).all()
    return Counter(canonical(sms_line(Sms(phone=phone, kind=kind, template=kind, params=params,
                                          community=COMMUNITY[0]))) for phone, kind, params in rows)


def canonical(line: bytes | str) -> str:
    return json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True)


def check_exactly_once(sms_path: Path, expected: Counter) -> list[str]:
    """What went wrong, in words; empty when each message was delivered exactly once."""
    problems = []
    written = Counter(canonical(line) for line in sms_path.read_text(encoding="utf-8").splitlines()) \
        if sms_path.exists() else Counter()
    twice = sum(n - 1 for line, n in written.items() if n > 1)
    missing = sum((expected - written).values())
    unexpected = sum((written - expected).values())
    if twice or missing or unexpected or sum(written.values()) != sum(expected.values()):
        problems.append(f"file: {sum(written.values())} lines for {sum(expected.values())} messages "
                        f"({twice} written twice, {missing} missing, {unexpected} not queued)")
    states = Counter(db.session.execute(select(Delivery.state, Delivery.attempts)).all())
    if states != Counter({("sent", 1): sum(expected.values())}):
        problems.append(f"deliveries (state, attempts): {dict(states)}")
    logged = db.session.execute(select(DeliveryAttempt.delivery_id, func.count()).where(
        DeliveryAttempt.outcome == "sent").group_by(DeliveryAttempt.delivery_id)).all()
    if len(logged) != sum(expected.values()) or any(n != 1 for _id, n in logged):
        problems.append(f"delivery log: {len(logged)} deliveries with a sent row, "
                        f"{sum(1 for _id, n in logged if n != 1)} with more than one")
    return problems


def run_workers(count: int, env: dict, log: Path) -> tuple[float, list[int]]:
    """``count`` burst workers started together; seconds from the first start to the last exit, and exit codes."""
    with log.open("a") as output:
        started = time.perf_counter()
        workers = [subprocess.Popen([*FLASK, "worker", "--burst"], cwd=ROOT, env=env, stdout=output,
                                    stderr=subprocess.STDOUT) for _ in range(count)]
        codes = [worker.wait(timeout=3600) for worker in workers]
        return time.perf_counter() - started, codes


def baselines(lines: list[bytes], folder: Path, repeat: int = 5) -> tuple[float, float]:
    """Median seconds of the bare loop and of ``FileSender.send`` writing the same lines."""
    records = [json.loads(line) for line in lines]
    smses = [Sms(phone=r["phone"], kind=r["kind"], template=r["template"], params=r["params"],
                 community=r["community"]) for r in records]
    logging.getLogger("participation.reach.channels.sms_file").setLevel(logging.WARNING)
    bare, backend = [], []
    for n in range(repeat):
        path = folder / f"bare-{n}.jsonl"
        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        bare.append(time.perf_counter() - started)
        sender = FileSender(SmsConfig(provider="file", file_path=str(folder / f"backend-{n}.jsonl")))
        started = time.perf_counter()
        for sms in smses:
            sender.send(sms)
        backend.append(time.perf_counter() - started)
        path.unlink()
        Path(sender.path).unlink()
    return statistics.median(bare), statistics.median(backend)


def forget_messages() -> None:
    for model in (DeliveryAttempt, Delivery, Notification):
        db.session.execute(delete(model))
    db.session.commit()


def held_batch_ab(app, env: dict, count: int, households: int, rounds: int = 3) -> None:
    """In this process, ``deliver_due`` as it is against the same with the batch ``_load`` reads kept referenced
    until the batch is done (the session's identity map holds objects weakly: a batch loaded and dropped is read
    again row by row, message by message). Rounds in turns; statements per message counted."""
    from sqlalchemy import event
    from participation.reach import delivery
    app.config.update(SMS_BACKEND="file", SMS_FILE=env["SMS_FILE"], QUIET_HOURS="off", SMS_DAILY_CAP=10 ** 6)
    logging.getLogger("participation.reach.channels.sms_file").setLevel(logging.WARNING)
    as_is, held = delivery._load, []

    def holding(ids):
        held[:] = db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)).options(
            joinedload(Delivery.notification).options(
                joinedload(Notification.household), joinedload(Notification.community),
                joinedload(Notification.robot), delivery.selectinload(Notification.deliveries)))).unique().all()

    build_community(households)
    homes = db.session.scalars(select(Household).order_by(Household.id).options(
        joinedload(Household.unit).joinedload(Unit.building))).all()
    seconds, statements = {"as is": [], "batch held": []}, {}
    for run in range(rounds):
        for name, loader in (("as is", as_is), ("batch held", holding)):
            forget_messages()
            queue_messages(planned(count, homes, f"{name}{run}"), 1)
            tally = [0]

            def counted(*_args, **_kwargs):
                tally[0] += 1
            event.listen(db.engine, "before_cursor_execute", counted)
            delivery._load = loader
            started = time.perf_counter()
            sent = delivery.deliver_due().sent
            seconds[name].append(time.perf_counter() - started)
            delivery._load = as_is
            event.remove(db.engine, "before_cursor_execute", counted)
            held[:] = []
            statements[name] = tally[0] / count
            if sent != count:
                raise SystemExit(f"{name}: {sent} of {count} sent")
    for name, taken in seconds.items():
        middle = statistics.median(taken)
        print(f"  deliver_due, {name}: {count / middle:,.0f} messages/s (median of {rounds}), "
              f"{statements[name]:.1f} statements a message")
    print(f"  batch held ÷ as is: {statistics.median(seconds['as is']) / statistics.median(seconds['batch held']):.2f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=2_000)
    parser.add_argument("--transactions", type=int, default=1, help="the outbox's writes split over this many")
    parser.add_argument("--runs", default="1,2", help="worker processes per run, e.g. 1,2,4")
    parser.add_argument("--batch", type=int, default=None, help="DELIVERY_BATCH for the workers (default: theirs)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--held-batch-ab", action="store_true",
                        help="instead: deliver_due in this process as it is against the batch kept referenced")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    env = settings(url, folder)
    worker_env = {**os.environ, **env}
    worker_env.pop("REDIS_URL", None)
    if args.batch:
        worker_env["DELIVERY_BATCH"] = str(args.batch)
    app = fresh_app(env)
    label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    if args.held_batch_ab:
        print(f"{label}: {args.count:,} messages to {args.households:,} households, in this process")
        with app.app_context():
            held_batch_ab(app, env, args.count, args.households)
            db.session.remove()
            if label == "PostgreSQL":
                db.drop_all()
            db.engine.dispose()
        return 0
    print(f"{label}: {args.count:,} messages to {args.households:,} households, "
          f"queued in {args.transactions} transaction(s); worker runs {args.runs}")
    failed = False
    with app.app_context():
        build_community(args.households)
        community_id = db.session.scalar(select(Community.id))
        homes = db.session.scalars(select(Household).order_by(Household.id).options(
            joinedload(Household.unit).joinedload(Unit.building))).all()
        empty, codes = run_workers(1, worker_env, folder / "workers.log")
        print(f"  start-up: a burst worker with nothing to do {empty:.2f} s (exit {codes[0]})")
        table = []
        for run, workers in enumerate(int(n) for n in args.runs.split(",")):
            messages = planned(args.count, homes, f"R{run}")
            bare_queue = bare_inserts(messages, community_id)
            queued = queue_messages(messages, args.transactions)
            expected = expected_lines()
            sms_path = Path(env["SMS_FILE"])
            sms_path.unlink(missing_ok=True)
            db.session.commit()
            seconds, codes = run_workers(workers, worker_env, folder / "workers.log")
            db.session.expire_all()
            problems = check_exactly_once(sms_path, expected)
            if any(codes):
                problems.append(f"worker exit codes {codes}")
            by_worker = Counter(db.session.scalars(select(DeliveryAttempt.worker).where(
                DeliveryAttempt.outcome == "sent")))
            bare, backend = baselines(list(expected.elements()), folder)
            count = sum(expected.values())
            delivering = max(seconds - empty, 1e-9)
            print(f"  {workers} worker(s): queued {count:,} in {queued:.2f} s ({count / queued:,.0f}/s; bare "
                  f"executemany {bare_queue:.2f} s, ratio {queued / bare_queue:.1f}×)")
            print(f"    delivered in {seconds:.2f} s: {count / seconds:,.0f} messages/s "
                  f"({count / delivering:,.0f}/s without the start-up); "
                  f"per worker {sorted(by_worker.values(), reverse=True)}")
            print(f"    bare loop {bare * 1000:.1f} ms ({count / bare:,.0f} lines/s), FileSender alone "
                  f"{backend * 1000:.1f} ms ({count / backend:,.0f}/s); worker ÷ bare {bare / seconds:.5f}, "
                  f"÷ FileSender {backend / seconds:.4f}")
            print(f"    exactly once: {'yes' if not problems else 'NO — ' + '; '.join(problems)}")
            failed = failed or bool(problems)
            table.append((workers, count / seconds, count / delivering))
            forget_messages()
        if len(table) > 1:
            print(f"  {table[-1][0]} workers ÷ {table[0][0]}: {table[-1][1] / table[0][1]:.2f}× "
                  f"({table[-1][2] / table[0][2]:.2f}× without the start-up)")
        db.session.remove()
        if label == "PostgreSQL":
            db.drop_all()
        db.engine.dispose()
    print(f"  (files and the workers' log in {folder})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
