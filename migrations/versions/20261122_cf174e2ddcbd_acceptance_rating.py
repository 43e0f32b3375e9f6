"""Residents' satisfaction rating within joint acceptance (issue 6 point 5): rating rounds per finished plan item
or the whole project (acceptance_ratings, with their buildings in scope), one response per household per round
(acceptance_rating_responses), the joint acceptance record with its three signatures (acceptance_records and the
subjects it covers); the locality rule kind ``acceptance_pass``. The 整改 ticket a failing round files
uses the existing ``patrol`` channel: rebuilding ``tickets`` on SQLite (batch mode) fails or cascades once tickets
have events.

Revision ID: cf174e2ddcbd
Revises: f8ce53316ad6
Create Date: 2026-11-22 06:22:00.097605

"""
from alembic import op
import sqlalchemy as sa

KINDS = "kind IN ({})"
OLD_KINDS = ("'category_slogan', 'extra_category', 'elevator_subsidy', 'elevator_cost_share', 'complaint_limit', "
             "'plan_threshold', 'programme_target'")
NEW_KINDS = OLD_KINDS + ", 'acceptance_pass'"

# revision identifiers, used by Alembic.
revision = 'cf174e2ddcbd'
down_revision = 'f8ce53316ad6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('acceptance_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('result_text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('organiser_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_rep_id', sa.Integer(), nullable=True),
    sa.Column('owner_rep_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(organiser_id IS NULL) = (organiser_signed_at IS NULL)', name=op.f('ck_acceptance_records_organiser_signature')),
    sa.CheckConstraint('(owner_rep_id IS NULL) = (owner_rep_signed_at IS NULL)', name=op.f('ck_acceptance_records_owner_rep_signature')),
    sa.CheckConstraint('(supervisor_id IS NULL) = (supervisor_signed_at IS NULL)', name=op.f('ck_acceptance_records_supervisor_signature')),
    sa.CheckConstraint('length(result_text) BETWEEN 1 AND 2000', name=op.f('ck_acceptance_records_result_text')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_acceptance_records_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acceptance_records_created_by_id_users')),
    sa.ForeignKeyConstraint(['organiser_id'], ['users.id'], name=op.f('fk_acceptance_records_organiser_id_users')),
    sa.ForeignKeyConstraint(['owner_rep_id'], ['users.id'], name=op.f('fk_acceptance_records_owner_rep_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_acceptance_records_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_acceptance_records_supervisor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_records'))
    )
    with op.batch_alter_table('acceptance_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_records_community_id'), ['community_id'], unique=False)

    op.create_table('acceptance_record_subjects',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['acceptance_records.id'], name=op.f('fk_acceptance_record_subjects_record_id_acceptance_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'subject', name=op.f('pk_acceptance_record_subjects'))
    )
    op.create_table('acceptance_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hide_tallies', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('eligible', sa.Integer(), nullable=True),
    sa.Column('responses', sa.Integer(), nullable=True),
    sa.Column('satisfied', sa.Integer(), nullable=True),
    sa.Column('basically_satisfied', sa.Integer(), nullable=True),
    sa.Column('dissatisfied', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=8), nullable=True),
    sa.Column('rule_text', sa.Text(), nullable=True),
    sa.Column('rule_source', sa.Text(), nullable=True),
    sa.Column('rule_year', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(subject = 'project') = (item_id IS NULL)", name=op.f('ck_acceptance_ratings_subject_item')),
    sa.CheckConstraint("result IS NULL OR result IN ('passed', 'failed')", name=op.f('ck_acceptance_ratings_result')),
    sa.CheckConstraint("scope IN ('community', 'buildings')", name=op.f('ck_acceptance_ratings_scope')),
    sa.CheckConstraint("status = 'closed' OR result IS NULL", name=op.f('ck_acceptance_ratings_open_has_no_result')),
    sa.CheckConstraint("status = 'open' OR (closed_at IS NOT NULL AND result IS NOT NULL AND rule_source IS NOT NULL)", name=op.f('ck_acceptance_ratings_closed_has_result')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_acceptance_ratings_status')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_acceptance_ratings_period')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_acceptance_ratings_number')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_acceptance_ratings_closed_by_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_acceptance_ratings_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acceptance_ratings_created_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_acceptance_ratings_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_acceptance_ratings_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['previous_id'], ['acceptance_ratings.id'], name=op.f('fk_acceptance_ratings_previous_id_acceptance_ratings')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_acceptance_ratings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_ratings')),
    sa.UniqueConstraint('plan_id', 'subject', 'number', name=op.f('uq_acceptance_ratings_plan_id_subject_number'))
    )
    with op.batch_alter_table('acceptance_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_ratings_community_id'), ['community_id'], unique=False)
        batch_op.create_index('uq_acceptance_ratings_open_subject', ['plan_id', 'subject'], unique=True, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    op.create_table('acceptance_rating_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')", name=op.f('ck_acceptance_rating_responses_rating')),
    sa.CheckConstraint('comment IS NULL OR length(comment) <= 500', name=op.f('ck_acceptance_rating_responses_comment')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_acceptance_rating_responses_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['acceptance_ratings.id'], name=op.f('fk_acceptance_rating_responses_round_id_acceptance_ratings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_acceptance_rating_responses_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_rating_responses')),
    sa.UniqueConstraint('round_id', 'household_id', name=op.f('uq_acceptance_rating_responses_round_id_household_id'))
    )
    with op.batch_alter_table('acceptance_rating_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_rating_responses_household_id'), ['household_id'], unique=False)

    op.create_table('acceptance_round_buildings',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_acceptance_round_buildings_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['acceptance_ratings.id'], name=op.f('fk_acceptance_round_buildings_round_id_acceptance_ratings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'building_id', name=op.f('pk_acceptance_round_buildings'))
    )
    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM locality_rules WHERE kind = 'acceptance_pass'")
    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(OLD_KINDS))
    op.drop_table('acceptance_round_buildings')
    with op.batch_alter_table('acceptance_rating_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_rating_responses_household_id'))

    op.drop_table('acceptance_rating_responses')
    with op.batch_alter_table('acceptance_ratings', schema=None) as batch_op:
        batch_op.drop_index('uq_acceptance_ratings_open_subject', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_acceptance_ratings_community_id'))

    op.drop_table('acceptance_ratings')
    op.drop_table('acceptance_record_subjects')
    with op.batch_alter_table('acceptance_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_records_community_id'))

    op.drop_table('acceptance_records')
