"""Initial schema: roster, accounts, resident access, catalogue, field survey, locality rules, audit.

Revision ID: e28e7e06d595
Revises:
Create Date: 2026-11-22

Read and tidied by hand: indexes are created with plain op.create_index (batch mode is only needed to ALTER an
existing SQLite table), and the downgrade drops the tables, which takes their indexes with them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e28e7e06d595'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalogue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('group', sa.String(length=30), nullable=True),
    sa.Column('quantity_unit', sa.String(length=20), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('owner_matter', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("quantity_unit IN ('per_m2_area', 'per_household', 'per_unit', 'per_building', 'lump_sum')", name=op.f('ck_catalogue_items_quantity_unit')),
    sa.CheckConstraint('owner_matter IS NULL OR owner_matter BETWEEN 1 AND 9', name=op.f('ck_catalogue_items_owner_matter')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_catalogue_items_unit_cost')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_items')),
    sa.UniqueConstraint('code', name=op.f('uq_catalogue_items_code'))
    )
    op.create_table('localities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_localities')),
    sa.UniqueConstraint('province', 'city', name=op.f('uq_localities_province_city'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.CheckConstraint("kind IN ('contractor', 'supervisor', 'property', 'pipeline')", name=op.f('ck_organisations_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('throttles',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttles'))
    )
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_districts_locality_id_localities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('locality_id', 'name', name=op.f('uq_districts_locality_id_name'))
    )
    op.create_index(op.f('ix_districts_locality_id'), 'districts', ['locality_id'], unique=False)

    op.create_table('locality_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('text_value', sa.String(length=200), nullable=True),
    sa.Column('number_value', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('valid_from', sa.Integer(), nullable=False),
    sa.Column('valid_to', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('category_slogan', 'extra_category', 'elevator_subsidy', 'elevator_cost_share', 'complaint_limit', 'plan_threshold')", name=op.f('ck_locality_rules_kind')),
    sa.CheckConstraint("unit IS NULL OR unit IN ('yuan', 'coefficient', 'hours', 'calendar_days', 'working_days', 'fraction')", name=op.f('ck_locality_rules_unit')),
    sa.CheckConstraint('length(source) > 0', name=op.f('ck_locality_rules_has_source')),
    sa.CheckConstraint('text_value IS NOT NULL OR number_value IS NOT NULL', name=op.f('ck_locality_rules_has_value')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_locality_rules_years')),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_locality_rules_locality_id_localities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locality_rules'))
    )
    op.create_index(op.f('ix_locality_rules_locality_id'), 'locality_rules', ['locality_id'], unique=False)

    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('year_built', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('quality_hotline', sa.String(length=30), nullable=True),
    sa.Column('supervisor_hotline', sa.String(length=30), nullable=True),
    sa.Column('community_hotline', sa.String(length=30), nullable=True),
    sa.Column('contractor_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint("status IN ('reserve', 'annual_plan', 'planning', 'plan_notice', 'works', 'acceptance', 'aftercare')", name=op.f('ck_communities_status')),
    sa.CheckConstraint('length(code) > 0', name=op.f('ck_communities_code_not_empty')),
    sa.CheckConstraint('year_built IS NULL OR (year_built BETWEEN 1900 AND 2100)', name=op.f('ck_communities_year_built')),
    sa.ForeignKeyConstraint(['contractor_id'], ['organisations.id'], name=op.f('fk_communities_contractor_id_organisations')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_communities_district_id_districts')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['organisations.id'], name=op.f('fk_communities_supervisor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('code', name=op.f('uq_communities_code'))
    )
    op.create_index(op.f('ix_communities_district_id'), 'communities', ['district_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=40), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role != 'agency' OR organisation_id IS NOT NULL", name=op.f('ck_users_agency_has_organisation')),
    sa.CheckConstraint("role IN ('admin', 'organiser', 'owner_rep', 'grid', 'hotline', 'agency')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_users_district_id_districts')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_audit_events_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index(op.f('ix_audit_events_action'), 'audit_events', ['action'], unique=False)
    op.create_index(op.f('ix_audit_events_actor_id'), 'audit_events', ['actor_id'], unique=False)
    op.create_index(op.f('ix_audit_events_community_id'), 'audit_events', ['community_id'], unique=False)
    op.create_index(op.f('ix_audit_events_created_at'), 'audit_events', ['created_at'], unique=False)

    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('sort_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_buildings_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_buildings_community_id_name'))
    )
    op.create_index(op.f('ix_buildings_community_id'), 'buildings', ['community_id'], unique=False)

    op.create_table('field_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("condition IN ('good', 'needs_repair', 'missing', 'not_applicable')", name=op.f('ck_field_findings_condition')),
    sa.CheckConstraint('quantity IS NULL OR quantity >= 0', name=op.f('ck_field_findings_quantity')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_field_findings_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_field_findings_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_field_findings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_findings')),
    sa.UniqueConstraint('community_id', 'item_id', name=op.f('uq_field_findings_community_id_item_id'))
    )
    op.create_table('user_communities',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_user_communities_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_communities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'community_id', name=op.f('pk_user_communities'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('sort_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_units_building_id_buildings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('building_id', 'name', name=op.f('uq_units_building_id_name'))
    )
    op.create_index(op.f('ix_units_building_id'), 'units', ['building_id'], unique=False)

    op.create_table('user_buildings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_user_buildings_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_buildings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'building_id', name=op.f('pk_user_buildings'))
    )
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=20), nullable=False),
    sa.Column('sort_key', sa.String(length=40), nullable=False),
    sa.Column('floor', sa.Integer(), nullable=False),
    sa.Column('area', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('owner_key', sa.String(length=64), nullable=True),
    sa.Column('owner_id_tail_hash', sa.String(length=128), nullable=True),
    sa.Column('contact_name', sa.String(length=40), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('occupancy', sa.String(length=20), nullable=False),
    sa.Column('notice_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("occupancy IN ('owner_occupied', 'rented', 'vacant')", name=op.f('ck_households_occupancy')),
    sa.CheckConstraint('area > 0', name=op.f('ck_households_area_positive')),
    sa.CheckConstraint('floor BETWEEN -5 AND 200', name=op.f('ck_households_floor_range')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_households_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households')),
    sa.UniqueConstraint('unit_id', 'room', name=op.f('uq_households_unit_id_room'))
    )
    op.create_index(op.f('ix_households_owner_key'), 'households', ['owner_key'], unique=False)
    op.create_index(op.f('ix_households_unit_id'), 'households', ['unit_id'], unique=False)

    op.create_table('household_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'web' OR staff_id IS NOT NULL", name=op.f('ck_household_activities_assisted_has_staff')),
    sa.CheckConstraint("channel IN ('web', 'phone', 'paper', 'door_to_door', 'hotline')", name=op.f('ck_household_activities_channel')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_activities_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_household_activities_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_activities'))
    )
    op.create_index(op.f('ix_household_activities_household_id'), 'household_activities', ['household_id'], unique=False)

    op.create_table('household_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_codes_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_household_codes_issued_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_household_codes_code_hash'))
    )
    op.create_index('uq_household_codes_live', 'household_codes', ['household_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade():
    # Destroys every row: only for an empty or throw-away database.
    op.drop_table('household_codes')
    op.drop_table('household_activities')
    op.drop_table('households')
    op.drop_table('user_buildings')
    op.drop_table('units')
    op.drop_table('user_communities')
    op.drop_table('field_findings')
    op.drop_table('buildings')
    op.drop_table('audit_events')
    op.drop_table('users')
    op.drop_table('communities')
    op.drop_table('locality_rules')
    op.drop_table('districts')
    op.drop_table('throttles')
    op.drop_table('organisations')
    op.drop_table('localities')
    op.drop_table('catalogue_items')
