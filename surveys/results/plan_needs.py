"""What residents said, for participation: ``SurveyEngineFacts`` implements ``participation.survey_facts.SurveyFacts``
(participation asks through that Protocol and never imports surveys; ``app.py`` registers it with ``provide``).

The community's needs survey is its newest survey with need questions: a closed one before an open one (the
figures of a finished survey before those of a running one), for a community's plan inputs (``community_needs``)
and for the city overview alike (``needs_surveys``, the same choice made in one GROUP BY for many communities).
Exact counts for staff; anything residents see is suppressed where it is shown.
"""
from sqlalchemy import Select, Subquery, and_, case, func, or_, select

from participation.extensions import db
from participation.models import Building, Community, Household, Unit
from participation.models.types import utcnow
from surveys.answering.structure import structure
from surveys.demo import seed_demo_surveys
from surveys.models import Answer, Question, Response, Survey
from surveys.results.figures import _figures
from surveys.results.listings import answered_households, community_surveys, household_surveys
from surveys.results.summaries import ITEM_ROLES, _item_rows, participation

COMMENT_TYPES = ("text", "long_text")
COMMENTS = 200


def needs_survey(community: Community) -> Survey | None:
    has_needs = select(Question.id).where(Question.survey_id == Survey.id, Question.role == "item_need").exists()
    candidates = db.session.scalars(select(Survey).where(
        Survey.community_id == community.id, Survey.is_template.is_(False), Survey.status.in_(("open", "closed")),
        has_needs).order_by(Survey.id.desc())).all()
    by_state = {"closed": [], "open": []}
    for survey in candidates:
        state = survey.effective_status()
        if state in by_state:
            by_state[state].append(survey)
    return (by_state["closed"] or by_state["open"] or [None])[0]


def community_needs(community: Community) -> dict | None:
    """{"survey", "participation", "items": {code: item block row}, "elevator_item", "comments"}, or None without
    a needs survey; ``elevator_item`` is the catalogue code the elevator question is about.
    The elevator question's answers stand for its item's need (support / neutral / oppose) when the item has no
    need question of its own."""
    survey = needs_survey(community)
    if survey is None:
        return None
    # the structure cached per process (open and closed surveys do not change), not ORM objects: a third of the time
    questions = [question for question in structure(survey).questions if question.type != "note"]
    grouped = _figures(survey, questions)
    block = [question for question in questions if question.role in ITEM_ROLES]
    items = {row["code"]: row for row in _item_rows(block, grouped, False)}
    for question in questions:
        if question.role == "elevator" and question.item is not None and question.item.code not in items:
            counts = {choice: count for choice, _rank, count in grouped.choices[question.id]}
            respondents = grouped.total(question)
            respondents_area, areas = grouped.areas(question)
            items[question.item.code] = {
                "code": question.item.code, "respondents": respondents, "need_count": counts.get("support", 0),
                "neutral_count": counts.get("neutral", 0), "no_count": counts.get("oppose", 0),
                "need_share": _share(counts.get("support", 0), respondents),
                "need_share_area": _share(areas.get("support", 0), respondents_area),
                "need_area": areas.get("support"), "share_asked": False, "share_willing": None, "share_rate": None,
                "priority_points": 0, "first_choice": 0, "elevator": True}
            _add_priorities(items[question.item.code], questions, grouped)
    elevator = next((q.item.code for q in questions if q.role == "elevator" and q.item is not None), None)
    title = survey.title.get("zh") or survey.title.get("en") or ""
    return {"survey": {"id": survey.id, "title": title, "status": survey.effective_status(),
                       "confidential": survey.confidential},
            "participation": participation(survey), "items": items, "elevator_item": elevator,
            "comments": [] if survey.confidential else _comments(survey, questions)}


def _add_priorities(row: dict, questions: list[Question], grouped) -> None:
    """Borda points and first picks of an item the item block does not cover (its picks are counted the same way:
    top_n points for the first … 1 for the last)."""
    for question in questions:
        if question.role != "item_priority":
            continue
        top_n = int((question.settings or {}).get("top_n") or 5)
        for choice, rank, count in grouped.choices[question.id]:
            if choice == row["code"] and rank is not None and rank <= top_n:
                row["priority_points"] += (top_n + 1 - rank) * count
                row["first_choice"] += count if rank == 1 else 0


