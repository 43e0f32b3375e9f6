"""Surveys as organisers run them: create (blank, from a template, or the standard needs survey), edit the settings,
open and close (the model's state methods decide what is legal), the automatic close, copies and the item block.

Operations take the acting user, flush and audit; they never commit. Permission checks are the views' business;
what the builder's pages read is in surveys.builder.queries.
"""
import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.models import CatalogueItem, Community, User
from participation.models.types import utcnow
from surveys import messages
from surveys.builder.itemblock import add_elevator_question, add_item_block, block_items, remove_block_items
from surveys.builder.queries import active_items, has_responses
from surveys.builder.questions import (BuilderError, add_section_raw, delete_question, ordered_questions,
                                       ordered_sections)
from surveys.models import RESULTS_VISIBILITY, Choice, Question, Survey

logger = logging.getLogger(__name__)

CREATE_KINDS = ("blank", "needs", "template")
SETTINGS_FIELDS = ("title", "description", "opens_at", "closes_at", "confidential", "results_visibility")
FIRST_PAGE = {"zh": "第1页", "en": "Page 1"}
NEEDS_TITLE = {"zh": "小区改造需求调查", "en": "Renovation needs survey"}
NEEDS_PAGE = {"zh": "改造需求", "en": "Renovation needs"}
NEEDS_DESCRIPTION = {
    "zh": "请告诉我们您家需要改造哪些项目、先做哪些。每户填写一份，截止前可以修改。",
    "en": "Tell us which items your household needs and which should come first. One answer per household; "
          "you can change it until the survey closes.",
}


# --- creating and settings ------------------------------------------------------------------------------------

def _clean_settings(fields: dict) -> dict:
    errors = {}
    clean = {}
    title = {lang: text.strip() for lang, text in (fields.get("title") or {}).items() if text and text.strip()}
    if not title.get("zh"):
        errors["title_zh"] = _("Enter the title in Chinese.")
    clean["title"] = title
    clean["description"] = {lang: text.strip() for lang, text in (fields.get("description") or {}).items()
                            if text and text.strip()}
    clean["opens_at"], clean["closes_at"] = fields.get("opens_at"), fields.get("closes_at")
    if clean["opens_at"] and clean["closes_at"] and clean["closes_at"] <= clean["opens_at"]:
        errors["closes_at"] = _("The closing time must be after the opening time.")
    clean["confidential"] = bool(fields.get("confidential"))
    clean["results_visibility"] = fields.get("results_visibility") or "after_close"
    if clean["results_visibility"] not in RESULTS_VISIBILITY:
        errors["results_visibility"] = _("Choose when residents see the results.")
    if errors:
        raise BuilderError(errors)
    return clean


def create_survey(actor: User, community: Community | None, fields: dict, *, kind: str = "blank",
                  template: Survey | None = None) -> Survey:
    """A new draft for ``community`` (a template when None): blank with one page, the standard needs survey, or a
    copy of ``template``. ``fields`` are the settings; an empty title takes the template's or the needs title."""
    if kind not in CREATE_KINDS:
        raise BuilderError({"kind": _("Choose how to start the survey.")})
    if kind == "template" and (template is None or not template.is_template):
        raise BuilderError({"template": _("Choose a template.")})
    fields = dict(fields)
    if not (fields.get("title") or {}).get("zh"):
        fields["title"] = dict(template.title) if kind == "template" else NEEDS_TITLE if kind == "needs" else {}
        if kind != "blank" and not fields.get("description"):
            fields["description"] = dict(template.description) if kind == "template" else NEEDS_DESCRIPTION
    clean = _clean_settings(fields)
    survey = Survey(community=community, is_template=community is None, created_by_id=getattr(actor, "id", None),
                    status="draft", **clean)
    db.session.add(survey)
    if kind == "template":
        survey.copied_from_id = template.id
        _copy_structure(template, survey)
    elif kind == "needs":
        section = add_section_raw(survey, dict(NEEDS_PAGE))
        db.session.flush()
        add_item_block(survey, active_items(), section=section)
        add_elevator_question(survey, section=section)
    else:
        add_section_raw(survey, dict(FIRST_PAGE))
    db.session.flush()
    record(actor, "survey.create", survey, community=community, kind=kind, title=survey.title.get("zh"),
           template=template.id if template is not None else None, questions=len(survey.questions))
    return survey


def update_survey(actor: User, survey: Survey, fields: dict) -> Survey:
    survey.require_editable()
    clean = _clean_settings(fields)
    changes = apply_changes(survey, clean, SETTINGS_FIELDS)
    if changes:
        record(actor, "survey.update", survey, community=survey.community, changes=changes)
    return survey


