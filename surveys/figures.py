"""The grouped figures behind ``surveys.summaries``: a few GROUP BY queries over one survey's submitted answers,
cached per process under the state of those answers.

The queries read one survey's range of ``ix_survey_answers_summary`` (survey, question, choice, rank, number, date,
response) and meet the submitted responses with their households' areas as one small joined set. A results page
after no change costs two small queries (the survey's questions and the state of its responses).
"""
import threading
from collections import OrderedDict, defaultdict
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from participation.extensions import db
from participation.models import Household
from surveys.models import Answer, Question, Response, Survey

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
    """The grouped figures of a survey's submitted answers, fetched once for many questions.

    Each query reads one survey's range of ``ix_survey_answers_summary`` (already in question/choice/rank order)
    and meets the survey's submitted responses, with their households' areas, as one small joined set.
    Respondents of a single-valued question are the sum of its groups (one answer row per response); only the
    multi-row types (select_multiple, rank) need a DISTINCT.
    """

    def __init__(self, survey: Survey, questions: list[Question], *, whole: bool):
        """``whole``: ``questions`` are all the survey's questions, so its answer rows need no IN (…) filter (a
        72-element IN costs PostgreSQL more than the grouping itself)."""
        self.question_ids = {question.id for question in questions}
        self._survey_id = survey.id
        self._texts_of = [q.id for q in questions if q.type in TEXT_TYPES and q.type != "photo"]
        self._latest = None
        submitted = (select(Response.id, Response.submitted_at, Household.area)
                     .join(Household, Household.id == Response.household_id)
                     .where(Response.survey_id == survey.id, Response.status == "submitted"))
        if db.session.get_bind().dialect.name == "postgresql":
            # OFFSET 0 keeps PostgreSQL from flattening the join: one hash probe per answer row (the response with
            # its household's area) instead of two, about a third of the choice query
            submitted = submitted.offset(0)
        submitted = submitted.subquery()
        self._submitted = submitted

        def grouped(*columns, of):
            query = (select(Answer.question_id, *columns).join(submitted, submitted.c.id == Answer.response_id)
                     .where(Answer.survey_id == survey.id))
            return query if of is None else query.where(Answer.question_id.in_(of))

        choice_ids = [q.id for q in questions if q.type in CHOICE_TYPES or q.type == "rank"]
        other_ids = [q.id for q in questions if q.id not in set(choice_ids)]
        multi_ids = [q.id for q in questions if q.type in ("select_multiple", "rank")]
        counts, areas = defaultdict(int), defaultdict(Decimal)
        self.choices = defaultdict(list)   # question → [(choice, rank, count, area)]
        if choice_ids:
            for qid, choice, rank, count, area in db.session.execute(
                    grouped(Answer.choice, Answer.rank, func.count(), func.sum(submitted.c.area),
                            of=None if whole else choice_ids)
                    .where(Answer.choice.is_not(None)).group_by(Answer.question_id, Answer.choice, Answer.rank)):
                self.choices[qid].append((choice, rank, int(count), _area(area)))
                counts[qid] += int(count)
                areas[qid] += Decimal(str(area or 0))
        self.numbers = defaultdict(list)   # question → [(value, count)] ascending
        self.dates = {}
        if other_ids:
            # numbers by value; dates and texts (number NULL) come out as one group per question
            for qid, number, count, area, low, high in db.session.execute(
                    grouped(Answer.number, func.count(), func.sum(submitted.c.area), func.min(Answer.date_value),
                            func.max(Answer.date_value), of=other_ids)
                    .group_by(Answer.question_id, Answer.number).order_by(Answer.question_id, Answer.number)):
                counts[qid] += int(count)
                areas[qid] += Decimal(str(area or 0))
                if number is not None:
                    self.numbers[qid].append((_plain(number), int(count)))
                if low is not None:
                    self.dates[qid] = (low, high)
        self.respondents = {qid: (counts[qid], areas[qid].quantize(CENT)) for qid in counts}
        if multi_ids:
            answered = (select(Answer.question_id, Answer.response_id).distinct()
                        .where(Answer.survey_id == survey.id, Answer.question_id.in_(multi_ids)).subquery())
            for qid in multi_ids:
                self.respondents.pop(qid, None)
            self.respondents.update({qid: (int(count), _area(area)) for qid, count, area in db.session.execute(
                select(answered.c.question_id, func.count(), func.sum(submitted.c.area))
                .join(submitted, submitted.c.id == answered.c.response_id).group_by(answered.c.question_id))})

    def total(self, question: Question) -> tuple[int, Decimal]:
        return self.respondents.get(question.id, (0, Decimal("0.00")))

    def latest_texts(self, question: Question) -> list[str]:
        """The newest texts of every text question at once (a window per question), on first use."""
        if self._latest is None:
            latest = defaultdict(list)   # filled, then published: a cached object may be shared by threads
            submitted = self._submitted
            newest = func.row_number().over(partition_by=Answer.question_id,
                                            order_by=(submitted.c.submitted_at.desc(), Answer.id.desc()))
            ranked = (select(Answer.question_id, Answer.text_value, newest.label("newest"))
                      .join(submitted, submitted.c.id == Answer.response_id)
                      .where(Answer.survey_id == self._survey_id, Answer.question_id.in_(self._texts_of),
                             Answer.text_value.is_not(None)).subquery())
            for qid, value in db.session.execute(
                    select(ranked.c.question_id, ranked.c.text_value).where(ranked.c.newest <= LATEST_TEXTS)
                    .order_by(ranked.c.question_id, ranked.c.newest)):
                latest[qid].append(value)
            self._latest = latest
        return self._latest.get(question.id, [])


def _answers_state(survey: Survey) -> tuple:
    """What changes whenever a response of the survey is added, removed, edited or submitted (save_response bumps
    version and updated_at), or a responding household's registered area changes."""
    return tuple(db.session.execute(
        select(func.count(Response.id), func.sum(Response.id), func.sum(Response.version),
               func.max(Response.updated_at), func.sum(case((Response.status == "submitted", 1), else_=0)),
               func.max(Household.updated_at), func.sum(Household.area))
        .join(Household, Household.id == Response.household_id).where(Response.survey_id == survey.id)).one())


_CACHE: OrderedDict = OrderedDict()   # (database, survey, its questions, answers state) → _Grouped, newest last
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached figure (benchmarks measure the uncached cost with it)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _figures(survey: Survey) -> _Grouped:
    """The grouped figures of all the survey's questions. A results page after no change costs two small queries:
    the figures are cached per process under the survey's questions and the state of its answers, so any new,
    edited or submitted response (or a changed area) reads them afresh."""
    kinds = tuple(db.session.execute(select(Question.id, Question.type).where(
        Question.survey_id == survey.id, Question.type != "note").order_by(Question.id)))
    key = (db.session.get_bind().url.render_as_string(), survey.id, kinds, _answers_state(survey))
    with _CACHE_LOCK:
        known = _CACHE.get(key)
        if known is not None:
            _CACHE.move_to_end(key)
            return known
    known = _Grouped(survey, list(kinds), whole=True)
    with _CACHE_LOCK:
        _CACHE[key] = known
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return known


def _questions(survey: Survey, *roles) -> list[Question]:
    """The survey's answerable questions in order with their choices and items in two more queries, not one per
    question."""
    query = (select(Question).where(Question.survey_id == survey.id, Question.type != "note")
             .order_by(Question.position)
             .options(selectinload(Question.choices), selectinload(Question.item)))
    if roles:
        query = query.where(Question.role.in_(roles))
    return list(db.session.scalars(query))


