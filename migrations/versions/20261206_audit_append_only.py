"""The audit log becomes append-only by the database's own rule: triggers refuse UPDATE and DELETE of audit_events
rows (and TRUNCATE on PostgreSQL), on PostgreSQL through a plpgsql function, on SQLite through RAISE(ABORT).

The SQL lives in participation/models/audit.py, where ``db.create_all()`` runs it too, so a database made either
way carries the same guard. No table is rebuilt: rows already in the log stay as they are.

Revision ID: d4e7a1c93b25
Revises: 3b8d0c5e7a14
Create Date: 2026-12-06 20:40:00

"""
from alembic import op

from participation.models.audit import GUARD_CREATE, GUARD_DROP

revision = 'd4e7a1c93b25'
down_revision = '3b8d0c5e7a14'
branch_labels = None
depends_on = None


def upgrade():
    for statement in GUARD_CREATE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in GUARD_DROP[op.get_bind().dialect.name]:
        op.execute(statement)
