"""What the inbox tests share (imported explicitly): two communities, a resident's and a staff member's client, and a
message written the way features write them (``participation.reach.outbox``), its SMS delivery put in a state."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import Delivery, Household
from participation.models.types import utcnow
from participation.reach import outbox
from tests.conftest import csrf_token
from tests.participation.test_vote_pages import resident, staff

__all__ = ["resident", "staff", "post", "mark_read", "households", "message", "inbox_site"]

PARAMS = {"community": "甲小区", "title": "需求调查", "deadline": "12月20日", "code": "123456"}


def post(client, url, data=None, *, token_from):
    page = client.get(token_from)
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(page.text)})


def mark_read(client, url, page_url):
    """Press "mark all as read" on the page at ``page_url`` as drawn now: its token and its newest message id."""
    page = client.get(page_url).text
    upto = re.search(r'<input[^>]*name="upto"[^>]*value="(\d+)"|<input[^>]*value="(\d+)"[^>]*name="upto"', page)
    assert upto, "the page has no mark-read button"
    return client.post(url, data={"upto": upto.group(1) or upto.group(2), "csrf_token": csrf_token(page)})


def households(community) -> list[Household]:
    return [household for building in community.buildings for unit in building.units for household in
            sorted(unit.households, key=lambda h: (h.floor, h.room))]


def message(household, text="调查开始了", *, kind="survey.opened", link=None, state=None, **delivery_fields):
    """A message to ``household`` through the outbox; its SMS delivery (when the household has a phone) then in
    ``state`` with ``delivery_fields`` (skip_reason, next_attempt_at, attempts …)."""
    written = outbox.to_household(household, kind, text, params=PARAMS, link=link)
    db.session.flush()
    if state is not None:
        delivery = written.deliveries[0]
        delivery.state = state
        if state == "sent":
            delivery.sent_at = utcnow()
        for name, value in delivery_fields.items():
            setattr(delivery, name, value)
    db.session.flush()
    return written


def sms_of(notification) -> Delivery:
    return db.session.scalars(select(Delivery).where(Delivery.notification_id == notification.id)).one()


@pytest.fixture
def inbox_site(app, make_community, make_user):
    """Community A (1 building, 1 单元, 2 floors × 2 homes, phones on the roster) and B beside it; an organiser of
    A; quiet hours off so a waiting SMS reads as being sent whatever the hour the tests run at."""
    before = app.config.get("QUIET_HOURS", "on")
    app.config["QUIET_HOURS"] = "off"
    a = make_community("NA001", buildings=1, units=1, floors=2, per_floor=2)
    b = make_community("NB001", buildings=1, units=1, floors=1, per_floor=2)
    organiser = make_user("organiser", username="org", communities=[a])
    db.session.commit()
    yield {"a": a, "b": b, "organiser": organiser, "homes": households(a), "b_homes": households(b)}
    app.config["QUIET_HOURS"] = before


def long_ago(days=1):
    return utcnow() - timedelta(days=days)
