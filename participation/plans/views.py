"""The plan pages (一区一案): /c/<community_code>/plan (the plan inputs, the budget, the versions), the budget form,
adopting the suggestions as version 1, a version with its changed items, editing into a new version, adopting a
version, the works on the adopted plan's items, the printable 公示 for residents, and the plan inputs as XLSX
and JSON (participation.plans.export).

Readers are those who read the survey results (``can_view_survey_results``: admins, organisers, owner
representatives, grid workers and hotline staff in scope; agencies never, as the inputs hold residents' comments).
Changes are for those who run the community (``can_manage_community``). A role that may never use a page gets 403
wherever the community is; a community outside the user's scope answers 404.
"""
import io
from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from participation.fieldsurvey.operations import active_item
from participation.forms import EmptyForm
from participation.handlers import refuse_onto, withdraw
from participation.lifecycle.overrides import GateRefused, overrides_of
from participation.labels import FUNDING_LABELS, SUGGESTION_LABELS, VERSION_STATUS_LABELS, WORK_STATUS_LABELS
from participation.models import FUNDING_LINES
from participation.permissions import (COMMUNITY_MANAGERS, HOUSEHOLD_READERS, can_manage_community, is_admin,
                                       role_required)
from participation.plans.export import export_plan_inputs
from participation.plans.figures import community_estimates
from participation.plans.forms import AdoptForm, BudgetForm, PlanEditForm, WorkForm
from participation.plans.gates import gate_label, version_view
from participation.plans.inputs import plan_inputs
from participation.plans.loading import plan_community, plan_version
from participation.plans.operations import (BUDGET_MONEY_FIELDS, PlanRefused, adopt_suggestions, adopt_version,
                                            adopted_version, budget_for, edit_version, latest_version, plan_for,
                                            public_items, public_participation, save_budget, set_work,
                                            version_by_number, version_changes, works_by_item)
from participation.plans.work_photos import may_upload, photos_by_item
from participation.templating import qr_svg

bp = Blueprint("plans", __name__)

LABELS = {"suggestion": SUGGESTION_LABELS, "version_status": VERSION_STATUS_LABELS, "work": WORK_STATUS_LABELS,
          "funding": FUNDING_LABELS}


def _to_plan(community):
    return redirect(url_for(".plan", community_code=community.code))


def _groups(items: list[dict]) -> list[tuple[str, list[dict]]]:
    return [(category, list(rows)) for category, rows in groupby(items, key=lambda row: row["category"])]


# --- the plan page and the budget --------------------------------------------------------------------------------

@bp.get("/c/<community_code>/plan")
@role_required(*HOUSEHOLD_READERS)
def plan(community_code: str):
    community = plan_community(community_code)
    result = plan_inputs(community)
    current = plan_for(community)
    versions = list(reversed(current.versions)) if current else []
    return render_template(
        "plans/plan.html", community=community, result=result, groups=_groups(result["items"]), plan=current,
        versions=versions, views={version.id: version_view(version) for version in versions},
        adopted=adopted_version(current), overrides=overrides_of(community), gate_label=gate_label,
        may_manage=can_manage_community(current_user, community), funding_lines=FUNDING_LINES + ("elevator_subsidy",),
        labels=LABELS, form=EmptyForm(), estimates=community_estimates(community))


