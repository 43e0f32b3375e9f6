"""Plans (一区一案): community budgets with their funding lines, plans in versions with their items, works progress;
locality rules gain the city's programme targets (counts, and amounts up to 126亿 yuan).

Revision ID: 33a0de326be8
Revises: f94f6fdbb5bf
Create Date: 2026-11-22 03:39:54.935769

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '33a0de326be8'
down_revision = 'f94f6fdbb5bf'
branch_labels = None
depends_on = None

KINDS, UNITS = "kind IN ({})", "unit IS NULL OR unit IN ({})"
OLD_KINDS = ("'category_slogan', 'extra_category', 'elevator_subsidy', 'elevator_cost_share', 'complaint_limit', "
             "'plan_threshold'")
NEW_KINDS = OLD_KINDS + ", 'programme_target'"
OLD_UNITS = "'yuan', 'coefficient', 'hours', 'calendar_days', 'working_days', 'fraction'"
NEW_UNITS = OLD_UNITS + ", 'count'"


def upgrade():
    op.create_table('community_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('plan_year', sa.Integer(), nullable=False),
    sa.Column('envelope', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('central_subsidy', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('local_funds', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('pipeline_units', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('original_owners', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('social_capital', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('residents_direct', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('maintenance_fund', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('housing_fund', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('public_revenue', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('central_subsidy IS NULL OR central_subsidy >= 0', name=op.f('ck_community_budgets_central_subsidy')),
    sa.CheckConstraint('envelope IS NULL OR envelope >= 0', name=op.f('ck_community_budgets_envelope')),
    sa.CheckConstraint('housing_fund IS NULL OR housing_fund >= 0', name=op.f('ck_community_budgets_housing_fund')),
    sa.CheckConstraint('local_funds IS NULL OR local_funds >= 0', name=op.f('ck_community_budgets_local_funds')),
    sa.CheckConstraint('maintenance_fund IS NULL OR maintenance_fund >= 0', name=op.f('ck_community_budgets_maintenance_fund')),
    sa.CheckConstraint('original_owners IS NULL OR original_owners >= 0', name=op.f('ck_community_budgets_original_owners')),
    sa.CheckConstraint('pipeline_units IS NULL OR pipeline_units >= 0', name=op.f('ck_community_budgets_pipeline_units')),
    sa.CheckConstraint('plan_year BETWEEN 2000 AND 2100', name=op.f('ck_community_budgets_plan_year')),
    sa.CheckConstraint('public_revenue IS NULL OR public_revenue >= 0', name=op.f('ck_community_budgets_public_revenue')),
    sa.CheckConstraint('residents_direct IS NULL OR residents_direct >= 0', name=op.f('ck_community_budgets_residents_direct')),
    sa.CheckConstraint('social_capital IS NULL OR social_capital >= 0', name=op.f('ck_community_budgets_social_capital')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_budgets_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_community_budgets_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_budgets')),
    sa.UniqueConstraint('community_id', name=op.f('uq_community_budgets_community_id'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_plans_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('community_id', name=op.f('uq_plans_community_id'))
    )
    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'draft' OR adopted_at IS NOT NULL", name=op.f('ck_plan_versions_adopted_has_time')),
    sa.CheckConstraint("status IN ('draft', 'adopted', 'superseded')", name=op.f('ck_plan_versions_status')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_plan_versions_number')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_versions_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_plan_versions_plan_id_number'))
    )
    op.create_table('plan_works',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'finished' OR finished_on IS NOT NULL", name=op.f('ck_plan_works_finished_has_date')),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'finished')", name=op.f('ck_plan_works_status')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_plan_works_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_works_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_plan_works_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_works')),
    sa.UniqueConstraint('plan_id', 'item_id', name=op.f('uq_plan_works_plan_id_item_id'))
    )
    op.create_table('plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('suggestion', sa.String(length=20), nullable=True),
    sa.Column('change_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("suggestion IS NULL OR suggestion IN ('include', 'include_if_budget', 'needs_vote', 'reserve', 'exclude')", name=op.f('ck_plan_items_suggestion')),
    sa.CheckConstraint('quantity >= 0 AND unit_cost >= 0 AND cost >= 0', name=op.f('ck_plan_items_amounts')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_plan_items_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_items_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_items')),
    sa.UniqueConstraint('version_id', 'item_id', name=op.f('uq_plan_items_version_id_item_id'))
    )
    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.alter_column('number_value',
               existing_type=sa.NUMERIC(precision=14, scale=4),
               type_=sa.Numeric(precision=18, scale=4),
               existing_nullable=True)
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_locality_rules_unit'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(NEW_KINDS))
        batch_op.create_check_constraint(op.f('ck_locality_rules_unit'), UNITS.format(NEW_UNITS))



def downgrade():
    op.execute("DELETE FROM locality_rules WHERE kind = 'programme_target' OR unit = 'count'")
    with op.batch_alter_table('locality_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locality_rules_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_locality_rules_unit'), type_='check')
        batch_op.create_check_constraint(op.f('ck_locality_rules_kind'), KINDS.format(OLD_KINDS))
        batch_op.create_check_constraint(op.f('ck_locality_rules_unit'), UNITS.format(OLD_UNITS))
        batch_op.alter_column('number_value',
               existing_type=sa.Numeric(precision=18, scale=4),
               type_=sa.NUMERIC(precision=14, scale=4),
               existing_nullable=True)

    op.drop_table('plan_items')
    op.drop_table('plan_works')
    op.drop_table('plan_versions')
    op.drop_table('plans')
    op.drop_table('community_budgets')
