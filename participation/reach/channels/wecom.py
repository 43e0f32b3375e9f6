"""企业微信 group robots: one text message posted to a staff group's webhook (issue 16, point 3).

The webhook URL is typed by staff and carries the robot's key, which is all anyone needs to post into the group:
the key is masked in every error, log line and page (``masked``), and a URL whose host is not in
``WECOM_ALLOWED_HOSTS`` is refused before anything is sent, so a typed URL cannot make the worker call an internal
service. Redirects are not followed for the same reason.

The robot answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; a non-zero errcode says what went wrong.
45009 is its flow control (about 20 messages a minute per robot): worth retrying later. 93000 is a key that is
wrong or was revoked: retrying cannot help.
"""
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, has_app_context

from participation.reach.channels import DeliveryError

DEFAULT_ALLOWED_HOSTS = "qyapi.weixin.qq.com"
MAX_CONTENT_BYTES = 2048            # the robot's limit for a text message, in UTF-8 bytes
FLOW_CONTROL = 45009               # "api freq out of limit"
INVALID_KEY = 93000                # "invalid webhook url"
TEMPORARY_ERRCODES = {FLOW_CONTROL, -1}     # -1: "system busy"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is: following it could lead to a host nobody allowed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def allowed_hosts() -> set[str]:
    """The hosts a webhook may point at, from ``WECOM_ALLOWED_HOSTS`` (a comma list; ``host`` or ``host:port``)."""
    configured = current_app.config.get("WECOM_ALLOWED_HOSTS") if has_app_context() else None
    return {host.strip().lower() for host in (configured or DEFAULT_ALLOWED_HOSTS).split(",") if host.strip()}


def url_problem(webhook_url: str) -> str | None:
    """Why ``webhook_url`` may not be used, in English words for the log and the engine (pages say it in their own
    words), or None when it may: http(s), no user part, a host of ``allowed_hosts()`` and a ``key`` parameter."""
    try:
        parts = urlsplit((webhook_url or "").strip())
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "a user part in the URL"
    hosts = allowed_hosts()
    host = parts.hostname.lower()
    if host not in hosts and (port is None or f"{host}:{port}" not in hosts):
        return f"host {host} is not in WECOM_ALLOWED_HOSTS"
    if not webhook_key(webhook_url):
        return "no key= in the URL"
    return None


def webhook_key(webhook_url: str) -> str:
    """The robot's key: the ``key`` query parameter ("" when there is none)."""
    try:
        return dict(parse_qsl(urlsplit(webhook_url or "").query)).get("key", "")
    except ValueError:
        return ""


def masked(webhook_url: str) -> str:
    """What pages and logs show of a webhook: its host and the key's last four characters (``host key=…abcd``)."""
    try:
        host = urlsplit(webhook_url or "").netloc.rpartition("@")[2] or "?"
    except ValueError:
        host = "?"
    return f"{host} key={_tail(webhook_key(webhook_url))}"


def cut(text: str, limit: int = MAX_CONTENT_BYTES) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, cut between characters (never inside one)."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def send(webhook_url: str, text: str, *, key: str, timeout: float = 10) -> str:
    """Post ``text`` to the robot; return a provider id for the delivery log (``wecom-<key>``, ``key`` being the
    delivery's idempotency key: the robot gives no message id). Raise ``DeliveryError`` when it did not go out."""
    problem = url_problem(webhook_url)
    if problem is not None:
        raise DeliveryError(f"企业微信 webhook {masked(webhook_url)} refused: {problem}", temporary=False)
    body = json.dumps({"msgtype": "text", "text": {"content": cut(text)}}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(webhook_url.strip(), data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    where = masked(webhook_url)
    try:
        with _opener.open(request, timeout=timeout) as response:
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        error.close()
        temporary = error.code >= 500 or error.code == 429
        raise DeliveryError(_hide(f"企业微信 {where}: HTTP {error.code}", webhook_url), temporary=temporary) from None
    except (TimeoutError, socket.timeout) as error:
        raise DeliveryError(_hide(f"企业微信 {where}: timed out ({error})", webhook_url)) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(_hide(f"企业微信 {where}: {reason}", webhook_url)) from None
    try:
        answer = json.loads(raw.decode("utf-8"))
        errcode = int(answer.get("errcode"))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        # Not the robot's answer (a proxy's page, a cut-off body): it may well be right next time.
        raise DeliveryError(f"企业微信 {where}: unreadable answer", temporary=True) from None
    if errcode == 0:
        return f"wecom-{key}"
    errmsg = str(answer.get("errmsg", ""))[:200]
    raise DeliveryError(_hide(f"企业微信 {where}: errcode {errcode} {errmsg}", webhook_url),
                        temporary=errcode in TEMPORARY_ERRCODES)


def _hide(message: str, webhook_url: str) -> str:
    """``message`` with the robot's key masked wherever it appears (an errmsg may quote the URL)."""
    key = webhook_key(webhook_url)
    return message.replace(key, _tail(key)) if key else message


def _tail(key: str) -> str:
    """A key as shown: its last four characters, enough to tell two robots apart; nothing of a key too short."""
    return "…" + key[-4:] if len(key) >= 12 else "…"
