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

