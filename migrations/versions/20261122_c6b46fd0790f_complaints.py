"""Complaints (接诉即办): categories as locality data, tickets with their timeline, photos and call-backs, the
holiday table of the working-day clock, supervisors' patrol findings, the notification outbox, Open311 keys.

Read and tidied by hand: new tables only, plain op.create_index.

Revision ID: c6b46fd0790f
Revises: 33a0de326be8
Create Date: 2026-11-22 04:24:11.434131

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6b46fd0790f'
down_revision = '33a0de326be8'
branch_labels = None
depends_on = None

OPEN = "state IN ('received', 'dispatched', 'returned', 'handling', 'replied', 'completed')"


def upgrade():
    op.create_table('holidays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_holidays_kind')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holidays'))
    )
    op.create_table('complaint_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locality_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('limit_class', sa.String(length=12), nullable=False),
    sa.Column('quality_or_safety', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("limit_class IN ('emergency', 'utility', 'general', 'complex')", name=op.f('ck_complaint_categories_limit_class')),
    sa.ForeignKeyConstraint(['locality_id'], ['localities.id'], name=op.f('fk_complaint_categories_locality_id_localities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_categories')),
    sa.UniqueConstraint('locality_id', 'code', name=op.f('uq_complaint_categories_locality_id_code'))
    )
    op.create_table('patrol_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=100), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contractor_id', sa.Integer(), nullable=True),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rectified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("source IN ('supervisor', 'resident_supervisor')", name=op.f('ck_patrol_findings_source')),
    sa.CheckConstraint('length(description) BETWEEN 1 AND 4000', name=op.f('ck_patrol_findings_description')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_patrol_findings_building_id_buildings')),
    sa.ForeignKeyConstraint(['category_id'], ['complaint_categories.id'], name=op.f('fk_patrol_findings_category_id_complaint_categories')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_patrol_findings_community_id_communities')),
    sa.ForeignKeyConstraint(['contractor_id'], ['organisations.id'], name=op.f('fk_patrol_findings_contractor_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_patrol_findings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_findings'))
    )
    op.create_index(op.f('ix_patrol_findings_community_id'), 'patrol_findings', ['community_id'], unique=False)
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=20), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=100), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('limit_class', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('external_number', sa.String(length=40), nullable=True),
    sa.Column('caller_name', sa.String(length=40), nullable=True),
    sa.Column('caller_phone', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_estimated', sa.Boolean(), nullable=False),
    sa.Column('first_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('extension_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('callback_attempts', sa.Integer(), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'hotline_12345', 'community_hotline', 'walk_in', 'open311', 'patrol')", name=op.f('ck_tickets_channel')),
    sa.CheckConstraint("limit_class IN ('emergency', 'utility', 'general', 'complex')", name=op.f('ck_tickets_limit_class')),
    sa.CheckConstraint("satisfaction IS NULL OR satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')", name=op.f('ck_tickets_satisfaction')),
    sa.CheckConstraint("state <> 'duplicate' OR duplicate_of_id IS NOT NULL", name=op.f('ck_tickets_duplicate_has_original')),
    sa.CheckConstraint("state IN ('received', 'dispatched', 'returned', 'handling', 'replied', 'completed', 'closed', 'duplicate', 'rejected')", name=op.f('ck_tickets_state')),
    sa.CheckConstraint("state NOT IN ('dispatched', 'handling', 'replied') OR agency_id IS NOT NULL", name=op.f('ck_tickets_dispatched_has_agency')),
    sa.CheckConstraint("urgency IN ('normal', 'urgent', 'emergency')", name=op.f('ck_tickets_urgency')),
    sa.CheckConstraint('length(description) BETWEEN 1 AND 4000', name=op.f('ck_tickets_description')),
    sa.ForeignKeyConstraint(['agency_id'], ['organisations.id'], name=op.f('fk_tickets_agency_id_organisations')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_tickets_building_id_buildings')),
    sa.ForeignKeyConstraint(['category_id'], ['complaint_categories.id'], name=op.f('fk_tickets_category_id_complaint_categories')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_tickets_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tickets_created_by_id_users')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['tickets.id'], name=op.f('fk_tickets_duplicate_of_id_tickets')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_tickets_household_id_households')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_tickets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('receipt', name=op.f('uq_tickets_receipt'))
    )
    op.create_index('ix_tickets_agency_due', 'tickets', ['agency_id', 'due_at'], unique=False)
    op.create_index('ix_tickets_community_due', 'tickets', ['community_id', 'due_at'], unique=False)
    op.create_index('ix_tickets_household', 'tickets', ['household_id'], unique=False)
    op.create_index('ix_tickets_queue', 'tickets', ['state', 'due_at'], unique=False)
    op.create_index('ix_tickets_open_due', 'tickets', ['due_at', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('household_id IS NOT NULL OR user_id IS NOT NULL', name=op.f('ck_notifications_has_recipient')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_notifications_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notifications_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_unsent', 'notifications', ['sent_at', 'id'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('ticket_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_path', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(ticket_id IS NULL) <> (finding_id IS NULL)', name=op.f('ck_ticket_photos_one_owner')),
    sa.ForeignKeyConstraint(['finding_id'], ['patrol_findings.id'], name=op.f('fk_ticket_photos_finding_id_patrol_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_photos_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_photos'))
    )
    op.create_index(op.f('ix_ticket_photos_finding_id'), 'ticket_photos', ['finding_id'], unique=False)
    op.create_index(op.f('ix_ticket_photos_ticket_id'), 'ticket_photos', ['ticket_id'], unique=False)

    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('key_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_keys_name'))
    )

def downgrade():
    op.drop_table('open311_keys')
    op.drop_index(op.f('ix_ticket_photos_ticket_id'), table_name='ticket_photos')
    op.drop_index(op.f('ix_ticket_photos_finding_id'), table_name='ticket_photos')
    op.drop_table('ticket_photos')
    op.drop_index(op.f('ix_ticket_events_ticket_id'), table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_index('ix_notifications_unsent', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.drop_index('ix_tickets_open_due', table_name='tickets')
    op.drop_index('ix_tickets_household', table_name='tickets')
    op.drop_index('ix_tickets_community_due', table_name='tickets')
    op.drop_index('ix_tickets_agency_due', table_name='tickets')
    op.drop_table('tickets')
    op.drop_index(op.f('ix_patrol_findings_community_id'), table_name='patrol_findings')
    op.drop_table('patrol_findings')
    op.drop_table('complaint_categories')
    op.drop_table('holidays')
