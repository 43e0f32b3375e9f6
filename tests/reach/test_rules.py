"""The rules an SMS is held to (DESIGN §10): quiet hours in Beijing time, the daily cap, the household's opt-out,
no phone, no template, the backend off; and the robots' own (inactive, 20 a minute)."""
from datetime import datetime, timedelta, timezone

import pytest

from participation.extensions import db
from participation.models import AuditEvent, DeliveryAttempt, Notification, SmsConsent, SmsSettings, WecomRobot
from participation.reach import outbox, rules
from participation.reach.channels import wecom
from participation.reach.delivery import deliver_due
from participation.reach.settings import settings_row, sms_config
from tests.reach.conftest_engine import (DAY, NEXT_MORNING, NIGHT, failing, homes, lines, message,  # noqa: F401
                                         sms_file)

UTC = timezone.utc


@pytest.mark.parametrize("utc_hour, minute, quiet", [(12, 59, False), (13, 0, True), (23, 59, True), (0, 0, False),
                                                    (16, 0, True), (1, 0, False)])
def test_quiet_hours_are_beijings_night(app, utc_hour, minute, quiet):
    now = datetime(2030, 1, 7, utc_hour, minute, tzinfo=UTC)
    until = rules.quiet_until(now)
    assert (until is not None) == quiet
    if quiet:
        assert until.astimezone(rules.BEIJING).time() == rules.QUIET_END and until > now
        assert until - now <= timedelta(hours=11)


def test_quiet_hours_off_lets_everything_through(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")
    assert rules.quiet_until(NIGHT) is None


def test_the_beijing_day_begins_at_16_utc():
    assert rules.beijing_day(datetime(2030, 1, 7, 15, 59, tzinfo=UTC)).day == 7
    assert rules.beijing_day(datetime(2030, 1, 7, 16, 0, tzinfo=UTC)).day == 8


def test_at_21_30_beijing_an_sms_waits_until_8_and_the_wait_is_no_attempt(sms_file, homes):
    delivery = message(homes[0])
    counts = deliver_due(now=NIGHT)
    assert (counts.deferred, counts.sent) == (1, 0)
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, NEXT_MORNING)
    assert [a.outcome for a in delivery.attempt_log] == ["deferred"]
    assert deliver_due(now=NEXT_MORNING - timedelta(minutes=1)).sent == 0
    assert deliver_due(now=NEXT_MORNING).sent == 1
    assert len(lines(sms_file)) == 1


def test_an_urgent_kind_goes_at_night(sms_file, homes):
    message(homes[0], "entry.code")
    assert deliver_due(now=NIGHT).sent == 1


