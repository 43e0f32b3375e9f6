"""Fixtures of the delivery engine's tests (imported explicitly by tests/reach/test_delivery.py and its
neighbours): a small community whose households have phones, the file backend in a temporary folder, a sender
that fails on demand, and moments in Beijing daytime and night later than any row's creation (so rows are due)."""
import json
from datetime import datetime, timezone

import pytest

from participation.extensions import db
from participation.models import Delivery, Household
from participation.reach import outbox
from participation.reach.channels import DeliveryError, sms as sms_channel
from participation.reach.outbox import HAND_OVER
from participation.reach.queue import hand_over, queue

DAY = datetime(2030, 1, 7, 2, 0, tzinfo=timezone.utc)      # 10:00 in Beijing
NIGHT = datetime(2030, 1, 7, 13, 30, tzinfo=timezone.utc)  # 21:30 in Beijing
NEXT_MORNING = datetime(2030, 1, 8, 0, 0, tzinfo=timezone.utc)   # 08:00 in Beijing, the day after NIGHT
PARAMS = {"community": "幸福小区", "title": "需求调查", "deadline": "1月20日", "receipt": "T0001", "code": "123456",
          "unit": "1-1"}


@pytest.fixture
def sms_file(app, tmp_path, monkeypatch):
    """The file backend, quiet hours on (tests that want them off say so), a clean queue."""
    path = tmp_path / "sms.jsonl"
    for key, value in {"SMS_BACKEND": "file", "SMS_FILE": str(path), "QUIET_HOURS": "on", "SMS_TEMPLATES": "{}",
                       "SMS_DAILY_CAP": 5, "DELIVERY_MAX_ATTEMPTS": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    queue(app).flush()
    monkeypatch.setitem(app.extensions, HAND_OVER, hand_over)   # whatever another test's fixture left there
    return path


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def homes(make_community):
    """The households of a community of 4 homes, each with its own phone."""
    community = make_community("NG9", buildings=1, units=1, floors=2, per_floor=2)
    db.session.commit()
    return db.session.scalars(db.select(Household).order_by(Household.id)).all()


def message(household, kind="survey.opened", **params):
    """One message to ``household``, committed; its SMS delivery."""
    written = outbox.to_household(household, kind, f"{kind} text", params={**PARAMS, **params})
    db.session.commit()
    return db.session.scalars(db.select(Delivery).where(Delivery.notification_id == written.id)).one()


class FailingSender:
    """A stand-in for the SMS backend raising ``error`` on every send; ``sent`` counts the tries."""

    def __init__(self, error):
        self.error = error
        self.tries = 0

    def __call__(self, config):
        return self

    def send(self, sms):
        self.tries += 1
        raise self.error


@pytest.fixture
def failing(monkeypatch):
    def install(error=None):
        sender = FailingSender(error or DeliveryError("provider busy", temporary=True))
        monkeypatch.setattr(sms_channel, "sender", sender)
        return sender
    return install
