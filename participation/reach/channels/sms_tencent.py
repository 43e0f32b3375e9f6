"""腾讯云短信 through its official SDK (``tencentcloud-sdk-python-sms``, API 2021-01-11, signed TC3-HMAC-SHA256):
SendSms with the E.164 number, the SmsSdkAppId, the sign name, the kind's approved template id, the template's
values as a list, and the delivery's idempotency key as SessionContext (it comes back with the receipt).

腾讯云 takes template values by position, not by name, so their order is the kind's ``sms_params`` order
(``participation.reach.kinds``) — the order the admin sees when entering the template — never the dict's
accidental one. The SDK retries nothing unless given a retryer, and none is given: the delivery engine owns
retries and their log. Error texts come from the provider's code and message, scrubbed of the number.
"""
import logging
import re

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from participation.labels import mask_phone
from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms import provider_error, split_endpoint
from participation.reach.kinds import kind as message_kind

logger = logging.getLogger(__name__)
E164_MAINLAND = re.compile(r"\+86(1[3-9]\d{9})(?!\d)")


class MaskNumbers(logging.Filter):
    """The SDK logs each request and answer at DEBUG, body and all: ``"PhoneNumberSet": ["+8613800138000"]``. The
    log redaction masks a number standing alone, not one glued to +86, so these records are masked here."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = E164_MAINLAND.sub(lambda match: "+86" + mask_phone(match.group(1)), text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


SDK_LOGGER = logging.getLogger("tencentcloud_sdk_common")
if not any(isinstance(existing, MaskNumbers) for existing in SDK_LOGGER.filters):
    SDK_LOGGER.addFilter(MaskNumbers())

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
PROVIDER = "腾讯云短信"
TEMPORARY_PREFIXES = ("LimitExceeded.", "InternalError", "RequestLimitExceeded", "ResourceUnavailable",
                      "ClientNetworkError", "ServerNetworkError")
PERMANENT_PREFIXES = ("FailedOperation.", "InvalidParameterValue.", "InvalidParameter", "UnauthorizedOperation.",
                      "AuthFailure.", "MissingParameter", "UnsupportedOperation", "UnsupportedRegion",
                      "InvalidAction", "NoSuchVersion")


def is_temporary(code: str) -> bool:
    """Rate limits, the provider's internal errors and network failures pass; a refused template, sign name,
    number, app or credential does not. An unknown code is retried: the engine's attempt limit bounds it."""
    if code.startswith(TEMPORARY_PREFIXES):
        return True
    return not code.startswith(PERMANENT_PREFIXES)


def template_values(sms: Sms) -> list[str]:
    """The values in the order the kind declares them (the template's ``{1}``, ``{2}`` …)."""
    names = message_kind(sms.kind).sms_params
    missing = [name for name in names if name not in sms.params]
    if missing:
        raise DeliveryError(f"the SMS lacks its template's values: {', '.join(missing)}", temporary=False)
    return [str(sms.params[name]) for name in names]


def e164(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+86{digits[-11:]}" if len(digits) >= 11 else f"+86{digits}"


class TencentSender:
    def __init__(self, config: SmsConfig):
        self.app_id = config.app_id
        self.sign_name = config.sign_name
        self.problem = None
        self.client = None
        if not (config.tencent_secret_id and config.tencent_secret_key and config.app_id and config.sign_name):
            self.problem = "腾讯云短信 needs a SecretId, its SecretKey, the SmsSdkAppId and a sign name"
            return
        try:
            protocol, host = split_endpoint(config.tencent_endpoint or DEFAULT_ENDPOINT)
        except ValueError as error:
            self.problem = str(error)
            return
        http_profile = HttpProfile(protocol=protocol, endpoint=host, reqMethod="POST",
                                   reqTimeout=config.timeout_seconds)
        self.client = SmsClient(credential.Credential(config.tencent_secret_id, config.tencent_secret_key),
                                config.region or DEFAULT_REGION, ClientProfile(httpProfile=http_profile))

    def send(self, sms: Sms) -> str:
        if self.problem:
            raise DeliveryError(self.problem, temporary=False)
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [e164(sms.phone)]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = sms.template
        request.TemplateParamSet = template_values(sms)
        request.SessionContext = sms.key
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or "Unknown"
            message = error.get_message() or ""
            if code == "ClientNetworkError":
                # The HTTP library's text, URL and all: say only whether it timed out.
                message = "timed out" if "timed out" in message.lower() else "could not connect"
            raise provider_error(PROVIDER, code, message, sms.phone, temporary=is_temporary(code)) from None
        statuses = response.SendStatusSet or []
        if not statuses:
            raise provider_error(PROVIDER, "NoStatus", "the answer held no send status", sms.phone, temporary=True)
        status = statuses[0]
        if status.Code != "Ok":
            code = status.Code or "Unknown"
            raise provider_error(PROVIDER, code, status.Message or "", sms.phone, temporary=is_temporary(code))
        logger.info("SMS %s to %s accepted by 腾讯云短信 (%s)", sms.kind, mask_phone(sms.phone), status.SerialNo)
        return status.SerialNo
