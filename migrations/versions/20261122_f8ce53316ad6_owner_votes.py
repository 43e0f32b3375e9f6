"""Owner votes (民法典第二百七十八条, issue 6): votes with their scope (vote_buildings), owner verifications,
ballots (UNIQUE(vote_id, owner): one ballot per owner across every channel), ballot_changes (every cast until
close) and vote_objections (询异公示).

Revision ID: f8ce53316ad6
Revises: 218d89c464e4
Create Date: 2026-11-22 06:21:46.479716

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8ce53316ad6'
down_revision = '218d89c464e4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('matter', sa.Integer(), nullable=False),
    sa.Column('matter_class', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rule_text', sa.String(length=60), nullable=True),
    sa.Column('rule_source', sa.Text(), nullable=True),
    sa.Column('hide_tallies', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('objection_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('cosigned_by_id', sa.Integer(), nullable=True),
    sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_area_total', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('result_area_participating', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('result_area_yes', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('result_headcount_total', sa.Integer(), nullable=True),
    sa.Column('result_headcount_participating', sa.Integer(), nullable=True),
    sa.Column('result_headcount_yes', sa.Integer(), nullable=True),
    sa.Column('result_quorum_met', sa.Boolean(), nullable=True),
    sa.Column('result_passed', sa.Boolean(), nullable=True),
    sa.CheckConstraint("(matter BETWEEN 6 AND 8 AND matter_class = 'special') OR (matter NOT BETWEEN 6 AND 8 AND matter_class = 'ordinary')", name=op.f('ck_votes_matter_class')),
    sa.CheckConstraint("(scope = 'unit' AND unit_id IS NOT NULL) OR (scope <> 'unit' AND unit_id IS NULL)", name=op.f('ck_votes_unit_scope')),
    sa.CheckConstraint("scope IN ('community', 'buildings', 'unit')", name=op.f('ck_votes_scope')),
    sa.CheckConstraint("status <> 'final' OR cosigned_at IS NOT NULL", name=op.f('ck_votes_final_cosigned')),
    sa.CheckConstraint("status IN ('draft', 'open', 'preliminary', 'final', 'cancelled')", name=op.f('ck_votes_status')),
    sa.CheckConstraint("status NOT IN ('preliminary', 'final') OR result_passed IS NOT NULL", name=op.f('ck_votes_closed_has_result')),
    sa.CheckConstraint('(rule_text IS NULL AND rule_source IS NULL) OR (rule_text IS NOT NULL AND rule_source IS NOT NULL)', name=op.f('ck_votes_rule_has_source')),
    sa.CheckConstraint('closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at', name=op.f('ck_votes_dates')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_votes_title_not_empty')),
    sa.CheckConstraint('matter BETWEEN 1 AND 9', name=op.f('ck_votes_matter_range')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_votes_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['users.id'], name=op.f('fk_votes_cosigned_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_votes_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_votes_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_unit_id'), ['unit_id'], unique=False)
    op.create_table('owner_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('id_tail', 'in_person')", name=op.f('ck_owner_verifications_method')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_owner_verifications_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_owner_verifications_verified_by_id_users')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_owner_verifications_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_verifications'))
    )
    with op.batch_alter_table('owner_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_verifications_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_verifications_vote_id'), ['vote_id'], unique=False)
    op.create_table('vote_buildings',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_vote_buildings_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_buildings_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'building_id', name=op.f('pk_vote_buildings'))
    )
    with op.batch_alter_table('vote_buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_buildings_building_id'), ['building_id'], unique=False)
    op.create_table('vote_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('web', 'paper', 'assisted')", name=op.f('ck_vote_objections_channel')),
    sa.CheckConstraint('(answer IS NULL AND answered_at IS NULL) OR (answer IS NOT NULL AND answered_at IS NOT NULL)', name=op.f('ck_vote_objections_answered')),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_vote_objections_text_not_empty')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_vote_objections_answered_by_id_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_vote_objections_household_id_households'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_vote_objections_raised_by_id_users')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_objections_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_objections'))
    )
    with op.batch_alter_table('vote_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_objections_vote_id'), ['vote_id'], unique=False)
    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('verification_id', sa.Integer(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'paper', 'assisted')", name=op.f('ck_ballots_channel')),
    sa.CheckConstraint("choice IN ('yes', 'no', 'abstain')", name=op.f('ck_ballots_choice')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_ballots_version_positive')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_ballots_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verification_id'], ['owner_verifications.id'], name=op.f('fk_ballots_verification_id_owner_verifications')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_ballots_verified_by_id_users')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballots_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('vote_id', 'owner', name=op.f('uq_ballots_vote_id_owner'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_household_id'), ['household_id'], unique=False)
    op.create_table('ballot_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('old_choice', sa.String(length=10), nullable=True),
    sa.Column('new_choice', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'paper', 'assisted')", name=op.f('ck_ballot_changes_channel')),
    sa.CheckConstraint("new_choice IN ('yes', 'no', 'abstain')", name=op.f('ck_ballot_changes_new_choice')),
    sa.CheckConstraint("old_choice IS NULL OR old_choice IN ('yes', 'no', 'abstain')", name=op.f('ck_ballot_changes_old_choice')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ballot_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_changes_ballot_id_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_ballot_changes_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_changes'))
    )
    with op.batch_alter_table('ballot_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_changes_ballot_id'), ['ballot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ballot_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_changes_ballot_id'))
    op.drop_table('ballot_changes')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_household_id'))
    op.drop_table('ballots')
    with op.batch_alter_table('vote_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_objections_vote_id'))
    op.drop_table('vote_objections')
    with op.batch_alter_table('vote_buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_buildings_building_id'))
    op.drop_table('vote_buildings')
    with op.batch_alter_table('owner_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_verifications_vote_id'))
        batch_op.drop_index(batch_op.f('ix_owner_verifications_household_id'))
    op.drop_table('owner_verifications')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_unit_id'))
        batch_op.drop_index(batch_op.f('ix_votes_community_id'))
    op.drop_table('votes')
