"""The field survey pages: /c/<community_code>/field-survey, one item's form, its photo, the Excel export.

Organisers, admins and pipeline-company agencies in scope record; owner representatives and grid workers in scope
read. Other roles get 403; a community outside the user's scope answers 404 (its existence is private).
"""
import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from participation.fieldsurvey.forms import QUANTITY_MEASURES, FieldFindingForm
from participation.fieldsurvey.operations import (FieldSurveyError, active_item, export_workbook, finding_for,
                                                  record_finding, roster_quantity, roster_totals, survey_overview)
from participation.fieldsurvey.pages import FILE_ENDPOINTS, XLSX, bp, survey_community
from participation.handlers import refuse_onto
from participation.permissions import can_record_field_survey, role_required
from participation.uploads import describe_size, max_upload_bytes, stored_file

def _item(item_code: str):
    item = active_item(item_code)
    if item is None:
        abort(404)
    return item


@bp.get("/c/<community_code>/field-survey")
@role_required()
def overview(community_code: str):
    community = survey_community(community_code)
    return render_template("fieldsurvey/overview.html", community=community, overview=survey_overview(community),
                           can_record=can_record_field_survey(current_user, community),
                           measures=QUANTITY_MEASURES)


@bp.route("/c/<community_code>/field-survey/<item_code>", methods=["GET", "POST"])
@role_required()
def record(community_code: str, item_code: str):
    community = survey_community(community_code, record=True)
    item = _item(item_code)
    finding = finding_for(community, item)
    form = FieldFindingForm()
    status = 200
    if form.validate_on_submit():
        try:
            record_finding(current_user, community, item, condition=form.condition.data,
                           quantity=form.quantity_value, note=form.note.data, photo=form.photo_file,
                           remove_photo=form.remove_photo.data)
        except FieldSurveyError as refusal:
            refuse_onto(form, refusal)
            status = 400
        else:
            flash(_("Saved: %(item)s.", item=item.name), "success")
            return redirect(url_for(".overview", community_code=community.code, _anchor=f"item-{item.code}"))
    elif form.is_submitted():
        status = 400
    elif finding is not None:
        form.condition.data = finding.condition
        form.quantity.data = "" if finding.quantity is None else f"{finding.quantity.normalize():f}"
        form.note.data = finding.note
    return render_template("fieldsurvey/record.html", community=community, item=item, finding=finding, form=form,
                           measure=QUANTITY_MEASURES.get(item.quantity_unit, ""),
                           roster_quantity=roster_quantity(item, roster_totals(community)),
                           max_upload=describe_size(max_upload_bytes())), status


@bp.get("/c/<community_code>/field-survey/<item_code>/photo")
@role_required()
def photo(community_code: str, item_code: str):
    """The finding's photo, served only to those who may see the field survey (never from /static)."""
    community = survey_community(community_code)
    finding = finding_for(community, _item(item_code))
    path = stored_file(finding.photo_path) if finding is not None and finding.photo_path else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/c/<community_code>/field-survey.xlsx")
@role_required()
def export(community_code: str):
    community = survey_community(community_code)
    response = send_file(io.BytesIO(export_workbook(community)), mimetype=XLSX, as_attachment=True,
                         download_name=f"{community.code}-field-survey.xlsx", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A photo (or a spreadsheet) over MAX_CONTENT_LENGTH: the body is refused before any view runs; say so in plain
    words."""
    if request.endpoint in FILE_ENDPOINTS:
        message = _("The file is too large. Files up to %(size)s are accepted. Nothing was imported.",
                    size=describe_size(max_upload_bytes()))
        return render_template("errors/generic.html", status=413, message=message), 413
    message = _("The photo is too large. Photos up to %(size)s are accepted. Nothing was saved.",
                size=describe_size(max_upload_bytes()))
    return render_template("errors/generic.html", status=413, message=message), 413
