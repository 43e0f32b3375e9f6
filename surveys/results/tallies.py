"""Running counts of each survey's submitted answers (``survey_tallies``), kept in the transaction of every save.

A summary of a 2,000-household survey reads a few hundred tally rows instead of ~100,000 answer rows. Each tally is
keyed by (survey, question, kind, value, rank): a picked ``choice`` (with its rank for a ranking), a ``number``, a
``date``, or ``respondents`` (value ""); it holds how many submitted households gave it and their registered area.
A single-valued question's respondents are the sum of its values, so only questions with several values per
household (picks, rankings) or none counted (texts) keep a ``respondents`` tally: half the rows to write per save.

``apply_answers`` adds a save's difference (the new submitted rows minus the old ones): an edit that changes two
answers touches about four tallies. Its rows are written in key order, so two saves at once lock shared tallies in
the same order and never deadlock. ``rebuild`` recounts a survey from its answers: after bulk inserts (the demo, the
benchmark), when registered areas change (``participation.signals.household_areas_changed``), and from the CLI; the
tests hold every save's tallies to it.
"""
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from participation.extensions import db
from participation.models import Household
from participation.signals import household_areas_changed
from surveys.models import Answer, Question, Response, Survey, Tally

Key = tuple[int, str, str, int]   # (question, kind, value, rank)


def _number_key(number) -> str:
    """A stored NUMERIC(16, 4) as one text: 3 rather than 3.0000, 2.5 rather than 2.5000."""
    number = Decimal(str(number))
    return f"{number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize():f}"


COUNTED_APART = ("select_multiple", "rank", "text", "long_text", "phone", "photo")


def counted_apart(questions) -> set[int]:
    """The questions whose respondents are tallied apart: several values per household, or a text."""
    return {question.id for question in questions if question.type in COUNTED_APART}


def answer_keys(rows, apart: set[int]) -> list[Key]:
    """The tally keys of one response's answer rows (mappings with question_id, choice, rank, number, date_value):
    one key per value, and one ``respondents`` key per question of ``apart`` answered."""
    keys, answered = [], set()
    for row in rows:
        get = row.get
        question = get("question_id")
        if question in apart and question not in answered:
            answered.add(question)
            keys.append((question, "respondents", "", 0))
        if get("choice") is not None:
            keys.append((question, "choice", get("choice"), get("rank") or 0))
        elif get("number") is not None:
            keys.append((question, "number", _number_key(get("number")), 0))
        elif get("date_value") is not None:
            keys.append((question, "date", get("date_value").isoformat(), 0))
    return keys


def apply_answers(survey_id: int, area, apart: set[int], *, old=(), new=()) -> int:
    """Add one household's change to the survey's tallies: ``old`` submitted answer rows leave, ``new`` ones come
    (either may be empty: a first submission, a draft); ``apart`` as ``counted_apart`` gives it. Returns how many
    tallies changed."""
    area = Decimal(str(area or 0))
    delta: dict[Key, int] = defaultdict(int)
    for key in answer_keys(old, apart):
        delta[key] -= 1
    for key in answer_keys(new, apart):
        delta[key] += 1
    rows = [{"survey_id": survey_id, "question_id": question, "kind": kind, "value": value, "rank": rank,
             "count": change, "area": area * change}
            for (question, kind, value, rank), change in sorted(delta.items()) if change]
    if rows:
        _add(rows)
    return len(rows)


def _add(rows: list[dict]) -> None:
    """Upsert ``rows`` as increments, in the given (key) order."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement over arrays, whatever the number of rows (a prepared plan, not a VALUES list per size).
        columns = ("survey_id", "question_id", "kind", "value", "rank", "count", "area")
        db.session.execute(text(
            "INSERT INTO survey_tallies (survey_id, question_id, kind, value, rank, count, area) "
            "SELECT * FROM unnest(CAST(:survey_id AS integer[]), CAST(:question_id AS integer[]), "
            "CAST(:kind AS varchar[]), CAST(:value AS varchar[]), CAST(:rank AS integer[]), "
            "CAST(:count AS integer[]), CAST(:area AS numeric[])) "
            "ON CONFLICT (survey_id, question_id, kind, value, rank) DO UPDATE SET "
            "count = survey_tallies.count + excluded.count, area = survey_tallies.area + excluded.area"),
            {column: [row[column] for row in rows] for column in columns})
        return
    statement = sqlite_insert(Tally.__table__)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["survey_id", "question_id", "kind", "value", "rank"],
        set_={"count": Tally.__table__.c.count + statement.excluded.count,
              "area": Tally.__table__.c.area + statement.excluded.area}), rows)


def rebuild(survey: Survey) -> int:
    """Recount the survey's tallies from its submitted answers and the households' current areas; returns how
    many tallies it holds. Saves running at the same time wait (PostgreSQL: the table is locked first; SQLite:
    the first write locks the database), so none is counted twice or lost."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE survey_tallies IN EXCLUSIVE MODE"))
    db.session.execute(delete(Tally).where(Tally.survey_id == survey.id))
    apart = counted_apart(db.session.scalars(select(Question).where(Question.survey_id == survey.id)))
    counts: dict[Key, list] = {}
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.choice, Answer.rank, Answer.number, Answer.date_value,
               Household.area)
        .join(Response, Response.id == Answer.response_id).join(Household, Household.id == Response.household_id)
        .where(Response.survey_id == survey.id, Response.status == "submitted").order_by(Answer.response_id))
    current, batch, area = None, [], None

    def flush():
        for key in answer_keys(batch, apart):
            entry = counts.setdefault(key, [0, Decimal("0")])
            entry[0] += 1
            entry[1] += Decimal(str(area or 0))

    for response_id, question_id, choice, rank, number, date_value, household_area in rows:
        if response_id != current:
            flush()
            current, batch, area = response_id, [], household_area
        batch.append({"question_id": question_id, "choice": choice, "rank": rank, "number": number,
                      "date_value": date_value})
    flush()
    if counts:
        db.session.execute(insert(Tally.__table__), [
            {"survey_id": survey.id, "question_id": question, "kind": kind, "value": value, "rank": rank,
             "count": count, "area": total}
            for (question, kind, value, rank), (count, total) in sorted(counts.items())])
    return len(counts)


@household_areas_changed.connect
def _areas_changed(_sender=None, *, community_ids, **_extra) -> None:
    """Registered areas changed: recount the surveys of those communities that have submitted answers."""
    surveys = db.session.scalars(select(Survey).where(
        Survey.community_id.in_(list(community_ids)),
        select(Response.id).where(Response.survey_id == Survey.id, Response.status == "submitted").exists()))
    for survey in surveys:
        rebuild(survey)


def stored(survey: Survey) -> dict[Key, tuple[int, Decimal]]:
    """The survey's tallies as {key: (count, area)}, zero counts left out (tests compare them with ``rebuild``)."""
    return {(row.question_id, row.kind, row.value, row.rank): (row.count, Decimal(str(row.area)))
            for row in db.session.scalars(select(Tally).where(Tally.survey_id == survey.id, Tally.count > 0))}
