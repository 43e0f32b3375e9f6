"""The plan's comment period (方案公示 / 征求意见): plan_comment_periods (a version published from one day to
another, closed early, locked as the final version) and plan_comments (one per household per item per version, or
on the whole plan: two partial UNIQUE indexes; hidden with a reason, never deleted; answered).

Revision ID: bcdad4ca47c5
Revises: 80e63637e0d8
Create Date: 2026-11-22 06:18:57.177526

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bcdad4ca47c5'
down_revision = '80e63637e0d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_comment_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_plan_comment_periods_period_order')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_plan_comment_periods_closed_by_id_users')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['users.id'], name=op.f('fk_plan_comment_periods_locked_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_plan_comment_periods_published_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_comment_periods_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_comment_periods')),
    sa.UniqueConstraint('version_id', name=op.f('uq_plan_comment_periods_version_id'))
    )
    op.create_table('plan_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("stance IN ('support', 'object', 'other')", name=op.f('ck_plan_comments_stance')),
    sa.CheckConstraint('answer IS NULL OR answered_at IS NOT NULL', name=op.f('ck_plan_comments_answer_has_time')),
    sa.CheckConstraint('body IS NULL OR length(body) <= 1000', name=op.f('ck_plan_comments_body_length')),
    sa.CheckConstraint('hidden_at IS NULL OR hidden_reason IS NOT NULL', name=op.f('ck_plan_comments_hidden_has_reason')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_plan_comments_answered_by_id_users')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_plan_comments_entered_by_id_users')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_plan_comments_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_plan_comments_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['period_id'], ['plan_comment_periods.id'], name=op.f('fk_plan_comments_period_id_plan_comment_periods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_item_id'], ['plan_items.id'], name=op.f('fk_plan_comments_plan_item_id_plan_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_comments_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_comments'))
    )
    with op.batch_alter_table('plan_comments', schema=None) as batch_op:
        batch_op.create_index('ix_plan_comments_period', ['period_id'], unique=False)
        batch_op.create_index('uq_plan_comments_item', ['version_id', 'household_id', 'plan_item_id'], unique=True, sqlite_where=sa.text('plan_item_id IS NOT NULL'), postgresql_where=sa.text('plan_item_id IS NOT NULL'))
        batch_op.create_index('uq_plan_comments_whole', ['version_id', 'household_id'], unique=True, sqlite_where=sa.text('plan_item_id IS NULL'), postgresql_where=sa.text('plan_item_id IS NULL'))



def downgrade():
    with op.batch_alter_table('plan_comments', schema=None) as batch_op:
        batch_op.drop_index('uq_plan_comments_whole', sqlite_where=sa.text('plan_item_id IS NULL'), postgresql_where=sa.text('plan_item_id IS NULL'))
        batch_op.drop_index('uq_plan_comments_item', sqlite_where=sa.text('plan_item_id IS NOT NULL'), postgresql_where=sa.text('plan_item_id IS NOT NULL'))
        batch_op.drop_index('ix_plan_comments_period')

    op.drop_table('plan_comments')
    op.drop_table('plan_comment_periods')
