"""Two workers on one database never send the same message twice (issue 16 point 2): 320 deliveries, two real
worker processes started together, the file backend. Each phone must appear exactly once in the SMS file, each
delivery be sent with one attempt. Runs on SQLite (the claim is one UPDATE, serialised by the database lock) and
on PostgreSQL (``FOR UPDATE SKIP LOCKED``) with TEST_DATABASE_URL."""
import multiprocessing
import os
import secrets
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from app import create_app
from participation.extensions import db
from participation.models import Delivery, DeliveryAttempt, Household
from participation.reach import outbox
from participation.reach.delivery import deliver_due
from tests.reach.conftest_engine import PARAMS, lines

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 320     # 4 buildings × 4 单元 × 5 floors × 4 homes


@pytest.fixture
def many(app, make_community, tmp_path):
    make_community("TW1", buildings=4, units=4, floors=5, per_floor=4)
    households = db.session.scalars(db.select(Household).order_by(Household.id)).all()
    for household in households:
        outbox.to_household(household, "vote.opened", "业主表决开始了", params=PARAMS)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == HOUSEHOLDS
    return households, tmp_path / "sms.jsonl"


def settings(app, sms_path) -> dict:
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": secrets.token_hex(32),
            "HOUSEHOLD_CODE_KEY": app.config["HOUSEHOLD_CODE_KEY"] * 4, "SMS_BACKEND": "file",
            "SMS_FILE": str(sms_path), "QUIET_HOURS": "off", "QUEUE_BACKEND": "memory", "DELIVERY_BATCH": "10"}


def assert_each_sent_once(households, sms_path) -> Counter:
    written = Counter(line["phone"] for line in lines(sms_path))
    assert sum(written.values()) == HOUSEHOLDS
    assert set(written.values()) == {1}
    assert set(written) == {household.phone for household in households}
    db.session.expire_all()
    states = db.session.execute(db.select(Delivery.state, Delivery.attempts)).all()
    assert Counter(states) == Counter({("sent", 1): HOUSEHOLDS})
    sent = db.session.execute(db.select(DeliveryAttempt.delivery_id, DeliveryAttempt.worker)
                              .where(DeliveryAttempt.outcome == "sent")).all()
    assert len({delivery_id for delivery_id, _worker in sent}) == len(sent) == HOUSEHOLDS
    return Counter(worker for _delivery_id, worker in sent)


def _worker_process(name: str, environment: dict, start, results) -> None:
    """One worker in its own process with its own app and connections; all start claiming at the same moment."""
    os.environ.update(environment)
    app = create_app({"SQLALCHEMY_DATABASE_URI": environment["DATABASE_URL"]})
    with app.app_context():
        start.wait(timeout=120)
        counts = deliver_due(worker=name, limit=10)
        results.put((name, counts.sent, counts.retry + counts.failed + counts.skipped + counts.deferred))


def test_two_worker_processes_claiming_together_send_each_message_once(app, many):
    households, sms_path = many
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    environment = settings(app, sms_path)
    workers = [context.Process(target=_worker_process, args=(f"worker-{n}", environment, start, results))
               for n in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0
    reported = dict((name, (sent, other)) for name, sent, other in (results.get(timeout=5) for _ in workers))
    assert sum(sent for sent, _other in reported.values()) == HOUSEHOLDS
    assert all(other == 0 for _sent, other in reported.values())
    by_worker = assert_each_sent_once(households, sms_path)
    assert set(by_worker) == {"worker-1", "worker-2"}       # both took part: the claims really raced


def test_two_burst_workers_started_together_send_each_message_once(app, many):
    households, sms_path = many
    environment = {**os.environ, **settings(app, sms_path)}
    environment.pop("REDIS_URL", None)
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "worker", "--burst"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    for worker in workers:
        _out, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
    assert_each_sent_once(households, sms_path)
