"""The figures behind ``surveys.results.summaries``: one survey's tallies (``surveys.results.tallies``, kept at every save) read in
one query, reshaped per question; only the newest texts are read from the answers, on demand.
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from participation.extensions import db
from surveys.models import Answer, Question, Response, Survey, Tally

CHOICE_TYPES = ("select_one", "select_multiple", "yes_no")
TEXT_TYPES = ("text", "long_text", "phone", "photo")
LATEST_TEXTS = 5
CENT = Decimal("0.01")


def _area(value) -> Decimal:
    """A sum of areas as exact m²; SQLite sums NUMERIC as floats, so round back to the register's hundredths."""
    return Decimal(str(value or 0)).quantize(CENT)


def _plain(value) -> Decimal:
    """A stored NUMERIC(16, 4) as people write it: 3 rather than 3.0000, 2.5 rather than 2.5000."""
    value = Decimal(str(value))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class _Grouped:
    """The figures of a survey's submitted answers for some of its questions, from its tallies.

    ``choices``: question → [(choice, rank or None, households)]; ``numbers``: question → [(value, households)]
    ascending; ``dates``: question → (earliest, latest); ``respondents``: question → households that answered it.
    """

    def __init__(self, survey: Survey, questions: list[Question], *, whole: bool):
        """``whole``: ``questions`` are all the survey's questions, so the tallies need no IN (…) filter."""
        self.question_ids = {question.id for question in questions}
        self._survey_id = survey.id
        self._texts_of = [q.id for q in questions if q.type in TEXT_TYPES and q.type != "photo"]
        self._latest = None
        self.choices = defaultdict(list)
        self.numbers = defaultdict(list)
        self.dates = {}
        self.respondents = {}
        self._areas: dict[int, dict[str, Decimal]] = defaultdict(dict)
        self._respondents_area: dict[int, Decimal] = {}
        query = (select(Tally.question_id, Tally.kind, Tally.value, Tally.rank, Tally.count, Tally.area)
                 .where(Tally.survey_id == survey.id, Tally.count > 0))
        if not whole:
            query = query.where(Tally.question_id.in_(self.question_ids))
        days = defaultdict(list)
        summed, summed_area = defaultdict(int), defaultdict(Decimal)   # single-valued: respondents = Σ values
        for question_id, kind, value, rank, count, area in db.session.execute(query):
            if kind == "respondents":
                self.respondents[question_id] = count
                self._respondents_area[question_id] = _area(area)
                continue
            summed[question_id] += count
            summed_area[question_id] += _area(area)
            if kind == "choice":
                self.choices[question_id].append((value, rank or None, count))
                self._areas[question_id][value] = self._areas[question_id].get(value, Decimal("0.00")) + _area(area)
            elif kind == "number":
                self.numbers[question_id].append((_plain(value), count))
            elif kind == "date":
                days[question_id].append(date.fromisoformat(value))
        for question_id, count in summed.items():
            self.respondents.setdefault(question_id, count)
            self._respondents_area.setdefault(question_id, summed_area[question_id])
        for numbers in self.numbers.values():
            numbers.sort()
        self.dates = {question_id: (min(values), max(values)) for question_id, values in days.items()}

    def total(self, question: Question) -> int:
        """The question's respondents (submitted responses with an answer to it)."""
        return self.respondents.get(question.id, 0)

    def areas(self, question: Question) -> tuple[Decimal, dict[str, Decimal]]:
        """The registered area of the question's respondents, and by choice (DESIGN §6)."""
        return self._respondents_area.get(question.id, Decimal("0.00")), dict(self._areas.get(question.id, {}))

    def latest_texts(self, question: Question) -> list[str]:
        """The newest texts of every text question at once (a window per question), on first use."""
        if self._latest is None:
            latest = defaultdict(list)
            submitted = (select(Response.id, Response.submitted_at)
                         .where(Response.survey_id == self._survey_id, Response.status == "submitted").subquery())
            newest = func.row_number().over(partition_by=Answer.question_id,
                                            order_by=(submitted.c.submitted_at.desc(), Answer.id.desc()))
            ranked = (select(Answer.question_id, Answer.text_value, newest.label("newest"))
                      .join(submitted, submitted.c.id == Answer.response_id)
                      .where(Answer.question_id.in_(self._texts_of), Answer.text_value.is_not(None)).subquery())
            for qid, value in db.session.execute(
                    select(ranked.c.question_id, ranked.c.text_value).where(ranked.c.newest <= LATEST_TEXTS)
                    .order_by(ranked.c.question_id, ranked.c.newest)):
                latest[qid].append(value)
            self._latest = latest
        return self._latest.get(question.id, [])


def _figures(survey: Survey, questions: list[Question]) -> _Grouped:
    """The figures of all the survey's tallies (one read), with ``questions`` those whose texts may be asked."""
    return _Grouped(survey, questions, whole=True)


def _questions(survey: Survey, *roles) -> list[Question]:
    """The survey's answerable questions in order with their choices and items in two more queries, not one per
    question."""
    query = (select(Question).where(Question.survey_id == survey.id, Question.type != "note")
             .order_by(Question.position)
             .options(selectinload(Question.choices), selectinload(Question.item)))
    if roles:
        query = query.where(Question.role.in_(roles))
    return list(db.session.scalars(query))
