"""The survey builder (/c/<code>/surveys, /surveys/<id>/…) and the printable paper version.

Admins and organisers who manage the community edit; owner representatives in scope read; other roles get 403 and
a community outside the user's scope 404. Templates (no community) are managed by admins and copied by organisers.
Only drafts change: the operations refuse anything else with ``SurveyStateError``, shown as a message.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.models import Community, Household, Unit
from participation.roster.communities import community_by_code
from participation.permissions import (COMMUNITY_MANAGERS, DECISION_READERS, can_manage_community, can_view_community,
                                       role_required, visible_communities)
from surveys.builder import operations as builder
from surveys.builder import questions as questions_ops
from surveys.builder.forms import (ChoiceForm, CopyForm, DirectionForm, ItemsForm, NewSurveyForm, QuestionForm,
                                   SectionForm, SurveySettingsForm)
from surveys.builder.questions import BuilderError, ordered_questions, ordered_sections
from surveys.builder.itemblock import block_items
from surveys.models import Choice, Question, Section, Survey, SurveyStateError

bp = Blueprint("survey_builder", __name__)


# --- loading and authorizing ----------------------------------------------------------------------------------

def _community(code: str, *, manage: bool = False) -> Community:
    community = community_by_code(code)
    if community is None or not can_view_community(current_user, community):
        abort(404)
    if manage and not can_manage_community(current_user, community):
        abort(403)
    return community


def _survey(survey_id: int, *, manage: bool = False) -> Survey:
    """404 for a survey that does not exist or lies outside the user's scope; 403 for a role that may not."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if survey.is_template:
        if current_user.role not in COMMUNITY_MANAGERS or (manage and current_user.role != "admin"):
            abort(403)
        return survey
    _community(survey.community.code, manage=manage)
    return survey


def _may_edit(survey: Survey) -> bool:
    if survey.is_template:
        return current_user.role == "admin"
    return can_manage_community(current_user, survey.community)


def _child(survey: Survey, model, object_id: int):
    row = db.session.get(model, object_id)
    owner = row.question.survey_id if isinstance(row, Choice) else getattr(row, "survey_id", None)
    if row is None or owner != survey.id:
        abort(404)
    return row


def _home(survey: Survey, anchor: str | None = None):
    return redirect(url_for(".survey", survey_id=survey.id, _anchor=anchor))


def _refused(survey: Survey, error: Exception):
    """A refused change (not a draft, or an item block rule): nothing saved, the reason shown on the survey page."""
    db.session.rollback()
    message = _(str(error)) if isinstance(error, SurveyStateError) else str(error)
    flash(message, "error")
    return _home(survey)


def _apply_errors(form, error: BuilderError) -> None:
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None)
        if field_name and field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def _editable_or_redirect(survey: Survey):
    if survey.status != "draft":
        flash(_("Questions can only change while the survey is a draft."), "error")
        return _home(survey)
    return None


# --- lists and creation ---------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/surveys")
@role_required(*DECISION_READERS)
def community_surveys(community_code: str):
    community = _community(community_code)
    return render_template("surveys/builder_list.html", community=community,
                           rows=builder.community_surveys(community),
                           may_manage=can_manage_community(current_user, community))


@bp.route("/c/<community_code>/surveys/new", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def new_survey(community_code: str):
    community = _community(community_code, manage=True)
    return _create(community)


@bp.get("/surveys/templates")
@role_required(*COMMUNITY_MANAGERS)
def templates():
    return render_template("surveys/builder_templates.html", templates=builder.survey_templates(),
                           may_manage=current_user.role == "admin")


@bp.route("/surveys/templates/new", methods=["GET", "POST"])
@role_required("admin")
def new_template():
    return _create(None)


def _create(community: Community | None):
    form = NewSurveyForm()
    templates = builder.survey_templates()
    form.template.choices = [SelectChoice(0, "—")] + [SelectChoice(t.id, t.label(_lang())) for t in templates]
    status = 200
    if form.validate_on_submit():
        template = next((t for t in templates if t.id == form.template.data), None)
        try:
            survey = builder.create_survey(current_user, community, form.settings(), kind=form.kind.data,
                                           template=template)
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("The draft survey is created. Check its questions, then open it."), "success")
            return _home(survey)
    elif form.is_submitted():
        status = 400
    return render_template("surveys/builder_new.html", form=form, community=community, templates=templates), status


# --- the survey page ------------------------------------------------------------------------------------------

@bp.get("/surveys/<int:survey_id>")
@role_required(*DECISION_READERS)
def survey(survey_id: int):
    survey = _survey(survey_id)
    counts = builder.response_counts([survey.id])[survey.id]
    pages = [(section, sorted(section.questions, key=lambda q: q.position)) for section in ordered_sections(survey)]
    return render_template("surveys/builder_survey.html", survey=survey, pages=pages, counts=counts,
                           status=survey.effective_status(), may_edit=_may_edit(survey),
                           editable=_may_edit(survey) and survey.status == "draft", lang=_lang(),
                           may_copy=current_user.role in COMMUNITY_MANAGERS)


