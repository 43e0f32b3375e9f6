"""Survey tallies: running counts of each survey's submitted answers, kept at every save; answers lose the copy of
their survey and the indexes only summaries read, revisions an index their unique key already gives.

Revision ID: f94f6fdbb5bf
Revises: 4cd27d14852e
Create Date: 2026-11-22 03:20:13.185774

"""
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = 'f94f6fdbb5bf'
down_revision = '4cd27d14852e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'survey_tallies',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('value', sa.String(length=60), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('area', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("kind IN ('respondents', 'choice', 'number', 'date')", name=op.f('ck_survey_tallies_kind')),
        sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'],
                                name=op.f('fk_survey_tallies_question_id_survey_questions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_tallies_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', 'question_id', 'kind', 'value', 'rank', name=op.f('pk_survey_tallies')),
    )
    _count_existing_answers()
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_response')
        batch_op.drop_index('ix_survey_answers_summary')
        batch_op.drop_constraint('fk_survey_answers_survey_id_surveys', type_='foreignkey')
        batch_op.drop_column('survey_id')
    op.drop_index('ix_survey_response_revisions_response_id', table_name='survey_response_revisions')


COUNTED_APART = ("select_multiple", "rank", "text", "long_text", "phone", "photo")


def _number_key(number) -> str:
    number = Decimal(str(number))
    return f"{number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize():f}"


def _count_existing_answers():
    """The tallies of the answers already submitted (the keys of surveys.results.tallies.answer_keys, written out here so
    the migration does not change when the application does)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT r.survey_id, a.response_id, a.question_id, q.type, a.choice, a.rank, a.number, a.date_value, h.area "
        "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
        "JOIN survey_questions q ON q.id = a.question_id "
        "JOIN households h ON h.id = r.household_id WHERE r.status = 'submitted' ORDER BY a.response_id"))
    counts = defaultdict(lambda: [0, Decimal("0")])
    seen = set()
    for survey_id, response_id, question_id, kind, choice, rank, number, date_value, area in rows:
        keys = []
        if kind in COUNTED_APART and (response_id, question_id) not in seen:
            seen.add((response_id, question_id))
            keys.append((survey_id, question_id, "respondents", "", 0))
        if choice is not None:
            keys.append((survey_id, question_id, "choice", choice, rank or 0))
        elif number is not None:
            keys.append((survey_id, question_id, "number", _number_key(number), 0))
        elif date_value is not None:
            keys.append((survey_id, question_id, "date", str(date_value)[:10], 0))
        for key in keys:
            counts[key][0] += 1
            counts[key][1] += Decimal(str(area or 0))
    if counts:
        tallies = sa.table('survey_tallies', sa.column('survey_id', sa.Integer), sa.column('question_id', sa.Integer),
                           sa.column('kind', sa.String), sa.column('value', sa.String), sa.column('rank', sa.Integer),
                           sa.column('count', sa.Integer), sa.column('area', sa.Numeric(14, 2)))
        op.bulk_insert(tallies, [
            {"survey_id": key[0], "question_id": key[1], "kind": key[2], "value": key[3], "rank": key[4],
             "count": count, "area": area} for key, (count, area) in sorted(counts.items())])


def downgrade():
    op.create_index('ix_survey_response_revisions_response_id', 'survey_response_revisions', ['response_id'],
                    unique=False)
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
    op.execute("UPDATE survey_answers SET survey_id = (SELECT r.survey_id FROM survey_responses r "
               "WHERE r.id = survey_answers.response_id)")
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.alter_column('survey_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_survey_answers_survey_id_surveys', 'surveys', ['survey_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_survey_answers_summary', ['survey_id', 'question_id', 'choice', 'rank', 'number',
                                                            'date_value', 'response_id'], unique=False)
        batch_op.create_index('ix_survey_answers_response', ['response_id'], unique=False)
    op.drop_table('survey_tallies')
