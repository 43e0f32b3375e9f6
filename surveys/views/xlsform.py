"""XLSForm upload (a new draft survey for a community) and download (any survey as .xlsx)."""
import io

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.extensions import db
from participation.guards import staff_community
from participation.handlers import withdraw
from participation.permissions import COMMUNITY_MANAGERS, role_required
from surveys.models import Survey
from surveys.xlsform.common import XLSFormError
from surveys.xlsform.export import export_xlsform
from surveys.xlsform.forms import XLSFormUploadForm
from surveys.xlsform.imports import import_xlsform
from surveys.xlsform.reading import MAX_BYTES

bp = Blueprint("survey_xlsform", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_KEY = "xlsform_import_result"


@bp.route("/c/<community_code>/surveys/import-xlsform", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def upload(community_code: str):
    community = staff_community(community_code, manage=True)
    form = XLSFormUploadForm()
    status, errors = 200, None
    if form.validate_on_submit():
        upload_file = form.file.data
        data = upload_file.stream.read(MAX_BYTES + 1)
        try:
            result = import_xlsform(current_user, community, data, upload_file.filename or "")
        except XLSFormError as error:
            errors, status = withdraw(error).errors, 422
        else:
            session[RESULT_KEY] = {"id": result.survey.id, "title": result.survey.label(),
                                   "questions": len(result.survey.questions), "warnings": result.warnings}
            return redirect(url_for("survey_xlsform.upload", community_code=community.code))
    elif form.is_submitted():
        status = 400
    result = session.pop(RESULT_KEY, None) if request.method == "GET" else None
    return render_template("surveys/xlsform_import.html", form=form, community=community, errors=errors,
                           result=result), status


@bp.get("/surveys/<int:survey_id>/xlsform.xlsx")
@role_required(*COMMUNITY_MANAGERS)
def download(survey_id: int):
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if not survey.is_template:
        staff_community(survey.community.code, manage=True)
    data = export_xlsform(survey)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=_("survey-%(id)d.xlsx", id=survey.id))
