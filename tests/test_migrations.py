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
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "migration-test-secret-key-0123456789",
           "HOUSEHOLD_CODE_KEY": "migration-test-household-code-key-0123456789"}
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


@pytest.mark.slow
def test_the_tallies_migration_counts_the_answers_already_given(tmp_path):
    """Down one step (answers get their survey back), up again: the migration recounts the demo's submitted
    answers into exactly the tallies the application keeps."""
    from sqlalchemy import create_engine, text
    query = text("SELECT survey_id, question_id, kind, value, rank, count, area FROM survey_tallies "
                 "WHERE count > 0 ORDER BY 1, 2, 3, 4, 5")
    with empty_database(tmp_path) as url:
        assert flask("db", "upgrade", database_url=url).returncode == 0
        seeded = flask("seed-demo", database_url=url)
        assert seeded.returncode == 0, seeded.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            kept = connection.execute(query).all()
        assert len(kept) > 100
        down = flask("db", "downgrade", "4cd27d14852e", database_url=url)
        assert down.returncode == 0, down.stderr
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM survey_answers a JOIN survey_responses r ON "
                                          "r.id = a.response_id WHERE a.survey_id <> r.survey_id")) == 0
        up = flask("db", "upgrade", database_url=url)
        assert up.returncode == 0, up.stderr
        with engine.connect() as connection:
            assert connection.execute(query).all() == kept
        engine.dispose()


@pytest.mark.slow
def test_issue_12_migrations_keep_every_row_down_and_up(tmp_path):
    """With the demo loaded, down to the release before issue 12 and up again without losing a row: on SQLite a
    table rebuilt under foreign keys can cascade into its children, or fail on them."""
    from sqlalchemy import create_engine, inspect, text
    with empty_database(tmp_path) as url:
        assert flask("db", "upgrade", database_url=url).returncode == 0
        seeded = flask("seed-demo", database_url=url)
        assert seeded.returncode == 0, seeded.stderr
        down = flask("db", "downgrade", "b7c4e5ac01a1", database_url=url)
        assert down.returncode == 0, down.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            tables = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
            before = {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in tables}
        assert before["households"] > 100 and before["ballots"] > 0 and before["audit_events"] > 0
        up = flask("db", "upgrade", database_url=url)
        assert up.returncode == 0, up.stderr
        with engine.connect() as connection:
            after = {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in tables}
        engine.dispose()
        assert after == before


@pytest.mark.slow
def test_the_catalogue_notes_migration_rewrites_only_the_seed_s_english(tmp_path):
    """A database seeded before issue 17 holds three English notes: upgrading gives them the Chinese words, keeps a
    note an admin rewrote, and downgrading puts the English back."""
    from sqlalchemy import create_engine, text
    insert = text("INSERT INTO catalogue_items (code, name, category, quantity_unit, unit_cost, note, updated_at) "
                  "VALUES (:code, :code, 'improvement', 'lump_sum', 1, :note, CURRENT_TIMESTAMP)")
    notes = text("SELECT code, note FROM catalogue_items ORDER BY code")
    with empty_database(tmp_path) as url:
        assert flask("db", "upgrade", "i17_reply_photos", database_url=url).returncode == 0
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as connection:
            connection.execute(insert, [{"code": "I06", "note": "may change the use of common parts"},
                                        {"code": "I08", "note": "管理员改过的说明"},
                                        {"code": "I14", "note": "per 单元; consent vote per unit"}])
        up = flask("db", "upgrade", database_url=url)
        assert up.returncode == 0, up.stderr
        with engine.connect() as connection:
            assert connection.execute(notes).all() == [
                ("I06", "可能改变共有部分用途"), ("I08", "管理员改过的说明"), ("I14", "按单元计；每个单元分别表决同意")]
        down = flask("db", "downgrade", "i17_reply_photos", database_url=url)
        assert down.returncode == 0, down.stderr
        with engine.connect() as connection:
            assert connection.execute(notes).all() == [
                ("I06", "may change the use of common parts"), ("I08", "管理员改过的说明"),
                ("I14", "per 单元; consent vote per unit")]
        engine.dispose()
