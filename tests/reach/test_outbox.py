"""The outbox: a message commits with its event or not at all, carries only its template's values, and is handed
to the queue after the commit — never before, never after a rollback."""
import pytest

from participation.extensions import db
from participation.models import Delivery, Household, Notification
from participation.reach import outbox
from participation.reach.outbox import HAND_OVER


@pytest.fixture
def handed(app):
    received, previous = [], app.extensions.get(HAND_OVER)
    app.extensions[HAND_OVER] = received.extend
    yield received
    app.extensions[HAND_OVER] = previous


@pytest.fixture
def community(make_community):
    return make_community(buildings=1, units=1, floors=1, per_floor=2)


def _household(community, phone="13800138000"):
    household = db.session.scalars(db.select(Household).order_by(Household.id)).first()
    household.phone = phone
    return household


def test_a_household_message_has_an_sms_delivery_handed_over_after_commit(community, handed):
    household = _household(community)
    message = outbox.to_household(household, "survey.opened", "调查开始了",
                                  params={"community": "幸福小区", "title": "需求调查", "deadline": "12月20日",
                                          "name": "张三"})
    db.session.flush()
    assert handed == []                       # not before the commit
    db.session.commit()
    delivery = db.session.scalars(db.select(Delivery)).one()
    assert handed == [delivery.id]
    assert delivery.channel == "sms" and delivery.state == "pending"
    assert message.params == {"community": "幸福小区", "title": "需求调查", "deadline": "12月20日"}   # no name
    assert message.community_id == community.id


def test_a_rollback_writes_and_hands_over_nothing(community, handed):
    outbox.to_household(_household(community), "survey.opened", "调查开始了",
                        params={"community": "c", "title": "t", "deadline": "d"})
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert handed == []
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 0


def test_no_phone_means_in_app_only(community, handed):
    outbox.to_household(_household(community, phone=None), "survey.opened", "调查开始了",
                        params={"community": "c", "title": "t", "deadline": "d"})
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 0
    assert handed == []


def test_a_dedupe_key_writes_once(community, handed):
    household = _household(community)
    first = outbox.to_household(household, "survey.reminder", "还没填", dedupe_key="reminder:1:1",
                                params={"community": "c", "title": "t", "deadline": "d"})
    second = outbox.to_household(household, "survey.reminder", "还没填", dedupe_key="reminder:1:1",
                                 params={"community": "c", "title": "t", "deadline": "d"})
    db.session.commit()
    third = outbox.to_household(household, "survey.reminder", "还没填", dedupe_key="reminder:1:1",
                                params={"community": "c", "title": "t", "deadline": "d"})
    assert first is not None and second is None and third is None


def test_kinds_are_checked(community):
    with pytest.raises(ValueError):
        outbox.to_household(_household(community), "no.such.kind", "x")
    with pytest.raises(ValueError):
        outbox.to_household(_household(community), "ticket.dispatched", "x")
