"""Elevators per 单元 (issue 6 point 3): elevator_requests (one active per unit: a partial UNIQUE index; started by
one household, 一家牵头; vote_id to be linked to the consent vote) and elevator_shaft_owners (households whose
专有部分 the shaft would occupy, each with its individual consent, time and channel).

Revision ID: 218d89c464e4
Revises: bcdad4ca47c5
Create Date: 2026-11-22 06:19:26.169282

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '218d89c464e4'
down_revision = 'bcdad4ca47c5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('elevator_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('started_by_household_id', sa.Integer(), nullable=True),
    sa.Column('started_channel', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cost_estimate', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("started_channel IN ('web', 'phone', 'paper', 'door_to_door', 'hotline')", name=op.f('ck_elevator_requests_started_channel')),
    sa.CheckConstraint("status IN ('started', 'consultation', 'vote', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_elevator_requests_status')),
    sa.CheckConstraint('cost_estimate IS NULL OR cost_estimate > 0', name=op.f('ck_elevator_requests_cost_estimate_positive')),
    sa.ForeignKeyConstraint(['started_by_household_id'], ['households.id'], name=op.f('fk_elevator_requests_started_by_household_id_households'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_elevator_requests_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elevator_requests'))
    )
    with op.batch_alter_table('elevator_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elevator_requests_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevator_requests_vote_id'), ['vote_id'], unique=False)
        batch_op.create_index('uq_elevator_requests_active_unit', ['unit_id'], unique=True, sqlite_where=sa.text("status IN ('started', 'consultation', 'vote')"), postgresql_where=sa.text("status IN ('started', 'consultation', 'vote')"))

    op.create_table('elevator_shaft_owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_channel', sa.String(length=20), nullable=True),
    sa.Column('consent_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_note', sa.Text(), nullable=True),
    sa.CheckConstraint("consent_channel IS NULL OR consent_channel IN ('web', 'phone', 'paper', 'door_to_door', 'hotline')", name=op.f('ck_elevator_shaft_owners_consent_channel')),
    sa.CheckConstraint('consent IS NULL OR (consent_at IS NOT NULL AND consent_channel IS NOT NULL)', name=op.f('ck_elevator_shaft_owners_consent_recorded')),
    sa.ForeignKeyConstraint(['consent_recorded_by_id'], ['users.id'], name=op.f('fk_elevator_shaft_owners_consent_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_elevator_shaft_owners_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_elevator_shaft_owners_marked_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['elevator_requests.id'], name=op.f('fk_elevator_shaft_owners_request_id_elevator_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elevator_shaft_owners')),
    sa.UniqueConstraint('request_id', 'household_id', name=op.f('uq_elevator_shaft_owners_request_id_household_id'))
    )
    with op.batch_alter_table('elevator_shaft_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elevator_shaft_owners_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevator_shaft_owners_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('elevator_shaft_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elevator_shaft_owners_request_id'))
        batch_op.drop_index(batch_op.f('ix_elevator_shaft_owners_household_id'))

    op.drop_table('elevator_shaft_owners')
    with op.batch_alter_table('elevator_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_elevator_requests_active_unit', sqlite_where=sa.text("status IN ('started', 'consultation', 'vote')"), postgresql_where=sa.text("status IN ('started', 'consultation', 'vote')"))
        batch_op.drop_index(batch_op.f('ix_elevator_requests_vote_id'))
        batch_op.drop_index(batch_op.f('ix_elevator_requests_unit_id'))

    op.drop_table('elevator_requests')
