"""The audit log: every staff write, and every reveal of personal data, with who, what, how and when.

The table is append-only by the database's own rule, not by convention (网络安全法 Art. 21 expects logs kept
untampered): triggers refuse every UPDATE and DELETE of its rows, and on PostgreSQL every TRUNCATE, whoever sends
them — the application, a console, a foreign key that would cascade. The trigger SQL is written once, here: the
migration that adds it (``d4e7a1c93b25``) and ``db.create_all()`` (the test suite, scratch databases) both run it.

Maintenance that must remove rows — the test suite emptying its tables, ``flask --app app audit purge`` removing
rows past retention once they are archived — lifts the guard with ``append_only_lifted``, inside one transaction.
On PostgreSQL that disables the table's triggers, which only the table's owner may do, never the application's
role (docs/deploy.md, "Audit log").
"""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import DDL, JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="web")
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)

    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"


# --- the append-only guard ----------------------------------------------------------------------------------------
# The same words on both databases: "audit_events is append-only: UPDATE refused". PostgreSQL raises SQLSTATE 23000
# and SQLite a constraint error, so SQLAlchemy raises IntegrityError on both.

_PG_ROW_TRIGGER = "audit_events_append_only"
_PG_TRUNCATE_TRIGGER = "audit_events_no_truncate"
_SQLITE_TRIGGERS = {"audit_events_no_update": "UPDATE", "audit_events_no_delete": "DELETE"}

_PG_FUNCTION = """\
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused',
        DETAIL = 'Rows of the audit log are never changed or deleted; see docs/deploy.md, section Audit log.',
        ERRCODE = 'integrity_constraint_violation';
END
$$"""

_PG_TRIGGERS = (
    f"CREATE TRIGGER {_PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    f"CREATE TRIGGER {_PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()",
)

_SQLITE_CREATE = tuple(
    f"CREATE TRIGGER {name} BEFORE {operation} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {operation} refused'); END"
    for name, operation in _SQLITE_TRIGGERS.items())
_SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS)

# What the migration's upgrade runs, per dialect; the test suite's create_all runs the same (below).
GUARD_CREATE = {"postgresql": (_PG_FUNCTION, *_PG_TRIGGERS), "sqlite": _SQLITE_CREATE}
# What the migration's downgrade runs.
GUARD_DROP = {
    "postgresql": (f"DROP TRIGGER IF EXISTS {_PG_TRUNCATE_TRIGGER} ON audit_events",
                   f"DROP TRIGGER IF EXISTS {_PG_ROW_TRIGGER} ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_refuse_change()"),
    "sqlite": _SQLITE_DROP,
}
# Lifting the guard for maintenance, and putting it back, inside one transaction (append_only_lifted).
_LIFT = {
    "postgresql": (f"ALTER TABLE audit_events DISABLE TRIGGER {_PG_ROW_TRIGGER}, "
                   f"DISABLE TRIGGER {_PG_TRUNCATE_TRIGGER}",),
    "sqlite": _SQLITE_DROP,
}
_RESTORE = {
    "postgresql": (f"ALTER TABLE audit_events ENABLE TRIGGER {_PG_ROW_TRIGGER}, "
                   f"ENABLE TRIGGER {_PG_TRUNCATE_TRIGGER}",),
    "sqlite": _SQLITE_CREATE,
}


def _guard_every_created_table() -> None:
    """``metadata.create_all`` adds the guard too; dropping the table drops its triggers, and on PostgreSQL the
    function is dropped after it, so a later create_all starts clean."""
    table = AuditEvent.__table__
    for dialect, statements in GUARD_CREATE.items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    event.listen(table, "after_drop",
                 DDL("DROP FUNCTION IF EXISTS audit_events_refuse_change()").execute_if(dialect="postgresql"))


_guard_every_created_table()


@contextmanager
def append_only_lifted(session: Session) -> Iterator[None]:
    """Run the block in one transaction in which audit rows may be deleted, put the guard back and commit; on any
    error roll everything back (the guard included: DDL is transactional on both databases).

    For maintenance only: the test suite emptying its tables, ``flask --app app audit purge``. On PostgreSQL the
    ALTER TABLE needs the table's owner — the application's role gets "must be owner of table audit_events" — and
    holds an exclusive lock on audit_events until the commit, so no other session ever writes while the guard is
    down. On SQLite the triggers are dropped and created again.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite" and not connection.connection.driver_connection.in_transaction:
        # pysqlite opens a transaction only before INSERT/UPDATE/DELETE: the DROP TRIGGER would commit on its own
        connection.exec_driver_sql("BEGIN")
    try:
        for statement in _LIFT[dialect]:
            connection.exec_driver_sql(statement)
        yield
        for statement in _RESTORE[dialect]:
            connection.exec_driver_sql(statement)
        session.commit()
    except BaseException:
        session.rollback()
        raise
