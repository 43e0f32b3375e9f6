"""Owner votes (issue 12): the register frozen when a vote opens (vote_register, votes.register_frozen_at), its
corrections during the vote (vote_register_corrections), and one objection per household per vote
(UNIQUE(vote_id, household_id) on vote_objections, with updated_at for edits).

Votes already open get their register from the roster as it stands when this runs. Where a household already sent
several objections to one vote, the latest stays its objection; the earlier ones are kept, detached from the
household (household_id NULL), so nothing said is lost and every one is still answered before finalising.

Revision ID: 5e1c0a7d2b94
Revises: 7a1d3c9e5f20
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5e1c0a7d2b94'
down_revision = '7a1d3c9e5f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'vote_register',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('owner', sa.String(length=80), nullable=False),
        sa.Column('area', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('building', sa.String(length=20), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('room', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('area > 0', name=op.f('ck_vote_register_area_positive')),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                                name=op.f('fk_vote_register_household_id_households'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_register_vote_id_votes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_register')),
        sa.UniqueConstraint('vote_id', 'household_id', name=op.f('uq_vote_register_vote_id_household_id')),
    )
    op.create_index(op.f('ix_vote_register_household_id'), 'vote_register', ['household_id'], unique=False)
    op.create_table(
        'vote_register_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('owner_before', sa.String(length=80), nullable=False),
        sa.Column('owner_after', sa.String(length=80), nullable=False),
        sa.Column('area_before', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('area_after', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('length(reason) > 0', name=op.f('ck_vote_register_corrections_reason_not_empty')),
        sa.CheckConstraint('area_after > 0', name=op.f('ck_vote_register_corrections_area_positive')),
        sa.CheckConstraint('owner_before <> owner_after OR area_before <> area_after',
                           name=op.f('ck_vote_register_corrections_changes_something')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_vote_register_corrections_actor_id_users')),
        sa.ForeignKeyConstraint(['entry_id'], ['vote_register.id'],
                                name=op.f('fk_vote_register_corrections_entry_id_vote_register'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_register_corrections_vote_id_votes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_register_corrections')),
    )
    op.create_index(op.f('ix_vote_register_corrections_entry_id'), 'vote_register_corrections', ['entry_id'],
                    unique=False)
    op.create_index(op.f('ix_vote_register_corrections_vote_id'), 'vote_register_corrections', ['vote_id'],
                    unique=False)
    with op.batch_alter_table('votes', schema=None, recreate=_in_place()) as batch_op:
        batch_op.add_column(sa.Column('register_frozen_at', sa.DateTime(timezone=True), nullable=True))
    # One objection per household: the latest stays the household's, the earlier ones are kept detached.
    op.execute("UPDATE vote_objections SET household_id = NULL WHERE household_id IS NOT NULL AND id NOT IN ("
               "SELECT max(id) FROM vote_objections WHERE household_id IS NOT NULL GROUP BY vote_id, household_id)")
    with op.batch_alter_table('vote_objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_vote_objections_vote_id_household_id'),
                                          ['vote_id', 'household_id'])
    _freeze_open_votes()


def _in_place() -> str:
    # SQLite adds and drops a plain column in place; rebuilding `votes` would cascade into its ballots.
    return "never" if op.get_bind().dialect.name == "sqlite" else "auto"


def _freeze_open_votes():
    """The register of every open vote, from the roster now: its scope (community, buildings or one 单元), one row
    per household in roster order, the owner as the code names it ("h<household id>" without a 业主标识)."""
    op.execute("""
        INSERT INTO vote_register (vote_id, household_id, owner, area, building, unit, room, position)
        SELECT v.id, h.id, COALESCE(h.owner_key, 'h' || CAST(h.id AS VARCHAR(20))), h.area, b.name, u.name, h.room,
               ROW_NUMBER() OVER (PARTITION BY v.id ORDER BY b.sort_key, u.sort_key, h.sort_key, h.id)
        FROM votes v
        JOIN buildings b ON b.community_id = v.community_id
        JOIN units u ON u.building_id = b.id
        JOIN households h ON h.unit_id = u.id
        WHERE v.status = 'open' AND (
            v.scope = 'community'
            OR (v.scope = 'unit' AND u.id = v.unit_id)
            OR (v.scope = 'buildings' AND b.id IN (SELECT vb.building_id FROM vote_buildings vb
                                                   WHERE vb.vote_id = v.id)))
    """)
    op.execute("UPDATE votes SET register_frozen_at = CURRENT_TIMESTAMP WHERE status = 'open'")


def downgrade():
    with op.batch_alter_table('vote_objections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_vote_objections_vote_id_household_id'), type_='unique')
        batch_op.drop_column('updated_at')
    with op.batch_alter_table('votes', schema=None, recreate=_in_place()) as batch_op:
        batch_op.drop_column('register_frozen_at')
    op.drop_index(op.f('ix_vote_register_corrections_vote_id'), table_name='vote_register_corrections')
    op.drop_index(op.f('ix_vote_register_corrections_entry_id'), table_name='vote_register_corrections')
    op.drop_table('vote_register_corrections')
    op.drop_index(op.f('ix_vote_register_household_id'), table_name='vote_register')
    op.drop_table('vote_register')
