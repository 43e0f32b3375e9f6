"""The surveys of a community and of one household, as participation lists them (``SurveyFacts.community_surveys``,
``household_surveys`` and ``answered_households``): the staff hub's survey module and 工作台, and the resident home's 已提交 / 草稿 / 未填.

Plain dicts, never ORM objects, so participation reads them without knowing the survey tables. The status is the
one residents meet (``Survey.effective_status``: an open survey past its closing time is closed, one before its
opening time is not open yet). Counts follow the response rate's rule (DESIGN §6): households not marked vacant,
and their submitted responses.
"""
from datetime import timedelta

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Building, Household, Unit
from participation.models.types import utcnow
from surveys.answering.operations import household_surveys as household_surveys_met
from surveys.models import Question, Response, Survey

# A closed survey stays on the household's list this long (its receipt and results are still asked about).
RECENTLY_CLOSED = timedelta(days=30)


def _lang() -> str:
    return "en" if has_request_context() and str(get_locale() or "").startswith("en") else "zh"


def community_surveys(community_id: int) -> list[dict]:
    """Every survey of the community (drafts too, never templates), newest first, with its participation."""
    surveys = db.session.scalars(select(Survey).where(Survey.community_id == community_id,
                                                      Survey.is_template.is_(False))
                                 .order_by(Survey.id.desc())).all()
    if not surveys:
        return []
    households = db.session.scalar(
        select(func.count(Household.id)).join(Unit, Unit.id == Household.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == community_id, Household.occupancy != "vacant")) or 0
    ids = [survey.id for survey in surveys]
    answered = dict(db.session.execute(
        select(Response.survey_id, func.count(Response.id))
        .join(Household, Household.id == Response.household_id)
        .where(Response.survey_id.in_(ids), Response.status == "submitted", Household.occupancy != "vacant")
        .group_by(Response.survey_id)).all())
    needs = set(db.session.scalars(select(Question.survey_id).where(Question.survey_id.in_(ids),
                                                                    Question.role == "item_need")))
    lang, now = _lang(), utcnow()
    return [{"id": survey.id, "title": survey.label(lang), "status": survey.effective_status(now),
             "opens_at": survey.opens_at, "closes_at": survey.closes_at, "households": households,
             "answered": answered.get(survey.id, 0), "is_needs_survey": survey.id in needs,
             "open_past_closing": survey.status == "open" and survey.closes_at is not None
             and survey.closes_at <= now}
            for survey in surveys]


def answered_households(survey_id: int) -> set[int]:
    """The ids of the households with a submitted response to the survey (a draft is not an answer; vacant
    households are in it if they answered: the caller counts only the households it lists)."""
    return set(db.session.scalars(select(Response.household_id).where(Response.survey_id == survey_id,
                                                                      Response.status == "submitted")))


def household_surveys(household_id: int) -> list[dict]:
    """The surveys of the household's community that are open, or closed in the last 30 days: the open ones first
    (soonest deadline first), then the closed ones (newest first); each with the household's own state."""
    household = db.session.get(Household, household_id)
    if household is None:
        return []
    now = utcnow()
    lang = _lang()
    rows = []
    met = sorted(household_surveys_met(household), key=lambda pair: pair[0].id, reverse=True)   # newest first
    for survey, response in met:
        status = survey.effective_status(now)
        if status == "closed" and survey.closes_at is not None and survey.closes_at < now - RECENTLY_CLOSED:
            continue
        state = "not_started" if response is None else ("submitted" if response.status == "submitted" else "draft")
        rows.append({"id": survey.id, "title": survey.label(lang), "status": status, "closes_at": survey.closes_at,
                     "state": state, "receipt": response.receipt if state == "submitted" else None,
                     "results_visible": status == "closed" and survey.results_visibility == "after_close"})
    far = now + timedelta(days=36500)
    open_rows = sorted((row for row in rows if row["status"] == "open"), key=lambda row: row["closes_at"] or far)
    return open_rows + [row for row in rows if row["status"] != "open"]
