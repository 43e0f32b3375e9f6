"""Passes for household-code tries from an address past its free failures (entry/operations.py).

The server hands out a signed random nonce with a difficulty. A browser with JavaScript finds a counter such that
sha256(nonce + counter) starts with ``DIFFICULTY`` zero bits (static/js/entry.js, WebCrypto): 2**15 hashes on
average, 0.2–0.6 s in desktop Chromium here and about 2.5 s with its CPU slowed six times (a low-end phone). Without JavaScript the same signed challenge is accepted once ``WAIT_SECONDS``
have passed since it was issued. Either way each challenge is accepted once, within ``LIFETIME``. Nothing here is
kept per address, so no amount of guessing from an address makes the next resident there wait any longer.

What bounds guessing from one address is the entry page's POST limit (entry/views.py, 60 a minute: at most
3,600 tries an hour against 31**9 ≈ 2.6e13 codes); the check makes each of those tries cost a script work or time,
and tells a person on a shared address what is going on instead of shutting them out.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadData, URLSafeTimedSerializer

from participation import throttle
from participation.keyring import signing_keys
from participation.models.types import utcnow

DIFFICULTY = 15
WAIT_SECONDS = 30
LIFETIME = timedelta(minutes=15)
MAX_PROOF_DIGITS = 12


@dataclass(frozen=True)
class Challenge:
    token: str          # what the form sends back: the nonce and difficulty, signed and timestamped
    nonce: str
    difficulty: int
    wait: int           # seconds before the form is accepted without a proof (0: now)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt="entry-challenge")


def issue() -> Challenge:
    nonce = secrets.token_hex(16)
    return Challenge(_serializer().dumps({"n": nonce, "d": DIFFICULTY}), nonce, DIFFICULTY, WAIT_SECONDS)


def read(token: str | None) -> Challenge | None:
    """The challenge a form sent back, if it is ours and still within its lifetime."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        data, issued = _serializer().loads(token, max_age=int(LIFETIME.total_seconds()), return_timestamp=True)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("d"), int):
        return None
    waited = (utcnow() - issued).total_seconds()
    return Challenge(token, data["n"], data["d"], max(0, int(WAIT_SECONDS - waited + 0.999)))


def solves(challenge: Challenge, proof: str | None) -> bool:
    """Whether sha256(nonce + proof) starts with the challenge's number of zero bits."""
    if not isinstance(proof, str) or not proof.isdigit() or not proof.isascii() or len(proof) > MAX_PROOF_DIGITS:
        return False
    digest = hashlib.sha256(f"{challenge.nonce}{proof}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - challenge.difficulty) == 0


def redeem(token: str | None, proof: str | None) -> int | None:
    """Accept a pass once: None when the challenge is solved (or was waited for) and now spent; otherwise the
    seconds before a waited form would be accepted (a fresh challenge's wait when this one is unusable)."""
    challenge = read(token)
    if challenge is None:
        return WAIT_SECONDS
    if not solves(challenge, proof) and challenge.wait > 0:
        return challenge.wait
    if not throttle.first_use(_spent_key(challenge), keep=LIFETIME):
        return WAIT_SECONDS
    return None


def _spent_key(challenge: Challenge) -> str:
    return f"spent:{challenge.nonce}"


def for_form(token: str | None) -> Challenge:
    """The challenge to put in the form again: the one sent back while it is still being waited for and unused (the
    wait goes on from where it was), else a new one."""
    challenge = read(token)
    if challenge is None or challenge.wait == 0 or throttle.used(_spent_key(challenge)):
        return issue()
    return challenge