def _share(part, whole):
    return round(float(part) / float(whole), 4) if whole else None


def _comments(survey: Survey, questions: list[Question]) -> list[dict]:
    """The newest free-text answers (staff only; never for a confidential survey), with where they came from."""
    texts = {question.id: question for question in questions if question.type in COMMENT_TYPES}
    if not texts:
        return []
    rows = db.session.execute(
        select(Answer.question_id, Answer.text_value, Response.submitted_at, Building.name, Unit.name)
        .join(Response, Response.id == Answer.response_id).join(Household, Household.id == Response.household_id)
        .join(Unit, Unit.id == Household.unit_id).join(Building, Building.id == Unit.building_id)
        .where(Response.survey_id == survey.id, Response.status == "submitted", Answer.question_id.in_(texts),
               func.length(Answer.text_value) > 0)
        .order_by(Response.submitted_at.desc(), Answer.id.desc()).limit(COMMENTS))
    return [{"question": texts[question_id].text("label"), "text": text, "submitted_at": submitted_at,
             "building": Building.label_of(building), "unit": Unit.label_of(unit)}
            for question_id, text, submitted_at, building, unit in rows]


class SurveyEngineFacts:
    """The survey engine's answers to what participation asks (``participation.survey_facts.SurveyFacts``).

    The city overview's three questions are set-based SQL over every listed community at once, through Core rows
    on the session's connection (no ORM loading), as the overview itself reads."""

    def community_needs(self, community: Community) -> dict | None:
        return community_needs(community)

    def needs_surveys(self, communities: Select) -> dict[int, tuple[int, bool]]:
        now = utcnow()
        has_needs = select(Question.survey_id).where(Question.survey_id == Survey.id,
                                                     Question.role == "item_need").exists()
        closed = or_(Survey.status == "closed",
                     and_(Survey.status == "open", Survey.closes_at.is_not(None), Survey.closes_at <= now))
        running = and_(Survey.status == "open", or_(Survey.opens_at.is_(None), Survey.opens_at <= now))
        rows = _run(
            select(Survey.community_id, func.max(case((closed, Survey.id))), func.max(case((running, Survey.id))))
            .where(Survey.community_id.in_(communities), Survey.is_template.is_(False), has_needs)
            .group_by(Survey.community_id)).all()
        return {cid: (closed_id, True) if closed_id is not None else (open_id, False)
                for cid, closed_id, open_id in rows if closed_id is not None or open_id is not None}

    def responded(self, survey_ids: list[int]) -> dict[int, int]:
        """Joined to the few vacant households only, not to the whole roster."""
        if not survey_ids:
            return {}
        vacant = Household.__table__.alias("vacant")
        return dict(_run(
            select(Survey.community_id, func.count() - func.count(vacant.c.id))
            .select_from(Response).join(Survey, Survey.id == Response.survey_id)
            .outerjoin(vacant, and_(vacant.c.id == Response.household_id, vacant.c.occupancy == "vacant"))
            .where(Response.survey_id.in_(survey_ids), Response.status == "submitted")
            .group_by(Survey.community_id)).all())

    def elevator_items(self, survey_ids: list[int]) -> Subquery:
        return (select(Survey.community_id.label("cid"), func.max(Question.item_id).label("item_id"))
                .join(Question, Question.survey_id == Survey.id)
                .where(Survey.id.in_(survey_ids or [-1]), Question.role == "elevator")
                .group_by(Survey.community_id).subquery())

    def community_surveys(self, community_id: int) -> list[dict]:
        return community_surveys(community_id)

    def household_surveys(self, household_id: int) -> list[dict]:
        return household_surveys(household_id)

    def answered_households(self, survey_id: int) -> set[int]:
        return answered_households(survey_id)

    def seed_demo(self) -> dict:
        return seed_demo_surveys()


def _run(statement):
    """Core execution on the session's connection: plain rows, without the ORM's per-row loading."""
    return db.session.connection().execute(statement)
