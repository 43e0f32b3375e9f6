"""Key rotation end to end (issue 13 point 3): what was hashed under an older version, or before versions, still
verifies and moves to the current version when used; ``flask keys rotate | status | retire``."""
import hashlib
import hmac
import stat

import pytest
from sqlalchemy import select

from participation.api.open311_keys import create_key, hash_key, key_for
from participation.api.tokens import create_token, hash_token, user_for
from participation.extensions import db
from participation.models import ApiToken, District, Household, HouseholdCode, Locality, Open311Key
from participation.roster import codes
from participation.roster.imports import id_tail_hash, id_tail_matches, import_roster, set_id_tail
from tests.participation.test_entry_views import enter
from tests.participation.test_roster_import import roster_rows, xlsx_bytes

V1 = "test-code-key"                 # tests/conftest.py's HOUSEHOLD_CODE_KEY: a bare key, version 1
V2 = "2" * 64
OTHER = "o" * 64                     # a key of another configuration


@pytest.fixture(autouse=True)
def keys_from_the_application(app, monkeypatch):
    """The session's app has its keys from tests/conftest.py: ``keys rotate`` must never write instance/ for it."""
    monkeypatch.setitem(app.config, "KEY_SOURCES", {"SECRET_KEY": "application", "HOUSEHOLD_CODE_KEY": "application"})


