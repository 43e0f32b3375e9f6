"""The survey builder (/c/<code>/surveys, /surveys/<id>/…): the lists, a new survey, its settings, opening and
closing, copies, the item block, the preview and the printable paper version. Pages, questions and choices are
surveys/views/builder_questions.py; loading and authorizing (and who may) are surveys.builder.web.

Only drafts change: the operations refuse anything else with ``SurveyStateError``, shown as a message.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.handlers import refuse_onto
from participation.models import Community, Household, Unit
from participation.permissions import COMMUNITY_MANAGERS, DECISION_READERS, can_manage_community, role_required
from surveys.builder import operations as builder, queries
from surveys.builder.forms import CopyForm, ItemsForm, NewSurveyForm, SurveySettingsForm
from surveys.builder.itemblock import block_items
from surveys.builder.questions import BuilderError, ordered_sections
from surveys.builder.web import (bp, community_or_404, editable_or_redirect, lang, may_edit, refused, survey_or_404,
                                 survey_page)
from surveys.models import Survey, SurveyStateError


def _pages(survey: Survey) -> list:
    return [(section, sorted(section.questions, key=lambda q: q.position)) for section in ordered_sections(survey)]


# --- lists and creation ---------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/surveys")
@role_required(*DECISION_READERS)
def community_surveys(community_code: str):
    community = community_or_404(community_code)
    return render_template("surveys/builder_list.html", community=community,
                           rows=queries.community_surveys(community),
                           may_manage=can_manage_community(current_user, community))


@bp.route("/c/<community_code>/surveys/new", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def new_survey(community_code: str):
    community = community_or_404(community_code, manage=True)
    return _create(community)


@bp.get("/surveys/templates")
@role_required(*COMMUNITY_MANAGERS)
def templates():
    return render_template("surveys/builder_templates.html", templates=queries.survey_templates(),
                           may_manage=current_user.role == "admin")


@bp.route("/surveys/templates/new", methods=["GET", "POST"])
@role_required("admin")
def new_template():
    return _create(None)


def _create(community: Community | None):
    form = NewSurveyForm()
    templates = queries.survey_templates()
    form.template.choices = [SelectChoice(0, "—")] + [SelectChoice(t.id, t.label(lang())) for t in templates]
    status = 200
    if form.validate_on_submit():
        template = next((t for t in templates if t.id == form.template.data), None)
        try:
            survey = builder.create_survey(current_user, community, form.settings(), kind=form.kind.data,
                                           template=template)
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("The draft survey is created. Check its questions, then open it."), "success")
            return survey_page(survey)
    elif form.is_submitted():
        status = 400
    return render_template("surveys/builder_new.html", form=form, community=community, templates=templates), status


# --- the survey page ------------------------------------------------------------------------------------------

@bp.get("/surveys/<int:survey_id>")
@role_required(*DECISION_READERS)
def survey(survey_id: int):
    survey = survey_or_404(survey_id)
    counts = queries.response_counts([survey.id])[survey.id]
    return render_template("surveys/builder_survey.html", survey=survey, pages=_pages(survey), counts=counts,
                           status=survey.effective_status(), may_edit=may_edit(survey),
                           editable=may_edit(survey) and survey.status == "draft", lang=lang(),
                           may_copy=current_user.role in COMMUNITY_MANAGERS)


@bp.route("/surveys/<int:survey_id>/settings", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def settings(survey_id: int):
    survey = survey_or_404(survey_id, manage=True)
    if (refusal := editable_or_redirect(survey)) is not None:
        return refusal
    form = SurveySettingsForm()
    status = 200
    if form.validate_on_submit():
        try:
            builder.update_survey(current_user, survey, form.settings())
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return survey_page(survey)
    elif form.is_submitted():
        status = 400
    else:
        form.fill(survey)
    return render_template("surveys/builder_settings.html", survey=survey, form=form), status


def _state_change(survey_id: int, operation, message: str):
    survey = survey_or_404(survey_id, manage=True)
    try:
        operation(current_user, survey)
    except (SurveyStateError, BuilderError) as error:
        return refused(survey, error)
    flash(message, "success")
    return survey_page(survey)


@bp.post("/surveys/<int:survey_id>/open")
@role_required(*COMMUNITY_MANAGERS)
def open_survey(survey_id: int):
    return _state_change(survey_id, builder.open_survey, _("The survey is open: households can answer now."))


@bp.post("/surveys/<int:survey_id>/close")
@role_required(*COMMUNITY_MANAGERS)
def close_survey(survey_id: int):
    return _state_change(survey_id, builder.close_survey, _("The survey is closed. Answers are kept."))


@bp.post("/surveys/<int:survey_id>/delete")
@role_required(*COMMUNITY_MANAGERS)
def delete_survey(survey_id: int):
    survey = survey_or_404(survey_id, manage=True)
    target = (url_for(".templates") if survey.is_template else
              url_for(".community_surveys", community_code=survey.community.code))
    try:
        builder.delete_survey(current_user, survey)
    except (SurveyStateError, BuilderError) as error:
        return refused(survey, error)
    flash(_("The draft is deleted."), "success")
    return redirect(target)


@bp.route("/surveys/<int:survey_id>/copy", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def copy(survey_id: int):
    survey = survey_or_404(survey_id)
    targets = queries.copy_targets(current_user)
    form = CopyForm()
    form.communities.choices = [SelectChoice(c.id, f"{c.name}（{c.code}）") for c in targets]
    status = 200
    if form.validate_on_submit():
        chosen = [c for c in targets if c.id in form.communities.data]
        try:
            copies = builder.copy_survey(current_user, survey, chosen)
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("Copied to %(n)d communities as drafts.", n=len(copies)), "success")
            return survey_page(copies[0]) if len(copies) == 1 else survey_page(survey)
    elif form.is_submitted():
        status = 400
    return render_template("surveys/builder_copy.html", survey=survey, form=form), status


@bp.route("/surveys/<int:survey_id>/items", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def items(survey_id: int):
    survey = survey_or_404(survey_id, manage=True)
    if (refusal := editable_or_redirect(survey)) is not None:
        return refusal
    catalogue = queries.active_items()
    form = ItemsForm()
    form.items.choices = [SelectChoice(item.code, f"{item.code} {item.name}") for item in catalogue]
    status = 200
    if form.validate_on_submit():
        chosen = [item for item in catalogue if item.code in form.items.data]
        try:
            builder.set_block_items(current_user, survey, chosen, elevator=form.elevator.data)
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("The renovation items are saved."), "success")
            return survey_page(survey)
    elif form.is_submitted():
        status = 400
    else:
        form.items.data = [item.code for item in block_items(survey)]
        form.elevator.data = any(question.role == "elevator" for question in survey.questions)
    return render_template("surveys/builder_items.html", survey=survey, form=form, catalogue=catalogue), status


@bp.get("/surveys/<int:survey_id>/preview")
@role_required(*DECISION_READERS)
def preview(survey_id: int):
    survey = survey_or_404(survey_id)
    return render_template("surveys/builder_preview.html", survey=survey, pages=_pages(survey), lang=lang())


# --- paper ----------------------------------------------------------------------------------------------------

@bp.get("/surveys/<int:survey_id>/paper")
@role_required(*DECISION_READERS)
def paper(survey_id: int):
    """Without ``unit``: choose a 单元 (or a blank form). With it: every household of the unit, one per A4 page."""
    survey = survey_or_404(survey_id)
    if survey.is_template:
        abort(404)
    unit_id = request.args.get("unit", type=int)
    households: list[Household | None]
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.building.community_id != survey.community_id:
            abort(404)
        households = list(unit.households)
    elif request.args.get("blank"):
        households = [None]
    else:
        return render_template("surveys/paper_index.html", survey=survey, community=survey.community)
    return render_template("surveys/paper_print.html", survey=survey, community=survey.community,
                           pages=_pages(survey), households=households, lang=lang())
