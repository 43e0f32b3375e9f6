"""Printable A4 code slips per 单元, per-household code regeneration, and the QR poster per building.

Who: issuing codes (slips, regeneration) is for those who manage the community's roster — admins and organisers
(``can_issue_codes``). Grid workers may print the building poster for their own buildings, which carries no code;
they do not issue codes, because reissuing revokes every resident's slip and belongs with the accountable organiser.
Owner representatives, hotline staff and agencies may not use these pages (403).

Codes are stored hashed, so a code can be printed only in the response that issued it: the printed page is rendered
straight from the POST and marked ``no-store``.
"""
from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.entry.forms import IssueSlipsForm
from participation.extensions import db
from participation.forms import EmptyForm
from participation.guards import staff_community
from participation.models import Building, Household, Unit
from participation.permissions import SLIP_PRINTERS, can_issue_codes, can_view_building, role_required
from participation.roster.codes import display, issue_code, issue_unit_codes, live_code
from participation.roster.queries import communities_seen_by
from participation.templating import qr_svg

bp = Blueprint("slips", __name__, url_prefix="/slips")


def _issuer_community(code: str):
    community = staff_community(code)
    if not can_issue_codes(current_user, community):
        abort(403)
    return community


def _in_community(model, object_id: int, community):
    obj = db.session.get(model, object_id)
    building = {Unit: lambda o: o.building, Household: lambda o: o.unit.building, Building: lambda o: o}
    if obj is None or building[model](obj).community_id != community.id:
        abort(404)
    return obj


def _no_store(html: str):
    return html, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _entry_url(community) -> str:
    return url_for("resident.entry", community_code=community.code, _external=True)


def _slip(household, code: str) -> dict:
    entry_url = _entry_url(household.community)
    label = _("QR code that opens the page of %(address)s", address=household.address)
    return {"household": household, "code": display(code), "entry_url": entry_url,
            "qr": qr_svg(f"{entry_url}#{code}", label=label)}


@bp.get("/")
@role_required(*SLIP_PRINTERS)
def index():
    return render_template("slips/index.html", communities=communities_seen_by(current_user))


@bp.get("/<community_code>")
@role_required(*SLIP_PRINTERS)
def community(community_code: str):
    community = staff_community(community_code)
    buildings = [b for b in community.buildings if can_view_building(current_user, b)]
    return render_template("slips/community.html", community=community, buildings=buildings,
                           may_issue=can_issue_codes(current_user, community))


@bp.route("/<community_code>/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(*SLIP_PRINTERS)
def unit(community_code: str, unit_id: int):
    community = _issuer_community(community_code)
    unit = _in_community(Unit, unit_id, community)
    form = IssueSlipsForm()
    if form.validate_on_submit():
        reissue_all = form.mode.data == "all"
        if reissue_all and form.confirmed.data != "yes":
            return render_template("slips/confirm_reissue.html", community=community, unit=unit)
        issued = issue_unit_codes(current_user, unit, reissue_all=reissue_all)
        return _no_store(render_template("slips/print.html", community=community, unit=unit,
                                         slips=[_slip(household, code) for household, code in issued]))
    status = 400 if form.is_submitted() else 200
    households = [(household, live_code(household)) for household in unit.households]
    return render_template("slips/unit.html", community=community, unit=unit, households=households,
                           form=form, regenerate_form=EmptyForm()), status


@bp.route("/<community_code>/households/<int:household_id>/regenerate", methods=["GET", "POST"])
@role_required(*SLIP_PRINTERS)
def regenerate(community_code: str, household_id: int):
    community = _issuer_community(community_code)
    household = _in_community(Household, household_id, community)
    form = EmptyForm()
    if form.validate_on_submit():
        code = issue_code(current_user, household)
        return _no_store(render_template("slips/print.html", community=community, unit=household.unit,
                                         slips=[_slip(household, code)], regenerated=True))
    status = 400 if form.is_submitted() else 200
    return render_template("slips/confirm_regenerate.html", community=community, household=household,
                           form=form, has_code=live_code(household) is not None), status


@bp.get("/<community_code>/buildings/<int:building_id>/poster")
@role_required(*SLIP_PRINTERS)
def poster(community_code: str, building_id: int):
    community = staff_community(community_code)
    building = _in_community(Building, building_id, community)
    if not can_view_building(current_user, building):
        abort(404)
    entry_url = _entry_url(community)
    return render_template("slips/poster.html", community=community, building=building, entry_url=entry_url,
                           qr=qr_svg(entry_url, label=_("QR code of the residents' page of %(community)s",
                                                        community=community.name)))

