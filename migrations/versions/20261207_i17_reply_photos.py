"""An agency's reply takes up to three photos, the proof of the fix (issue 17 point 9): a ticket photo may name the
reply's step (ticket_events) it was sent with. Existing photos are the residents' own and keep no step. Downgrading
drops the column; the reply photos' rows then read as the resident's, so drop them first if that matters.

Revision ID: i17_reply_photos
Revises: i16_reach
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i17_reply_photos'
down_revision = 'i16_reach'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ticket_photos_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ticket_photos_event_id_ticket_events'), 'ticket_events',
                                    ['event_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('ticket_photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_photos_event_id_ticket_events'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ticket_photos_event_id'))
        batch_op.drop_column('event_id')
