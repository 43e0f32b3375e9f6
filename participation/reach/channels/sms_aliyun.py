"""阿里云短信 through its official SDK (``alibabacloud_dysmsapi20170525`` 4.6.0, which signs with V3
``ACS3-HMAC-SHA256``): SendSms with the sign name, the kind's approved template code, its values as JSON and the
delivery's idempotency key as OutId, so the provider's receipts can be matched to our log.

The SDK's own retries stay off: the delivery engine retries with back-off and records each attempt, and a hidden
retry inside one attempt would both hide it from the log and outlast the timeout. Every error text is built from
the provider's code and message (scrubbed of the number), never from the SDK's exception text, which carries the
request URL — and SendSms puts PhoneNumbers in the URL.
"""
import json
import logging

from alibabacloud_dysmsapi20170525 import models as dysms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import exceptions as openapi_exceptions
from alibabacloud_tea_openapi import models as openapi_models
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions

from participation.labels import mask_phone
from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms import provider_error, split_endpoint

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
PROVIDER = "阿里云短信"

# Codes that say "not now" rather than "never": flow control per account, per number and per minute/hour/day, and
# the provider's own faults. An account out of credit (isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE) is permanent, as
# 腾讯云's FailedOperation.InsufficientBalanceInSmsPackage is: the failure reaches admins at once, and they retry
# the failed deliveries after topping up.
TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL", "isv.MINUTE_LIMIT_CONTROL", "isv.HOUR_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL",
    "isv.SYSTEM_ERROR", "isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError", "UnknownError",
}


def is_temporary(code: str, http_status: int | None = None) -> bool:
    """Flow control, throttling and 5xx pass; a refused number, template, sign name, key or signature does not.
    An ``isv.*`` code not named here is the provider refusing this message, so it is permanent."""
    if code in TEMPORARY_CODES or code.startswith("Throttling"):
        return True
    if http_status is not None and http_status >= 500:
        return True
    return False


class AliyunSender:
    def __init__(self, config: SmsConfig):
        self.sign_name = config.sign_name
        self.timeout_ms = max(1, int(config.timeout_seconds * 1000))
        self.problem = None
        self.client = None
        if not (config.aliyun_access_key_id and config.aliyun_access_key_secret and config.sign_name):
            # Checked before the client exists: without keys the SDK would look for credentials elsewhere
            # (environment, instance metadata over the network) instead of failing plainly.
            self.problem = "阿里云短信 needs an AccessKey id, its secret and a sign name"
            return
        try:
            protocol, host = split_endpoint(config.aliyun_endpoint or DEFAULT_ENDPOINT)
        except ValueError as error:
            self.problem = str(error)
            return
        self.client = Client(openapi_models.Config(
            access_key_id=config.aliyun_access_key_id,
            access_key_secret=config.aliyun_access_key_secret,
            endpoint=host,
            protocol=protocol,
            region_id=config.region or "cn-hangzhou",
            read_timeout=self.timeout_ms,
            connect_timeout=self.timeout_ms,
        ))

    def send(self, sms: Sms) -> str:
        if self.problem:
            raise DeliveryError(self.problem, temporary=False)
        request = dysms_models.SendSmsRequest(
            phone_numbers=sms.phone,
            sign_name=self.sign_name,
            template_code=sms.template,
            template_param=json.dumps({name: str(value) for name, value in sms.params.items()},
                                      ensure_ascii=False),
            out_id=sms.key or None,
        )
        runtime = RuntimeOptions(autoretry=False, read_timeout=self.timeout_ms,
                                 connect_timeout=self.timeout_ms)
        try:
            response = self.client.send_sms_with_options(request, runtime)
        except openapi_exceptions.AlibabaCloudException as error:
            code = error.code or "Unknown"
            data = error.data if isinstance(error.data, dict) else {}
            raise provider_error(PROVIDER, code, data.get("Message") or data.get("message") or "", sms.phone,
                                 temporary=is_temporary(code, error.status_code)) from None
        except UnretryableException as error:   # how the SDK reports timeouts, refused connections, garbled answers
            raise provider_error(PROVIDER, "network", _network_reason(error), sms.phone, temporary=True) from None
        body = response.body
        if body is None or body.code != "OK":
            code = (body.code if body else None) or "Unknown"
            raise provider_error(PROVIDER, code, (body.message if body else "") or "", sms.phone,
                                 temporary=is_temporary(code))
        logger.info("SMS %s to %s accepted by 阿里云短信 (%s)", sms.kind, mask_phone(sms.phone), body.biz_id)
        return body.biz_id


def _network_reason(error: Exception) -> str:
    """The kind of failure (ReadTimeout, ConnectionError …) without the exception's text, which holds the URL. The
    SDK wraps the HTTP library's error in a RetryError raised while handling it, so the type is its context's."""
    inner = getattr(error, "inner_exception", None) or error
    return type(inner.__context__ or inner).__name__
