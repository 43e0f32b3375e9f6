"""Key rings (participation/keyring.py): the notation, HKDF, one key per purpose and version, the legacy hashes."""
import hashlib
import hmac

import pytest

from participation.keyring import (API_TOKEN, HOUSEHOLD_CODE, ID_TAIL, LEGACY, OPEN311_KEY, KeyConfigError, KeyRing,
                                   hkdf_sha256, parse_ring, token_message, weak_versions)

OLD, NEW = "a" * 64, "b" * 64


def test_a_bare_key_is_version_one():
    ring = parse_ring(OLD, "HOUSEHOLD_CODE_KEY")
    assert ring.current == 1 and ring.versions == (1,) and ring.master(1) == OLD


def test_the_first_entry_is_current_whatever_its_number():
    assert parse_ring(f"2:{NEW} 1:{OLD}", "K").current == 2
    staged = parse_ring(f"1:{OLD}  2:{NEW}", "K")   # rolled out, not yet current
    assert staged.current == 1 and staged.versions == (1, 2) and staged.master(2) == NEW


def test_adding_a_version_numbers_it_after_the_highest():
    ring = parse_ring(f"1:{OLD} 2:{NEW}", "K")
    assert ring.added("c" * 64).versions == (3, 1, 2)
    assert ring.added("c" * 64, current=False).versions == (1, 2, 3)
    assert ring.without(2).notation() == f"1:{OLD}"
    assert parse_ring(ring.added("c" * 64).notation(), "K") == ring.added("c" * 64)


@pytest.mark.parametrize("text", ["", "   ", f"1:{OLD} 1:{NEW}", f"0:{OLD}", f"{OLD} 2:{NEW}", f"x:{OLD} 2:{NEW}"])
def test_what_is_not_a_ring_is_refused_without_quoting_the_key(text):
    with pytest.raises(KeyConfigError) as refused:
        parse_ring(text, "HOUSEHOLD_CODE_KEY")
    assert "HOUSEHOLD_CODE_KEY" in refused.value.message
    assert OLD[:8] not in refused.value.message and NEW[:8] not in refused.value.message


def test_a_ring_never_shows_its_keys():
    ring = parse_ring(f"2:{NEW} 1:{OLD}", "K")
    assert OLD not in repr(ring) and NEW not in str(ring)


def test_short_keys_are_weak():
    assert weak_versions(parse_ring(f"2:{NEW} 1:short", "K")) == [1]
    assert weak_versions(parse_ring(NEW, "K")) == []


def test_hkdf_matches_rfc_5869_test_case_1():
    okm = hkdf_sha256(bytes([0x0B] * 22), bytes(range(0xF0, 0xFA)), 42, salt=bytes(range(0x0D)))
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_each_purpose_and_version_hashes_with_its_own_key():
    ring = parse_ring(f"2:{NEW} 1:{OLD}", "K")
    keys = {ring.derived(purpose.name, version) for purpose in (HOUSEHOLD_CODE, ID_TAIL, API_TOKEN, OPEN311_KEY)
            for version in (1, 2)}
    assert len(keys) == 8 and all(len(key) == 32 for key in keys)
    assert OLD.encode() not in keys and ring.derived("household-code", 1) == ring.derived("household-code", 1)
    digests = {purpose.digest("C001:K7M4PX2QH", 2, ring) for purpose in (HOUSEHOLD_CODE, ID_TAIL, API_TOKEN)}
    assert len(digests) == 3


def test_legacy_hashes_are_the_ones_stored_before_versions():
    """What participation/roster/codes.py, roster_import.py, api_tokens.py and open311.py stored before issue 13."""
    ring = parse_ring(f"2:{NEW} 1:{OLD}", "K")
    before = hmac.new(OLD.encode(), b"C001:K7M4PX2QH", hashlib.sha256).hexdigest()
    assert HOUSEHOLD_CODE.digest("C001:K7M4PX2QH", LEGACY, ring) == before
    assert HOUSEHOLD_CODE.digests("C001:K7M4PX2QH", ring)[before] == LEGACY
    tail_before = hmac.new(OLD.encode(), b"id-tail:C001:12345X", hashlib.sha256).hexdigest()
    assert ID_TAIL.digests("C001:12345X", ring)[tail_before] == LEGACY
    token = "tok-en"
    assert API_TOKEN.digests(token_message(token), ring)[hashlib.sha256(token.encode()).hexdigest()] == LEGACY


def test_without_version_one_keyed_legacy_hashes_cannot_be_made():
    ring = KeyRing(((2, NEW),))
    assert set(HOUSEHOLD_CODE.digests("C001:K7M4PX2QH", ring).values()) == {2}
    # A token's legacy hash needs no key: it is re-hashed under the current version without the token.
    assert set(OPEN311_KEY.digests(token_message("k"), ring).values()) == {2, LEGACY}
