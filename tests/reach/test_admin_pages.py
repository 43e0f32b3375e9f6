"""The admins' delivery pages (/admin/messages): the overview of the last days and the failures, each message's log,
retrying one or all failed deliveries, the SMS settings (validation, saving, the audit row, secrets never shown) and
the SMS counts per community and Beijing month, with the refusals for every other role and for visitors."""
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, Delivery, DeliveryAttempt, District, Notification, SmsSettings
from participation.models.types import utcnow
from participation.reach import admin
from tests.conftest import csrf_token

OTHER_ROLES = ("organiser", "owner_rep", "grid", "hotline", "agency")
PAGES = ("/admin/messages", "/admin/messages/settings", "/admin/messages/counts", "/admin/messages/counts.xlsx")


@pytest.fixture
def community(make_community):
    return make_community("MS001", buildings=1, units=2, floors=1, per_floor=2)


@pytest.fixture
def login(client, login_as):
    """Sign in as ``role`` and read the pages in English, so the words are the msgids."""
    def sign_in(role="admin", community=None, **fields):
        user = login_as(role, community, **fields)
        page = client.get("/account/password")
        client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(page.text), "next": "/"})
        return user
    return sign_in


def households(community):
    return [household for unit in community.buildings[0].units for household in unit.households]


def sms(household, state, *, kind="survey.opened", attempts=0, sent_at=None, created_at=None, error=None,
        skip_reason=None, community_id="household's", tries=()) -> Delivery:
    """A message to ``household`` with one SMS delivery in ``state``; ``tries``: (outcome, at, error) log rows."""
    place = household.unit.building.community_id if community_id == "household's" else community_id
    message = Notification(household_id=household.id, community_id=place, kind=kind, text="问卷开始了",
                           params={"community": "MS001小区", "title": "需求调查", "deadline": "12月20日"})
    delivery = Delivery(notification=message, channel="sms", community_id=place, state=state, attempts=attempts,
                        idempotency_key=f"sms-{household.id}-{state}-{len(tries)}-{attempts}-{kind}-{sent_at}",
                        sent_at=sent_at, last_error=error, skip_reason=skip_reason, template="SMS_100",
                        created_at=created_at or utcnow(),
                        attempt_log=[DeliveryAttempt(outcome=outcome, at=at, error=text, provider_id=None)
                                     for outcome, at, text in tries])
    db.session.add(message)
    db.session.flush()
    return delivery


def post(client, url: str, data: dict | None = None):
    token = csrf_token(client.get("/account/password").text)
    return client.post(url, data={"csrf_token": token} | (data or {}))


# --- who may open them -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_staff_get_403_on_every_page_and_action(client, login, community, role):
    failed = sms(households(community)[0], "failed", attempts=5)
    db.session.commit()
    login(role, community)
    for url in PAGES + (f"/admin/messages/{failed.notification_id}",):
        assert client.get(url).status_code == 403, url
    for url in (f"/admin/messages/deliveries/{failed.id}/retry", "/admin/messages/retry-all",
                "/admin/messages/settings"):
        assert post(client, url).status_code == 403, url
    db.session.refresh(failed)
    assert failed.state == "failed"


def test_visitors_are_sent_to_sign_in(client, community):
    failed = sms(households(community)[0], "failed", attempts=5)
    db.session.commit()
    for url in PAGES + (f"/admin/messages/{failed.notification_id}",):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_unknown_ids_answer_404(client, login, community):
    login("admin")
    assert client.get("/admin/messages/999999").status_code == 404
    assert post(client, "/admin/messages/deliveries/999999/retry").status_code == 404


def test_a_district_admin_sees_only_the_districts_deliveries_and_not_the_settings(client, login, make_community,
                                                                                   community):
    elsewhere = make_community("MS002", district="朝阳区", buildings=1, units=1, floors=1, per_floor=1)
    ours = sms(households(community)[0], "failed", attempts=5, error="ours failed")
    theirs = sms(households(elsewhere)[0], "failed", attempts=5, error="theirs failed")
    login("admin", district=community.district)
    page = client.get("/admin/messages").text
    assert "ours failed" in page and "theirs failed" not in page
    assert client.get(f"/admin/messages/{ours.notification_id}").status_code == 200
    assert client.get(f"/admin/messages/{theirs.notification_id}").status_code == 404
    assert post(client, f"/admin/messages/deliveries/{theirs.id}/retry").status_code == 404
    assert client.get("/admin/messages/settings").status_code == 403
    assert post(client, "/admin/messages/retry-all").status_code == 302
    db.session.refresh(ours)
    db.session.refresh(theirs)
    assert (ours.state, theirs.state) == ("pending", "failed")


