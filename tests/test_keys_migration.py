"""The key-version migration on a database the demo filled before it (issue 13 point 3): every printed code and
every owner's ID tail still works afterwards, and moves to the current key version when used."""
import hashlib
import hmac
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from participation.extensions import db
from participation.models import Household
from participation.roster import codes
from participation.roster.imports import id_tail_matches
from tests.test_migrations import ROOT, empty_database

BEFORE = "3b8d0c5e7a14"             # the head before key versions
SECRET, CODE_KEY = "s" * 64, "c" * 64


def run(*args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "HOUSEHOLD_CODE_KEY": CODE_KEY}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def hashed_before_versions(message: str) -> str:
    """As participation/roster/codes.py and roster_import.py hashed before issue 13."""
    return hmac.new(CODE_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def as_before_versions(engine, households: list[dict]) -> None:
    """Store the demo's codes and tails as the code before key versions stored them (the schema is at BEFORE)."""
    with engine.begin() as connection:
        for home in households:
            household_id = connection.scalar(text(
                "SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id"
                " JOIN buildings b ON b.id = u.building_id JOIN communities c ON c.id = b.community_id"
                " WHERE c.code = :community AND b.name = :building"
                " AND u.name = :unit AND h.room = :room"), home)
            connection.execute(text("UPDATE household_codes SET code_hash = :digest WHERE household_id = :id AND "
                                    "revoked_at IS NULL"),
                               {"digest": hashed_before_versions(f"{home['community']}:{home['code']}"),
                                "id": household_id})
            connection.execute(text("UPDATE households SET owner_id_tail_hash = :digest WHERE id = :id"),
                               {"digest": hashed_before_versions(f"id-tail:{home['community']}:"
                                                                 f"{home['owner_id_tail']}"), "id": household_id})


@pytest.mark.slow
def test_codes_and_tails_stored_before_key_versions_keep_working_after_the_upgrade(tmp_path):
    with empty_database(tmp_path) as url:
        assert run("db", "upgrade", "heads", database_url=url).returncode == 0
        seeded = run("seed-demo", "--json", database_url=url)
        assert seeded.returncode == 0, seeded.stderr
        households = json.loads(seeded.stdout)["households"]
        down = run("db", "downgrade", BEFORE, database_url=url)
        assert down.returncode == 0, down.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        as_before_versions(engine, households)
        up = run("db", "upgrade", "heads", database_url=url)
        assert up.returncode == 0, up.stderr
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM household_codes WHERE key_version <> 0")) == 0
            assert connection.scalar(text("SELECT count(*) FROM households WHERE owner_id_tail_hash IS NOT NULL "
                                          "AND owner_id_tail_key_version IS DISTINCT FROM 0")) == 0
        status = run("keys", "status", database_url=url)
        assert status.returncode == 0, status.stderr
        assert f": {len(households)}" in status.stdout     # every code and tail counted, all before versions
        engine.dispose()

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://",
                                                                                 "postgresql+psycopg://"),
                          "SECRET_KEY": SECRET, "HOUSEHOLD_CODE_KEY": CODE_KEY})
        with app.app_context():
            for home in households:
                row = codes.find_by_code(home["community"], home["code"])
                assert row is not None and row.key_version == 1, home
                household = db.session.get(Household, row.household_id)
                assert id_tail_matches(household, home["community"], home["owner_id_tail"])
                assert household.owner_id_tail_key_version == 1
            db.session.commit()
            assert codes.find_by_code(households[0]["community"], households[0]["code"]).key_version == 1
            db.session.remove()
            db.engine.dispose()