def delete_survey(actor: User, survey: Survey) -> None:
    """Only a draft nobody has answered goes; anything else is closed instead, so no answer is ever lost."""
    survey.require_editable()
    if has_responses(survey):
        raise BuilderError({"": _("Households have answered this survey; it cannot be deleted.")})
    record(actor, "survey.delete", survey, community=survey.community, title=survey.title.get("zh"))
    for question in survey.questions:
        question.choices.clear()
    db.session.flush()
    db.session.delete(survey)
    db.session.flush()


# --- lifecycle ------------------------------------------------------------------------------------------------

def open_survey(actor: User, survey: Survey, now: datetime | None = None, *, channel: str = "web") -> Survey:
    """draft → open (the model refuses templates, empty surveys, a closing time already past)."""
    survey.open(now)
    db.session.flush()
    record(actor, "survey.open", survey, community=survey.community, channel=channel, opens_at=survey.opens_at,
           closes_at=survey.closes_at)
    messages.opened(survey, now)   # every household of the community; a later opening time: surveys.reminders
    return survey


def close_survey(actor: User, survey: Survey, now: datetime | None = None) -> Survey:
    survey.close(now)
    db.session.flush()
    record(actor, "survey.close", survey, community=survey.community, closes_at=survey.closes_at)
    return survey


def close_due_surveys(now: datetime | None = None) -> list[Survey]:
    """Record the automatic close of every open survey whose closing time has passed (the system is the actor).
    Running it again changes nothing: a closed survey is not open any more."""
    now = now or utcnow()
    due = db.session.scalars(select(Survey).where(Survey.status == "open", Survey.closes_at.is_not(None),
                                                  Survey.closes_at <= now).order_by(Survey.id))
    closed = []
    for survey in due:
        if survey.close_if_due(now):
            record(None, "survey.auto_close", survey, community=survey.community, channel="system",
                   closes_at=survey.closes_at)
            closed.append(survey)
    db.session.flush()
    return closed


# --- copies ---------------------------------------------------------------------------------------------------

def _copy_structure(source: Survey, target: Survey) -> None:
    sections = {}
    for section in ordered_sections(source):
        sections[section.id] = add_section_raw(target, dict(section.label), name=section.name)
        sections[section.id].relevant = section.relevant
    db.session.flush()
    for position, question in enumerate(ordered_questions(source), start=1):
        with db.session.no_autoflush:   # the backrefs load the target's lists; the copy must not flush half-made
            copy = Question(survey=target, section=sections[question.section_id], position=position,
                            **{name: _copied(getattr(question, name)) for name in (
                                "name", "type", "role", "item_id", "label", "hint", "required", "relevant",
                                "constraint", "constraint_message", "sensitive", "settings")})
            copy.choices.extend(Choice(name=choice.name, label=dict(choice.label), position=choice.position)
                                for choice in question.choices)
            db.session.add(copy)


def _copied(value):
    return dict(value) if isinstance(value, dict) else value


def copy_survey(actor: User, survey: Survey, communities: list[Community]) -> list[Survey]:
    """A draft copy of ``survey`` (questions, pages, choices and settings; dates left empty) in each community."""
    if not communities:
        raise BuilderError({"communities": _("Choose at least one community.")})
    copies = []
    for community in communities:
        copy = Survey(community=community, is_template=False, copied_from_id=survey.id, status="draft",
                      created_by_id=actor.id, title=dict(survey.title), description=dict(survey.description),
                      confidential=survey.confidential, results_visibility=survey.results_visibility)
        db.session.add(copy)
        _copy_structure(survey, copy)
        db.session.flush()
        record(actor, "survey.copy", copy, community=community, source=survey.id,
               source_community=survey.community.code if survey.community else None)
        copies.append(copy)
    return copies


# --- the item block -------------------------------------------------------------------------------------------

def set_block_items(actor: User, survey: Survey, items: list[CatalogueItem], *, elevator: bool) -> dict:
    """Make the item block hold exactly ``items`` (adding and removing), with or without the elevator question."""
    survey.require_editable()
    if not items and not elevator:
        raise BuilderError({"items": _("Choose at least one item.")})
    current = {item.code: item for item in block_items(survey)}
    wanted = {item.code: item for item in items}
    removed = remove_block_items(survey, [item for code, item in current.items() if code not in wanted])
    section = next((question.section for question in ordered_questions(survey) if question.role == "item_need"),
                   None) or ordered_sections(survey)[-1]
    added = add_item_block(survey, [item for code, item in wanted.items() if code not in current], section=section)
    elevator_question = next((question for question in survey.questions if question.role == "elevator"), None)
    if elevator and elevator_question is None:
        added.append(add_elevator_question(survey, section=section))
    elif not elevator and elevator_question is not None:
        delete_question(actor, elevator_question)   # audits the removal itself
        removed.append("elevator")
    changes = {"added": [question.name for question in added], "removed": removed}
    record(actor, "survey.items", survey, community=survey.community, **changes)
    return changes