@pytest.fixture
def english(app, monkeypatch):
    """The commands speak the default language; these tests read them in English."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


@pytest.fixture
def rotated(app, monkeypatch):
    """From now on the app runs with version 2 current and version 1 kept."""
    def rotate(ring: str = f"2:{V2} 1:{V1}") -> None:
        monkeypatch.setitem(app.config, "HOUSEHOLD_CODE_KEY", ring)
    return rotate


def legacy(message: str) -> str:
    """A hash as stored before versions: HMAC keyed with HOUSEHOLD_CODE_KEY itself."""
    return hmac.new(V1.encode(), message.encode(), hashlib.sha256).hexdigest()


def keys(runner, *args):
    return runner.invoke(args=["keys", *args])


def make_token() -> str:
    _row, token = create_token(None, "gis", "admin")
    db.session.commit()
    return token


# --- household codes -----------------------------------------------------------------------------------------------

def test_a_code_printed_under_version_1_opens_after_version_2_is_added_and_moves_to_it(client, make_community,
                                                                                        rotated):
    community = make_community("K001")
    household = community.buildings[0].units[0].households[0]
    code = codes.issue_code(None, household)
    db.session.commit()
    row = codes.live_code(household)
    assert row.key_version == 1 and row.code_hash == codes.code_hash("K001", code, 1)
    rotated()
    assert enter(client, "K001", codes.display(code)).status_code == 302
    db.session.refresh(row)
    assert row.key_version == 2 and row.code_hash == codes.code_hash("K001", code, 2) != codes.code_hash(
        "K001", code, 1)
    assert enter(client, "K001", code).status_code == 302            # and keeps opening under version 2
    fresh = codes.issue_code(None, community.buildings[0].units[0].households[1])
    assert codes.live_code(community.buildings[0].units[0].households[1]).key_version == 2 and fresh


def test_a_code_stored_before_versions_still_opens_and_moves(client, make_community, rotated):
    community = make_community("K001")
    household = community.buildings[0].units[0].households[0]
    db.session.add(HouseholdCode(household_id=household.id, code_hash=legacy("K001:K7M4PX2QH"), key_version=0))
    db.session.commit()
    assert codes.find_by_code("K001", "K7M-4PX-2QH").household_id == household.id   # ring of one: legacy, then v1
    assert codes.live_code(household).key_version == 1
    db.session.rollback()
    rotated()
    assert enter(client, "K001", "K7M-4PX-2QH").status_code == 302
    row = codes.live_code(household)
    db.session.refresh(row)
    assert row.key_version == 2 and row.code_hash == codes.code_hash("K001", "K7M4PX2QH", 2)
    assert enter(client, "K001", "K7M-4PX-2QX").status_code == 400


def test_a_wrong_code_stays_wrong_under_every_version(make_community, rotated):
    community = make_community("K001")
    codes.issue_code(None, community.buildings[0].units[0].households[0], code="K7M4PX2QH")
    rotated()
    assert codes.find_by_code("K001", "K7M4PX2QJ") is None
    assert codes.find_by_code("K002", "K7M4PX2QH") is None          # the community is part of what is hashed


def test_a_revoked_row_holding_the_current_hash_keeps_the_hashes_unique(make_community, rotated):
    """The same code revoked under version 2 and live under version 1 (possible only by chance or by the demo):
    the live one opens and stays on version 1 rather than break the UNIQUE code_hash."""
    community = make_community("K001")
    first, second = community.buildings[0].units[0].households[:2]
    rotated()
    codes.issue_code(None, first, code="K7M4PX2QH")
    codes.issue_code(None, first)                                     # revokes it
    db.session.add(HouseholdCode(household_id=second.id, code_hash=codes.code_hash("K001", "K7M4PX2QH", 1),
                                 key_version=1))
    db.session.commit()
    found = codes.find_by_code("K001", "K7M4PX2QH")
    assert found.household_id == second.id
    db.session.commit()
    assert found.key_version == 1


# --- ID tails ------------------------------------------------------------------------------------------------------

def test_an_owner_verifies_with_a_tail_hashed_under_an_older_version_and_it_moves(make_community, rotated):
    community = make_community("K001")
    older, before_versions = community.buildings[0].units[0].households[:2]
    set_id_tail(older, "K001", "12345X")
    before_versions.owner_id_tail_hash, before_versions.owner_id_tail_key_version = legacy("id-tail:K001:54321X"), 0
    db.session.commit()
    assert older.owner_id_tail_key_version == 1
    rotated()
    assert not id_tail_matches(older, "K001", "123456") and older.owner_id_tail_key_version == 1
    assert id_tail_matches(older, "K001", "12345x")
    assert older.owner_id_tail_key_version == 2 and older.owner_id_tail_hash == id_tail_hash("K001", "12345X", 2)
    assert id_tail_matches(before_versions, "K001", "54321X") and before_versions.owner_id_tail_key_version == 2
    assert id_tail_matches(before_versions, "K001", "54321X")


def test_a_reimport_with_the_same_tail_moves_it_without_calling_it_a_change(app, reference_data, rotated):
    db.session.add(District(locality=db.session.scalar(select(Locality)), name="南关区"))
    rows = roster_rows(floors=1)
    rows[0][8] = "12345X"
    with app.test_request_context("/"):
        import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
        db.session.commit()
        household = db.session.scalar(select(Household).where(Household.owner_id_tail_hash.is_not(None)))
        assert household.owner_id_tail_key_version == 1
        rotated()
        counts = import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
        db.session.commit()
    assert counts["households"]["unchanged"] == len(rows)
    assert household.owner_id_tail_key_version == 2 and household.owner_id_tail_hash == id_tail_hash("NG001",
                                                                                                    "12345X", 2)
    rows[0][8] = "99999X"                                              # a new tail is a change, under version 2
    with app.test_request_context("/"):
        counts = import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
        db.session.commit()
    assert counts["households"]["updated"] == 1 and id_tail_matches(household, "NG001", "99999X")
    assert household.owner_id_tail_key_version == 2


# --- API tokens and Open311 keys ------------------------------------------------------------------------------

def test_api_tokens_from_before_versions_and_from_version_1_still_work_and_move(app, rotated):
    token = make_token()
    row = db.session.scalar(select(ApiToken))
    row.token_hash, row.key_version = hashlib.sha256(token.encode()).hexdigest(), 0
    db.session.commit()
    assert user_for(token) is row.user and row.key_version == 1 and row.token_hash == hash_token(token, 1)
    db.session.commit()
    rotated()
    assert user_for(token) is row.user and row.key_version == 2 and row.token_hash == hash_token(token, 2)
    assert user_for(token + "x") is None


def test_open311_keys_from_before_versions_still_work_and_move(app, rotated):
    row, key = create_key("city-app")
    row.key_hash, row.key_version = hashlib.sha256(key.encode()).hexdigest(), 0
    db.session.commit()
    rotated()
    assert key_for(key) is row and row.key_version == 2 and row.key_hash == hash_key(key, 2)


# --- the commands -----------------------------------------------------------------------------------------------

def test_keys_rotate_rewraps_legacy_tokens_prints_the_roll_out_and_reports(runner, english, make_community):
    community = make_community("K001")
    codes.issue_code(None, community.buildings[0].units[0].households[0])
    token = make_token()
    row = db.session.scalar(select(ApiToken))
    row.token_hash, row.key_version = hashlib.sha256(token.encode()).hexdigest(), 0
    db.session.commit()
    result = keys(runner, "rotate")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "API tokens: 1 stored before versions re-hashed under version 1." in out
    db.session.refresh(row)
    assert row.key_version == 1 and row.token_hash == hash_token(token, 1) and user_for(token) is row.user
    assert "nothing was changed here" in out
    known = next(line for line in out.splitlines() if line.strip().startswith("HOUSEHOLD_CODE_KEY=\"1:"))
    current = next(line for line in out.splitlines() if line.strip().startswith("HOUSEHOLD_CODE_KEY=\"2:"))
    new_key = current.split('"')[1].split()[0][2:]
    assert len(new_key) == 64 and known.split('"')[1] == f"1:{V1} 2:{new_key}"
    assert current.split('"')[1] == f"2:{new_key} 1:{V1}"
    assert "Household codes: version 1: 1" in out and "API tokens: version 1: 1" in out
    assert db.session.scalar(select(HouseholdCode)).key_version == 1      # a code needs its plain value to move


def test_keys_status_counts_per_version_and_says_what_may_leave_the_ring(runner, english, make_community, rotated):
    community = make_community("K001")
    first, second, third = community.buildings[0].units[0].households[:3]
    typed = codes.issue_code(None, first)
    codes.issue_code(None, second)
    set_id_tail(third, "K001", "12345X")
    db.session.commit()
    rotated()
    codes.find_by_code("K001", typed)
    db.session.commit()
    out = keys(runner, "status").output
    assert "HOUSEHOLD_CODE_KEY (given by the application): version 2 is current; versions held: 2, 1" in out
    assert "Household codes: version 2: 1, version 1: 1" in out and "Owners' ID tails: version 1: 1" in out
    assert "Version 1 is still needed by 2 rows: keep it in the ring." in out
    assert "the plain code is not kept" in out and "the tail is not kept" in out
    refused = keys(runner, "retire", "1")
    assert refused.exit_code == 1 and "still needed by 2 rows" in refused.output
    assert keys(runner, "retire", "2").exit_code == 1                    # the current one


def test_keys_status_warns_and_fails_when_a_version_in_use_left_the_ring(runner, english, make_community, rotated):
    community = make_community("K001")
    codes.issue_code(None, community.buildings[0].units[0].households[0])
    db.session.commit()
    rotated(f"2:{V2}")
    result = keys(runner, "status")
    assert result.exit_code == 1
    assert "WARNING: 1 rows are on a version the ring does not hold" in result.output


def test_a_version_nobody_needs_may_be_retired(runner, english, make_community, rotated):
    community = make_community("K001")
    typed = codes.issue_code(None, community.buildings[0].units[0].households[0])
    db.session.commit()
    rotated()
    codes.find_by_code("K001", typed)
    db.session.commit()
    status = keys(runner, "status").output
    assert "Version 1 holds no row any more: it may leave the ring (flask --app app keys retire 1)." in status
    result = keys(runner, "retire", "1")
    assert result.exit_code == 0, result.output
    assert f'HOUSEHOLD_CODE_KEY="2:{V2}"' in result.output


def test_rotate_on_the_embedded_default_rewrites_the_ring_in_instance(app, runner, english, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "KEY_SOURCES", {"HOUSEHOLD_CODE_KEY": "instance", "SECRET_KEY": "instance"})
    (tmp_path / "household_code_key").write_text(OTHER)
    refused = keys(runner, "rotate")
    assert refused.exit_code == 1 and "nothing was changed" in refused.output
    assert (tmp_path / "household_code_key").read_text() == OTHER
    (tmp_path / "household_code_key").write_text(V1)
    result = keys(runner, "rotate")
    assert result.exit_code == 0, result.output
    ring = (tmp_path / "household_code_key").read_text()
    assert ring.startswith("2:") and ring.endswith(f" 1:{V1}") and len(ring.split()[0]) == 66
    assert stat.S_IMODE((tmp_path / "household_code_key").stat().st_mode) == 0o600
    assert "Restart the app" in result.output and ring not in result.output
    assert not list(tmp_path.glob(".*.new"))


def test_rotate_secret_key_prints_its_roll_out(app, runner, english):
    result = keys(runner, "rotate", "--secret-key")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith('SECRET_KEY="')]
    assert lines[0].startswith('SECRET_KEY="1:test-secret 2:') and lines[1].endswith(' 1:test-secret"')
    assert "after 12 hours" in result.output


def test_keys_new_prints_both_forms(runner):
    out = keys(runner, "new").output
    assert out.count("SECRET_KEY=") == 1 and out.count('SECRET_KEY = "') == 1 and "HOUSEHOLD_CODE_KEY=" in out


def test_keys_rehash_moves_legacy_tokens_and_keys_without_them(runner, english):
    token = make_token()
    _row, key = create_key("city-app")
    token_row, key_row = db.session.scalar(select(ApiToken)), db.session.scalar(select(Open311Key))
    token_row.token_hash, token_row.key_version = hashlib.sha256(token.encode()).hexdigest(), 0
    key_row.key_hash, key_row.key_version = hashlib.sha256(key.encode()).hexdigest(), 0
    db.session.commit()
    before = keys(runner, "status").output
    assert "API tokens: before versions: 1" in before and "keys rehash moves them now" in before
    result = keys(runner, "rehash")
    assert result.exit_code == 0, result.output
    assert "Open311 keys: 1 stored before versions re-hashed under version 1." in result.output
    db.session.refresh(token_row)
    db.session.refresh(key_row)
    assert (token_row.key_version, key_row.key_version) == (1, 1)
    assert token_row.token_hash == hash_token(token) and key_row.key_hash == hash_key(key)
    assert user_for(token) is token_row.user and key_for(key) is key_row
    assert "before versions" not in keys(runner, "status").output