# --- the overview and a message's log --------------------------------------------------------------------------------

def test_the_overview_counts_states_and_lists_failures_newest_first_masked(client, login, community):
    first, second, third, fourth = households(community)
    now = utcnow()
    sms(first, "sent", attempts=1, sent_at=now)
    sms(second, "pending")
    sms(third, "skipped", skip_reason="opted_out")
    sms(first, "sent", attempts=1, sent_at=now - timedelta(days=9), created_at=now - timedelta(days=9))  # too old
    older = sms(second, "failed", attempts=5, error="isv.BUSINESS_LIMIT_CONTROL",
                tries=[("error", now - timedelta(hours=3), "isv.BUSINESS_LIMIT_CONTROL")])
    newer = sms(fourth, "failed", kind="vote.opened", attempts=5, error="timeout",
                tries=[("error", now - timedelta(hours=1), "timeout")])
    db.session.commit()
    login("admin")
    page = client.get("/admin/messages").text
    states = page.split('id="states-sms"')[1].split("</tr>")[0]
    assert [states.split(f'data-state="{state}">')[1].split("<")[0]
            for state in ("pending", "sending", "sent", "failed", "skipped")] == ["1", "0", "1", "2", "1"]
    failed = page.split('id="failed"')[1].split("</table>")[0]
    assert failed.index(f"delivery-{newer.id}") < failed.index(f"delivery-{older.id}")
    assert "MS001小区 1-2-102 138****0102" in failed            # 楼栋-单元-房号 and the phone masked
    assert fourth.phone not in page and second.phone not in page
    assert "Owners&#39; vote notice" in failed and "Survey opened" in failed and "isv.BUSINESS_LIMIT_CONTROL" in failed
    assert f"/admin/messages/{newer.notification_id}" in failed
    assert f"/admin/messages/deliveries/{newer.id}/retry" in failed and "/admin/messages/retry-all" in page


def test_the_message_page_shows_each_delivery_and_its_attempt_log(client, login, community):
    household = households(community)[0]
    now = utcnow()
    delivery = sms(household, "failed", attempts=2, error="temporary: 503",
                   tries=[("deferred", now - timedelta(hours=10), None), ("error", now - timedelta(hours=2), "503"),
                          ("error", now - timedelta(hours=1), "temporary: 503")])
    skipped = sms(households(community)[1], "skipped", skip_reason="capped")
    db.session.commit()
    login("admin")
    page = client.get(f"/admin/messages/{delivery.notification_id}").text
    assert "问卷开始了" in page and "Survey opened" in page and "138****0101" in page and household.phone not in page
    assert "Delivery failed" in page and "SMS_100" in page and delivery.idempotency_key in page
    log = page.split('class="list admin-table compact attempts"')[1].split("</table>")[0]
    assert log.count("<tr>") == 4 and "Deferred" in log and log.count("<td>Error</td>") == 2 and "temporary: 503" in log
    assert f"/admin/messages/deliveries/{delivery.id}/retry" in page
    skipped_page = client.get(f"/admin/messages/{skipped.notification_id}").text
    assert "The household reached today" in skipped_page and "Not tried yet." in skipped_page
    assert "/retry" not in skipped_page


# --- retries -------------------------------------------------------------------------------------------------------

def test_retry_puts_a_failed_delivery_back_due_now_with_attempts_zero_and_audits_it(client, login, community):
    delivery = sms(households(community)[0], "failed", attempts=5, error="timeout")
    db.session.commit()
    user = login("admin")
    response = post(client, f"/admin/messages/deliveries/{delivery.id}/retry")
    assert response.status_code == 302 and response.location.endswith("/admin/messages")
    db.session.refresh(delivery)
    assert delivery.state == "pending" and delivery.attempts == 0 and delivery.next_attempt_at <= utcnow()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.retry"))
    assert event.actor_id == user.id and event.object_id == str(delivery.id)


def test_retrying_what_has_not_failed_changes_nothing(client, login, community):
    sent = sms(households(community)[0], "sent", attempts=1, sent_at=utcnow())
    db.session.commit()
    login("admin")
    response = post(client, f"/admin/messages/deliveries/{sent.id}/retry")
    assert response.status_code == 302
    assert "has not failed" in client.get("/admin/messages").text
    db.session.refresh(sent)
    assert sent.state == "sent" and sent.attempts == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.retry")) is None


