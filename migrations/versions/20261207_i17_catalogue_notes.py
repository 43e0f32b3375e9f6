"""The catalogue's notes in Chinese (issue 17: no English left on a Chinese page): the three items whose note was
written in English get the Chinese words the seed file now has, in a database seeded before — but only where the
note is still the seed's English, so a note an admin rewrote is kept. Downgrading puts the English back the same
way.

Revision ID: i17_catalogue_notes
Revises: i17_reply_photos
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i17_catalogue_notes'
down_revision = 'i17_reply_photos'
branch_labels = None
depends_on = None

NOTES = {  # code: (the seed's English note, its Chinese words)
    "I06": ("may change the use of common parts", "可能改变共有部分用途"),
    "I08": ("operating on common parts", "利用共有部分从事经营活动"),
    "I14": ("per 单元; consent vote per unit", "按单元计；每个单元分别表决同意"),
}

ITEMS = sa.table("catalogue_items", sa.column("code", sa.String), sa.column("note", sa.Text))


def _rewrite(old: int, new: int) -> None:
    for code, notes in NOTES.items():
        op.execute(ITEMS.update().where(ITEMS.c.code == code, ITEMS.c.note == notes[old])
                   .values(note=notes[new]))


def upgrade():
    _rewrite(0, 1)


def downgrade():
    _rewrite(1, 0)
