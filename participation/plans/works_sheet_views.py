"""Works progress in Excel: /c/<community_code>/plan/works/template.xlsx and .../import, for those who run the
community (as recording works on the works page): 403 for other roles, 404 outside scope."""
import io

from flask import Blueprint, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from participation.handlers import withdraw
from participation.permissions import COMMUNITY_MANAGERS, is_admin, role_required
from participation.plans.loading import plan_community
from participation.plans.operations import adopted_version, plan_for
from participation.plans.works_sheet import import_works as run_import, template_workbook
from participation.sheet_forms import WorksUploadForm
from participation.sheet_imports import SheetImportError
from participation.uploads import describe_size, max_upload_bytes

bp = Blueprint("works_sheet", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_KEY = "works_import_result"


@bp.get("/c/<community_code>/plan/works/template.xlsx")
@role_required(*COMMUNITY_MANAGERS)
def template(community_code: str):
    community = plan_community(community_code, manage=True)
    response = send_file(io.BytesIO(template_workbook(community)), mimetype=XLSX, as_attachment=True,
                         download_name=f"{community.code}-works-template.xlsx", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/c/<community_code>/plan/works/import", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def import_works(community_code: str):
    community = plan_community(community_code, manage=True)
    form = WorksUploadForm()
    may_override = is_admin(current_user)
    status, errors = 200, None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            counts = run_import(current_user, community, upload.stream, filename=upload.filename,
                                override_reason=form.override_reason.data if may_override else None)
        except SheetImportError as refusal:
            errors, status = withdraw(refusal).errors, 422
        else:
            session[RESULT_KEY] = {"community": community.code, **counts}
            return redirect(url_for(".import_works", community_code=community.code))
    elif form.is_submitted():
        status = 400
    result = session.pop(RESULT_KEY, None) if request.method == "GET" else None
    if result is not None and result.get("community") != community.code:
        result = None
    return render_template("plans/works_import.html", community=community, form=form, errors=errors, result=result,
                           adopted=adopted_version(plan_for(community)), may_override=may_override,
                           max_upload=describe_size(max_upload_bytes())), status
