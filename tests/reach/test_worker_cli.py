"""``flask --app app worker [--burst]`` (DESIGN §8): the burst run end to end through the file backend, in this
process and as other programs run it (a subprocess with SMS_BACKEND=file, SMS_FILE, QUIET_HOURS=off); and the
resident worker taking a queued delivery, then stopping on SIGTERM."""
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from flask_babel import force_locale, gettext as _

from app import create_app
from participation.extensions import db
from participation.models import Delivery
from participation.reach import rules
from participation.reach.outbox import HAND_OVER
from tests.reach.conftest_engine import homes, lines, message, sms_file  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]


def counts_line(app, **counts) -> str:
    with app.app_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return _("Delivered: %(sent)d sent, %(retry)d to retry, %(failed)d failed, %(skipped)d skipped, "
                 "%(deferred)d deferred.", **{"retry": 0, "failed": 0, "skipped": 0, "deferred": 0, **counts})


def test_burst_delivers_what_is_due_prints_the_counts_and_exits(app, runner, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")
    for household in homes[:3]:
        message(household)
    rules.record_consent(homes[3], "opt_out", actor="resident")
    db.session.commit()
    message(homes[3])
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert counts_line(app, sent=3, skipped=1) in result.output
    assert sorted(line["phone"] for line in lines(sms_file)) == sorted(h.phone for h in homes[:3])
    again = runner.invoke(args=["worker", "--burst"])
    assert again.exit_code == 0 and counts_line(app, sent=0) in again.output
    assert len(lines(sms_file)) == 3


def worker_environment(app, tmp_path, **extra) -> dict:
    """What another program sets to run our worker against the test database."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": secrets.token_hex(32), "HOUSEHOLD_CODE_KEY": app.config["HOUSEHOLD_CODE_KEY"] * 4,
           "SMS_BACKEND": "file", "SMS_FILE": str(tmp_path / "sms.jsonl"), "QUIET_HOURS": "off",
           "QUEUE_BACKEND": "sqlite", "QUEUE_FILE": str(tmp_path / "queue.db"), "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def test_burst_as_another_program_runs_it(app, tmp_path, homes):
    for household in homes:
        message(household)
    done = subprocess.run([*FLASK, "worker", "--burst"], cwd=ROOT, env=worker_environment(app, tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = lines(tmp_path / "sms.jsonl")
    assert sorted(line["phone"] for line in written) == sorted(h.phone for h in homes)
    assert set(written[0]) == {"phone", "kind", "template", "params", "community"}
    assert db.session.scalar(db.select(db.func.count(Delivery.id)).where(Delivery.state == "sent")) == len(homes)


def test_the_worker_takes_a_queued_delivery_and_stops_on_sigterm(app, tmp_path, homes):
    env = worker_environment(app, tmp_path)
    delivery = message(homes[0])
    # The test app's queue is in memory: a web process configured like the worker hands the delivery over.
    producer = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "x" * 64,
                           "HOUSEHOLD_CODE_KEY": env["HOUSEHOLD_CODE_KEY"], "QUEUE_BACKEND": "sqlite",
                           "QUEUE_FILE": env["QUEUE_FILE"]})
    with producer.app_context():
        producer.extensions[HAND_OVER]([delivery.id])
        db.session.remove()
        db.engine.dispose()
    worker = subprocess.Popen([*FLASK, "worker", "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        sms = tmp_path / "sms.jsonl"
        deadline = time.monotonic() + 90               # a generous bound, not a timing assertion
        while not sms.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert lines(sms) and lines(sms)[0]["phone"] == homes[0].phone
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _unused = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    db.session.refresh(delivery)
    assert delivery.state == "sent"