@bp.route("/surveys/<int:survey_id>/settings", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def settings(survey_id: int):
    survey = _survey(survey_id, manage=True)
    if (refusal := _editable_or_redirect(survey)) is not None:
        return refusal
    form = SurveySettingsForm()
    status = 200
    if form.validate_on_submit():
        try:
            builder.update_survey(current_user, survey, form.settings())
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _home(survey)
    elif form.is_submitted():
        status = 400
    else:
        form.fill(survey)
    return render_template("surveys/builder_settings.html", survey=survey, form=form), status


def _state_change(survey_id: int, operation, message: str):
    survey = _survey(survey_id, manage=True)
    try:
        operation(current_user, survey)
    except (SurveyStateError, BuilderError) as error:
        return _refused(survey, error)
    db.session.commit()
    flash(message, "success")
    return _home(survey)


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
    survey = _survey(survey_id, manage=True)
    target = (url_for(".templates") if survey.is_template else
              url_for(".community_surveys", community_code=survey.community.code))
    try:
        builder.delete_survey(current_user, survey)
    except (SurveyStateError, BuilderError) as error:
        return _refused(survey, error)
    db.session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(target)


@bp.route("/surveys/<int:survey_id>/copy", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def copy(survey_id: int):
    survey = _survey(survey_id)
    targets = [c for c in db.session.scalars(visible_communities(current_user))
               if can_manage_community(current_user, c)]
    form = CopyForm()
    form.communities.choices = [SelectChoice(c.id, f"{c.name}（{c.code}）") for c in targets]
    status = 200
    if form.validate_on_submit():
        chosen = [c for c in targets if c.id in form.communities.data]
        try:
            copies = builder.copy_survey(current_user, survey, chosen)
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Copied to %(n)d communities as drafts.", n=len(copies)), "success")
            return _home(copies[0]) if len(copies) == 1 else _home(survey)
    elif form.is_submitted():
        status = 400
    return render_template("surveys/builder_copy.html", survey=survey, form=form), status


@bp.route("/surveys/<int:survey_id>/items", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def items(survey_id: int):
    survey = _survey(survey_id, manage=True)
    if (refusal := _editable_or_redirect(survey)) is not None:
        return refusal
    catalogue = builder.active_items()
    form = ItemsForm()
    form.items.choices = [SelectChoice(item.code, f"{item.code} {item.name}") for item in catalogue]
    status = 200
    if form.validate_on_submit():
        chosen = [item for item in catalogue if item.code in form.items.data]
        try:
            builder.set_block_items(current_user, survey, chosen, elevator=form.elevator.data)
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("The renovation items are saved."), "success")
            return _home(survey)
    elif form.is_submitted():
        status = 400
    else:
        form.items.data = [item.code for item in block_items(survey)]
        form.elevator.data = any(question.role == "elevator" for question in survey.questions)
    return render_template("surveys/builder_items.html", survey=survey, form=form, catalogue=catalogue), status


@bp.get("/surveys/<int:survey_id>/preview")
@role_required(*DECISION_READERS)
def preview(survey_id: int):
    survey = _survey(survey_id)
    pages = [(section, sorted(section.questions, key=lambda q: q.position)) for section in ordered_sections(survey)]
    return render_template("surveys/builder_preview.html", survey=survey, pages=pages, lang=_lang())


# --- pages (sections) -----------------------------------------------------------------------------------------

@bp.route("/surveys/<int:survey_id>/sections/new", methods=["GET", "POST"], defaults={"section_id": None})
@bp.route("/surveys/<int:survey_id>/sections/<int:section_id>", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def section(survey_id: int, section_id: int | None):
    survey = _survey(survey_id, manage=True)
    section = _child(survey, Section, section_id) if section_id is not None else None
    if (refusal := _editable_or_redirect(survey)) is not None:
        return refusal
    form = SectionForm()
    status = 200
    if form.validate_on_submit():
        try:
            if section is None:
                section = questions_ops.add_section(current_user, survey, form.label(), form.relevant.data)
            else:
                questions_ops.update_section(current_user, section, form.label(), form.relevant.data)
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _home(survey, f"page-{section.id}")
    elif form.is_submitted():
        status = 400
    elif section is not None:
        form.label_zh.data, form.label_en.data = section.label.get("zh", ""), section.label.get("en", "")
        form.relevant.data = section.relevant or ""
    return render_template("surveys/builder_section.html", survey=survey, section=section, form=form), status


def _structure_change(survey_id: int, model, object_id: int, operation, *, direction: bool = False):
    """A POST button on a page, question or choice: delete or move it, then back to the survey page."""
    survey = _survey(survey_id, manage=True)
    row = _child(survey, model, object_id)
    args = []
    if direction:
        form = DirectionForm()
        if not form.validate_on_submit():
            abort(400)
        args.append(form.direction.data)
    try:
        operation(current_user, row, *args)
    except (SurveyStateError, BuilderError) as error:
        return _refused(survey, error)
    db.session.commit()
    return _home(survey)


@bp.post("/surveys/<int:survey_id>/sections/<int:section_id>/delete")
@role_required(*COMMUNITY_MANAGERS)
def delete_section(survey_id: int, section_id: int):
    return _structure_change(survey_id, Section, section_id, questions_ops.delete_section)


@bp.post("/surveys/<int:survey_id>/sections/<int:section_id>/move")
@role_required(*COMMUNITY_MANAGERS)
def move_section(survey_id: int, section_id: int):
    return _structure_change(survey_id, Section, section_id, questions_ops.move_section, direction=True)


# --- questions and choices ------------------------------------------------------------------------------------

@bp.route("/surveys/<int:survey_id>/questions/new", methods=["GET", "POST"], defaults={"question_id": None})
@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def question(survey_id: int, question_id: int | None):
    survey = _survey(survey_id, manage=True)
    question = _child(survey, Question, question_id) if question_id is not None else None
    if (refusal := _editable_or_redirect(survey)) is not None:
        return refusal
    sections = ordered_sections(survey)
    form = QuestionForm()
    form.section.choices = [SelectChoice(s.id, s.label.get(_lang()) or s.label.get("zh") or s.name) for s in sections]
    status = 200
    if form.validate_on_submit():
        target = next(s for s in sections if s.id == form.section.data)
        try:
            if question is None:
                question = questions_ops.add_question(current_user, survey, target, form.fields())
            else:
                questions_ops.update_question(current_user, question, form.fields(), section=target)
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Saved: %(name)s.", name=question.name), "success")
            if question.type in questions_ops.EDITABLE_CHOICE_TYPES and not question.choices:
                return redirect(url_for(".question", survey_id=survey.id, question_id=question.id,
                                        _anchor="choices"))
            return _home(survey, f"q-{question.id}")
    elif form.is_submitted():
        status = 400
    elif question is not None:
        form.fill(question)
    else:
        wanted = request.args.get("section", type=int)
        form.section.data = wanted if any(s.id == wanted for s in sections) else sections[-1].id
    return render_template("surveys/builder_question.html", survey=survey, question=question, form=form,
                           choice_form=ChoiceForm(formdata=None), lang=_lang(),
                           names=[q.name for q in ordered_questions(survey) if q is not question]), status


@bp.post("/surveys/<int:survey_id>/questions/<int:question_id>/delete")
@role_required(*COMMUNITY_MANAGERS)
def delete_question(survey_id: int, question_id: int):
    return _structure_change(survey_id, Question, question_id, questions_ops.delete_question)


@bp.post("/surveys/<int:survey_id>/questions/<int:question_id>/move")
@role_required(*COMMUNITY_MANAGERS)
def move_question(survey_id: int, question_id: int):
    return _structure_change(survey_id, Question, question_id, questions_ops.move_question, direction=True)


@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>/choices", methods=["POST"],
          defaults={"choice_id": None})
@bp.route("/surveys/<int:survey_id>/choices/<int:choice_id>", methods=["GET", "POST"], defaults={"question_id": None})
@role_required(*COMMUNITY_MANAGERS)
def choice(survey_id: int, question_id: int | None, choice_id: int | None):
    survey = _survey(survey_id, manage=True)
    choice = _child(survey, Choice, choice_id) if choice_id is not None else None
    question = choice.question if choice is not None else _child(survey, Question, question_id)
    if (refusal := _editable_or_redirect(survey)) is not None:
        return refusal
    form = ChoiceForm()
    status = 200
    if form.validate_on_submit():
        try:
            if choice is None:
                questions_ops.add_choice(current_user, question, form.name.data, form.label())
            else:
                questions_ops.update_choice(current_user, choice, form.name.data, form.label())
        except BuilderError as error:
            db.session.rollback()
            _apply_errors(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".question", survey_id=survey.id, question_id=question.id, _anchor="choices"))
    elif form.is_submitted():
        status = 400
    elif choice is not None:
        form.name.data = choice.name
        form.label_zh.data, form.label_en.data = choice.label.get("zh", ""), choice.label.get("en", "")
    return render_template("surveys/builder_choice.html", survey=survey, question=question, choice=choice,
                           form=form), status


@bp.post("/surveys/<int:survey_id>/choices/<int:choice_id>/delete")
@role_required(*COMMUNITY_MANAGERS)
def delete_choice(survey_id: int, choice_id: int):
    return _structure_change(survey_id, Choice, choice_id, questions_ops.delete_choice)


@bp.post("/surveys/<int:survey_id>/choices/<int:choice_id>/move")
@role_required(*COMMUNITY_MANAGERS)
def move_choice(survey_id: int, choice_id: int):
    return _structure_change(survey_id, Choice, choice_id, questions_ops.move_choice, direction=True)


# --- paper ----------------------------------------------------------------------------------------------------

@bp.get("/surveys/<int:survey_id>/paper")
@role_required(*DECISION_READERS)
def paper(survey_id: int):
    """Without ``unit``: choose a 单元 (or a blank form). With it: every household of the unit, one per A4 page."""
    survey = _survey(survey_id)
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
    pages = [(section, sorted(section.questions, key=lambda q: q.position)) for section in ordered_sections(survey)]
    return render_template("surveys/paper_print.html", survey=survey, community=survey.community, pages=pages,
                           households=households, lang=_lang())
