"""The survey builder's blueprint and what its two view modules (surveys/views/builder.py: lists, settings, the
lifecycle, copies, the item block, paper; surveys/views/builder_questions.py: pages, questions, choices) share:
loading and authorizing a survey, the way back to its page, a refusal shown there, the language.

Admins and organisers who manage the community edit; owner representatives in scope read; other roles get 403 and
a community outside the user's scope 404. Templates (no community) are managed by admins and copied by organisers.
"""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from participation.extensions import db
from participation.guards import staff_community
from participation.handlers import withdraw
from participation.models import Community
from participation.permissions import COMMUNITY_MANAGERS, can_manage_community
from surveys.models import Choice, Survey, SurveyStateError

bp = Blueprint("survey_builder", __name__)


def community_or_404(code: str, *, manage: bool = False) -> Community:
    """The builder's community: 404 outside the user's scope, 403 to change it without managing it."""
    return staff_community(code, manage=manage)


def survey_or_404(survey_id: int, *, manage: bool = False) -> Survey:
    """404 for a survey that does not exist or lies outside the user's scope; 403 for a role that may not."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if survey.is_template:
        if current_user.role not in COMMUNITY_MANAGERS or (manage and current_user.role != "admin"):
            abort(403)
        return survey
    community_or_404(survey.community.code, manage=manage)
    return survey


def may_edit(survey: Survey) -> bool:
    if survey.is_template:
        return current_user.role == "admin"
    return can_manage_community(current_user, survey.community)


def child_or_404(survey: Survey, model, object_id: int):
    """A page, question or choice of ``survey`` by id; 404 when it belongs to another survey."""
    row = db.session.get(model, object_id)
    owner = row.question.survey_id if isinstance(row, Choice) else getattr(row, "survey_id", None)
    if row is None or owner != survey.id:
        abort(404)
    return row


def survey_page(survey: Survey, anchor: str | None = None):
    return redirect(url_for("survey_builder.survey", survey_id=survey.id, _anchor=anchor))


def refused(survey: Survey, error: Exception):
    """A refused change (not a draft, or an item block rule): nothing saved, the reason shown on the survey page."""
    withdraw(error)
    message = _(str(error)) if isinstance(error, SurveyStateError) else str(error)
    flash(message, "error")
    return survey_page(survey)


def lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def editable_or_redirect(survey: Survey):
    """None for a draft; otherwise the way back to the survey page, with the reason."""
    if survey.status != "draft":
        flash(_("Questions can only change while the survey is a draft."), "error")
        return survey_page(survey)
    return None
