"""Key versions next to every stored hash (issue 13): household_codes, api_tokens and open311_keys get
``key_version``, households ``owner_id_tail_key_version``. The rows already there become version 0, "hashed before
versions" (participation.keyring.LEGACY), which the application still verifies the old way and moves to the current
version when the code, tail, token or key is next used (tokens and Open311 keys also by ``flask keys rehash``).

New rows always name their version, so the default that filled the old ones is dropped again: on SQLite that
rebuilds the three small tables, which no other table points at; ``households`` (which many tables point at) only
gets a nullable column, filled where a tail is stored.

Revision ID: 6a2f9d4c8e17
Revises: d4e7a1c93b25
Create Date: 2026-12-06 21:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '6a2f9d4c8e17'
down_revision = 'd4e7a1c93b25'
branch_labels = None
depends_on = None

HASHED = ("household_codes", "api_tokens", "open311_keys")


def _in_place() -> str:
    # SQLite adds and drops a plain column in place; rebuilding `households` would drop a table other rows point at.
    return "never" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    for table in HASHED:
        with op.batch_alter_table(table, schema=None, recreate=_in_place()) as batch_op:
            batch_op.add_column(sa.Column('key_version', sa.Integer(), server_default='0', nullable=False))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('key_version', existing_type=sa.Integer(), existing_nullable=False,
                                  server_default=None)
    with op.batch_alter_table('households', schema=None, recreate=_in_place()) as batch_op:
        batch_op.add_column(sa.Column('owner_id_tail_key_version', sa.Integer(), nullable=True))
    op.execute("UPDATE households SET owner_id_tail_key_version = 0 WHERE owner_id_tail_hash IS NOT NULL")


def downgrade():
    # Rows hashed with a version's derived key cannot be turned back into the old hashes (the codes and tails are
    # not kept): before downgrading, reissue the codes and re-import the tails, or restore the backup taken before.
    with op.batch_alter_table('households', schema=None, recreate=_in_place()) as batch_op:
        batch_op.drop_column('owner_id_tail_key_version')
    for table in reversed(HASHED):
        with op.batch_alter_table(table, schema=None, recreate=_in_place()) as batch_op:
            batch_op.drop_column('key_version')