def test_retry_all_retries_every_failed_delivery_and_nothing_else(client, login, community):
    first, second, third, _fourth = households(community)
    failed = [sms(first, "failed", attempts=5), sms(second, "failed", attempts=3)]
    sent = sms(third, "sent", attempts=1, sent_at=utcnow())
    db.session.commit()
    login("admin")
    assert post(client, "/admin/messages/retry-all").status_code == 302
    for delivery in failed + [sent]:
        db.session.refresh(delivery)
    assert [(d.state, d.attempts) for d in failed] == [("pending", 0), ("pending", 0)]
    assert (sent.state, sent.attempts) == ("sent", 1)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delivery.retry")).all()) == 2


def test_a_retry_without_the_csrf_token_is_refused(client, login, community):
    delivery = sms(households(community)[0], "failed", attempts=5)
    db.session.commit()
    login("admin")
    assert client.post(f"/admin/messages/deliveries/{delivery.id}/retry").status_code == 400
    db.session.refresh(delivery)
    assert delivery.state == "failed"


# --- the SMS settings -----------------------------------------------------------------------------------------------

def settings_form(**values) -> dict:
    return {"provider": "env", "sign_name": "", "app_id": "", "region": "", "daily_cap": ""} | values


def test_settings_saved_and_audited_old_to_new(client, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "file")
    login("admin")
    response = post(client, "/admin/messages/settings", settings_form(
        provider="aliyun", sign_name="南关区旧改办", region="cn-hangzhou", daily_cap="3",
        template_survey_opened="SMS_123456789", template_vote_opened="SMS_987654321"))
    assert response.status_code == 302 and response.location.endswith("/admin/messages/settings")
    row = db.session.scalar(select(SmsSettings))
    assert (row.provider, row.sign_name, row.region, row.daily_cap, row.app_id) == (
        "aliyun", "南关区旧改办", "cn-hangzhou", 3, None)
    assert row.templates == {"survey.opened": "SMS_123456789", "vote.opened": "SMS_987654321"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_settings.update"))
    assert event.detail["changes"]["provider"] == [None, "aliyun"]
    assert event.detail["changes"]["templates"]["survey.opened"] == [None, "SMS_123456789"]

    post(client, "/admin/messages/settings", settings_form(
        provider="aliyun", sign_name="南关区旧改办", region="cn-hangzhou", daily_cap="3",
        template_survey_opened="SMS_123456789"))   # vote.opened emptied: back to the environment's
    db.session.refresh(row)
    assert row.templates == {"survey.opened": "SMS_123456789"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sms_settings.update")
                                .order_by(AuditEvent.id)).all()
    assert events[-1].detail["changes"] == {"templates": {"vote.opened": ["SMS_987654321", None]}}

    page = client.get("/admin/messages/settings").text
    assert 'value="SMS_123456789"' in page and "Alibaba Cloud SMS" in page
    assert "${community} ${title} ${deadline}" in page and "{1} {2} {3}" in page


@pytest.mark.parametrize("values, field, message", [
    ({"sign_name": "旧"}, "sign_name", "2 to 12 characters"),
    ({"sign_name": "长春市南关区老旧小区改造办公室"}, "sign_name", "2 to 12 characters"),
    ({"template_survey_opened": "SMS 123"}, "template_survey_opened", "letters, digits or underscores"),
    ({"provider": "tencent", "template_survey_opened": "SMS_123"}, "template_survey_opened", "digits"),
    ({"provider": "aliyun", "template_survey_opened": "1234567"}, "template_survey_opened", "SMS_123456789"),
    ({"daily_cap": "0"}, "daily_cap", "whole number from 1 to 50"),
    ({"daily_cap": "many"}, "daily_cap", "whole number from 1 to 50"),
    ({"app_id": "14000abc"}, "app_id", "digits"),
    ({"region": "Guangzhou!"}, "region", "ap-guangzhou"),
    ({"provider": "sms.example"}, "provider", ""),
])
def test_bad_settings_are_refused_with_a_message_and_nothing_saved(client, login, values, field, message):
    login("admin")
    response = post(client, "/admin/messages/settings",
                    settings_form(**{"sign_name": "南关区旧改办", "template_vote_opened": "1234"} | values))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert db.session.scalar(select(SmsSettings)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_settings.update")) is None


def test_tencent_digit_codes_follow_the_provider_the_environment_names(client, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "tencent")
    login("admin")
    refused = post(client, "/admin/messages/settings", settings_form(template_survey_opened="SMS_1"))
    assert refused.status_code == 400 and "Tencent Cloud template IDs are digits" in refused.text
    assert post(client, "/admin/messages/settings", settings_form(
        template_survey_opened="1234567", app_id="1400006666")).status_code == 302
    assert db.session.scalar(select(SmsSettings)).templates == {"survey.opened": "1234567"}


def test_the_settings_page_shows_the_environment_and_never_a_secret(client, login, app, monkeypatch):
    for key, value in {"SMS_BACKEND": "tencent", "SMS_SIGN_NAME": "环境签名", "SMS_TEMPLATES": '{"vote.opened": "7654321"}',
                       "TENCENT_SECRET_ID": "AKIDsecretid0000WXYZ", "TENCENT_SECRET_KEY": "very-secret-key-9876",
                       "ALIYUN_ACCESS_KEY_ID": "", "ALIYUN_ACCESS_KEY_SECRET": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    login("admin")
    page = client.get("/admin/messages/settings").text
    assert "环境签名" in page and "7654321" in page and "Tencent Cloud SMS" in page
    assert "set, ending in WXYZ" in page and "AKIDsecretid0000WXYZ" not in page
    assert "very-secret-key-9876" not in page and "9876" not in page
    assert page.count("not set") == 2


def test_nothing_changed_writes_no_audit_row(client, login):
    login("admin")
    assert post(client, "/admin/messages/settings", settings_form()).status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_settings.update")) is None


# --- SMS counts ------------------------------------------------------------------------------------------------------

def test_counts_by_community_and_beijing_month_across_the_month_boundary(community, make_community, make_user):
    second = make_community("MS002", buildings=1, units=1, floors=1, per_floor=1)
    home, other_home = households(community)[0], households(second)[0]
    november_end = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)    # 23:30 on 30 Nov in Beijing
    december_start = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 Dec in Beijing
    sms(home, "sent", attempts=1, sent_at=november_end)
    sms(home, "sent", attempts=1, sent_at=december_start, kind="vote.opened")
    sms(home, "sent", attempts=1, sent_at=december_start, kind="vote.reminder")
    sms(other_home, "sent", attempts=1, sent_at=december_start)
    sms(home, "failed", attempts=5)                                          # not sent: not counted
    sms(home, "skipped", skip_reason="opted_out", created_at=december_start)
    sms(home, "skipped", skip_reason="capped", created_at=december_start, kind="vote.reminder")
    sms(home, "skipped", skip_reason="no_template", created_at=november_end, kind="survey.reminder")
    db.session.commit()

    counts = admin.sms_counts(make_user("admin"), now=datetime(2026, 12, 7, tzinfo=timezone.utc))
    assert counts.months[-2:] == ["2026-11", "2026-12"] and len(counts.months) == 12
    assert counts.sent == {(community.id, "2026-11"): 1, (community.id, "2026-12"): 2, (second.id, "2026-12"): 1}
    assert counts.month_total("2026-12") == 3 and counts.community_total(community.id) == 3 and counts.total == 4
    assert counts.skipped == {("2026-12", "opted_out"): 1, ("2026-12", "capped"): 1, ("2026-11", "no_template"): 1}

    book = load_workbook(BytesIO(admin.sms_counts_xlsx(counts)))
    sent_sheet, skipped_sheet = book.worksheets
    rows = list(sent_sheet.iter_rows(values_only=True))
    assert rows[1][0] == "MS001" and rows[1][-3:] == (1, 2, 3)
    assert rows[2][0] == "MS002" and rows[2][-3:] == (0, 1, 1)
    assert rows[-1][-3:] == (1, 3, 4)
    assert list(skipped_sheet.iter_rows(values_only=True))[-1][1:4] == (1, 1, 0)


def test_the_counts_page_and_its_workbook(client, login, community):
    home = households(community)[0]
    this_month = utcnow()
    sms(home, "sent", attempts=1, sent_at=this_month)
    sms(home, "sent", attempts=1, sent_at=this_month, kind="vote.opened")
    sms(home, "skipped", skip_reason="capped")
    db.session.commit()
    login("admin")
    page = client.get("/admin/messages/counts").text
    row = page.split('id="community-MS001"')[1].split("</tr>")[0]
    assert 'class="total">2<' in row and "MS001小区" in row
    assert 'id="month-totals"' in page and "The household reached today" in page
    download = client.get("/admin/messages/counts.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(download.data)).worksheets[0]
    assert list(sheet.iter_rows(values_only=True))[1][-1] == 2


def test_a_district_admin_counts_only_the_district(client, login, community, make_community):
    elsewhere = make_community("MS003", district="朝阳区", buildings=1, units=1, floors=1, per_floor=1)
    sms(households(community)[0], "sent", attempts=1, sent_at=utcnow())
    sms(households(elsewhere)[0], "sent", attempts=1, sent_at=utcnow())
    district = db.session.scalar(select(District).filter_by(name=community.district.name))
    login("admin", district=district)
    page = client.get("/admin/messages/counts").text
    assert 'id="community-MS001"' in page and 'id="community-MS003"' not in page
