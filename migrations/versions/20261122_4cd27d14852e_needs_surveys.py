"""Needs surveys: surveys, pages, questions, choices, one response per household, answers, revisions; units
that can take an elevator.

Revision ID: 4cd27d14852e
Revises: e28e7e06d595
Create Date: 2026-11-22

Read and tidied by hand: new tables get plain op.create_index; only the ALTER of units uses batch mode (SQLite).
survey_answers carries survey_id (copied from its response) so summaries read one survey's range of
ix_survey_answers_summary.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4cd27d14852e'
down_revision = 'e28e7e06d595'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('is_template', sa.Boolean(), nullable=False),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('results_visibility', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("results_visibility IN ('after_close', 'never')", name=op.f('ck_surveys_results_visibility')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f('ck_surveys_status')),
    sa.CheckConstraint('closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at', name=op.f('ck_surveys_dates')),
    sa.CheckConstraint('is_template OR community_id IS NOT NULL', name=op.f('ck_surveys_community_or_template')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_surveys_community_id_communities')),
    sa.ForeignKeyConstraint(['copied_from_id'], ['surveys.id'], name=op.f('fk_surveys_copied_from_id_surveys')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    op.create_index(op.f('ix_surveys_community_id'), 'surveys', ['community_id'], unique=False)

    op.create_table('survey_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.Column('relevant', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_sections_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_sections')),
    sa.UniqueConstraint('survey_id', 'name', name=op.f('uq_survey_sections_survey_id_name')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_sections_survey_id_position'))
    )
    op.create_index(op.f('ix_survey_sections_survey_id'), 'survey_sections', ['survey_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.Column('hint', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('relevant', sa.Text(), nullable=True),
    sa.Column('constraint', sa.Text(), nullable=True),
    sa.Column('constraint_message', sa.JSON(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.CheckConstraint("role IS NULL OR role IN ('item_need', 'item_share', 'item_priority', 'cofunding_band', 'elevator')", name=op.f('ck_survey_questions_role')),
    sa.CheckConstraint("type IN ('select_one', 'select_multiple', 'rank', 'rating', 'yes_no', 'integer', 'decimal', 'text', 'long_text', 'phone', 'date', 'note', 'photo')", name=op.f('ck_survey_questions_type')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_survey_questions_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['section_id'], ['survey_sections.id'], name=op.f('fk_survey_questions_section_id_survey_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions')),
    sa.UniqueConstraint('survey_id', 'name', name=op.f('uq_survey_questions_survey_id_name')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_questions_survey_id_position'))
    )
    op.create_index(op.f('ix_survey_questions_survey_id'), 'survey_questions', ['survey_id'], unique=False)

    op.create_table('survey_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_choices_question_id_survey_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_choices')),
    sa.UniqueConstraint('question_id', 'name', name=op.f('uq_survey_choices_question_id_name'))
    )
    op.create_index(op.f('ix_survey_choices_question_id'), 'survey_choices', ['question_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('receipt', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sensitive_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('web', 'import') OR staff_id IS NOT NULL", name=op.f('ck_survey_responses_assisted_has_staff')),
    sa.CheckConstraint("channel IN ('web', 'phone', 'paper', 'door_to_door', 'hotline', 'import')", name=op.f('ck_survey_responses_channel')),
    sa.CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name=op.f('ck_survey_responses_submitted_has_time')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_survey_responses_status')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_survey_responses_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_survey_responses_staff_id_users')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('receipt', name=op.f('uq_survey_responses_receipt')),
    sa.UniqueConstraint('survey_id', 'household_id', name=op.f('uq_survey_responses_survey_id_household_id'))
    )
    op.create_index(op.f('ix_survey_responses_household_id'), 'survey_responses', ['household_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=60), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('number', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('date_value', sa.Date(), nullable=True),
    sa.CheckConstraint('rank IS NULL OR rank >= 1', name=op.f('ck_survey_answers_rank')),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answers_question_id_survey_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_answers_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('response_id', 'question_id', 'choice', name=op.f('uq_survey_answers_response_id_question_id_choice'))
    )
    op.create_index('ix_survey_answers_question_choice', 'survey_answers', ['question_id', 'choice'], unique=False)
    op.create_index('ix_survey_answers_response', 'survey_answers', ['response_id'], unique=False)
    op.create_index('ix_survey_answers_summary', 'survey_answers', ['survey_id', 'question_id', 'choice', 'rank', 'number', 'date_value', 'response_id'], unique=False)

    op.create_table('survey_response_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_response_revisions_response_id_survey_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_survey_response_revisions_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response_revisions')),
    sa.UniqueConstraint('response_id', 'version', name=op.f('uq_survey_response_revisions_response_id_version'))
    )
    op.create_index(op.f('ix_survey_response_revisions_response_id'), 'survey_response_revisions', ['response_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elevator_possible', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # Destroys every survey and answer: only for an empty or throw-away database.
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('elevator_possible')

    op.drop_table('survey_response_revisions')
    op.drop_table('survey_answers')
    op.drop_table('survey_responses')
    op.drop_table('survey_choices')
    op.drop_table('survey_questions')
    op.drop_table('survey_sections')
    op.drop_table('surveys')
