"""阿里云短信 through the real SDK against a local server that checks each request and its V3 signature as Alibaba
Cloud documents them (tests/reach/providers/aliyun.py): a good send, every class of refusal sorted into retry-later
or give-up, a timeout, and no number in clear in any error."""
import json
import logging
import socket
from dataclasses import replace

import pytest

from participation.logs import redact
from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms import sender
from tests.reach.providers.aliyun import AliyunServer

PHONE = "13800138000"


@pytest.fixture
def server():
    with AliyunServer(access_key_id="LTAI-test-key", access_key_secret="test-secret-aliyun") as running:
        yield running


@pytest.fixture
def config(server):
    return SmsConfig(provider="aliyun", sign_name="民呼我应", region="cn-hangzhou",
                     aliyun_access_key_id="LTAI-test-key", aliyun_access_key_secret="test-secret-aliyun",
                     aliyun_endpoint=f"http://{server.endpoint}", timeout_seconds=2)


def _sms(**overrides):
    # Values with spaces, "&", "+" and Chinese: the ones a careless query encoding or canonical string gets wrong.
    values = dict(phone=PHONE, kind="survey.opened", template="SMS_465000001",
                  params={"community": "南苑 小区", "title": "加装电梯 & 停车+", "deadline": "12月20日"},
                  community="NG001", key="delivery-42")
    values.update(overrides)
    return Sms(**values)


def _refusal(config, sms=None):
    with pytest.raises(DeliveryError) as caught:
        sender(config).send(sms or _sms())
    return caught.value


def test_a_good_send_is_signed_as_documented_and_carries_the_four_parameters_and_the_key(server, config, caplog):
    caplog.set_level(logging.INFO, logger="participation")

    biz_id = sender(config).send(_sms())

    assert biz_id == "000001^0"
    assert server.problems == []
    [seen] = server.requests
    assert seen.signature_valid
    assert seen.header("host") == server.endpoint          # the configured endpoint, never the real one
    assert seen.header("x-acs-action") == "SendSms" and seen.header("x-acs-version") == "2017-05-25"
    assert {name: seen.params[name] for name in ("PhoneNumbers", "SignName", "TemplateCode", "OutId")} == {
        "PhoneNumbers": PHONE, "SignName": "民呼我应", "TemplateCode": "SMS_465000001", "OutId": "delivery-42"}
    assert json.loads(seen.params["TemplateParam"]) == {"community": "南苑 小区", "title": "加装电梯 & 停车+",
                                                        "deadline": "12月20日"}
    assert PHONE not in caplog.text and "138****8000" in caplog.text


def test_debug_lines_of_a_send_hold_the_number_only_where_the_log_redaction_masks_it(server, config, caplog):
    # urllib3 logs the request URL at DEBUG, and SendSms puts PhoneNumbers in the query: the number stands alone
    # there ("PhoneNumbers=13800138000&"), which participation.logs masks on every line it writes.
    caplog.set_level(logging.DEBUG)

    sender(config).send(_sms())

    assert any(PHONE in record.getMessage() for record in caplog.records)
    assert not any(PHONE in redact(record.getMessage()) for record in caplog.records)


def test_a_wrong_secret_fails_the_servers_signature_check_and_is_permanent(server, config):
    error = _refusal(replace(config, aliyun_access_key_secret="not-the-secret"))

    assert error.temporary is False
    assert "SignatureDoesNotMatch" in str(error)
    assert server.requests[0].signature_valid is False


def test_an_unknown_access_key_is_permanent(server, config):
    error = _refusal(replace(config, aliyun_access_key_id="LTAI-revoked"))

    assert error.temporary is False
    assert "InvalidAccessKeyId.NotFound" in str(error)


def test_a_number_the_provider_refuses_is_permanent(server, config):
    error = _refusal(config, _sms(phone="12800138000"))

    assert error.temporary is False
    assert "isv.MOBILE_NUMBER_ILLEGAL" in str(error)
    assert "12800138000" not in str(error)


@pytest.mark.parametrize(("status", "code", "temporary"), [
    (200, "isv.BUSINESS_LIMIT_CONTROL", True),
    (200, "isv.MINUTE_LIMIT_CONTROL", True),
    (400, "Throttling.User", True),
    (500, "InternalError", True),
    (503, "ServiceUnavailable", True),
    (200, "isv.SMS_TEMPLATE_ILLEGAL", False),
    (200, "isv.SMS_SIGNATURE_ILLEGAL", False),
    (200, "isv.TEMPLATE_MISSING_PARAMETERS", False),
    (200, "isv.MOBILE_NUMBER_ILLEGAL", False),
    (200, "isv.AMOUNT_NOT_ENOUGH", False),
    (403, "Forbidden.RAM", False),
])
def test_each_answer_is_sorted_into_retry_later_or_give_up_without_the_number(server, config, status, code,
                                                                             temporary):
    server.reply = (status, code, f"号码 {PHONE} 被拒绝 (+86{PHONE})")

    error = _refusal(config)

    assert error.temporary is temporary
    assert code in str(error)
    assert PHONE not in str(error) and "138****8000" in str(error)
    assert len(server.requests) == 1            # the SDK made no retries of its own: the engine owns retries
    assert server.requests[0].signature_valid


class _Garbled(AliyunServer):
    """A proxy in front of the API answering with a page instead of the API's JSON."""

    status = 502

    def answer(self, seen):
        super().answer(seen)
        return self.status, "text/html", b"<html>bad gateway</html>"


@pytest.mark.parametrize("status", [200, 502])
def test_an_answer_that_is_not_the_apis_json_is_temporary(config, status):
    with _Garbled() as garbled:
        garbled.status = status
        error = _refusal(replace(config, aliyun_endpoint=f"http://{garbled.endpoint}"))

    assert error.temporary is True
    assert garbled.requests[0].signature_valid


def test_a_server_slower_than_the_timeout_is_temporary(server, config):
    server.delay = 10

    error = _refusal(replace(config, timeout_seconds=0.3))

    assert error.temporary is True
    assert "Timeout" in str(error)
    assert PHONE not in str(error)


def test_no_server_listening_is_temporary_and_the_url_with_the_number_stays_out_of_the_error(config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    error = _refusal(replace(config, aliyun_endpoint=f"http://127.0.0.1:{closed_port}"))

    assert error.temporary is True
    assert PHONE not in str(error) and "PhoneNumbers" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_without_an_endpoint_the_sender_addresses_the_providers_https_host():
    backend = sender(SmsConfig(provider="aliyun", sign_name="民呼我应", aliyun_access_key_id="id",
                               aliyun_access_key_secret="secret"))

    assert backend.client._endpoint == "dysmsapi.aliyuncs.com"
    assert backend.client._protocol == "https"


@pytest.mark.parametrize("changes", [
    {"aliyun_access_key_secret": ""},
    {"sign_name": ""},
    {"aliyun_endpoint": "http://dysmsapi.aliyuncs.com"},      # numbers in clear over the internet: refused
])
def test_missing_settings_or_plain_http_to_a_remote_host_fail_permanently_without_a_request(server, config, changes):
    error = _refusal(replace(config, **changes))

    assert error.temporary is False
    assert server.requests == []
