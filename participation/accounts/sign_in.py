"""Staff sign-in: whose failures count where, and the device cookies of browsers that signed in before.

After OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a browser that signs in as an account gets a
signed cookie naming the account. A try from that browser for that account counts only against its cookie, so
however many wrong passwords others type for the account, its owner still signs in from a browser used before.
A try from any other browser (untrusted) counts

- per account and address: wrong passwords typed elsewhere do not stop the owner at their own address;
- per address: one place trying many accounts;
- per account over every address, with a larger allowance: many places guessing one account (untrusted browsers
  for that account then wait; its owner's trusted browsers do not).

Each failed check is also an audit row (the username typed, the address with its last part hidden), and an unknown
username costs the same password hash as a known one, so neither the answer nor its time tells who exists.
"""
import ipaddress
import logging
import secrets
import time

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from participation import throttle
from participation.audit import record
from participation.extensions import db
from participation.keyring import signing_keys
from participation.logs import redact
from participation.models import ApiToken, User
from participation.models.accounts import check_password_of_nobody
from participation.models.types import utcnow

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "staff_device"
DEVICE_MAX_AGE = 180 * 24 * 60 * 60
DEVICES_PER_BROWSER = 8   # accounts remembered by one browser (a shared office computer)
# Failures per key before it must wait (2 s, then twice as long after each further failure, up to 15 minutes).
FREE = {"device": 5, "account_address": 5, "address": 20, "account": 30}


def username_key(username: str) -> str:
    return (username or "").strip().lower()


def login_keys(username: str, remote_addr: str | None, device: str | None = None) -> dict[str, str]:
    """The throttle keys a try counts under: its device cookie's alone when it has one for this account."""
    if device:
        return {"device": f"login:device:{device}"}
    name, address = username_key(username), address_key(remote_addr)
    return {"account_address": f"login:user:{name}:addr:{address}", "address": f"login:addr:{address}",
            "account": f"login:untrusted:{name}"}


def login_wait(username: str, remote_addr: str | None, device: str | None = None) -> int:
    """Seconds this try must wait (0 when it may try now, and the try is then counted until ``authenticate``
    settles it: parallel guesses cannot slip past the count)."""
    for kind, key in login_keys(username, remote_addr, device).items():
        # The first key that must wait refuses the try (the throttle gives back what the others counted).
        if wait := throttle.wait_seconds(key, free=FREE[kind]):
            # The username is not logged: it may be a phone number, or a password typed in the wrong box.
            logger.info("staff login refused: too many failures", extra={
                "event": "login.locked", "throttle": kind, "wait_seconds": wait,
                "address": masked_address(remote_addr), "device_cookie": device is not None})
            return wait
    return 0


def authenticate(username: str, password: str, remote_addr: str | None, device: str | None = None) -> User | None:
    """The active user with these credentials, or None, counting a failure under the try's keys.

    ``device`` is the nonce of this browser's device cookie for ``username`` (``trusted_device``), if any. The
    caller shows one message for every failure, so a wrong username and a wrong password look the same.
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    # The hash is computed whatever the username: an unknown one takes as long as a wrong password.
    matches = user.check_password(password) if user is not None else check_password_of_nobody(password)
    keys = login_keys(username, remote_addr, device)
    service = user is not None and _is_token_account(user)
    if not matches or not user.active or service:
        for kind, key in keys.items():
            throttle.record_failure(key, free=FREE[kind])
        record(None, "login.failed", user, object_type="users", username=redact(username.strip()[:40]),
               address=masked_address(remote_addr), device_cookie=device is not None)
        reason = ("unknown_account" if user is None else "wrong_password" if not matches
                  else "token_account" if service else "inactive_account")
        logger.info("failed staff login: %s", reason, extra={
            "event": "login.failed", "reason": reason, "account_id": getattr(user, "id", None),
            "address": masked_address(remote_addr), "device_cookie": device is not None})
        return None
    for key in keys.values():
        throttle.record_success(key)
    user.last_login_at = utcnow()
    record(user, "login", user)
    return user


def _is_token_account(user: User) -> bool:
    """An API token's service account acts only through its token: its password is random and never shown, but
    an admin could set one, so the sign-in page refuses the account itself."""
    return db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id)) is not None


def address_key(remote_addr: str | None) -> str:
    """The address a try counts under: an IPv4 address, or the /64 of an IPv6 one (one subscriber's line holds a
    whole /64, so its single addresses cost nothing to change)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "-"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def masked_address(remote_addr: str | None) -> str:
    """The address with its host part hidden, as the audit keeps it: 203.0.113.0/24, 2001:db8:1::/48."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "-"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# --- device cookies ---------------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(signing_keys(), salt="staff-device-cookie")


def read_devices(cookie: str | None) -> dict[str, tuple[str, int]]:
    """The accounts this browser signed in as: {username key: (nonce, issued at)}, from a cookie whose signature
    holds; entries older than DEVICE_MAX_AGE are dropped. A forged or damaged cookie is no cookie."""
    if not cookie or len(cookie) > 4000:
        return {}
    try:
        entries = _serializer().loads(cookie)
    except BadSignature:
        return {}
    oldest = int(time.time()) - DEVICE_MAX_AGE
    devices = {}
    for entry in entries if isinstance(entries, list) else []:
        if (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and isinstance(entry[1], str)
                and isinstance(entry[2], int) and entry[2] >= oldest):
            devices[entry[0]] = (entry[1], entry[2])
    return devices


def trusted_device(devices: dict[str, tuple[str, int]], username: str) -> str | None:
    """The nonce of this browser's device cookie for ``username``, or None when it never signed in as them."""
    entry = devices.get(username_key(username))
    return entry[0] if entry else None


def device_cookie(devices: dict[str, tuple[str, int]], user: User) -> str:
    """The cookie to send after ``user`` signed in: a fresh nonce for them (the old one's failures stay with the old
    one), the browser's other accounts kept, the oldest dropped past DEVICES_PER_BROWSER."""
    devices = {name: entry for name, entry in devices.items() if name != username_key(user.username)}
    devices[username_key(user.username)] = (secrets.token_urlsafe(16), int(time.time()))
    newest = sorted(devices.items(), key=lambda item: item[1][1])[-DEVICES_PER_BROWSER:]
    return _serializer().dumps([[name, nonce, issued] for name, (nonce, issued) in newest])



def sign_out(user: User) -> None:
    """Every session of ``user`` ends: this browser's, its copies, and the account's other browsers."""
    user.end_sessions()
    db.session.flush()
    record(user, "logout", user)
