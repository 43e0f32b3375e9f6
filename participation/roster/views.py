"""The roster pages: communities with counts, import and template, export, a community's households (searched,
filtered, 50 a page) and its record. The community page itself is the lifecycle hub (participation.lifecycle.views)."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.forms import EmptyForm
from participation.guards import staff_community
from participation.handlers import refuse_onto
from participation.models import COMMUNITY_STATUSES, Household
from participation.permissions import (ASSISTED_ENTRY_HELPERS, COMMUNITY_MANAGERS, HOUSEHOLD_READERS,
                                       PHONE_REVEAL_ROLES, can_export_roster, can_issue_codes, can_manage_community,
                                       can_reveal_phone, can_reveal_phones_of, role_required)
from participation.roster.communities import (CommunityError, addable_districts, organisations_of_kind, reveal_phone,
                                              roster_tree, update_community)
from participation.roster.export import export_roster, template_workbook
from participation.roster.files import RosterImportError
from participation.roster.forms import CommunityForm, RosterSearchForm, RosterUploadForm
from participation.roster.imports import import_roster as run_import
from participation.paging import page_number
from participation.roster.queries import RosterFilters, communities_page, roster_page, roster_places

bp = Blueprint("roster", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_KEY = "roster_import_result"
REVEALED_KEY = "revealed_household"
SEARCH_ARGS = ("q", "place", "occupancy", "phone", "code", "page")


def _xlsx(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@bp.get("/roster/")
@role_required(*HOUSEHOLD_READERS)
def index():
    """The communities the user sees, 50 a page, by a word of the code or name and by stage."""
    text = (request.args.get("q") or "").strip()[:40]
    status = request.args.get("status") if request.args.get("status") in COMMUNITY_STATUSES else ""
    page = communities_page(current_user, text=text, status=status, page=page_number(request.args.get("page")))
    link_args = {name: value for name, value in (("q", text), ("status", status)) if value}
    return render_template("roster/index.html", page=page, summaries=page.rows, q=text, status=status,
                           statuses=COMMUNITY_STATUSES, link_args=link_args,
                           may_import=current_user.role in COMMUNITY_MANAGERS)


@bp.route("/roster/import", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def import_roster():
    form = RosterUploadForm()
    districts = addable_districts(current_user)
    if districts:
        form.district.choices = [SelectChoice(district.id, district.name) for district in districts]
    else:
        del form.district   # this organiser updates listed communities only
    status, errors = 200, None
    if form.validate_on_submit():
        district = next((d for d in districts if d.id == form.district.data), None) if districts else None
        upload = form.file.data
        try:
            counts = run_import(current_user, upload.stream, filename=upload.filename, district=district)
        except RosterImportError as error:
            refuse_onto(form, {})   # undo; the rows' messages are listed above the form, not on its fields
            errors, status = error.errors, 422
        else:
            session[RESULT_KEY] = counts
            return redirect(url_for("roster.import_roster"))
    elif form.is_submitted():
        status = 400
    return render_template("roster/import.html", form=form, errors=errors,
                           result=session.pop(RESULT_KEY, None) if request.method == "GET" else None), status


@bp.get("/roster/template.xlsx")
@role_required(*COMMUNITY_MANAGERS)
def template():
    return _xlsx(template_workbook(), _("roster-template.xlsx"))


@bp.get("/roster/<community_code>/export.xlsx")
@role_required("admin", "organiser", "owner_rep")
def export(community_code: str):
    community = staff_community(community_code)
    if not can_export_roster(current_user, community):
        abort(404)
    data = export_roster(current_user, community, roster_tree(current_user, community),
                         reveal_phones=can_reveal_phones_of(current_user, community))
    return _xlsx(data, _("%(code)s-roster.xlsx", code=community.code))


@bp.get("/c/<community_code>/households")
@role_required(*HOUSEHOLD_READERS)
def community(community_code: str):
    """The households, 50 a page, searched and filtered; each row's actions (show the number, act for the
    household, a new code slip) open on demand."""
    community = staff_community(community_code)
    form = RosterSearchForm(formdata=request.args)
    form.set_places(roster_places(current_user, community))
    chosen = form.chosen()
    filters = RosterFilters(text=chosen.get("q", ""), place=chosen.get("place", ""),
                            occupancy=chosen.get("occupancy", ""), phone=chosen.get("phone", ""),
                            code=chosen.get("code", ""))
    page = roster_page(current_user, community, filters, page=page_number(request.args.get("page")))
    may_issue = can_issue_codes(current_user, community)
    return render_template("roster/community.html", community=community, form=form, page=page,
                           filters=filters, link_args=chosen, reveal_form=EmptyForm(),
                           may_manage=can_manage_community(current_user, community),
                           may_export=can_export_roster(current_user, community),
                           may_reveal=can_reveal_phones_of(current_user, community),
                           revealed=session.pop(REVEALED_KEY, None), may_issue=may_issue,
                           may_assist=current_user.role in ASSISTED_ENTRY_HELPERS,
                           may_slips=may_issue or current_user.role == "grid")


@bp.post("/c/<community_code>/phone")
@role_required(*PHONE_REVEAL_ROLES)
def reveal(community_code: str):
    community = staff_community(community_code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    household_id = request.form.get("household_id", "")
    household = db.session.get(Household, int(household_id)) if household_id.isdigit() else None
    if (household is None or household.unit.building.community_id != community.id
            or not can_reveal_phone(current_user, household)):
        abort(404)
    reveal_phone(current_user, household)
    session[REVEALED_KEY] = household.id   # the id, not the number: nothing personal in the cookie
    back = {name: request.form[name] for name in SEARCH_ARGS if request.form.get(name)}   # the same page again
    return redirect(url_for("roster.community", community_code=community.code, **back, _anchor=f"h{household.id}"))


@bp.route("/c/<community_code>/edit", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def edit_community(community_code: str):
    community = staff_community(community_code)
    if not can_manage_community(current_user, community):
        abort(403)
    contractors, supervisors = organisations_of_kind("contractor"), organisations_of_kind("supervisor")
    form = CommunityForm(obj=community)
    del form.status   # the stage moves only on the community page, through its gates (participation.lifecycle)
    form.set_organisations(contractors, supervisors)
    if request.method == "GET":
        form.contractor.data = community.contractor_id or 0
        form.supervisor.data = community.supervisor_id or 0
    status = 200
    if form.validate_on_submit():
        by_id = {organisation.id: organisation for organisation in contractors + supervisors}
        try:
            changed = update_community(
                current_user, community, name=form.name.data, address=form.address.data,
                year_built=form.year_built.data,
                quality_hotline=form.quality_hotline.data, supervisor_hotline=form.supervisor_hotline.data,
                community_hotline=form.community_hotline.data, contractor=by_id.get(form.contractor.data),
                supervisor=by_id.get(form.supervisor.data), lat=form.lat.data, long=form.long.data)
        except CommunityError as error:
            refuse_onto(form, error)
            status = 422
        else:
            flash(_("Saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("lifecycle.community", community_code=community.code))
    elif form.is_submitted():
        status = 400
    return render_template("roster/edit.html", form=form, community=community), status
