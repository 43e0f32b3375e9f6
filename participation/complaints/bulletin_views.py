"""The complaint figures: the 每周通报 (``/bulletin``, printable, and ``/bulletin.xlsx``), the three rates per
community, agency and period (``/rates``), and patrol findings (``/patrols``, ``/patrols/new``).

Who: hotline staff, organisers and admins read the bulletin and the rates of the communities they see
(``visible_communities``); an agency reads them for its own tickets only. Patrol findings are filed by 监理 (agency
accounts of a supervisor organisation, for the communities they supervise) and 居民监督员 (owner representatives,
see ``participation.complaints.patrols``); the readers above and the filers read them, a contractor those of its
works. Grid workers have none of these pages (403).

Rectification (``/patrols/<id>/rectify``, ``/verify``, ``/return``): a finding the user may not read answers 404; a
reader who may not take the step (desk staff, another organisation, a contractor asked to verify) 403; a refused
step (wrong state, no note, a bad photo) shows the list again with the reason (400), nothing changed.
"""
import io
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from participation.charts import chart_fragment, grouped_bar_chart
from participation.complaints.bulletin import bulletin_xlsx, weekly_bulletin
from participation.complaints.patrol_forms import FindingForm
from participation.complaints.patrols import (MAX_NOTE, FindingForbidden, FindingRefused, finding_actions,
                                              finding_source, may_rectify, may_verify, record_finding, rectify_finding,
                                              return_finding, verify_finding, visible_finding)
from participation.complaints.queries import (building_named, categories_of_localities, communities_to_patrol,
                                              findings_shown)
from participation.complaints.rates import complaint_rates, iso_week, periods_between, week_of
from participation.extensions import db
from participation.formatting import BEIJING, beijing_midnight, week_label
from participation.handlers import refuse_onto, withdraw
from participation.models import Community, ComplaintCategory, PatrolFinding
from participation.models.types import utcnow
from participation.permissions import PATROL_FILERS, PATROL_READERS, TICKET_READERS, role_required, visible_communities

