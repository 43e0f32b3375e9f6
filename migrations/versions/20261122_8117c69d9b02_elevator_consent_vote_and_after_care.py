"""Elevator consent vote and after-care (issue 6 points 3, 4, 8): elevator_requests.vote_id becomes a foreign key
to votes (a dangling id is cleared first); the locality rule kind ``elevator_consent`` (a stricter consent rule for
elevators than Art. 278's special class); aftercare_proposals (the property-management mode and fee put to an
ordinary owner vote); vote_items (the plan items a vote decides, for the plan inputs).

On SQLite adding the foreign key rebuilds elevator_requests (batch mode); dropping the old table would cascade to
elevator_shaft_owners when foreign keys are on, so their rows are kept aside and put back.

Revision ID: 8117c69d9b02
Revises: cf174e2ddcbd
Create Date: 2026-11-22 06:42:44.055305

"""
from alembic import op
import sqlalchemy as sa

KINDS = "kind IN ({})"
OLD_KINDS = ("'category_slogan', 'extra_category', 'elevator_subsidy', 'elevator_cost_share', 'complaint_limit', "
             "'plan_threshold', 'programme_target', 'acceptance_pass'")
NEW_KINDS = OLD_KINDS + ", 'elevator_consent'"


# revision identifiers, used by Alembic.
revision = '8117c69d9b02'
down_revision = 'cf174e2ddcbd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aftercare_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('fee', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('professional', 'quasi', 'self_managed', 'trusteeship')", name=op.f('ck_aftercare_proposals_mode')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_aftercare_proposals_fee_not_negative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_aftercare_proposals_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_aftercare_proposals_created_by_id_users')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_aftercare_proposals_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftercare_proposals')),
    sa.UniqueConstraint('vote_id', name=op.f('uq_aftercare_proposals_vote_id'))
    )
    with op.batch_alter_table('aftercare_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftercare_proposals_community_id'), ['community_id'], unique=False)

    op.create_table('vote_items',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_vote_items_item_id_catalogue_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_items_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'item_id', name=op.f('pk_vote_items'))
    )
    with op.batch_alter_table('vote_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_items_item_id'), ['item_id'], unique=False)

    op.execute("UPDATE elevator_requests SET vote_id = NULL WHERE vote_id IS NOT NULL AND "
               "vote_id NOT IN (SELECT id FROM votes)")
    with _shaft_owners_kept():
        with op.batch_alter_table('elevator_requests', schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f('fk_elevator_requests_vote_id_votes'), 'votes', ['vote_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(NEW_KINDS))


class _shaft_owners_kept:
    """On SQLite, keep elevator_shaft_owners' rows across the rebuild of elevator_requests and put back any the
    drop of the old table deleted (ON DELETE CASCADE)."""

    def __enter__(self):
        self.bind = op.get_bind()
        self.rows = []
        if self.bind.dialect.name == "sqlite":
            self.rows = [dict(row) for row in self.bind.execute(sa.text("SELECT * FROM elevator_shaft_owners")).mappings()]
        return self

    def __exit__(self, *exc):
        if exc[0] is not None or not self.rows:
            return False
        left = {row[0] for row in self.bind.execute(sa.text("SELECT id FROM elevator_shaft_owners"))}
        missing = [row for row in self.rows if row["id"] not in left]
        if missing:
            columns = list(missing[0])
            self.bind.execute(sa.text("INSERT INTO elevator_shaft_owners ({}) VALUES ({})".format(
                ", ".join(columns), ", ".join(f":{column}" for column in columns))), missing)
        return False


def downgrade():
    op.execute("DELETE FROM locality_rules WHERE kind = 'elevator_consent'")
    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(OLD_KINDS))
    with _shaft_owners_kept():
        with op.batch_alter_table('elevator_requests', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_elevator_requests_vote_id_votes'), type_='foreignkey')

    with op.batch_alter_table('vote_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_items_item_id'))

    op.drop_table('vote_items')
    with op.batch_alter_table('aftercare_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftercare_proposals_community_id'))

    op.drop_table('aftercare_proposals')
