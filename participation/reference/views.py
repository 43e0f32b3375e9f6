"""Administration under /admin: locality rules and the item catalogue.

Every page is for admins only (403 for other staff). A district admin works on their district's locality; another
locality answers 404. Accounts and organisations are in ``accounts/views.py``, the audit log, on this same "admin"
blueprint, in ``accounts/audit_views.py``.
"""
import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.formatting import plain_number
from participation.forms import EmptyForm
from participation.handlers import refuse_onto
from participation.models import RULE_KINDS, CatalogueItem, Locality, LocalityRule
from participation.permissions import can_manage_locality, role_required
from participation.reference.admin_blueprint import bp
from participation.reference.catalogue import (ItemInvalid, catalogue_as_dicts, catalogue_sections, category_names,
                                               create_item, restore_item, retire_item, update_item)
from participation.reference.forms import ItemForm, RuleForm
from participation.reference.locality import (FIRST_YEAR, LAST_YEAR, RuleInvalid, create_rule, current_year,
                                              delete_rule, describe, rules_by_kind, update_rule, year_table)
from participation.reference.queries import catalogue_item, localities
from participation.reference.seed import default_locality


@bp.app_template_global("rule_value")
@bp.app_template_filter("rule_value")
def rule_value(rule):
    """{{ rule_value(rule) }} or {{ rule|rule_value }}: a locality rule's value as people read it, 未配置 when
    there is none (never 0)."""
    return describe(rule)


def _visible_localities() -> list[Locality]:
    return [locality for locality in localities() if can_manage_locality(current_user, locality)]


def _home_locality() -> Locality | None:
    """The admin's own locality: their district's, or the first one for a city-wide admin."""
    if current_user.district_id is not None:
        return current_user.district.locality
    return default_locality()


def _locality(locality_id: int) -> Locality:
    locality = db.session.get(Locality, locality_id)
    if locality is None or not can_manage_locality(current_user, locality):
        abort(404)
    return locality


def _rule(rule_id: int) -> LocalityRule:
    rule = db.session.get(LocalityRule, rule_id)
    if rule is None or not can_manage_locality(current_user, rule.locality):
        abort(404)
    return rule


@bp.get("/")
@role_required("admin")
def index():
    return render_template("admin/index.html", localities=_visible_localities(), year=current_year())


# --- locality rules ---------------------------------------------------------------------------------------------

@bp.get("/localities/<int:locality_id>/rules")
@role_required("admin")
def rules(locality_id: int):
    locality = _locality(locality_id)
    return render_template("admin/rules.html", locality=locality, grouped=rules_by_kind(locality),
                           delete_form=EmptyForm(), year=current_year())


def _rule_form_page(form, locality, rule, status=200):
    return render_template("admin/rule_form.html", form=form, locality=locality, rule=rule), status


@bp.route("/localities/<int:locality_id>/rules/new", methods=["GET", "POST"])
@role_required("admin")
def new_rule(locality_id: int):
    locality = _locality(locality_id)
    form = RuleForm()
    if request.method == "GET" and request.args.get("kind") in RULE_KINDS:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            rule = create_rule(current_user, locality, form.kind.data, form.data)
        except RuleInvalid as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Rule saved."), "success")
            return redirect(url_for(".rules", locality_id=locality.id, _anchor=f"kind-{rule.kind}"))
    return _rule_form_page(form, locality, None, 400 if form.is_submitted() else 200)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_rule(rule_id: int):
    rule = _rule(rule_id)
    form = RuleForm(obj=rule if request.method == "GET" else None)
    form.kind.data = rule.kind  # a rule's kind is fixed; make a new rule for another kind
    if request.method == "GET":
        form.number_value.data = "" if rule.number_value is None else plain_number(rule.number_value)
        form.valid_to.data = "" if rule.valid_to is None else str(rule.valid_to)
        form.unit.data = rule.unit or ""
    if form.validate_on_submit():
        try:
            update_rule(current_user, rule, form.data)
        except RuleInvalid as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Rule saved."), "success")
            return redirect(url_for(".rules", locality_id=rule.locality_id, _anchor=f"kind-{rule.kind}"))
    return _rule_form_page(form, rule.locality, rule, 400 if form.is_submitted() else 200)