bp = Blueprint("bulletin", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PERIODS = 60
FINDINGS_SHOWN = 200
SOURCE_LABELS = {"supervisor": _l("Supervisor patrol (监理)"), "resident_supervisor": _l("Resident supervisor")}
RATE_NAMES = {"response_rate": _l("Timely response rate"), "resolution_rate": _l("Resolution rate"),
              "satisfaction_rate": _l("Satisfaction rate")}


def _scope() -> dict:
    """What the reader's figures cover: the communities they see; an agency only its own tickets."""
    return {"communities": visible_communities(current_user),
            "agency_id": (current_user.organisation_id or -1) if current_user.role == "agency" else None}


def _week() -> str:
    raw = request.args.get("week", "").strip()
    if raw:
        try:
            return iso_week(raw).key
        except ValueError:
            flash(_("Give the week as year and week number, for example 2025-W45; showing this week."), "error")
    return week_of(utcnow())


def _rates_chart(rows: list[dict], chart_id: str, label: str):
    if not rows:
        return chart_fragment(None, chart_id)
    figure = grouped_bar_chart([row["label"] for row in rows],
                               [(str(name), [row[key] for row in rows]) for key, name in RATE_NAMES.items()])
    return chart_fragment(figure, chart_id, label=label)


@bp.get("/bulletin")
@role_required(*TICKET_READERS)
def week():
    key = _week()
    result = weekly_bulletin(key, **_scope())
    monday = result["first_day"]
    return render_template("bulletin/week.html", result=result, source_labels=SOURCE_LABELS,
                           week_words=week_label(result["week"]),
                           previous=week_of(beijing_midnight(monday - timedelta(days=3))),
                           following=week_of(beijing_midnight(monday + timedelta(days=10))))


@bp.get("/bulletin.xlsx")
@role_required(*TICKET_READERS)
def week_xlsx():
    key = _week()
    result = weekly_bulletin(key, **_scope())
    return send_file(io.BytesIO(bulletin_xlsx(result)), mimetype=XLSX, as_attachment=True,
                     download_name=f"bulletin-{result['week']}.xlsx", max_age=0)


def _day(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("Dates are written 2025-11-03; the default period is shown."), "error")
        return default


@bp.get("/rates")
@role_required(*TICKET_READERS)
def rates():
    today = utcnow().astimezone(BEIJING).date()
    unit = request.args.get("period", "week")
    if unit not in ("week", "month"):
        flash(_("Choose weeks or months."), "error")
        unit = "week"
    last = _day("to", today)
    first = _day("from", last - timedelta(days=7 * 8 - 1) if unit == "week" else
                 (last.replace(day=1) - timedelta(days=150)).replace(day=1))
    if first > last:
        flash(_("The first day comes after the last; they were swapped."), "error")
        first, last = last, first
    periods = periods_between(first, last, unit)
    if len(periods) > MAX_PERIODS:
        flash(_("At most %(count)d periods at a time; showing the last ones.", count=MAX_PERIODS), "error")
        periods = periods[-MAX_PERIODS:]
    start, end = periods[0].start, periods[-1].end
    scope = _scope()
    by_period = complaint_rates(start, end, by="period", periods=periods, **scope)
    by_community = complaint_rates(start, end, by="community", **scope)
    by_agency = complaint_rates(start, end, by="agency", **scope)
    return render_template(
        "bulletin/rates.html", unit=unit, first=periods[0].first_day, last=periods[-1].end.astimezone(BEIJING).date()
        - timedelta(days=1), by_period=by_period, by_community=by_community, by_agency=by_agency,
        period_chart=_rates_chart(by_period["rows"], "chart-rates-period", _("Rates by period")),
        community_chart=_rates_chart(by_community["rows"], "chart-rates-community", _("Rates by community")),
        agency_chart=_rates_chart(by_agency["rows"], "chart-rates-agency", _("Rates by agency")))


# --- patrol findings ----------------------------------------------------------------------------------------------

def _finding_choices(form: FindingForm, communities: list[Community]) -> None:
    form.community.choices = [("", _("Choose…"))] + [(c.code, f"{c.code} {c.name}") for c in communities]
    form.category.choices = [(0, _("Choose…"))] + [(c.id, c.name) for c in categories_of_localities(communities)]


@bp.route("/patrols/new", methods=["GET", "POST"])
@role_required(*PATROL_FILERS)
def new_finding():
    if finding_source(current_user) is None:
        abort(403)   # a contractor or pipeline company inspects nobody's works
    communities = communities_to_patrol(current_user)
    form = FindingForm()
    _finding_choices(form, communities)
    if request.method == "GET" and request.args.get("community"):
        form.community.data = request.args["community"]
    status = 200
    if form.validate_on_submit():
        community = next(c for c in communities if c.code == form.community.data)
        category = db.session.get(ComplaintCategory, form.category.data)
        building = None
        if (form.building.data or "").strip():
            building = building_named(community, [form.building.data.strip()])
            if building is None:
                form.building.errors = [*form.building.errors, _("There is no such building in this community.")]
        if building is not None or not (form.building.data or "").strip():
            try:
                record_finding(current_user, community, category, form.description.data,
                               building=building, place=form.place.data, photos=request.files.getlist("photos"))
            except FindingRefused as error:
                refuse_onto(form, error)
            else:
                flash(_("The finding was recorded; the contractor has been told."), "success")
                return redirect(url_for(".findings"))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("bulletin/patrol_new.html", form=form, communities=communities,
                           source=finding_source(current_user), source_labels=SOURCE_LABELS), status


@bp.get("/patrols")
@role_required(*PATROL_READERS)
def findings():
    return _findings_page()


def _findings_page(errors: dict | None = None, drafts: dict | None = None, status: int = 200):
    """The list of findings with each one's state, its latest step and the steps the user may take; ``errors`` and
    ``drafts`` (finding id → message, text typed) show a refused step again."""
    rows, buildings, names = findings_shown(current_user, FINDINGS_SHOWN)
    details = {}
    for row in rows:
        rectification_photos = {photo_id for event in row.events for photo_id in event.photo_ids or ()}
        details[row.id] = {"photos": sum(1 for photo in row.photos if photo.id not in rectification_photos),
                           "last": row.events[-1] if row.events else None,
                           "actions": finding_actions(current_user, row)}
    return render_template("bulletin/patrols.html", findings=rows, buildings=buildings,
                           source_labels=SOURCE_LABELS, details=details, names=names,
                           errors=errors or {}, drafts=drafts or {}, max_note=MAX_NOTE,
                           may_file=current_user.role in PATROL_FILERS and finding_source(current_user) is not None,
                           shown=FINDINGS_SHOWN), status


def _acting_on(finding_id: int, allowed) -> PatrolFinding:
    """The finding if the user may read it (else 404) and may take this kind of step on it (else 403)."""
    finding = visible_finding(current_user, finding_id)
    if finding is None:
        abort(404)
    if not allowed(current_user, finding):
        abort(403)
    return finding


def _step(finding: PatrolFinding, take, done: str, typed: str | None = None):
    """Take a step (the CSRF token was checked by CSRFProtect before the view) and go back to the list (the request
    commits it), or show the list again with the reason."""
    try:
        take()
    except FindingForbidden:
        abort(403)   # the request rolls back what the step flushed
    except FindingRefused as error:
        return _findings_page({finding.id: str(withdraw(error))}, {finding.id: typed}, 400)
    flash(done, "success")
    return redirect(url_for(".findings", _anchor=f"finding-{finding.id}"))


@bp.post("/patrols/<int:finding_id>/rectify")
@role_required(*PATROL_READERS)
def rectify(finding_id: int):
    finding = _acting_on(finding_id, may_rectify)
    note = request.form.get("note", "")
    return _step(finding, lambda: rectify_finding(current_user, finding, note, photos=request.files.getlist("photos")),
                 _("Marked rectified; the supervisor has been asked to check it."), note)


@bp.post("/patrols/<int:finding_id>/verify")
@role_required(*PATROL_READERS)
def verify(finding_id: int):
    finding = _acting_on(finding_id, may_verify)
    return _step(finding, lambda: verify_finding(current_user, finding),
                 _("The rectification was verified; the contractor has been told."))


@bp.post("/patrols/<int:finding_id>/return")
@role_required(*PATROL_READERS)
def send_back(finding_id: int):
    finding = _acting_on(finding_id, may_verify)
    reason = request.form.get("reason", "")
    return _step(finding, lambda: return_finding(current_user, finding, reason),
                 _("The finding was sent back to the contractor."), reason)
