"""Elevators per 单元 (加装电梯): the resident's page /r/<community_code>/elevator (my 单元's estimate, the subsidy of
the year or 未配置, my floor's coefficient and my estimated share before any vote, the request and the button that
starts it, 一家牵头) and the staff page /c/<community_code>/elevators (per 单元 that can take one: the request, the
estimate and shares, the homes the shaft would occupy and their owners' consent).

Resident pages serve the household this browser acts for (``residents.acting()``); staff acting for nobody and
visitors go to the start page; another community's page is 404 for a resident. The staff page is read by admins,
organisers, owner representatives and grid workers in scope (grid workers see their own buildings' 单元); changes
are for those who run the community. A role that may never use the page gets 403; a community outside the scope
or a 单元 of another community answers 404.
"""
from datetime import timezone

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation import handlers
from participation.elevators.forms import ConsentForm, ConsentVoteForm, EstimateForm, ShaftForm, StartForm
from participation.elevators.operations import (CONSENT_CHANNELS, ElevatorRefused, consent_reasons, consent_rule,
                                                mark_shaft_households, open_consent_vote, open_consultation,
                                                record_shaft_consent, set_estimate, settle_consent,
                                                shaft_consent_summary, start_request, vote_summary, withdraw)
from participation.elevators.queries import (active_request, elevator_units, latest_request, latest_requests, plan_year,
                                             visible_building_ids)
from participation.elevators.shares import share_of, unit_estimate, year_terms
from participation.extensions import db
from participation.formatting import BEIJING
from participation.forms import EmptyForm
from participation.guards import private, resident_or_start, staff_community
from participation.handlers import refuse_onto
from participation.models import Household, Unit
from participation.permissions import (COMMUNITY_MANAGERS, ELEVATOR_AND_AFTERCARE_READERS, can_manage_community,
                                       role_required)
from participation.reference.locality import current_year
from participation.votes.operations import VoteError

bp = Blueprint("elevators", __name__)

STATUS_LABELS = {
    "started": _l("Started (一家牵头)"), "consultation": _l("Consultation (意愿征询)"), "vote": _l("Owners' vote"),
    "approved": _l("Approved"), "rejected": _l("Not approved"), "withdrawn": _l("Withdrawn"),
}
# The consent vote's status, in the vote pages' words.
VOTE_STATUS_LABELS = {
    "draft": _l("Draft"), "open": _l("Voting open"), "preliminary": _l("Preliminary result (objection period)"),
    "final": _l("Final result"), "cancelled": _l("Cancelled"),
}


# --- the resident's page ------------------------------------------------------------------------------------------


def _resident_page(acting, form, status=200):
    household = acting.household
    unit = household.unit
    community = household.community
    request = latest_request(unit)
    estimate = unit_estimate(unit, plan_year(community), request=request if request and request.active else None)
    mine = next((owner for owner in request.shaft_owners if owner.household_id == household.id), None) \
        if request is not None and request.active else None
    return private(render_template(
        "elevators/resident.html", acting=acting, household=household, community=community, unit=unit,
        estimate=estimate, my_share=share_of(estimate, household), elevator_request=request, shaft_mine=mine,
        status_labels=STATUS_LABELS, form=form, withdraw_form=EmptyForm(), consent_vote=vote_summary(request),
        vote_status_labels=VOTE_STATUS_LABELS, this_year=current_year()), status)