@bp.route("/c/<community_code>/plan/budget", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def budget(community_code: str):
    community = plan_community(community_code, manage=True)
    form = BudgetForm()
    status, missing = 200, []
    if form.validate_on_submit():
        fields = {name: form[name].data for name in ("plan_year", "note", "raises_maintenance_fund")
                  + BUDGET_MONEY_FIELDS}
        try:
            save_budget(current_user, community, fields, override_reason=form.override_reason.data)
        except GateRefused as refused:
            missing, status = withdraw(refused).missing, 400
            form.form_errors.append(_("The budget was not saved."))
        except PlanRefused as refused:
            refuse_onto(form, refused)
            status = 400
        else:
            flash(_("Budget saved."), "success")
            return _to_plan(community)
    elif form.is_submitted():
        status = 400
    else:
        saved = budget_for(community)
        if saved is not None:
            form.plan_year.data = str(saved.plan_year)
            form.note.data = saved.note
            form.raises_maintenance_fund.data = saved.raises_maintenance_fund
            for name in BUDGET_MONEY_FIELDS:
                value = getattr(saved, name)
                form[name].data = "" if value is None else f"{value:f}"
    if status == 400 and not form.form_errors and not any(form[name].errors for name in form._fields):
        form.form_errors.append(_("The form could not be saved; please try again."))
    return render_template("plans/budget.html", community=community, form=form, funding_lines=FUNDING_LINES,
                           missing=missing, may_override=is_admin(current_user)), status


@bp.post("/c/<community_code>/plan/adopt-suggestions")
@role_required(*COMMUNITY_MANAGERS)
def adopt(community_code: str):
    community = plan_community(community_code, manage=True)
    button = EmptyForm()
    if not button.validate_on_submit():
        abort(400)
    try:
        adopt_suggestions(current_user, community, plan_inputs(community))
    except PlanRefused as refused:
        flash(withdraw(refused).message, "error")
        return _to_plan(community)
    flash(_("The suggestions are now version 1 of the plan, a draft."), "success")
    return redirect(url_for(".version", community_code=community.code, number=1))


# --- versions ----------------------------------------------------------------------------------------------------

def _version_page(community, shown, *, adopt_form=None, missing=(), status=200):
    previous = version_by_number(shown.plan, shown.number - 1)
    return render_template("plans/version.html", community=community, version=shown, previous=previous,
                           changes=version_changes(previous, shown), labels=LABELS, form=EmptyForm(),
                           adopt_form=adopt_form or AdoptForm(formdata=None), missing=list(missing),
                           view=version_view(shown), latest=latest_version(shown.plan),
                           may_override=is_admin(current_user),
                           may_manage=can_manage_community(current_user, community)), status


@bp.get("/c/<community_code>/plan/versions/<int:number>")
@role_required(*HOUSEHOLD_READERS)
def version(community_code: str, number: int):
    community = plan_community(community_code)
    return _version_page(community, plan_version(community, number))


@bp.post("/c/<community_code>/plan/versions/<int:number>/adopt")
@role_required(*COMMUNITY_MANAGERS)
def adopt_version_view(community_code: str, number: int):
    community = plan_community(community_code, manage=True)
    chosen = plan_version(community, number)
    form = AdoptForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _version_page(community, chosen, adopt_form=form, status=400)
    try:
        adopt_version(current_user, chosen, override_reason=form.override_reason.data)
    except GateRefused as refused:
        return _version_page(community, chosen, adopt_form=form, missing=withdraw(refused).missing, status=400)
    except PlanRefused as refused:
        flash(withdraw(refused).message, "error")
    else:
        flash(_("Version %(number)d is the adopted plan.", number=number), "success")
    return redirect(url_for(".version", community_code=community.code, number=number))


@bp.route("/c/<community_code>/plan/edit", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def edit(community_code: str):
    community = plan_community(community_code, manage=True)
    current = plan_for(community)
    latest = latest_version(current)
    if latest is None:
        flash(_("Adopt the suggestions first: they become version 1, which you can then edit."), "warning")
        return _to_plan(community)
    form = PlanEditForm()
    status = 200
    if form.validate_on_submit():
        try:
            made = edit_version(current_user, current, form.changes(), form.measures.data, form.reason.data)
        except PlanRefused as refused:
            _row_errors(form, refused)
            status = 400
        except IntegrityError:   # another organiser saved version N+1 in the same moment (UNIQUE plan, number):
            # edit_version flushed, so the clash surfaces here, not in the request's commit
            raced = PlanRefused({"": _("Someone else saved a new version at the same moment, so yours was not saved. "
                                       "Look at the latest version and make your changes again.")})
            flash(withdraw(raced).message, "error")
            return _to_plan(community)
        else:
            flash(_("Version %(number)d saved as a draft.", number=made.number), "success")
            return redirect(url_for(".version", community_code=community.code, number=made.number))
    elif form.is_submitted():
        status = 400
    if not form.is_submitted():
        for item in latest.items:
            form.items.append_entry({"code": item.item.code, "included": item.included,
                                     "quantity": f"{item.quantity:f}", "unit_cost": f"{item.unit_cost:f}"})
        form.measures.data = latest.measures
    items = {item.item.code: item for item in latest.items}
    rows = [(row, items[row.code.data]) for row in form.items if row.code.data in items]
    shown = {row["code"]: row for row in version_view(latest)["rows"]}
    return render_template("plans/edit.html", community=community, form=form, rows=rows, latest=latest,
                           shown=shown, labels=LABELS), status


def _row_errors(form: PlanEditForm, refused: PlanRefused) -> None:
    """Undo the refused save; ``code.field`` errors beside that row's field, ``measures``/``reason`` beside theirs,
    the rest on top."""
    rows = {row.code.data: row for row in form.items}
    top = {}
    for key, message in refused.errors.items():
        code, _dot, name = key.partition(".")
        row = rows.get(code)
        if row is not None and name in row.form._fields:
            row.form[name].errors = list(row.form[name].errors) + [message]
        else:
            top[key] = message
    refuse_onto(form, top)


# --- works -------------------------------------------------------------------------------------------------------

@bp.route("/c/<community_code>/plan/works", methods=["GET", "POST"])
@role_required(*HOUSEHOLD_READERS)
def works(community_code: str):
    community = plan_community(community_code, manage=request.method == "POST")
    may_manage = can_manage_community(current_user, community)
    current = plan_for(community)
    adopted = adopted_version(current)
    posted, status, missing = None, 200, []
    if request.method == "POST":
        posted = WorkForm()
        item = active_item(posted.item.data or "")
        status = 400
        if posted.validate_on_submit() and item is not None and current is not None:
            try:
                set_work(current_user, current, item, posted.status.data, started_on=posted.started_on.data,
                         finished_on=posted.finished_on.data, note=posted.note.data,
                         override_reason=posted.override_reason.data)
            except GateRefused as refused:
                missing = withdraw(refused).missing
            except PlanRefused as refused:
                refuse_onto(posted, refused)
            else:
                flash(_("Saved: %(item)s.", item=item.name), "success")
                return redirect(url_for(".works", community_code=community.code, _anchor=f"work-{item.code}"))
        elif not posted.form_errors and not any(field.errors for field in posted):
            posted.form_errors.append(_("Choose an item of the adopted plan."))
    have = works_by_item(current)
    rows = []
    for item in (adopted.items if adopted else []):
        if not item.included:
            continue
        work = have.get(item.item_id)
        if posted is not None and posted.item.data == item.item.code:
            form = posted
        else:
            form = WorkForm(formdata=None, item=item.item.code, status=work.status if work else "not_started",
                            started_on=work.started_on if work else None,
                            finished_on=work.finished_on if work else None, note=work.note if work else "")
        rows.append({"item": item, "work": work, "form": form})
    unmatched = posted if posted is not None and not any(row["form"] is posted for row in rows) else None
    return render_template("plans/works.html", community=community, adopted=adopted, rows=rows, labels=LABELS,
                           may_manage=may_manage, unmatched=unmatched, missing=missing, posted=posted,
                           may_override=is_admin(current_user), photos=photos_by_item(current),
                           may_upload_photos=may_upload(current_user, community)), status


# --- the printable notice, the downloads -------------------------------------------------------------------------

@bp.get("/c/<community_code>/plan/notice")
@role_required(*HOUSEHOLD_READERS)
def notice(community_code: str):
    community = plan_community(community_code)
    current = plan_for(community)
    shown = adopted_version(current) or latest_version(current)
    result = plan_inputs(community)
    view = version_view(shown) if shown is not None else None
    entry_url = url_for("resident.entry", community_code=community.code, _external=True)
    public = {row["code"]: row for row in public_items(result)}
    return render_template(
        "plans/notice.html", community=community, version=shown, view=view, result=result, public=public,
        participation=public_participation(result), entry_url=entry_url, labels=LABELS,
        qr=qr_svg(entry_url, label=_("QR code of the residents' page of %(community)s", community=community.name)))


def _download(community, kind: str):
    """The plan inputs as a file (audited: who took which community's figures away; the audit row commits with the
    request)."""
    data, filename, mimetype, _result = export_plan_inputs(current_user, community, kind)
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/c/<community_code>/plan.xlsx")
@role_required(*HOUSEHOLD_READERS)
def plan_xlsx(community_code: str):
    return _download(plan_community(community_code), "xlsx")


@bp.get("/c/<community_code>/plan.json")
@role_required(*HOUSEHOLD_READERS)
def plan_json(community_code: str):
    return _download(plan_community(community_code), "json")