def test_the_daily_cap_skips_the_surplus_and_urgent_kinds_pass(app, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_DAILY_CAP", 2)
    deliveries = [message(homes[0], title=f"调查{n}") for n in range(3)]
    message(homes[0], "entry.code")
    message(homes[1])
    counts = deliver_due(now=DAY)
    assert (counts.sent, counts.skipped) == (4, 1)
    db.session.refresh(deliveries[2])
    assert (deliveries[2].state, deliveries[2].skip_reason) == ("skipped", "capped")
    assert rules.sms_sent_today(homes[0].id, DAY) == 2                 # the entry code is not counted
    assert rules.sms_sent_today(homes[0].id, DAY + timedelta(days=1)) == 0
    assert deliveries[2].notification.sent_at == DAY                   # every delivery ended (skipped)


def test_an_opted_out_household_gets_required_kinds_only(sms_file, homes):
    rules.record_consent(homes[0], "opt_out", actor="resident", note="太多了")
    db.session.commit()
    optional, required = message(homes[0]), message(homes[0], "vote.opened")
    deliver_due(now=DAY)
    db.session.refresh(optional)
    db.session.refresh(required)
    assert (optional.state, optional.skip_reason) == ("skipped", "opted_out")
    assert required.state == "sent"
    assert [line["kind"] for line in lines(sms_file)] == ["vote.opened"]


def test_the_newest_consent_holds_and_each_is_audited(homes, make_user):
    staff = make_user("grid")
    assert rules.opted_out(homes[0].id) is False
    rules.record_consent(homes[0], "opt_out", actor="resident")
    rules.record_consent(homes[0], "opt_in", actor="staff", user=staff, note="电话确认")
    db.session.commit()
    assert rules.opted_out(homes[0].id) is False
    assert db.session.scalar(db.select(db.func.count(SmsConsent.id))) == 2
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("sms_consent.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["sms_consent.opt_out", "sms_consent.opt_in"]
    with pytest.raises(ValueError):
        rules.record_consent(homes[0], "maybe", actor="resident")


def test_a_household_without_a_phone_any_more_is_skipped(sms_file, homes):
    delivery = message(homes[0])
    homes[0].phone = None
    db.session.commit()
    deliver_due(now=DAY)
    db.session.refresh(delivery)
    assert (delivery.state, delivery.skip_reason) == ("skipped", "no_phone")


def test_a_provider_without_a_template_code_for_the_kind_sends_nothing(app, sms_file, homes, failing,
                                                                      monkeypatch):
    sender = failing()
    monkeypatch.setitem(app.config, "SMS_BACKEND", "aliyun")
    monkeypatch.setitem(app.config, "SMS_TEMPLATES", '{"vote.opened": "SMS_1"}')
    skipped, templated = message(homes[0]), message(homes[1], "vote.opened")
    deliver_due(now=DAY)
    db.session.refresh(skipped)
    db.session.refresh(templated)
    assert (skipped.state, skipped.skip_reason) == ("skipped", "no_template")
    assert templated.template == "SMS_1" and sender.tries == 1


def test_the_backend_off_keeps_sms_in_app(app, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "off")
    delivery = message(homes[0])
    assert deliver_due(now=DAY).skipped == 1
    db.session.refresh(delivery)
    assert delivery.skip_reason == "off" and not lines(sms_file)


def test_the_settings_row_wins_over_the_environment_but_never_holds_secrets(app, sms_file, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_TEMPLATES", '{"survey.opened": "ENV_1", "vote.opened": "ENV_2"}')
    monkeypatch.setitem(app.config, "ALIYUN_ACCESS_KEY_SECRET", "s3cret")
    assert sms_config().provider == "file"
    row = settings_row()
    row.provider, row.sign_name, row.daily_cap = "aliyun", "民呼我应", 3
    row.templates = {"survey.opened": "ROW_1", "vote.opened": ""}
    db.session.commit()
    config = sms_config()
    assert (config.provider, config.sign_name, config.daily_cap) == ("aliyun", "民呼我应", 3)
    assert config.templates == {"survey.opened": "ROW_1", "vote.opened": "ENV_2"}
    assert config.aliyun_access_key_secret == "s3cret" and config.file_path == str(sms_file)
    assert settings_row() is row and db.session.scalar(db.select(db.func.count(SmsSettings.id))) == 1


def test_the_provider_timeout_comes_from_the_environment(app, sms_file, monkeypatch):
    assert sms_config().timeout_seconds == 10
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", 3.5)
    assert sms_config().timeout_seconds == 3.5


def test_a_malformed_template_setting_reads_as_none(app, sms_file, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_TEMPLATES", "{not json")
    assert sms_config().templates == {}


# --- robots ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def robot(make_community):
    community = make_community("RB1", buildings=1, units=1, floors=1, per_floor=1)
    robot = WecomRobot(name="物业群", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd",
                       community=community, kinds=["ticket.overdue"])
    db.session.add(robot)
    db.session.commit()
    return robot


@pytest.fixture
def posted(monkeypatch):
    sent = []

    def send(webhook_url, text, *, key, timeout=10):
        sent.append((webhook_url, text, key))
        return f"wecom-{key}"
    monkeypatch.setattr(wecom, "send", send)
    return sent


def test_a_robot_message_goes_to_its_webhook_and_an_inactive_robot_is_skipped(sms_file, robot, posted):
    outbox.to_robots("ticket.overdue", "投诉 T1 已超期", community=robot.community)
    db.session.commit()
    assert deliver_due(now=DAY).sent == 1
    assert posted == [(robot.webhook_url, "投诉 T1 已超期", posted[0][2])]
    outbox.to_robots("ticket.overdue", "投诉 T2 已超期", community=robot.community)
    robot.active = False
    db.session.commit()
    counts = deliver_due(now=DAY)
    assert (counts.sent, counts.skipped) == (0, 1)
    assert db.session.scalar(db.select(Notification.id).where(Notification.text == "投诉 T2 已超期")) is not None


def test_a_robot_takes_twenty_a_minute_the_rest_wait_a_minute(sms_file, robot, posted):
    for number in range(rules.ROBOT_PER_MINUTE + 1):
        outbox.to_robots("ticket.overdue", f"投诉 T{number} 已超期", community=robot.community)
    db.session.commit()
    counts = deliver_due(now=DAY)
    assert (counts.sent, counts.deferred) == (rules.ROBOT_PER_MINUTE, 1)
    waiting = db.session.scalars(db.select(DeliveryAttempt).where(DeliveryAttempt.outcome == "deferred")).one()
    assert waiting.delivery.next_attempt_at == DAY + timedelta(minutes=1) and waiting.delivery.attempts == 0
    assert deliver_due(now=DAY + timedelta(minutes=1)).sent == 1
