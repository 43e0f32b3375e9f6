"""Staff sessions: users.session_version, part of every session's id, raised to end all sessions of an account
(sign-out, a password change, an admin's reset).

Revision ID: 5e55a0b1c2d3
Revises: b7c4e5ac01a1
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5e55a0b1c2d3'
down_revision = 'b7c4e5ac01a1'
branch_labels = None
depends_on = None


def _in_place() -> str:
    # SQLite adds and drops a plain column in place; rebuilding `users` would drop a table other rows point at.
    return "never" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table('users', schema=None, recreate=_in_place()) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None, recreate=_in_place()) as batch_op:
        batch_op.drop_column('session_version')
