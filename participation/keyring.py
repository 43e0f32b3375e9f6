"""Key rings: the keys a deployment holds, by version, and the keys derived from them for each purpose.

Two secrets come from outside the code (``participation.config``, docs/deploy.md "Keys"): ``SECRET_KEY`` signs
sessions and CSRF tokens; ``HOUSEHOLD_CODE_KEY`` keys every stored hash of something a person holds — household
codes, owners' ID tails, API tokens, Open311 keys. Either may be a *ring*, ``"2:<key> 1:<key>"``: one entry per
version, the first current (new hashes, new signatures), the others kept to verify what was made with them. A bare
key is version 1, so a deployment from before rings has a ring of one. The same line works in an environment
variable and in the secrets file, so every host is given the same single line. The first entry, not the highest
version, is current so that a new key can be rolled out to several hosts in two steps: first known everywhere
(``"1:<old> 2:<new>"``), then current everywhere (``"2:<new> 1:<old>"``); no host ever meets a hash or a session
made with a key it does not hold yet.

Each purpose hashes with its own key, derived from the master key of a version by HKDF-SHA256 (RFC 5869): the
purposes' hashes can never be mistaken for each other, and nothing learnt about one purpose's key says anything
about another's. Every stored hash records the version it was made with. Version 0 (``LEGACY``) marks rows hashed
before versions existed: HMAC with the version-1 master key itself (codes, ID tails), or a plain SHA-256 (tokens).
"""
import hashlib
import hmac
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import click
from flask import current_app
from flask_babel import gettext as _

LEGACY = 0
MIN_KEY_LENGTH = 32        # characters: 32 hex digits are 128 bits; ``new_key`` makes 64
SALT = b"minhu-woying key ring"
ENTRY = re.compile(r"([0-9]+):(\S+)")


class KeyConfigError(click.ClickException):
    """Keys the app refuses to start with. A ClickException, so ``flask --app app …`` prints the message and exits
    1 instead of showing a traceback; under gunicorn it is the worker's boot error."""


@dataclass(frozen=True)
class KeyRing:
    """Master keys by version, the current one first."""

    entries: tuple[tuple[int, str], ...] = field(repr=False)    # never in a log or a traceback

    @property
    def current(self) -> int:
        return self.entries[0][0]

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(version for version, _key in self.entries)

    def master(self, version: int) -> str:
        return dict(self.entries)[version]

    def derived(self, purpose: str, version: int) -> bytes:
        return _derive(self.master(version), purpose)

    def notation(self) -> str:
        """The ring as one line, for the environment or the secrets file: ``"2:<key> 1:<key>"``."""
        return " ".join(f"{version}:{key}" for version, key in self.entries)

    def added(self, key: str, *, current: bool = True) -> "KeyRing":
        """The ring with ``key`` as a new version: current (first), or only known (last), to roll it out."""
        entry = (max(self.versions) + 1, key)
        return KeyRing((entry, *self.entries) if current else (*self.entries, entry))

    def without(self, version: int) -> "KeyRing":
        return KeyRing(tuple(entry for entry in self.entries if entry[0] != version))


def parse_ring(text: str | None, name: str) -> KeyRing:
    """``"2:<key> 1:<key>"`` (the first current) or a bare key (version 1); KeyConfigError saying what is wrong
    otherwise. Keys hold no spaces (they separate entries); generated ones are hex."""
    words = (text or "").split()
    if len(words) == 1 and not ENTRY.fullmatch(words[0]):
        return KeyRing(((1, words[0]),))
    entries = {}
    for position, word in enumerate(words, start=1):
        match = ENTRY.fullmatch(word)
        version = int(match.group(1)) if match else 0
        if version < 1 or version in entries:
            # The entry itself is never quoted: messages end up in logs.
            raise KeyConfigError(_('%(name)s: entry %(position)d is not "version:key". Give one key, or versions '
                                   'and keys as "2:<key> 1:<key>", each version (1, 2 …) once.', name=name,
                                   position=position))
        entries[version] = match.group(2)
    if not entries:
        raise KeyConfigError(_("%(name)s is empty.", name=name))
    return KeyRing(tuple(entries.items()))


def weak_versions(ring: KeyRing) -> list[int]:
    """The versions whose key is too short to be a key someone generated (a password, a placeholder)."""
    return [version for version, key in ring.entries if len(key) < MIN_KEY_LENGTH]


