"""The locality's list of reviewing parties (联合共审), under /admin on the "admin" blueprint: the departments (规自,
城管, 房管 …) and pipeline companies (water, power, gas, heating, telecom …) asked to sign off every plan of the
locality's communities. Admins only (others 403); a locality a district admin does not manage answers 404.
Reviews already opened keep the parties they listed (a snapshot)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.forms import EmptyForm
from participation.handlers import withdraw
from participation.jointreview.forms import PartyForm
from participation.jointreview.operations import ReviewRefused, add_party, remove_party
from participation.jointreview.queries import locality_parties, localities_for, reviewing_organisations
from participation.models import Locality, Organisation, ReviewParty
from participation.permissions import REVIEW_PARTY_KINDS, can_manage_locality, role_required
from participation.reference.admin_blueprint import bp


def _locality(locality_id: int) -> Locality:
    locality = db.session.get(Locality, locality_id)
    if locality is None or not can_manage_locality(current_user, locality):
        abort(404)
    return locality


def _party_form(locality: Locality) -> PartyForm:
    form = PartyForm()
    listed = {row.organisation_id for row in locality_parties(locality.id)}
    form.organisation.choices = [SelectChoice(str(o.id), o.name) for o in reviewing_organisations(REVIEW_PARTY_KINDS)
                                 if o.id not in listed]
    return form


@bp.get("/review-parties")
@role_required("admin")
def review_parties():
    rows = [{"locality": locality, "parties": locality_parties(locality.id), "form": _party_form(locality)}
            for locality in localities_for(current_user) if can_manage_locality(current_user, locality)]
    return render_template("jointreview/parties.html", rows=rows, button=EmptyForm())


@bp.post("/review-parties/<int:locality_id>")
@role_required("admin")
def add_review_party(locality_id: int):
    locality = _locality(locality_id)
    form = _party_form(locality)
    if not form.validate_on_submit():
        abort(400)
    chosen = form.organisation.data or ""
    organisation = db.session.get(Organisation, int(chosen)) if chosen.isdigit() else None
    if organisation is None:
        flash(_("Choose a department or pipeline company."), "error")
        return redirect(url_for(".review_parties"))
    try:
        add_party(current_user, locality, organisation)
    except ReviewRefused as refusal:
        flash(withdraw(refusal).message, "error")
    else:
        flash(_("%(name)s now reviews the plans of %(place)s.", name=organisation.name, place=locality.name),
              "success")
    return redirect(url_for(".review_parties", _anchor=f"locality-{locality.id}"))


@bp.post("/review-parties/<int:locality_id>/<int:party_id>/remove")
@role_required("admin")
def remove_review_party(locality_id: int, party_id: int):
    locality = _locality(locality_id)
    party = db.session.get(ReviewParty, party_id)
    if party is None or party.locality_id != locality.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = party.organisation.name
    remove_party(current_user, party)
    flash(_("%(name)s no longer reviews new plans of %(place)s.", name=name, place=locality.name), "success")
    return redirect(url_for(".review_parties", _anchor=f"locality-{locality.id}"))
