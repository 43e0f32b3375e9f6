"""The builder's edits of a draft survey's pages (sections): add, rename, set the condition, delete an empty one,
move. As every builder operation: require a draft, validate, flush, audit; a refused edit raises ``BuilderError``."""
from flask_babel import gettext as _

from participation.audit import record
from participation.extensions import db
from surveys.builder.questions import (BuilderError, add_section_raw, check_expression, clean_text, move_in_list,
                                       ordered_questions, ordered_sections, renumber, reposition, reposition_fixed)
from surveys.models import Section, Survey


def _validate_section(survey: Survey, label: dict, relevant: str | None, section: Section | None = None) -> dict:
    errors = {}
    label = clean_text(label)
    if not label.get("zh"):
        errors["label_zh"] = _("Enter the page title in Chinese.")
    relevant = (relevant or "").strip() or None
    if relevant:
        problem = check_expression(relevant, {question.name for question in survey.questions})
        if problem:
            errors["relevant"] = problem
    if errors:
        raise BuilderError(errors)
    return {"label": label, "relevant": relevant}


def add_section(actor, survey: Survey, label: dict, relevant: str | None = None) -> Section:
    survey.require_editable()
    clean = _validate_section(survey, label, relevant)
    section = add_section_raw(survey, clean["label"])
    section.relevant = clean["relevant"]
    db.session.flush()
    record(actor, "survey.section_add", survey, community=survey.community, section=section.name)
    return section


def update_section(actor, section: Section, label: dict, relevant: str | None) -> Section:
    section.survey.require_editable()
    clean = _validate_section(section.survey, label, relevant, section)
    changes = {key: [getattr(section, key), value] for key, value in clean.items() if getattr(section, key) != value}
    for key, value in clean.items():
        setattr(section, key, value)
    db.session.flush()
    if changes:
        record(actor, "survey.section_update", section.survey, community=section.survey.community,
               section=section.name, changes=changes)
    return section


def delete_section(actor, section: Section) -> None:
    survey = section.survey
    survey.require_editable()
    if section.questions:
        raise BuilderError({"": _("Only an empty page can be deleted: move or delete its questions first.")})
    if len(survey.sections) == 1:
        raise BuilderError({"": _("A survey keeps at least one page.")})
    record(actor, "survey.section_delete", survey, community=survey.community, section=section.name)
    db.session.delete(section)
    db.session.flush()
    db.session.expire(survey, ["sections"])
    renumber(survey)


def move_section(actor, section: Section, direction: str) -> None:
    survey = section.survey
    survey.require_editable()
    sections = ordered_sections(survey)
    if move_in_list(sections, section, direction):
        reposition_fixed(sections, list(range(1, len(sections) + 1)))
        db.session.flush()
        reposition(ordered_questions(survey))
        record(actor, "survey.section_move", survey, community=survey.community, section=section.name,
               direction=direction)