def hkdf_sha256(key_material: bytes, info: bytes, length: int = 32, salt: bytes = SALT) -> bytes:
    """RFC 5869 with SHA-256 (extract, then expand), in the standard library."""
    pseudo_random = hmac.new(salt, key_material, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(pseudo_random, block + info + bytes([counter]), hashlib.sha256).digest()
        output, counter = output + block, counter + 1
    return output[:length]


@lru_cache(maxsize=64)
def _derive(master: str, purpose: str) -> bytes:
    return hkdf_sha256(master.encode("utf-8"), f"minhu-woying/{purpose}".encode())


@lru_cache(maxsize=8)
def _parsed(text: str) -> KeyRing:
    return parse_ring(text, "HOUSEHOLD_CODE_KEY")


def current_ring() -> KeyRing:
    """The hashing ring of the running app (``HOUSEHOLD_CODE_KEY``)."""
    return _parsed(current_app.config["HOUSEHOLD_CODE_KEY"])


def signing_keys(config=None) -> list[str]:
    """``SECRET_KEY`` and its fallbacks (of ``config``, the running app's by default) for an itsdangerous serializer:
    it signs with the last key of the list and accepts any, so what was signed before a rotation (CSRF tokens, entry
    challenges, staff device cookies) stays valid."""
    config = current_app.config if config is None else config
    return [*reversed(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]


def new_key() -> str:
    return secrets.token_hex(32)


# --- purposes --------------------------------------------------------------------------------------------------

def _hmac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def legacy_keyed(prefix: str = "") -> Callable[[KeyRing, str], str | None]:
    """Rows from before versions: HMAC keyed with the version-1 master key itself (None once the ring lacks it)."""
    def legacy(ring: KeyRing, message: str) -> str | None:
        return _hmac(ring.master(1).encode("utf-8"), prefix + message) if 1 in ring.versions else None
    return legacy


def legacy_unkeyed(_ring: KeyRing, message: str) -> str:
    """Tokens from before versions were stored as their SHA-256, which is the message hashed now: see Purpose."""
    return message


@dataclass(frozen=True)
class Purpose:
    """One kind of stored hash: the name its key is derived under, and how rows from before versions were hashed.

    A token's message is its SHA-256, so a legacy token hash (that SHA-256) is re-hashed under a version without
    the token: ``digest(stored_legacy_hash)``. Codes and ID tails were keyed with the master key, which cannot be
    undone; they move to a new version only when the plain value is typed again."""

    name: str
    legacy: Callable[[KeyRing, str], str | None]
    rewrappable: bool = False

    def digest(self, message: str, version: int | None = None, ring: KeyRing | None = None) -> str:
        ring = ring or current_ring()
        version = ring.current if version is None else version
        if version == LEGACY:
            return self.legacy(ring, message)
        return _hmac(ring.derived(self.name, version), message)

    def digests(self, message: str, ring: KeyRing | None = None) -> dict[str, int]:
        """Every hash ``message`` may be stored under, each with its version: one per version of the ring, and the
        legacy hash while the ring can make it."""
        ring = ring or current_ring()
        found = {self.digest(message, version, ring): version for version in ring.versions}
        legacy = self.legacy(ring, message)
        if legacy is not None:
            found.setdefault(legacy, LEGACY)
        return found


HOUSEHOLD_CODE = Purpose("household-code", legacy_keyed())
ID_TAIL = Purpose("id-tail", legacy_keyed("id-tail:"))
API_TOKEN = Purpose("api-token", legacy_unkeyed, rewrappable=True)
OPEN311_KEY = Purpose("open311-key", legacy_unkeyed, rewrappable=True)


def token_message(token: str) -> str:
    """What a token's hash is made of: its SHA-256 (see Purpose)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- making keys -----------------------------------------------------------------------------------------------

def new_keys_text() -> str:
    """Fresh SECRET_KEY and HOUSEHOLD_CODE_KEY, as environment lines and as a secrets file."""
    secret, code_key = new_key(), new_key()
    return "\n".join([
        "# environment (e.g. a systemd EnvironmentFile), the same on every host:",
        f"SECRET_KEY={secret}",
        f"HOUSEHOLD_CODE_KEY={code_key}",
        "",
        "# or a secrets file (chmod 600, owned by the app's user), named by SECRETS_FILE=/etc/minhu/secrets.toml:",
        f'SECRET_KEY = "{secret}"',
        f'HOUSEHOLD_CODE_KEY = "{code_key}"',
    ])


if __name__ == "__main__":   # ``python -m participation.keyring``: where the app refuses to start for want of keys
    sys.stdout.write(new_keys_text() + "\n")
