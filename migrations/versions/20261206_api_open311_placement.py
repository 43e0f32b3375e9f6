"""Open311 placement (issue 12 point 19): communities.lat/long (WGS-84, for placing reports sent with coordinates
only) and open311_reports, the hotline desk's 待定位 intake of reports no address or coordinates placed.

Revision ID: 7a1d3c9e5f20
Revises: 5e55a0b1c2d3
Create Date: 2026-12-06 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7a1d3c9e5f20'
down_revision = '5e55a0b1c2d3'
branch_labels = None
depends_on = None


COORDINATES = ("(lat IS NULL) = (long IS NULL) AND (lat IS NULL OR (lat BETWEEN -90 AND 90 AND "
               "long BETWEEN -180 AND 180))")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # SQLite adds the columns in place: a CHECK would need the table rebuilt, and dropping `communities` with its
    # rows (foreign keys on) cascades into every community's data or fails. The form checks the range there.
    with op.batch_alter_table('communities', schema=None, recreate="never" if _sqlite() else "auto") as batch_op:
        batch_op.add_column(sa.Column('lat', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('long', sa.Numeric(precision=9, scale=6), nullable=True))
        if not _sqlite():
            batch_op.create_check_constraint(op.f('ck_communities_coordinates'), COORDINATES)
    op.create_table('open311_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=20), nullable=False),
    sa.Column('key_name', sa.String(length=60), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address_string', sa.String(length=300), nullable=True),
    sa.Column('lat', sa.String(length=30), nullable=True),
    sa.Column('long', sa.String(length=30), nullable=True),
    sa.Column('sent', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_open311_reports_placed_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_open311_reports_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_reports')),
    sa.UniqueConstraint('receipt', name=op.f('uq_open311_reports_receipt')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_open311_reports_ticket_id'))
    )


def downgrade():
    op.drop_table('open311_reports')
    with op.batch_alter_table('communities', schema=None, recreate="never" if _sqlite() else "auto") as batch_op:
        if not _sqlite():
            batch_op.drop_constraint(op.f('ck_communities_coordinates'), type_='check')
        batch_op.drop_column('long')
        batch_op.drop_column('lat')
