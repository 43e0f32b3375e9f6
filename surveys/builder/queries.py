"""What the survey builder's pages read: a community's surveys with their numbers of responses, the templates, the
catalogue items an item block may hold, and the communities a survey can be copied to."""
from datetime import datetime

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import CatalogueItem, Community, User
from participation.permissions import can_manage_community, visible_communities
from surveys.models import Response, Survey


def response_counts(survey_ids: list[int]) -> dict[int, dict[str, int]]:
    """{survey id: {"submitted": n, "draft": n}} in one query."""
    counts: dict[int, dict[str, int]] = {survey_id: {"submitted": 0, "draft": 0} for survey_id in survey_ids}
    if survey_ids:
        rows = db.session.execute(select(Response.survey_id, Response.status, func.count())
                                  .where(Response.survey_id.in_(survey_ids))
                                  .group_by(Response.survey_id, Response.status))
        for survey_id, status, count in rows:
            counts[survey_id][status] = count
    return counts


def community_surveys(community: Community, now: datetime | None = None) -> list[dict]:
    """The community's surveys, newest first, with the status residents meet and the numbers of responses."""
    surveys = list(db.session.scalars(select(Survey).where(Survey.community_id == community.id)
                                      .order_by(Survey.created_at.desc(), Survey.id.desc())))
    counts = response_counts([survey.id for survey in surveys])
    return [{"survey": survey, "status": survey.effective_status(now), **counts[survey.id]} for survey in surveys]


def surveys_of(community: Community) -> list[Survey]:
    """The community's surveys (never a template), newest first: the staff API's list."""
    return list(db.session.scalars(select(Survey).where(Survey.community_id == community.id,
                                                        Survey.is_template.is_(False))
                                   .order_by(Survey.created_at.desc(), Survey.id.desc())))


def survey_templates() -> list[Survey]:
    return list(db.session.scalars(select(Survey).where(Survey.is_template.is_(True)).order_by(Survey.id)))


def active_items() -> list[CatalogueItem]:
    return list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.retired_at.is_(None))
                                   .order_by(CatalogueItem.code)))


def has_responses(survey: Survey) -> bool:
    return db.session.scalar(select(func.count()).select_from(Response)
                             .where(Response.survey_id == survey.id)) > 0


def copy_targets(user: User) -> list[Community]:
    """The communities ``user`` may copy a survey to: those they see and manage, ordered by code."""
    return [community for community in db.session.scalars(visible_communities(user))
            if can_manage_community(user, community)]