@bp.get("/r/<community_code>/elevator")
def resident(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    return _resident_page(acting, StartForm())


@bp.post("/r/<community_code>/elevator/start")
def start(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    form = StartForm()
    if not form.validate_on_submit():
        return _resident_page(acting, form, 400)
    try:
        start_request(acting.household, channel=acting.channel, staff=acting.staff, note=form.note.data)
    except ElevatorRefused as refused:
        refuse_onto(form, refused)
        return _resident_page(acting, form, 400)
    flash(_("Your request was started. The organisers and your neighbours are told; the next step is the "
            "consultation of the 单元's owners."), "success")
    return redirect(url_for(".resident", community_code=community_code))


@bp.post("/r/<community_code>/elevator/withdraw")
def withdraw_own(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    request = active_request(acting.household.unit)
    form = EmptyForm()
    if request is None or not form.validate_on_submit():
        return _resident_page(acting, StartForm(), 400)
    try:
        withdraw(acting.staff, request, household=acting.household, channel=acting.channel)
    except ElevatorRefused as refused:
        start_form = StartForm()
        refuse_onto(start_form, refused)
        return _resident_page(acting, start_form, 400)
    flash(_("The request was withdrawn."), "success")
    return redirect(url_for(".resident", community_code=community_code))


# --- the staff page -----------------------------------------------------------------------------------------------

def _community(community_code: str, *, manage: bool = False):
    roles = COMMUNITY_MANAGERS if manage else ELEVATOR_AND_AFTERCARE_READERS
    return staff_community(community_code, roles=roles, manage=manage)


def _unit(community, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.building.community_id != community.id:
        abort(404)
    return unit


def _staff_page(community, status: int = 200):
    building_ids = visible_building_ids(current_user, community)
    year = plan_year(community)
    rows = []
    units = elevator_units(community, building_ids)
    latest, terms = latest_requests(units), year_terms(community.district.locality, year)
    for unit in units:
        request = latest.get(unit.id)
        active = request if request is not None and request.active else None
        vote = vote_summary(request)
        rows.append({"unit": unit, "request": request, "active": active,
                     "estimate": unit_estimate(unit, year, request=active, terms=terms),
                     "shaft": {owner.household_id: owner for owner in active.shaft_owners} if active else {},
                     "summary": shaft_consent_summary(active) if active else None, "vote": vote,
                     "reasons": consent_reasons(request) if vote and vote["status"] == "final" else []})
    rule = consent_rule(community, year)
    return render_template(
        "elevators/staff.html", community=community, year=year, rows=rows, status_labels=STATUS_LABELS,
        may_manage=can_manage_community(current_user, community), consent_channels=CONSENT_CHANNELS,
        form=EmptyForm(), vote_status_labels=VOTE_STATUS_LABELS, consent_rule=rule, this_year=current_year()), status


@bp.get("/c/<community_code>/elevators")
@role_required(*ELEVATOR_AND_AFTERCARE_READERS)
def staff(community_code: str):
    return _staff_page(_community(community_code))


def _act(community_code: str, unit_id: int, form, action):
    """Load, authorize, validate, run ``action(request, form)`` on the 单元's active request, redirect (the request
    commits); a refusal or a bad form shows the page again with the message (400), nothing changed."""
    community = _community(community_code, manage=True)
    unit = _unit(community, unit_id)
    request = active_request(unit)
    if request is None:
        flash(_("This 单元 has no elevator request under way."), "error")
        return _staff_page(community, 400)
    if hasattr(form, "households"):
        form.households.choices = [SelectChoice(household.id, household.room) for household in unit.households]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        if not form.errors:
            flash(_("The form could not be saved; please try again."), "error")
        return _staff_page(community, 400)
    try:
        message = action(request, form)
    except (ElevatorRefused, VoteError) as refused:
        flash(handlers.withdraw(refused).message, "error")   # undone; the page shows it as a flash, not on a form
        return _staff_page(community, 400)
    flash(message, "success")
    return redirect(url_for(".staff", community_code=community.code) + f"#unit-{unit.id}")


@bp.post("/c/<community_code>/elevators/<int:unit_id>/estimate")
@role_required(*COMMUNITY_MANAGERS)
def estimate(community_code: str, unit_id: int):
    def action(request, form):
        set_estimate(current_user, request, form.cost_estimate.data)
        return _("Estimate saved.")
    return _act(community_code, unit_id, EstimateForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/consultation")
@role_required(*COMMUNITY_MANAGERS)
def consultation(community_code: str, unit_id: int):
    def action(request, form):
        open_consultation(current_user, request)
        return _("The consultation is open; the 单元's households are told.")
    return _act(community_code, unit_id, EmptyForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/withdraw")
@role_required(*COMMUNITY_MANAGERS)
def withdraw_staff(community_code: str, unit_id: int):
    def action(request, form):
        withdraw(current_user, request)
        return _("The request was withdrawn.")
    return _act(community_code, unit_id, EmptyForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/shaft")
@role_required(*COMMUNITY_MANAGERS)
def shaft(community_code: str, unit_id: int):
    def action(request, form):
        households = [db.session.get(Household, household_id) for household_id in form.households.data]
        mark_shaft_households(current_user, request, households)
        return _("The homes the shaft would occupy are saved.")
    return _act(community_code, unit_id, ShaftForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/consent")
@role_required(*COMMUNITY_MANAGERS)
def consent(community_code: str, unit_id: int):
    def action(request, form):
        household = db.session.get(Household, form.household.data)
        if household is None or household.unit_id != request.unit_id:
            raise ElevatorRefused(_("Choose households of this 单元 only."))
        record_shaft_consent(current_user, request, household, form.consent.data == "yes", form.channel.data,
                             form.note.data)
        return _("The owner's answer is recorded.")
    return _act(community_code, unit_id, ConsentForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/vote")
@role_required(*COMMUNITY_MANAGERS)
def consent_vote(community_code: str, unit_id: int):
    def action(request, form):
        closes_at = form.closes_at.data.replace(tzinfo=BEIJING).astimezone(timezone.utc)
        open_consent_vote(current_user, request, closes_at=closes_at, hide_tallies=form.hide_tallies.data)
        return _("The consent vote is open; the 单元's households are told.")
    return _act(community_code, unit_id, ConsentVoteForm(), action)


@bp.post("/c/<community_code>/elevators/<int:unit_id>/settle")
@role_required(*COMMUNITY_MANAGERS)
def settle(community_code: str, unit_id: int):
    def action(request, form):
        settle_consent(current_user, request)
        return _("The elevator was approved.") if request.status == "approved" else \
            _("The elevator was not approved; the reasons are shown and the 单元's households are told.")
    return _act(community_code, unit_id, EmptyForm(), action)
