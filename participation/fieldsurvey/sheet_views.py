"""The field survey in Excel: /c/<community_code>/field-survey/template.xlsx and .../import, for those who record
findings (``can_record_field_survey``): 403 for other roles, 404 outside scope, as the other field survey pages."""
import io

from flask import redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from participation.fieldsurvey.pages import XLSX, bp, survey_community
from participation.fieldsurvey.sheet import import_findings as run_import, template_workbook
from participation.handlers import withdraw
from participation.permissions import role_required
from participation.sheet_forms import SheetUploadForm
from participation.sheet_imports import SheetImportError
from participation.uploads import describe_size, max_upload_bytes

RESULT_KEY = "field_survey_import_result"


@bp.get("/c/<community_code>/field-survey/template.xlsx")
@role_required()
def sheet_template(community_code: str):
    community = survey_community(community_code, record=True)
    response = send_file(io.BytesIO(template_workbook(community)), mimetype=XLSX, as_attachment=True,
                         download_name=f"{community.code}-field-survey-template.xlsx", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/c/<community_code>/field-survey/import", methods=["GET", "POST"])
@role_required()
def import_findings(community_code: str):
    community = survey_community(community_code, record=True)
    form = SheetUploadForm()
    status, errors = 200, None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            counts = run_import(current_user, community, upload.stream, filename=upload.filename)
        except SheetImportError as refusal:
            errors, status = withdraw(refusal).errors, 422
        else:
            session[RESULT_KEY] = {"community": community.code, **counts}
            return redirect(url_for(".import_findings", community_code=community.code))
    elif form.is_submitted():
        status = 400
    result = session.pop(RESULT_KEY, None) if request.method == "GET" else None
    if result is not None and result.get("community") != community.code:
        result = None
    return render_template("fieldsurvey/import.html", community=community, form=form, errors=errors, result=result,
                           max_upload=describe_size(max_upload_bytes())), status
