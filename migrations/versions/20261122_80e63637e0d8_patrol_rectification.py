"""Patrol rectification (issue 5 point 4): a finding's state (open → rectified by the contractor → verified by the
supervisor or the owner representative, or returned to open), when it was verified, and the history of who did
what when (patrol_finding_events).

Revision ID: 80e63637e0d8
Revises: c6b46fd0790f
Create Date: 2026-11-22 06:10:18.653904

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '80e63637e0d8'
down_revision = 'c6b46fd0790f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patrol_finding_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('from_state', sa.String(length=10), nullable=False),
    sa.Column('to_state', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('rectify', 'verify', 'return')", name=op.f('ck_patrol_finding_events_action')),
    sa.CheckConstraint('note IS NULL OR length(note) <= 1000', name=op.f('ck_patrol_finding_events_note')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_patrol_finding_events_actor_id_users')),
    sa.ForeignKeyConstraint(['finding_id'], ['patrol_findings.id'],
                            name=op.f('fk_patrol_finding_events_finding_id_patrol_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_finding_events'))
    )
    with op.batch_alter_table('patrol_finding_events', schema=None) as batch_op:
        batch_op.create_index('ix_patrol_finding_events_action_at', ['action', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_finding_events_finding_id'), ['finding_id'], unique=False)

    # Nothing set rectified_at before this revision; a row that has one all the same counts as rectified.
    with op.batch_alter_table('patrol_findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='open', nullable=False))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE patrol_findings SET state = 'rectified' WHERE rectified_at IS NOT NULL")
    with op.batch_alter_table('patrol_findings', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_patrol_findings_state'),
                                         "state IN ('open', 'rectified', 'verified')")
        batch_op.create_check_constraint(op.f('ck_patrol_findings_rectified_has_time'),
                                         "state = 'open' OR rectified_at IS NOT NULL")
        batch_op.create_check_constraint(op.f('ck_patrol_findings_verified_has_time'),
                                         "state <> 'verified' OR verified_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('patrol_findings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_patrol_findings_verified_has_time'), type_='check')
        batch_op.drop_constraint(op.f('ck_patrol_findings_rectified_has_time'), type_='check')
        batch_op.drop_constraint(op.f('ck_patrol_findings_state'), type_='check')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('state')

    with op.batch_alter_table('patrol_finding_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_finding_events_finding_id'))
        batch_op.drop_index('ix_patrol_finding_events_action_at')

    op.drop_table('patrol_finding_events')
