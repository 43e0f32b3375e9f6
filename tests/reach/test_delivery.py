"""The delivery engine (issue 16 point 2): sent once, retried with back-off, failed after N attempts with the
admins told, a permanent error failing at once, the lease of a crashed worker reclaimed, and an admin's retry."""
from datetime import timedelta

from participation.extensions import db
from participation.models import AuditEvent, Delivery, DeliveryAttempt, District, Notification
from participation.reach.channels import DeliveryError, sms as sms_channel
from participation.reach.channels.sms import sender as real_sender
from participation.reach.delivery import backoff, claim, deliver_due, retry, sweep
from participation.reach.queue import queue, run_waiting
from tests.reach.conftest_engine import DAY, failing, homes, lines, message, sms_file  # noqa: F401 (fixtures)


def test_a_due_sms_goes_out_once_through_the_file_backend(sms_file, homes):
    delivery = message(homes[0])
    counts = deliver_due(now=DAY)
    assert (counts.sent, counts.retry, counts.failed, counts.skipped) == (1, 0, 0, 0)
    assert lines(sms_file) == [{"phone": homes[0].phone, "kind": "survey.opened", "template": "survey.opened",
                                "params": {"community": "幸福小区", "title": "需求调查", "deadline": "1月20日"},
                                "community": "NG9"}]
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.sent_at) == ("sent", 1, DAY)
    assert delivery.provider_id and delivery.claimed_by is None
    assert [a.outcome for a in delivery.attempt_log] == ["sent"]
    assert delivery.notification.sent_at == DAY
    assert deliver_due(now=DAY + timedelta(hours=1)).sent == 0     # nothing is sent twice
    assert len(lines(sms_file)) == 1


def test_the_params_go_in_the_kinds_order(sms_file, homes):
    message(homes[0], "ticket.replied")
    deliver_due(now=DAY)
    assert list(lines(sms_file)[0]["params"]) == ["receipt"]


def test_a_temporary_error_is_retried_with_a_growing_backoff(sms_file, homes, failing):
    sender = failing()
    delivery = message(homes[0])
    assert deliver_due(now=DAY).retry == 1
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == DAY + timedelta(seconds=30)
    assert deliver_due(now=DAY + timedelta(seconds=29)).retry == 0     # not due yet
    second = DAY + timedelta(seconds=30)
    assert deliver_due(now=second).retry == 1
    db.session.refresh(delivery)
    assert delivery.attempts == 2 and delivery.next_attempt_at == second + timedelta(minutes=2)
    assert sender.tries == 2
    assert [a.outcome for a in delivery.attempt_log] == ["error", "error"]
    assert delivery.last_error == "provider busy"
    assert backoff(5) == timedelta(seconds=30 * 4 ** 4) and backoff(20) == timedelta(hours=6)


def test_after_the_last_attempt_it_fails_and_the_admins_who_see_it_are_told_in_app(app, sms_file, homes, failing,
                                                                                   make_user, monkeypatch):
    monkeypatch.setitem(app.config, "DELIVERY_MAX_ATTEMPTS", 3)
    failing()
    admin = make_user("admin")
    district_admin = make_user("admin", district=homes[0].community.district)
    make_user("admin").active = False
    make_user("admin", district=District(locality=homes[0].community.district.locality, name="朝阳区"))
    make_user("organiser")
    delivery = message(homes[0])
    moment = DAY
    for expected in ("pending", "pending", "failed"):
        deliver_due(now=moment)
        db.session.refresh(delivery)
        assert delivery.state == expected
        moment = delivery.next_attempt_at
    assert delivery.attempts == 3
    told = db.session.scalars(db.select(Notification).where(Notification.kind == "delivery.failed")).all()
    assert sorted(n.user_id for n in told) == [admin.id, district_admin.id]    # the city's and the district's
    assert told[0].link == f"/admin/messages/{delivery.notification_id}"
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 1    # in-app only
    assert delivery.notification.sent_at is not None


def test_a_permanent_error_fails_at_once(sms_file, homes, failing, make_user, caplog):
    make_user("admin")
    failing(DeliveryError("template unknown to the provider", temporary=False))
    delivery = message(homes[0])
    assert deliver_due(now=DAY).failed == 1
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    logged = [record for record in caplog.records if getattr(record, "event", None) == "delivery.error"]
    assert [(r.delivery_id, r.channel, r.temporary) for r in logged] == [(delivery.id, "sms", False)]


