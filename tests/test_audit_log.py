"""The audit log is append-only by the database's rule (issue 13 point 4): UPDATE and DELETE of its rows are refused
on SQLite and PostgreSQL, through SQL and through the ORM, TRUNCATE too on PostgreSQL; the schema made by
``create_all`` (this suite's) and the one made by the migrations both carry the guard; only the maintenance
transaction lifts it, and on PostgreSQL a role that does not own the table cannot."""
import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from participation.audit import record
from participation.extensions import db
from participation.models import AuditEvent, User
from participation.models.audit import append_only_lifted
from tests.test_migrations import empty_database, flask

REFUSED = "audit_events is append-only"
GUARD = "d4e7a1c93b25"           # the guard's migration; "-1" is the revision before it, wherever it is chained


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def events(make_user):
    """Two audit rows, committed: an account made (``user.create``, by the system) and a sign-in by it."""
    user = make_user("organiser", username="org")
    record(user, "login", user)
    db.session.commit()
    return db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()


def snapshot() -> list[tuple]:
    return db.session.execute(text("SELECT id, action, actor_id, created_at FROM audit_events ORDER BY id")).all()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'nothing.happened'",
    "UPDATE audit_events SET actor_id = NULL",      # what ON DELETE SET NULL of a user would do
    "DELETE FROM audit_events",
    "DELETE FROM audit_events WHERE action = 'login'",
])
def test_sql_cannot_change_or_delete_a_row(events, statement):
    before = snapshot()
    with pytest.raises(IntegrityError, match=REFUSED):
        db.session.execute(text(statement))
    db.session.rollback()
    assert snapshot() == before and len(before) == 2


def test_truncate_is_refused_on_postgresql(events):
    if not on_postgresql():
        pytest.skip("SQLite has no TRUNCATE; its DELETE without WHERE is refused above")
    for statement in ("TRUNCATE audit_events", "TRUNCATE users CASCADE"):
        with pytest.raises(IntegrityError, match=f"{REFUSED}: TRUNCATE refused"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert len(snapshot()) == 2


def test_the_orm_cannot_change_or_delete_a_row(events):
    login = events[1]
    login.action = "logout"
    with pytest.raises(IntegrityError, match=f"{REFUSED}: UPDATE refused"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, login.id))
    with pytest.raises(IntegrityError, match=f"{REFUSED}: DELETE refused"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, login.id).action == "login"


def test_new_rows_are_still_written(events):
    record(None, "catalogue_item.update", object_type="catalogue_items", object_id=1)
    db.session.commit()
    assert [row.action for row in snapshot()] == ["user.create", "login", "catalogue_item.update"]


def test_deleting_an_account_the_log_names_is_refused_and_the_row_kept(events):
    """The foreign key has no ON DELETE action: the account stays rather than the row losing its actor."""
    user = db.session.scalar(db.select(User).filter_by(username="org"))
    db.session.delete(user)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert [row.actor_id for row in snapshot()] == [None, user.id]


def test_the_maintenance_transaction_lifts_the_guard_and_puts_it_back(events):
    with append_only_lifted(db.session):
        db.session.execute(text("DELETE FROM audit_events WHERE action = 'login'"))
    assert [row.action for row in snapshot()] == ["user.create"]
    with pytest.raises(IntegrityError, match=REFUSED):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_a_failed_maintenance_transaction_changes_nothing_and_keeps_the_guard(events):
    before = snapshot()
    with pytest.raises(RuntimeError), append_only_lifted(db.session):
        db.session.execute(text("DELETE FROM audit_events"))
        raise RuntimeError("the maintenance failed half-way")
    assert snapshot() == before
    with pytest.raises(IntegrityError, match=REFUSED):
        db.session.execute(text("UPDATE audit_events SET action = 'x'"))
    db.session.rollback()


@pytest.fixture
def app_role_session(app):
    """A session of a PostgreSQL role set up as docs/deploy.md's application role: every right on the tables but
    not their owner, UPDATE, DELETE and TRUNCATE on audit_events revoked."""
    if not on_postgresql():
        pytest.skip("roles are PostgreSQL's")
    role = f"app_{uuid.uuid4().hex[:10]}"
    setup = [f'CREATE ROLE "{role}" LOGIN',
             f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
             f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
             f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM "{role}"']
    with db.engine.begin() as connection:
        for statement in setup:
            connection.exec_driver_sql(statement)
    engine = create_engine(db.engine.url.set(username=role))
    session = Session(engine)
    yield session
    session.close()
    engine.dispose()
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
        connection.exec_driver_sql(f'DROP ROLE "{role}"')


def test_the_application_role_can_neither_delete_nor_lift_the_guard(events, app_role_session):
    app_role_session.execute(text("INSERT INTO audit_events (action, object_type, channel, detail, created_at) "
                                  "VALUES ('login', 'users', 'web', '{}', now())"))
    app_role_session.commit()
    for statement in ("DELETE FROM audit_events", "UPDATE audit_events SET action = 'x'"):
        with pytest.raises(DBAPIError, match="permission denied"):
            app_role_session.execute(text(statement))
        app_role_session.rollback()
    with pytest.raises(DBAPIError, match="must be owner of table audit_events"), \
            append_only_lifted(app_role_session):
        app_role_session.execute(text("DELETE FROM audit_events"))
    assert len(snapshot()) == 3


# --- the migration ------------------------------------------------------------------------------------------------

def _guard_of(engine) -> set[str]:
    """The triggers on audit_events, and on PostgreSQL the function behind them."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                               "AND tbl_name = 'audit_events'")))
        return set(connection.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal "
            "UNION SELECT proname FROM pg_proc WHERE proname = 'audit_events_refuse_change'")))


def _add_event(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (action, object_type, channel, detail, created_at) "
                                "VALUES ('login', 'users', 'web', '{}', :now)"), {"now": datetime.now(timezone.utc)})


@pytest.mark.slow
def test_the_migration_adds_the_guard_and_its_downgrade_drops_it(tmp_path):
    expected = ({"audit_events_append_only", "audit_events_no_truncate", "audit_events_refuse_change"}
                if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
                else {"audit_events_no_update", "audit_events_no_delete"})
    with empty_database(tmp_path) as url:
        upgrade = flask("db", "upgrade", GUARD, database_url=url)
        assert upgrade.returncode == 0, upgrade.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            assert _guard_of(engine) == expected
            _add_event(engine)
            with pytest.raises(IntegrityError, match=f"{REFUSED}: DELETE refused"), engine.begin() as connection:
                connection.execute(text("DELETE FROM audit_events"))

            down = flask("db", "downgrade", f"{GUARD}-1", database_url=url)
            assert down.returncode == 0, down.stderr
            assert _guard_of(engine) == set()
            with engine.begin() as connection:
                connection.execute(text("UPDATE audit_events SET action = 'logout'"))

            again = flask("db", "upgrade", GUARD, database_url=url)
            assert again.returncode == 0, again.stderr
            assert _guard_of(engine) == expected
            with pytest.raises(IntegrityError, match=f"{REFUSED}: UPDATE refused"), engine.begin() as connection:
                connection.execute(text("UPDATE audit_events SET action = 'login'"))
        finally:
            engine.dispose()
