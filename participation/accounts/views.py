"""Accounts: admins manage staff accounts and organisations under /admin; every staff member changes their own
password at /account/password.

Other roles get 403 on the admin pages; an account outside a district admin's district answers 404.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms.fields.choices import SelectChoice

from participation.accounts.operations import (AccountError, change_own_password, create_organisation,
                                               create_staff_user, deactivate, delete_organisation, reactivate,
                                               set_password, update_organisation, update_user)
from participation.accounts.queries import (buildings_of, chosen_scope, communities_offered, districts_offered,
                                            organisation_in_use, organisations_by_kind, organisations_by_name)
from participation.accounts.user_list import users_page
from participation.extensions import db
from participation.forms import EmptyForm
from participation.handlers import refuse_onto, withdraw
from participation.models import ROLES, Organisation, User
from participation.paging import page_number
from participation.permissions import can_manage_user, role_required
from participation.reference.forms import (OrganisationForm, OwnPasswordForm, PasswordResetForm, UserCreateForm,
                                           UserEditForm)

bp = Blueprint("accounts", __name__)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_manage_user(current_user, user):
        abort(404)
    return user


def _fill_scope_choices(form, user: User | None = None) -> None:
    """Offer only what this admin may give: their district (or any, city-wide), their communities, and the
    buildings of the communities picked in the form (grid workers are scoped to buildings)."""
    form.district.choices = [SelectChoice("", _("No district"))] + [SelectChoice(str(d.id), d.name)
                                                                     for d in districts_offered(current_user)]
    communities = communities_offered(current_user)
    form.communities.choices = [SelectChoice(c.id, f"{c.code} {c.name}") for c in communities]
    picked = form.communities.data
    if not form.is_submitted() and user is not None and user.buildings:
        picked = sorted({building.community_id for building in user.buildings})
        if user.role == "grid":
            form.communities.data = picked
    allowed = {c.id for c in communities} & set(picked or [])
    form.buildings.choices = [SelectChoice(b.id, b.label, optgroup=b.community.name) for b in buildings_of(allowed)]
    form.organisation.choices = [SelectChoice("", "—")] + [SelectChoice(str(o.id), o.name)
                                                           for o in organisations_by_name()]


def _scope(form) -> dict:
    """The chosen scope as objects; every id was checked against the offered choices by the form."""
    return chosen_scope(int(form.district.data) if form.district.data else None, form.communities.data,
                        form.buildings.data, int(form.organisation.data) if form.organisation.data else None)


@bp.get("/admin/users")
@role_required("admin")
def users():
    """The accounts, 50 a page, by role and by a word of the username or name; a wrong page number is page 1."""
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    text = (request.args.get("q") or "").strip()[:40]
    page = users_page(current_user, role=role, text=text, page=page_number(request.args.get("page")))
    link_args = {name: value for name, value in (("role", role), ("q", text)) if value}
    return render_template("admin/users.html", page=page, users=page.rows, role=role, roles=ROLES, q=text,
                           link_args=link_args, button_form=EmptyForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    form = UserCreateForm()
    _fill_scope_choices(form)
    if form.is_submitted() and form.show_buildings.data:
        return render_template("admin/user_form.html", form=form, user=None)
    if form.validate_on_submit():
        try:
            user = create_staff_user(current_user, username=form.username.data, password=form.password.data,
                                     role=form.role.data, display_name=form.display_name.data, **_scope(form))
        except AccountError as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for(".users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    user = _user(user_id)
    form = UserEditForm()
    if not form.is_submitted():
        form.display_name.data, form.role.data = user.display_name, user.role
        form.district.data = str(user.district_id or "")
        form.communities.data = [c.id for c in user.communities]
        form.buildings.data = [b.id for b in user.buildings]
        form.organisation.data = str(user.organisation_id or "")
    _fill_scope_choices(form, user)
    if form.is_submitted() and form.show_buildings.data:
        return render_template("admin/user_form.html", form=form, user=user)
    if form.validate_on_submit():
        try:
            update_user(current_user, user, display_name=form.display_name.data, role=form.role.data,
                        **_scope(form))
        except AccountError as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Account %(username)s saved.", username=user.username), "success")
            return redirect(url_for(".users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user, button_form=EmptyForm()), status


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(user_id: int):
    user = _user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            set_password(current_user, user, form.password.data)
        except AccountError as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("New password set for %(username)s and their open sessions ended. Give it to them in person.",
                    username=user.username), "success")
            return redirect(url_for(".users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/password.html", form=form, user=user), status


@bp.post("/admin/users/<int:user_id>/deactivate")
@role_required("admin")
def deactivate_user(user_id: int):
    user = _user(user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        deactivate(current_user, user)
    except AccountError as refusal:
        flash(withdraw(refusal).message, "error")
    else:
        flash(_("Account %(username)s deactivated: it can no longer sign in.", username=user.username), "success")
    return redirect(url_for(".users"))


@bp.post("/admin/users/<int:user_id>/reactivate")
@role_required("admin")
def reactivate_user(user_id: int):
    user = _user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    reactivate(current_user, user)
    flash(_("Account %(username)s can sign in again.", username=user.username), "success")
    return redirect(url_for(".users"))


# --- organisations ----------------------------------------------------------------------------------------------

def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/admin/organisations")
@role_required("admin")
def organisations():
    return render_template("admin/organisations.html", organisations=organisations_by_kind(),
                           in_use=organisation_in_use,
                           button_form=EmptyForm())


@bp.route("/admin/organisations/new", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/admin/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_organisation(organisation_id: int | None):
    organisation = _organisation(organisation_id) if organisation_id is not None else None
    # Stored values fill the form on GET only: a POST missing fields must fail validation, not re-save them.
    form = OrganisationForm(obj=organisation) if request.method == "GET" else OrganisationForm()
    if form.validate_on_submit():
        fields = {"name": form.name.data, "kind": form.kind.data, "phone": form.phone.data,
                  "speciality": form.speciality.data}
        try:
            if organisation is None:
                organisation = create_organisation(current_user, **fields)
            else:
                update_organisation(current_user, organisation, **fields)
        except AccountError as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Organisation %(name)s saved.", name=organisation.name), "success")
            return redirect(url_for(".organisations"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/organisation_form.html", form=form, organisation=organisation), status


@bp.post("/admin/organisations/<int:organisation_id>/delete")
@role_required("admin")
def delete_organisation_view(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        delete_organisation(current_user, organisation)
    except AccountError as refusal:
        flash(withdraw(refusal).message, "error")
    else:
        flash(_("Organisation deleted."), "success")
    return redirect(url_for(".organisations"))


# --- one's own password -----------------------------------------------------------------------------------------

@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
def own_password():
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current.data, form.password.data)
        except AccountError as refusal:
            # The wrong password stays counted: the throttle commits its counts on a connection of its own.
            refuse_onto(form, refusal)
        else:
            # The change ended every session of the account; this browser carries on under the new version.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other browsers signed in as you have been signed out."),
                  "success")
            return redirect(url_for("main.staff_home"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/own_password.html", form=form), status