def test_any_other_exception_is_retried_and_its_text_keeps_no_phone(sms_file, homes, failing):
    failing(RuntimeError(f"socket closed while sending to {homes[0].phone}"))
    delivery = message(homes[0])
    assert deliver_due(now=DAY).retry == 1
    db.session.refresh(delivery)
    assert homes[0].phone not in delivery.last_error
    assert homes[0].phone[:3] + "****" + homes[0].phone[-4:] in delivery.last_error
    assert delivery.last_error.startswith("RuntimeError")


def test_a_lease_run_out_puts_the_crashed_workers_claim_back(sms_file, homes):
    delivery = message(homes[0])
    assert claim(None, 10, DAY, "crashed-worker") == [delivery.id]    # claimed, then the worker died
    assert deliver_due(now=DAY + timedelta(minutes=5)).sent == 0      # its lease still holds
    later = DAY + timedelta(minutes=11)
    counts = sweep(now=later, worker="survivor")
    assert (counts.reclaimed, counts.sent) == (1, 1)
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    log = db.session.scalars(db.select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
                             .order_by(DeliveryAttempt.id)).all()
    assert [(a.outcome, a.worker) for a in log] == [("error", "crashed-worker"), ("sent", "survivor")]
    assert "lease expired" in log[0].error
    assert len(lines(sms_file)) == 1


def test_a_worker_whose_claim_was_taken_back_does_not_send(sms_file, homes):
    delivery = message(homes[0])
    claim(None, 10, DAY, "slow-worker")
    sweep(now=DAY + timedelta(minutes=11), worker="survivor")
    db.session.refresh(delivery)
    assert delivery.state == "sent" and len(lines(sms_file)) == 1


def test_an_admin_retries_a_failed_delivery(app, sms_file, homes, failing, make_user, monkeypatch):
    admin = make_user("admin")
    failing(DeliveryError("no", temporary=False))
    delivery = message(homes[0])
    deliver_due(now=DAY)
    monkeypatch.setattr(sms_channel, "sender", real_sender)     # the provider works again
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")
    db.session.refresh(delivery)
    queue(app).flush()
    retry(delivery, admin)
    db.session.commit()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "delivery.retry")) \
        == "delivery.retry"
    assert run_waiting(app).sent == 1                             # handed to the queue by the commit
    db.session.refresh(delivery)
    assert delivery.state == "sent" and delivery.notification.sent_at is not None


def test_only_a_failed_delivery_is_retried(sms_file, homes, make_user):
    delivery = message(homes[0])
    try:
        retry(delivery, make_user("admin"))
    except ValueError:
        pass
    else:
        raise AssertionError("a pending delivery was retried")


def test_a_claim_takes_at_most_its_limit(sms_file, make_community):
    """On PostgreSQL a plain ``IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` may be re-run per row and claim
    everything; the claim picks its rows once."""
    community = make_community("LIM", buildings=1, units=1, floors=3, per_floor=5)
    for household in (h for building in community.buildings for unit in building.units for h in unit.households):
        message(household)
    assert len(claim(None, 10, DAY, "w")) == 10
    assert db.session.scalar(db.select(db.func.count(Delivery.id)).where(Delivery.state == "sending")) == 10
    assert len(claim(None, 10, DAY, "w")) == 5


def test_a_retry_in_the_same_session_counts_its_attempts_afresh(app, sms_file, homes, failing, monkeypatch):
    """The second try reads the attempt its claim counted (the claim is an UPDATE the session did not see)."""
    monkeypatch.setitem(app.config, "DELIVERY_MAX_ATTEMPTS", 2)
    failing()
    delivery = message(homes[0])
    deliver_due(now=DAY)
    assert deliver_due(now=DAY + timedelta(seconds=30)).failed == 1
    assert delivery.state == "failed" and delivery.attempts == 2


def test_an_entry_codes_digits_are_blanked_once_its_sms_ended(sms_file, homes):
    delivery = message(homes[0], "entry.code", code="482913")
    deliver_due(now=DAY)
    assert lines(sms_file)[0]["params"] == {"code": "482913"}      # the SMS carried it …
    db.session.expire_all()
    assert db.session.get(Notification, delivery.notification_id).params == {"code": ""}   # … the database no more
