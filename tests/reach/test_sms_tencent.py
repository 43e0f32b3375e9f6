"""腾讯云短信 through the real SDK against a local server that checks each request and its TC3-HMAC-SHA256
signature as Tencent Cloud documents them (tests/reach/providers/tencent.py): a good send with the template's
values in the kind's order, every class of refusal sorted into retry-later or give-up, a timeout, and no number in
clear in any error."""
import logging
import socket
from dataclasses import replace

import pytest

from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms import sender
from participation.reach.kinds import kind
from tests.reach.providers.tencent import TencentServer

PHONE = "13800138000"


@pytest.fixture
def server():
    with TencentServer(secret_id="AKID-test", secret_key="test-secret-tencent", app_id="1400000001",
                       sign_name="民呼我应", templates={"100001": 3, "100002": 1}) as running:
        yield running


@pytest.fixture
def config(server):
    return SmsConfig(provider="tencent", sign_name="民呼我应", app_id="1400000001", region="ap-guangzhou",
                     tencent_secret_id="AKID-test", tencent_secret_key="test-secret-tencent",
                     tencent_endpoint=f"http://{server.endpoint}", timeout_seconds=2)


def _sms(**overrides):
    # The dict's order deliberately differs from the kind's (community, title, deadline).
    values = dict(phone=PHONE, kind="survey.opened", template="100001",
                  params={"deadline": "12月20日", "title": "加装电梯", "community": "南苑小区"},
                  community="NG001", key="delivery-42")
    values.update(overrides)
    return Sms(**values)


def _refusal(config, sms=None):
    with pytest.raises(DeliveryError) as caught:
        sender(config).send(sms or _sms())
    return caught.value


def test_a_good_send_is_signed_as_documented_with_the_values_in_the_kinds_order(server, config, caplog):
    caplog.set_level(logging.INFO, logger="participation")

    serial = sender(config).send(_sms())

    assert serial.startswith("2640:")
    assert server.problems == []
    [seen] = server.requests
    assert seen.signature_valid
    assert seen.header("host") == server.endpoint          # the configured endpoint, never the real one
    assert seen.header("x-tc-region") == "ap-guangzhou"
    assert kind("survey.opened").sms_params == ("community", "title", "deadline")
    assert seen.params == {"PhoneNumberSet": ["+8613800138000"], "SmsSdkAppId": "1400000001", "SignName": "民呼我应",
                           "TemplateId": "100001", "TemplateParamSet": ["南苑小区", "加装电梯", "12月20日"],
                           "SessionContext": "delivery-42"}
    assert PHONE not in caplog.text and "138****8000" in caplog.text


def test_the_sdks_own_debug_log_of_the_request_and_answer_masks_the_number(server, config, caplog):
    caplog.set_level(logging.DEBUG, logger="tencentcloud_sdk_common")

    sender(config).send(_sms())

    sdk_lines = [record.getMessage() for record in caplog.records if record.name == "tencentcloud_sdk_common"]
    assert any("+86138****8000" in line for line in sdk_lines)       # the SDK did log the request
    assert not any(PHONE in line for line in sdk_lines)


def test_a_wrong_secret_key_fails_the_servers_signature_check_and_is_permanent(server, config):
    error = _refusal(replace(config, tencent_secret_key="not-the-key"))

    assert error.temporary is False
    assert "AuthFailure.SignatureFailure" in str(error)
    assert server.requests[0].signature_valid is False


def test_an_unknown_secret_id_is_permanent(server, config):
    error = _refusal(replace(config, tencent_secret_id="AKID-revoked"))

    assert error.temporary is False
    assert "AuthFailure.SecretIdNotFound" in str(error)


def test_a_template_the_provider_has_not_approved_is_permanent(server, config):
    error = _refusal(config, _sms(template="999999"))

    assert error.temporary is False
    assert "FailedOperation.TemplateIncorrectOrUnapproved" in str(error)


def test_a_number_the_provider_refuses_is_permanent_and_masked(server, config):
    error = _refusal(config, _sms(phone="12800138000"))

    assert error.temporary is False
    assert "InvalidParameterValue.IncorrectPhoneNumber" in str(error)
    assert "12800138000" not in str(error)


@pytest.mark.parametrize(("code", "temporary"), [
    ("LimitExceeded.PhoneNumberDailyLimit", True),
    ("LimitExceeded.DeliveryFrequencyLimit", True),
    ("InternalError.Timeout", True),
    ("FailedOperation.ContainSensitiveWord", False),
    ("FailedOperation.InsufficientBalanceInSmsPackage", False),
    ("InvalidParameterValue.TemplateParameterLengthLimit", False),
    ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
])
@pytest.mark.parametrize("where", ["status", "error"])
def test_each_code_is_sorted_into_retry_later_or_give_up_without_the_number(server, config, code, temporary, where):
    # The same codes come back either as the number's send status or as the whole request's error.
    setattr(server, where, (code, f"号码 +86{PHONE} 未发送"))

    error = _refusal(config)

    assert error.temporary is temporary
    assert code in str(error)
    assert PHONE not in str(error) and "138****8000" in str(error)
    assert len(server.requests) == 1            # no retries inside the SDK: the engine owns them
    assert server.requests[0].signature_valid


class _BadGateway(TencentServer):
    def answer(self, seen):
        super().answer(seen)
        return 502, "text/html", b"<html>502 Bad Gateway</html>"


def test_a_5xx_from_in_front_of_the_api_is_temporary(config):
    with _BadGateway() as gateway:
        error = _refusal(replace(config, tencent_endpoint=f"http://{gateway.endpoint}"))

    assert error.temporary is True
    assert gateway.requests[0].signature_valid


def test_a_server_slower_than_the_timeout_is_temporary(server, config):
    server.delay = 10

    error = _refusal(replace(config, timeout_seconds=0.3))

    assert error.temporary is True
    assert "ClientNetworkError: timed out" in str(error)
    assert PHONE not in str(error)


def test_no_server_listening_is_temporary_and_the_http_librarys_text_stays_out(config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    error = _refusal(replace(config, tencent_endpoint=f"http://127.0.0.1:{closed_port}"))

    assert error.temporary is True
    assert str(error) == "腾讯云短信 ClientNetworkError: could not connect"


def test_an_sms_missing_one_of_its_templates_values_fails_before_any_request(server, config):
    error = _refusal(config, _sms(params={"community": "南苑小区", "title": "加装电梯"}))

    assert error.temporary is False
    assert "deadline" in str(error)
    assert server.requests == []


def test_without_an_endpoint_the_sender_addresses_the_providers_https_host():
    backend = sender(SmsConfig(provider="tencent", sign_name="民呼我应", app_id="1400000001",
                               tencent_secret_id="id", tencent_secret_key="key"))

    assert backend.client._get_endpoint() == "sms.tencentcloudapi.com"
    assert backend.client.profile.httpProfile.scheme == "https"
    assert backend.client.region == "ap-guangzhou"


@pytest.mark.parametrize("changes", [
    {"tencent_secret_key": ""},
    {"app_id": ""},
    {"tencent_endpoint": "http://sms.tencentcloudapi.com"},
])
def test_missing_settings_or_plain_http_to_a_remote_host_fail_permanently_without_a_request(server, config, changes):
    error = _refusal(replace(config, **changes))

    assert error.temporary is False
    assert server.requests == []
