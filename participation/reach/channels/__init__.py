"""The outside channels, each behind one small interface: ``send(outgoing) -> provider id``. Logs
mask numbers with ``participation.labels.mask_phone``.

A channel raises ``DeliveryError`` when the message did not go out: ``temporary`` errors (a timeout, the provider's
flow control, a 5xx) are retried with back-off; permanent ones (a template the provider does not know, a malformed
number, a robot key that was revoked) fail the delivery at once. A channel never logs a phone number unmasked and
never holds state between messages beyond its client.

``sms_sender(settings)`` gives the SMS backend the settings name (``file``, ``aliyun``, ``tencent``);
``participation.reach.channels.wecom.send`` posts to a 企业微信 group robot.
"""
from dataclasses import dataclass, field


class DeliveryError(Exception):
    def __init__(self, message: str, *, temporary: bool = True, provider_id: str | None = None):
        super().__init__(message)
        self.temporary = temporary
        self.provider_id = provider_id


@dataclass(frozen=True)
class Sms:
    """One SMS as every backend receives it: the template code and its values, nothing else about the person."""
    phone: str                  # 11 digits, mainland China
    kind: str                   # participation.reach.kinds
    template: str               # the provider-approved template code (the file backend: the kind when none is set)
    params: dict = field(default_factory=dict)    # ordered as the kind's sms_params
    community: str | None = None                  # the community's code, for the file backend's line
    key: str = ""                                 # the delivery's idempotency key



@dataclass(frozen=True)
class SmsConfig:
    """The SMS settings as a sender needs them: the admin's row over the environment (``participation.reach.settings``
    builds it). Secrets come from the environment only."""
    provider: str = "off"                 # off | file | aliyun | tencent
    sign_name: str = ""
    app_id: str = ""                      # 腾讯云 SmsSdkAppId
    region: str = ""                      # 腾讯云 ap-guangzhou …; 阿里云 cn-hangzhou …
    templates: dict = field(default_factory=dict)    # kind → approved template code
    daily_cap: int = 5                    # SMS per household per Beijing day (urgent kinds aside)
    file_path: str = ""                   # SMS_FILE, for the file backend
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    aliyun_endpoint: str = ""             # default dysmsapi.aliyuncs.com; tests point it at a local server
    tencent_secret_id: str = ""
    tencent_secret_key: str = ""
    tencent_endpoint: str = ""            # default sms.tencentcloudapi.com; tests point it at a local server
    timeout_seconds: float = 10.0