@bp.post("/rules/<int:rule_id>/delete")
@role_required("admin")
def delete_rule_view(rule_id: int):
    rule = _rule(rule_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    locality_id, kind = rule.locality_id, rule.kind
    delete_rule(current_user, rule)
    flash(_("Rule deleted."), "success")
    return redirect(url_for(".rules", locality_id=locality_id, _anchor=f"kind-{kind}"))


@bp.get("/localities/<int:locality_id>/year")
@role_required("admin")
def rules_by_year(locality_id: int):
    locality = _locality(locality_id)
    year, status = current_year(), 200
    typed = request.args.get("year", "").strip()
    if typed:
        if typed.isdigit() and FIRST_YEAR <= int(typed) <= LAST_YEAR:
            year = int(typed)
        else:
            flash(_("A year is a whole number from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
                  "error")
            status = 400
    return render_template("admin/rules_year.html", locality=locality, year=year,
                           rows=year_table(locality, year), kinds=RULE_KINDS), status


# --- catalogue --------------------------------------------------------------------------------------------------

def _item(code: str) -> CatalogueItem:
    item = catalogue_item(code)
    if item is None:
        abort(404)
    return item


def _category_choices(form: ItemForm, locality: Locality | None, item: CatalogueItem | None) -> dict:
    names = category_names(locality, current_year())
    if item is not None and item.category not in names:
        names[item.category] = category_names(locality).get(item.category, item.category)
    form.category.choices = [SelectChoice(code, name) for code, name in names.items()]
    return names


@bp.get("/catalogue")
@role_required("admin")
def catalogue():
    locality, year = _home_locality(), current_year()
    return render_template("admin/catalogue.html", sections=catalogue_sections(locality, year), locality=locality,
                           year=year, button_form=EmptyForm())


@bp.get("/catalogue.json")
@role_required("admin")
def catalogue_json():
    body = json.dumps(catalogue_as_dicts(include_retired=request.args.get("include_retired") == "1"),
                      ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=catalogue.json"})


@bp.route("/catalogue/new", methods=["GET", "POST"])
@role_required("admin")
def new_item():
    form = ItemForm()
    names = _category_choices(form, _home_locality(), None)
    if form.validate_on_submit():
        try:
            item = create_item(current_user, form.data, allowed_categories=names)
        except ItemInvalid as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Item %(code)s added.", code=item.code), "success")
            return redirect(url_for(".catalogue", _anchor=f"item-{item.code}"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/item_form.html", form=form, item=None), status


@bp.route("/catalogue/<code>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_item(code: str):
    item = _item(code)
    form = ItemForm(obj=item if request.method == "GET" else None)
    names = _category_choices(form, _home_locality(), item)
    if request.method == "GET":
        form.unit_cost.data = plain_number(item.unit_cost)
        form.owner_matter.data = str(item.owner_matter or "")
    if form.validate_on_submit():
        try:
            update_item(current_user, item, form.data, allowed_categories=names)
        except ItemInvalid as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Item %(code)s saved.", code=item.code), "success")
            return redirect(url_for(".catalogue", _anchor=f"item-{item.code}"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/item_form.html", form=form, item=item), status


@bp.post("/catalogue/<code>/retire")
@role_required("admin")
def retire(code: str):
    item = _item(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    retire_item(current_user, item)
    flash(_("Item %(code)s retired: it stays on record but is no longer offered.", code=item.code), "success")
    return redirect(url_for(".catalogue", _anchor=f"item-{item.code}"))


@bp.post("/catalogue/<code>/restore")
@role_required("admin")
def restore(code: str):
    item = _item(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    restore_item(current_user, item)
    flash(_("Item %(code)s is offered again.", code=item.code), "success")
    return redirect(url_for(".catalogue", _anchor=f"item-{item.code}"))
