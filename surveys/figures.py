"""The grouped figures behind ``surveys.summaries``: a few GROUP BY queries over one survey's submitted answers,
cached per process under the state of those answers.

The counts read one survey's range of ``ix_survey_answers_summary`` (survey, question, choice, rank, number, date,
response) alone, leaving out the answers of unsubmitted responses; only the item block's need questions meet the
submitted responses with their households' areas, on first use. A results page after no change costs two small
queries (the survey's questions and the state of its responses).
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

    Each count reads one survey's range of ``ix_survey_answers_summary`` without a join; the households' areas
    are joined only for the need questions, when the item block first asks (``areas``).
    Respondents of a single-valued question are the sum of its groups (one answer row per response); only the
    multi-row types (select_multiple, rank) need a DISTINCT.
    """

    def __init__(self, survey: Survey, questions: list[Question], *, whole: bool):
        """``whole``: ``questions`` are all the survey's questions, so its answer rows need no IN (…) filter (a
        72-element IN costs PostgreSQL more than the grouping itself)."""
        self.question_ids = {question.id for question in questions}
        self._survey_id = survey.id
        self._texts_of = [q.id for q in questions if q.type in TEXT_TYPES and q.type != "photo"]
        self._areas_of = [q.id for q in questions if q.role == "item_need"]
        self._multi_ids = {q.id for q in questions if q.type in ("select_multiple", "rank")}
        self._latest = self._areas = None
        submitted = (select(Response.id, Response.submitted_at, Household.area)
                     .join(Household, Household.id == Response.household_id)
                     .where(Response.survey_id == survey.id, Response.status == "submitted"))
        if db.session.get_bind().dialect.name == "postgresql":
            # OFFSET 0 keeps PostgreSQL from flattening the join: one hash probe per answer row (the response with
            # its household's area) instead of two
            submitted = submitted.offset(0)
        self._submitted = submitted.subquery()
        # Counts need no join: the answers of the few unsubmitted responses (drafts) are left out by a hashed
        # NOT IN over the survey's responses, so the counts read the survey's answer rows alone (a join with the
        # households' areas costs PostgreSQL half again as much; only the item block needs areas, see areas())
        unsubmitted = select(Response.id).where(Response.survey_id == survey.id, Response.status != "submitted")

        def counted(*columns, of):
            query = select(Answer.question_id, *columns).where(Answer.survey_id == survey.id,
                                                               Answer.response_id.not_in(unsubmitted))
            return query if of is None else query.where(Answer.question_id.in_(of))

        choice_ids = [q.id for q in questions if q.type in CHOICE_TYPES or q.type == "rank"]
        other_ids = [q.id for q in questions if q.id not in set(choice_ids)]
        counts = defaultdict(int)
        self.choices = defaultdict(list)   # question → [(choice, rank, count)]
        if choice_ids:
            for qid, choice, rank, count in db.session.execute(
                    counted(Answer.choice, Answer.rank, func.count(), of=None if whole else choice_ids)
                    .where(Answer.choice.is_not(None)).group_by(Answer.question_id, Answer.choice, Answer.rank)):
                self.choices[qid].append((choice, rank, int(count)))
                counts[qid] += int(count)
        self.numbers = defaultdict(list)   # question → [(value, count)] ascending
        self.dates = {}
        if other_ids:
            # numbers by value; dates and texts (number NULL) come out as one group per question
            for qid, number, count, low, high in db.session.execute(
                    counted(Answer.number, func.count(), func.min(Answer.date_value), func.max(Answer.date_value),
                            of=other_ids)
                    .group_by(Answer.question_id, Answer.number).order_by(Answer.question_id, Answer.number)):
                counts[qid] += int(count)
                if number is not None:
                    self.numbers[qid].append((_plain(number), int(count)))
                if low is not None:
                    self.dates[qid] = (low, high)
        self.respondents = dict(counts)
        if self._multi_ids:
            for qid in self._multi_ids:
                self.respondents.pop(qid, None)
            self.respondents.update({qid: int(count) for qid, count in db.session.execute(
                counted(func.count(Answer.response_id.distinct()), of=self._multi_ids).group_by(Answer.question_id))})

    def total(self, question: Question) -> int:
        """The question's respondents (submitted responses with an answer to it)."""
        return self.respondents.get(question.id, 0)

    def areas(self, question: Question) -> tuple[Decimal, dict[str, Decimal]]:
        """An item-need question's respondents' registered area and the area by choice (DESIGN §6), for every
        need question at once on first use: one join of their answers with the households' areas."""
        if self._areas is None:
            areas = defaultdict(dict)   # filled, then published: a cached object may be shared by threads
            submitted = self._submitted
            if self._areas_of:
                for qid, choice, area in db.session.execute(
                        select(Answer.question_id, Answer.choice, func.sum(submitted.c.area))
                        .join(submitted, submitted.c.id == Answer.response_id)
                        .where(Answer.survey_id == self._survey_id, Answer.question_id.in_(self._areas_of),
                               Answer.choice.is_not(None))
                        .group_by(Answer.question_id, Answer.choice)):
                    areas[qid][choice] = _area(area)
            totals = {qid: sum(by_choice.values(), Decimal("0.00")) for qid, by_choice in areas.items()}
            multi = [qid for qid in self._areas_of if qid in self._multi_ids]
            if multi:   # several values per household: each household's area once
                answered = (select(Answer.question_id, Answer.response_id).distinct()
                            .where(Answer.survey_id == self._survey_id, Answer.question_id.in_(multi)).subquery())
                totals.update({qid: _area(area) for qid, area in db.session.execute(
                    select(answered.c.question_id, func.sum(submitted.c.area))
                    .join(submitted, submitted.c.id == answered.c.response_id).group_by(answered.c.question_id))})
            self._areas = (totals, areas)
        totals, areas = self._areas
        return totals.get(question.id, Decimal("0.00")), areas.get(question.id, {})

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
    kinds = tuple(db.session.execute(select(Question.id, Question.type, Question.role).where(
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


