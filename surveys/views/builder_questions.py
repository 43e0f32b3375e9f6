"""The survey builder's pages (sections), questions and choices of a draft: /surveys/<id>/sections/…,
/questions/… and /choices/… The blueprint, loading and authorizing are surveys.builder.web's, shared with
surveys/views/builder.py; only admins and organisers who manage the community (admins for templates) edit.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.handlers import refuse_onto
from participation.permissions import COMMUNITY_MANAGERS, role_required
from surveys.builder import questions as questions_ops, sections as sections_ops
from surveys.builder.forms import ChoiceForm, DirectionForm, QuestionForm, SectionForm
from surveys.builder.questions import BuilderError, ordered_questions, ordered_sections
from surveys.builder.web import bp, child_or_404, editable_or_redirect, lang, refused, survey_or_404, survey_page
from surveys.models import Choice, Question, Section, SurveyStateError

# --- pages (sections) -----------------------------------------------------------------------------------------

@bp.route("/surveys/<int:survey_id>/sections/new", methods=["GET", "POST"], defaults={"section_id": None})
@bp.route("/surveys/<int:survey_id>/sections/<int:section_id>", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def section(survey_id: int, section_id: int | None):
    survey = survey_or_404(survey_id, manage=True)
    section = child_or_404(survey, Section, section_id) if section_id is not None else None
    if (refusal := editable_or_redirect(survey)) is not None:
        return refusal
    form = SectionForm()
    status = 200
    if form.validate_on_submit():
        try:
            if section is None:
                section = sections_ops.add_section(current_user, survey, form.label(), form.relevant.data)
            else:
                sections_ops.update_section(current_user, section, form.label(), form.relevant.data)
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return survey_page(survey, f"page-{section.id}")
    elif form.is_submitted():
        status = 400
    elif section is not None:
        form.label_zh.data, form.label_en.data = section.label.get("zh", ""), section.label.get("en", "")
        form.relevant.data = section.relevant or ""
    return render_template("surveys/builder_section.html", survey=survey, section=section, form=form), status


def _structure_change(survey_id: int, model, object_id: int, operation, *, direction: bool = False):
    """A POST button on a page, question or choice: delete or move it, then back to the survey page."""
    survey = survey_or_404(survey_id, manage=True)
    row = child_or_404(survey, model, object_id)
    args = []
    if direction:
        form = DirectionForm()
        if not form.validate_on_submit():
            abort(400)
        args.append(form.direction.data)
    try:
        operation(current_user, row, *args)
    except (SurveyStateError, BuilderError) as error:
        return refused(survey, error)
    return survey_page(survey)


@bp.post("/surveys/<int:survey_id>/sections/<int:section_id>/delete")
@role_required(*COMMUNITY_MANAGERS)
def delete_section(survey_id: int, section_id: int):
    return _structure_change(survey_id, Section, section_id, sections_ops.delete_section)


@bp.post("/surveys/<int:survey_id>/sections/<int:section_id>/move")
@role_required(*COMMUNITY_MANAGERS)
def move_section(survey_id: int, section_id: int):
    return _structure_change(survey_id, Section, section_id, sections_ops.move_section, direction=True)


# --- questions and choices ------------------------------------------------------------------------------------

@bp.route("/surveys/<int:survey_id>/questions/new", methods=["GET", "POST"], defaults={"question_id": None})
@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def question(survey_id: int, question_id: int | None):
    survey = survey_or_404(survey_id, manage=True)
    question = child_or_404(survey, Question, question_id) if question_id is not None else None
    if (refusal := editable_or_redirect(survey)) is not None:
        return refusal
    sections = ordered_sections(survey)
    form = QuestionForm()
    form.section.choices = [SelectChoice(s.id, s.label.get(lang()) or s.label.get("zh") or s.name) for s in sections]
    status = 200
    if form.validate_on_submit():
        target = next(s for s in sections if s.id == form.section.data)
        try:
            if question is None:
                question = questions_ops.add_question(current_user, survey, target, form.fields())
            else:
                questions_ops.update_question(current_user, question, form.fields(), section=target)
        except BuilderError as error:
            refuse_onto(form, error)
            status = 400
        else:
            flash(_("Saved: %(name)s.", name=question.name), "success")
            if question.type in questions_ops.EDITABLE_CHOICE_TYPES and not question.choices:
                return redirect(url_for(".question", survey_id=survey.id, question_id=question.id,
                                        _anchor="choices"))
            return survey_page(survey, f"q-{question.id}")
    elif form.is_submitted():
        status = 400
    elif question is not None:
        form.fill(question)
    else:
        wanted = request.args.get("section", type=int)
        form.section.data = wanted if any(s.id == wanted for s in sections) else sections[-1].id
    return render_template("surveys/builder_question.html", survey=survey, question=question, form=form,
                           choice_form=ChoiceForm(formdata=None), lang=lang(),
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
    survey = survey_or_404(survey_id, manage=True)
    choice = child_or_404(survey, Choice, choice_id) if choice_id is not None else None
    question = choice.question if choice is not None else child_or_404(survey, Question, question_id)
    if (refusal := editable_or_redirect(survey)) is not None:
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
            refuse_onto(form, error)
            status = 400
        else:
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
