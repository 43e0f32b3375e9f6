"""Uploading paper or ODK/Kobo answers to a survey (DESIGN §8), for organisers who manage its community."""
import io

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from participation.extensions import db
from participation.handlers import withdraw
from participation.permissions import COMMUNITY_MANAGERS, can_manage_community, can_view_community, role_required
from surveys.answering.forms import ResponseUploadForm
from surveys.answering.imports import (HOUSEHOLD_HEADERS, NOT_IMPORTED_TYPES, ResponseImportError, import_responses,
                                       template_workbook)
from surveys.models import Survey

bp = Blueprint("survey_response_import", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_KEY = "response_import_result"
SHOWN_ALREADY = 30   # the session is a cookie: list the first households that had answered, count the rest
SHOWN_WARNINGS = 10  # … and the first warnings, whose texts are longer


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def _managed_survey_or_404(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.community is None or not can_view_community(current_user, survey.community):
        abort(404)
    if not can_manage_community(current_user, survey.community):
        abort(403)
    return survey


@bp.route("/surveys/<int:survey_id>/responses/import", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def upload(survey_id: int):
    survey = _managed_survey_or_404(survey_id)
    form = ResponseUploadForm()
    status, errors = 200, None
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            result = import_responses(current_user, survey, upload_file.stream, filename=upload_file.filename,
                                      lang=_lang())
        except ResponseImportError as error:
            errors, status = withdraw(error).errors, 422
        else:
            summary = result.as_dict()
            summary["already_count"] = len(summary["already_answered"])
            summary["already_answered"] = summary["already_answered"][:SHOWN_ALREADY]
            summary["warning_count"] = len(summary["warnings"])
            summary["warnings"] = summary["warnings"][:SHOWN_WARNINGS]
            session[RESULT_KEY] = {"survey": survey.id, **summary}
            return redirect(url_for("survey_response_import.upload", survey_id=survey.id))
    elif form.is_submitted():
        status = 400
    result = session.pop(RESULT_KEY, None) if request.method == "GET" else None
    if result is not None and result.get("survey") != survey.id:
        result = None
    questions = [q for q in survey.questions if q.type not in NOT_IMPORTED_TYPES]
    return render_template("surveys/response_import.html", survey=survey, form=form, errors=errors, result=result,
                           questions=questions, household_headers=HOUSEHOLD_HEADERS, lang=_lang(),
                           accepting=survey.is_accepting()), status


@bp.get("/surveys/<int:survey_id>/responses/template.xlsx")
@role_required(*COMMUNITY_MANAGERS)
def template(survey_id: int):
    survey = _managed_survey_or_404(survey_id)
    data = template_workbook(survey, _lang())
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=_("survey-%(id)d-answers.xlsx", id=survey.id))
