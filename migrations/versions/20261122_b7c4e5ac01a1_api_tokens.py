"""API tokens: tokens of the staff JSON API at /api/v1, each tied to its service account, stored as SHA-256.

Revision ID: b7c4e5ac01a1
Revises: 8117c69d9b02
Create Date: 2026-11-22 07:17:34.431002

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7c4e5ac01a1'
down_revision = '8117c69d9b02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=30), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
        sa.UniqueConstraint('user_id', name=op.f('uq_api_tokens_user_id')),
    )


def downgrade():
    op.drop_table('api_tokens')
