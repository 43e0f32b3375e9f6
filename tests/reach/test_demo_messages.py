"""The demo's messages reach the file backend (issue 16, "done when": ``make run`` on a fresh clone starts web and
worker; the demo's messages appear in the file backend).

Run as another program runs it (DESIGN §8): ``flask db upgrade``, ``flask seed-demo`` and ``flask worker --burst``
as subprocesses on a fresh SQLite file, ``SMS_BACKEND=file``, ``SMS_FILE`` in a temporary folder, ``QUIET_HOURS=off``.
Between the seed and the worker one household opts out of the SMS it may refuse (the demo records no opt-out), so
the worker is seen to honour it. The file must then hold one line of the §8 shape for each SMS delivery the
database says was sent — no line twice, none missing, nothing else — and a second worker run must add nothing.
"""
import json
import os
import secrets
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from participation.extensions import db
from participation.models import Community, Delivery, Household, Notification
from participation.reach.kinds import KINDS, SMS_KINDS
from participation.reach.rules import record_consent

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
LINE_KEYS = {"phone", "kind", "template", "params", "community"}
OPTIONAL = tuple(name for name in SMS_KINDS if KINDS[name].optional)


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def canonical(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo seeded and delivered once by a burst worker; one household opted out before the worker ran."""
    folder = tmp_path_factory.mktemp("demo-messages")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}", "SECRET_KEY": secrets.token_hex(32),
           "HOUSEHOLD_CODE_KEY": secrets.token_hex(32), "UPLOAD_FOLDER": str(folder / "uploads"),
           "SMS_BACKEND": "file", "SMS_FILE": str(folder / "sms.jsonl"), "SMS_TEMPLATES": "{}",
           "QUIET_HOURS": "off", "QUEUE_BACKEND": "sqlite", "QUEUE_FILE": str(folder / "queue.db")}
    for name in ("TEST_DATABASE_URL", "REDIS_URL", "SMS_DAILY_CAP", "SECRETS_FILE"):
        env.pop(name, None)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                      "HOUSEHOLD_CODE_KEY": env["HOUSEHOLD_CODE_KEY"], "QUEUE_BACKEND": "memory"})
    with app.app_context():
        refusing = _opt_out_one(app)
        db.session.remove()
    burst = flask(env, "worker", "--burst")
    yield {"app": app, "env": env, "sms": folder / "sms.jsonl", "refusing": refusing, "burst": burst}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _opt_out_one(app) -> dict:
    """A household with its own phone and waiting SMS of a kind it may refuse opts out; its id and phone."""
    shared = select(Household.phone).where(Household.phone.is_not(None)).group_by(Household.phone) \
        .having(func.count(Household.id) > 1)
    household = db.session.scalars(
        select(Household).join(Notification, Notification.household_id == Household.id)
        .join(Delivery, Delivery.notification_id == Notification.id)
        .where(Delivery.channel == "sms", Delivery.state == "pending", Notification.kind.in_(OPTIONAL),
               Household.phone.not_in(shared))
        .order_by(Household.id).limit(1)).one()
    record_consent(household, "opt_out", actor="resident")
    db.session.commit()
    return {"id": household.id, "phone": household.phone}


def written(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sent_sms(app) -> list[dict]:
    """Each SMS delivery the database says went out, as the file backend writes it (no templates are set, so the
    file backend names the kind)."""
    with app.app_context():
        rows = db.session.execute(
            select(Household.phone, Notification.kind, Notification.params, Community.code)
            .join(Notification, Notification.household_id == Household.id)
            .join(Community, Community.id == Notification.community_id)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .where(Delivery.channel == "sms", Delivery.state == "sent")).all()
        db.session.remove()
    return [{"phone": phone, "kind": kind, "template": kind, "params": params, "community": code}
            for phone, kind, params, code in rows]


def test_every_line_has_the_design_shape(demo):
    lines = written(demo["sms"])
    assert lines
    codes = {"NG001", "NG002", "NG003"}
    for line in lines:
        assert set(line) == LINE_KEYS
        assert line["kind"] in SMS_KINDS and line["template"] == line["kind"]
        assert list(line["params"]) == list(KINDS[line["kind"]].sms_params)
        assert all(isinstance(value, str) and value for value in line["params"].values())
        assert len(line["phone"]) == 11 and line["phone"].isdigit()
        assert line["community"] in codes


def test_each_sent_message_is_in_the_file_once_and_nothing_else(demo):
    lines = Counter(canonical(line) for line in written(demo["sms"]))
    expected = Counter(canonical(record) for record in sent_sms(demo["app"]))
    assert lines == expected
    with demo["app"].app_context():
        states = Counter(db.session.execute(select(Delivery.state, Delivery.attempts)
                                            .where(Delivery.channel == "sms")).all())
        db.session.remove()
    assert not [key for key in states if key[0] in ("pending", "sending", "failed")]     # the worker ended each
    assert not [key for key in states if key[0] == "sent" and key[1] != 1]               # one attempt each


def test_the_demo_messages_of_complaints_votes_plans_and_ratings_are_there(demo):
    kinds = Counter(line["kind"] for line in written(demo["sms"]))
    for kind in ("ticket.received", "ticket.replied", "vote.opened", "vote.ballot_changed", "plan.comment_opened",
                 "rating.opened"):
        assert kinds[kind] > 0, kind


def test_the_demo_open_survey_is_announced(demo):
    assert any(line["kind"] == "survey.opened" for line in written(demo["sms"]))


def test_the_household_that_opted_out_gets_no_sms_it_may_refuse(demo):
    refusing = demo["refusing"]
    theirs = [line for line in written(demo["sms"]) if line["phone"] == refusing["phone"]]
    assert not [line for line in theirs if line["kind"] in OPTIONAL]
    with demo["app"].app_context():
        outcomes = set(db.session.execute(
            select(Delivery.state, Delivery.skip_reason).join(Notification, Delivery.notification_id == Notification.id)
            .where(Notification.household_id == refusing["id"], Notification.kind.in_(OPTIONAL))).all())
        db.session.remove()
    assert outcomes == {("skipped", "opted_out")}


def test_a_second_worker_run_writes_nothing_more(demo):
    before = demo["sms"].read_bytes()
    flask(demo["env"], "worker", "--burst")
    assert demo["sms"].read_bytes() == before
