"""The SMS backend named by the settings: ``sender(config).send(sms)`` returns the provider's message id or raises
``DeliveryError``. The provider modules are imported only when chosen, so a development setup with the ``file``
backend never loads (or needs) the cloud SDKs.
"""
from typing import Protocol

from participation.reach.channels import Sms, SmsConfig

PROVIDERS = ("file", "aliyun", "tencent")


class SmsSender(Protocol):
    def send(self, sms: Sms) -> str: ...


def sender(config: SmsConfig) -> SmsSender:
    """The backend for ``config.provider``. ``off`` (or anything unknown) is refused: the engine keeps SMS in-app when
    the provider is off, so asking for a sender then is a programming error, not a delivery failure."""
    if config.provider == "file":
        from participation.reach.channels.sms_file import FileSender
        return FileSender(config)
    if config.provider == "aliyun":
        from participation.reach.channels.sms_aliyun import AliyunSender
        return AliyunSender(config)
    if config.provider == "tencent":
        from participation.reach.channels.sms_tencent import TencentSender
        return TencentSender(config)
    raise ValueError(f"no SMS sender for provider {config.provider!r}")
