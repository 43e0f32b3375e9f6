"""`flask db upgrade` builds the schema on an empty database of each kind, and `flask db check` finds no drift."""
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def empty_database(tmp_path):
    """A fresh, empty database of the kind the suite runs on; dropped afterwards."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server = test_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(*args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "migration-test",
           "HOUSEHOLD_CODE_KEY": "migration-test"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_upgrade_from_empty_then_check_is_clean(tmp_path):
    with empty_database(tmp_path) as url:
        upgrade = flask("db", "upgrade", database_url=url)
        assert upgrade.returncode == 0, upgrade.stderr
        check = flask("db", "check", database_url=url)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.slow
def test_downgrade_to_base_and_upgrade_again(tmp_path):
    with empty_database(tmp_path) as url:
        assert flask("db", "upgrade", database_url=url).returncode == 0
        downgrade = flask("db", "downgrade", "base", database_url=url)
        assert downgrade.returncode == 0, downgrade.stderr
        again = flask("db", "upgrade", database_url=url)
        assert again.returncode == 0, again.stderr
