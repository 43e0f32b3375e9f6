"""Staff-entered owner ballots (issue 12): the channel "in_person" (the staff member typed the owner's ID tail from
the ID card) beside web, paper and the old "assisted"; owner_verifications.used_at (an in-person check is good for
one ballot); ballots.sheet_no (票号 of a signed paper sheet); and paper_keyings, the first keying of a file of
paper ballots held until a second person keys the same sheets.

On SQLite a CHECK constraint changes only by rebuilding its table. Rebuilding ``ballots`` drops the old table, and
the drop deletes ballot_changes' rows through ON DELETE CASCADE, so they are kept and put back (as the elevator
migration 8117c69d9b02 does for elevator_shaft_owners).

Revision ID: 3b8d0c5e7a14
Revises: 5e1c0a7d2b94
Create Date: 2026-12-06 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3b8d0c5e7a14'
down_revision = '5e1c0a7d2b94'
branch_labels = None
depends_on = None

OLD_CHANNELS = "channel IN ('web', 'paper', 'assisted')"
NEW_CHANNELS = "channel IN ('web', 'paper', 'assisted', 'in_person')"


def upgrade():
    op.create_table(
        'paper_keyings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('keyed_by_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['keyed_by_id'], ['users.id'], name=op.f('fk_paper_keyings_keyed_by_id_users')),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_paper_keyings_vote_id_votes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_keyings')),
        sa.UniqueConstraint('vote_id', name=op.f('uq_paper_keyings_vote_id')),
    )
    op.add_column('owner_verifications', sa.Column('used_at', sa.DateTime(timezone=True), nullable=True))
    with _ballot_changes_kept():
        with op.batch_alter_table('ballots', schema=None) as batch_op:
            batch_op.add_column(sa.Column('sheet_no', sa.String(length=40), nullable=True))
            batch_op.drop_constraint(op.f('ck_ballots_channel'), type_='check')
            batch_op.create_check_constraint(op.f('ck_ballots_channel'), NEW_CHANNELS)
    for table in ('ballot_changes', 'vote_objections'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_channel'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_channel'), NEW_CHANNELS)


def downgrade():
    # The old constraint cannot hold "in_person": such a ballot was "assisted" in the old words.
    for table in ('ballots', 'ballot_changes', 'vote_objections'):
        op.execute(f"UPDATE {table} SET channel = 'assisted' WHERE channel = 'in_person'")
    for table in ('vote_objections', 'ballot_changes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_channel'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_channel'), OLD_CHANNELS)
    with _ballot_changes_kept():
        with op.batch_alter_table('ballots', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_ballots_channel'), type_='check')
            batch_op.create_check_constraint(op.f('ck_ballots_channel'), OLD_CHANNELS)
            batch_op.drop_column('sheet_no')
    # Not a rebuild on SQLite (≥ 3.35 drops a column in place): ballots' rows refer to owner_verifications.
    op.execute("ALTER TABLE owner_verifications DROP COLUMN used_at")
    op.drop_table('paper_keyings')


class _ballot_changes_kept:
    """On SQLite, keep ballot_changes' rows across the rebuild of ballots and put back any the drop of the old table
    deleted (ON DELETE CASCADE)."""

    def __enter__(self):
        self.bind = op.get_bind()
        self.rows = []
        if self.bind.dialect.name == "sqlite":
            self.rows = [dict(row) for row in self.bind.execute(sa.text("SELECT * FROM ballot_changes")).mappings()]
        return self

    def __exit__(self, *exc):
        if exc[0] is not None or not self.rows:
            return False
        left = {row[0] for row in self.bind.execute(sa.text("SELECT id FROM ballot_changes"))}
        missing = [row for row in self.rows if row["id"] not in left]
        if missing:
            columns = list(missing[0])
            self.bind.execute(sa.text("INSERT INTO ballot_changes ({}) VALUES ({})".format(
                ", ".join(columns), ", ".join(f":{column}" for column in columns))), missing)
        return False
