"""Staff-assisted mode: find a household, act for it through a channel, stop.

The follow-up list (/assist/follow-up) names the households of a community that have not answered its open needs
survey, each one a link to act for it: the staff to-do's follow-up visits.

Grid workers (their buildings), organisers and hotline staff may act (``can_act_for_household``); other roles get
403, and a household outside the user's scope answers 404. The staff member stays signed in; the household and the
channel live in the session, and the resident pages (``entry/views.py``) show them with a banner.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.dashboards import followup
from participation.entry import residents
from participation.entry.assisted import find_households, start_assisting
from participation.entry.forms import AssistForm, HouseholdSearchForm
from participation.entry.queries import communities_to_search
from participation.extensions import db
from participation.forms import EmptyForm
from participation.models import Household
from participation.permissions import ASSISTED_ENTRY_HELPERS, can_act_for_household, can_view_community, role_required
from participation.roster.communities import community_by_code
from participation.security import id_or_none

bp = Blueprint("assisted", __name__, url_prefix="/assist")


def _household(household_id: int) -> Household:
    household = db.session.get(Household, household_id)
    if household is None or not can_act_for_household(current_user, household):
        abort(404)
    return household


@bp.get("/")
@role_required(*ASSISTED_ENTRY_HELPERS)
def search():
    communities = communities_to_search(current_user)
    form = HouseholdSearchForm(request.args)
    form.community.choices = [SelectChoice(c.code, c.name) for c in communities]
    households = None
    chosen = request.args.get("community")
    if chosen:
        community = community_by_code(chosen)
        if community is None or not can_view_community(current_user, community):
            abort(404)
        if form.validate():
            households = find_households(current_user, community, building=form.building.data or "",
                                         unit=form.unit.data or "", room=form.room.data or "")
    return render_template("assisted/search.html", form=form, households=households, communities=communities)


@bp.get("/follow-up")
@role_required(*ASSISTED_ENTRY_HELPERS)
def follow_up():
    """The follow-up visits of a community (回访入户): households that have not answered its open needs survey, by
    building, in the buildings the user may visit; ``?low=1`` keeps buildings under 30 %, ``?building=<id>`` one."""
    community = community_by_code(request.args.get("community", ""))
    if community is None or not can_view_community(current_user, community):
        abort(404)
    visits = followup.follow_up(current_user, [community.id], followup.community_surveys([community.id]),
                                building_id=id_or_none(request.args.get("building")),
                                low_only=request.args.get("low") == "1").get(community.id)
    return render_template("assisted/follow_up.html", community=community, visits=visits,
                           low=request.args.get("low") == "1", percent=followup.LOW_RESPONSE_PERCENT)


@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@role_required(*ASSISTED_ENTRY_HELPERS)
def household(household_id: int):
    household = _household(household_id)
    form = AssistForm()
    if form.validate_on_submit():
        start_assisting(current_user, household, form.channel.data)
        residents.start_assisting(household, form.channel.data)
        return redirect(url_for("resident.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("assisted/household.html", household=household, community=household.community,
                           form=form), status


@bp.post("/stop")
@role_required(*ASSISTED_ENTRY_HELPERS)
def stop():
    assisting = residents.assisted_household()
    if EmptyForm().validate_on_submit():
        residents.stop_assisting()
        if assisting is not None:
            flash(_("You stopped acting for %(address)s.", address=assisting.household.address))
            return redirect(url_for(".household", household_id=assisting.household.id))
    return redirect(url_for(".search"))
