"""The SMS backend named by the settings: ``sender(config).send(sms)`` returns the provider's message id or raises
``DeliveryError``. The provider modules are imported only when chosen, so a development setup with the ``file``
backend never loads (or needs) the cloud SDKs.
"""
from typing import Protocol
from urllib.parse import urlsplit

from participation.labels import mask_phone
from participation.logs import redact
from participation.reach.channels import DeliveryError, Sms, SmsConfig
from participation.reach.channels.sms_file import FileSender

PROVIDERS = ("file", "aliyun", "tencent")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SmsSender(Protocol):
    def send(self, sms: Sms) -> str: ...


def sender(config: SmsConfig) -> SmsSender:
    """The backend for ``config.provider``. ``off`` (or anything unknown) is refused: the engine keeps SMS in-app when
    the provider is off, so asking for a sender then is a programming error, not a delivery failure."""
    if config.provider == "file":
        return FileSender(config)
    if config.provider == "aliyun":
        from participation.reach.channels.sms_aliyun import AliyunSender  # lazy: its SDK takes ~1.5 s to import
        return AliyunSender(config)
    if config.provider == "tencent":
        from participation.reach.channels.sms_tencent import TencentSender  # lazy: a deployment uses one provider
        return TencentSender(config)
    raise ValueError(f"no SMS sender for provider {config.provider!r}")


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """``(protocol, host[:port])`` from an endpoint setting. A bare host means HTTPS, as in production; plain HTTP is
    accepted only for this machine (the tests' checking servers), never for a host that would see numbers in clear."""
    if "://" not in endpoint:
        return "https", endpoint.strip().rstrip("/")
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the SMS endpoint {endpoint!r} is not a host or an http(s) address")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"the SMS endpoint {endpoint!r} must use https")
    return parts.scheme, parts.netloc


def scrub(text: str, phone: str) -> str:
    """``text`` with the recipient's number masked wherever it appears (also inside +86…, which
    ``participation.logs.redact`` leaves alone), and any other standalone mobile number too."""
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    if digits:
        text = text.replace(digits, mask_phone(digits))
    return redact(text)


def provider_error(provider: str, code: str, message: str, phone: str, *, temporary: bool) -> DeliveryError:
    """The error a delivery records: the provider, its code and its message, with no number left in clear."""
    text = f"{provider} {code}: {message}".strip().rstrip(":")
    return DeliveryError(scrub(text, phone)[:500], temporary=temporary)
