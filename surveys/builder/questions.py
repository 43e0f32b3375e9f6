"""The builder's edits of a draft survey's questions and choices, and the order helpers its pages
(surveys.builder.sections) share.

Every operation takes the acting user, checks ``survey.require_editable()`` (only drafts change), validates what it
is given, flushes and audits; it never commits. A refused edit raises ``BuilderError`` with a message per field.

Question positions are unique across the survey, and the survey reads in section order, then question order;
``renumber`` keeps the positions in that reading order after any move, so ``survey.questions`` is the page order.
"""
import re

from flask_babel import gettext as _, lazy_gettext as _l

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from surveys.answering.expressions import validate
from surveys.models import QUESTION_TYPES, Choice, Question, Section, Survey

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")
REFERENCE = re.compile(r"\$\{([^}]*)\}")
CHOICE_TYPES = ("select_one", "select_multiple", "rank", "yes_no")
EDITABLE_CHOICE_TYPES = ("select_one", "select_multiple", "rank")
YES_NO_CHOICES = (("yes", {"zh": "是", "en": "Yes"}), ("no", {"zh": "否", "en": "No"}))
# Settings each type may carry (what the answering code applies): picks, bounds, the scale, how many to rank.
SETTINGS_BY_TYPE = {
    "select_multiple": ("min_picks", "max_picks"), "rank": ("top_n",), "rating": ("min", "max"),
    "integer": ("min", "max"), "decimal": ("min", "max"),
}
# Keys the item block and XLSForm imports set that the builder's form does not show, kept across edits.
KEPT_SETTINGS = ("audience", "category", "slogan", "appearance", "decimal_places", "max_length")


class BuilderError(Refused):
    """A refused edit; ``errors`` maps a field name (or "" for the whole edit) to the message shown."""


# --- order ----------------------------------------------------------------------------------------------------

def ordered_sections(survey: Survey) -> list[Section]:
    return sorted(survey.sections, key=lambda section: section.position)


def ordered_questions(survey: Survey) -> list[Question]:
    """The survey's questions as residents read them: by section, then by position."""
    return sorted(survey.questions, key=lambda question: (question.section.position, question.position))


def reposition(objects: list) -> None:
    """Give ``objects`` the positions 1…n in list order without ever holding two rows at one position (the UNIQUE
    constraint is checked row by row): first move every row to a free negative slot, then to its place."""
    if [item.position for item in objects] == list(range(1, len(objects) + 1)):
        return
    for index, item in enumerate(objects):
        item.position = -1 - index
    db.session.flush()
    for index, item in enumerate(objects):
        item.position = index + 1
    db.session.flush()


def renumber(survey: Survey) -> None:
    reposition(ordered_sections(survey))
    reposition(ordered_questions(survey))


def _next_position(objects) -> int:
    return max((item.position for item in objects if item.position is not None), default=0) + 1


def add_section_raw(survey: Survey, label: dict, name: str | None = None) -> Section:
    """A new last page (no checks, no audit: for the item block, copies and the operations below)."""
    taken = {section.name for section in survey.sections}
    if name is None:
        number = len(survey.sections) + 1
        while f"page{number}" in taken:
            number += 1
        name = f"page{number}"
    with db.session.no_autoflush:
        section = Section(survey=survey, name=name, label=label, position=_next_position(survey.sections))
        db.session.add(section)
    return section


def append_question(survey: Survey, section: Section, **fields) -> Question:
    """A new question at the end of ``section`` (no checks, no audit); call ``renumber`` after a batch."""
    with db.session.no_autoflush:   # the backrefs load the survey's lists; the new row must not flush half-made
        question = Question(survey=survey, section=section, position=_next_position(survey.questions), **fields)
        db.session.add(question)
    if fields.get("type") == "yes_no":
        for index, (name, label) in enumerate(YES_NO_CHOICES, start=1):
            question.choices.append(Choice(name=name, label=dict(label), position=index))
    return question


def drop_question(question: Question) -> None:
    """Delete a question (its choices go with it) and let the collections that held it reload."""
    survey, section = question.survey, question.section
    db.session.delete(question)
    db.session.flush()
    db.session.expire(survey, ["questions"])
    db.session.expire(section, ["questions"])


def move_in_list(items: list, item, direction: str) -> bool:
    index = items.index(item)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


# --- expressions ----------------------------------------------------------------------------------------------

def references(text: str | None) -> set[str]:
    """The ${names} an expression uses."""
    return {name.strip() for name in REFERENCE.findall(text or "")}


def check_expression(text: str, known: set[str]) -> str | None:
    """None when ``text`` parses and refers only to ``known`` questions, else the message to show."""
    problems = validate(text, known)
    return _("This expression cannot be used: %(problem)s", problem=problems[0]) if problems else None


def referring_questions(survey: Survey, name: str, *, exclude=()) -> list[str]:
    """Names of the questions (and pages) whose conditions use ${name}."""
    found = [question.name for question in ordered_questions(survey) if question not in exclude
             and name in references(question.relevant) | references(question.constraint)]
    found += [section.name for section in survey.sections if name in references(section.relevant)]
    return found


# --- questions ------------------------------------------------------------------------------------------------

def clean_text(value: dict | None) -> dict:
    return {lang: text.strip() for lang, text in (value or {}).items() if text and text.strip()}


def validate_question(survey: Survey, fields: dict, *, question: Question | None = None) -> dict:
    """Check a question as typed in the builder; return the clean fields or raise ``BuilderError``."""
    errors: dict[str, str] = {}
    name = (fields.get("name") or "").strip()
    kind = fields.get("type")
    if question is not None and question.role is not None:
        if name != question.name or kind != question.type:
            errors[""] = _("This question belongs to the renovation item block: its name and type are fixed.")
    if not NAME.match(name):
        errors["name"] = _("A name is Latin letters, digits and _ (at most 60), not starting with a digit.")
    elif any(other.name == name and other is not question for other in survey.questions):
        errors["name"] = _("Another question of this survey is already named %(name)s.", name=name)
    elif question is not None and name != question.name and referring_questions(survey, question.name):
        errors["name"] = _("Other questions refer to ${%(name)s} in their conditions; change those first.",
                           name=question.name)
    if kind not in QUESTION_TYPES:
        errors["type"] = _("Choose a question type.")
    label = clean_text(fields.get("label"))
    if not label.get("zh"):
        errors["label_zh"] = _("Enter the question in Chinese.")
    known = {other.name for other in survey.questions if other is not question}
    for field in ("relevant", "constraint"):
        text = (fields.get(field) or "").strip()
        if text:
            # A constraint may use ``.`` for the answer itself, and may name its own question.
            problem = check_expression(text, known | ({name} if field == "constraint" else set()))
            if problem:
                errors[field] = problem
    settings = _clean_settings(kind, fields.get("settings") or {}, errors)
    if errors:
        raise BuilderError(errors)
    kept = {key: value for key, value in (question.settings if question else {}).items() if key in KEPT_SETTINGS}
    return {
        "name": name, "type": kind, "label": label, "hint": clean_text(fields.get("hint")),
        "required": bool(fields.get("required")) and kind != "note",
        "relevant": (fields.get("relevant") or "").strip() or None,
        "constraint": (fields.get("constraint") or "").strip() or None,
        "constraint_message": clean_text(fields.get("constraint_message")),
        "sensitive": bool(fields.get("sensitive")), "settings": {**kept, **settings},
    }


def _clean_settings(kind: str, raw: dict, errors: dict) -> dict:
    settings = {key: raw[key] for key in SETTINGS_BY_TYPE.get(kind, ()) if raw.get(key) is not None}
    low, high = (("min_picks", "max_picks") if kind == "select_multiple" else ("min", "max"))
    if low in settings and high in settings and settings[low] > settings[high]:
        errors[high] = _("The upper limit cannot be below the lower limit.")
    if kind == "rating":
        settings.setdefault("min", 1)
        settings.setdefault("max", 5)
        if "max" not in errors and not 1 <= settings["max"] - settings["min"] <= 10:
            errors["max"] = _("A rating scale has 2 to 11 marks.")
    if kind == "rank" and settings.get("top_n") is not None and settings["top_n"] < 1:
        errors["top_n"] = _("Rank at least 1 choice.")
    for key in ("min_picks", "max_picks"):
        if settings.get(key) is not None and settings[key] < 0:
            errors[key] = _("The number of picks cannot be negative.")
    return settings


def add_question(actor, survey: Survey, section: Section, fields: dict) -> Question:
    survey.require_editable()
    clean = validate_question(survey, fields)
    question = append_question(survey, section, **clean)
    db.session.flush()
    renumber(survey)
    record(actor, "survey.question_add", survey, community=survey.community, question=question.name,
           type=question.type)
    return question


def update_question(actor, question: Question, fields: dict, *, section: Section | None = None) -> Question:
    survey = question.survey
    survey.require_editable()
    clean = validate_question(survey, fields, question=question)
    changes = {key: [getattr(question, key), value] for key, value in clean.items() if getattr(question, key) != value}
    for key, value in clean.items():
        setattr(question, key, value)
    if "type" in changes:
        question.choices.clear()
        if question.type == "yes_no":
            question.choices.extend(Choice(name=name, label=dict(label), position=index)
                                    for index, (name, label) in enumerate(YES_NO_CHOICES, start=1))
    if section is not None and section is not question.section:
        changes["section"] = [question.section.name, section.name]
        question.section = section
        question.position = _next_position(survey.questions)
    db.session.flush()
    renumber(survey)
    if changes:
        record(actor, "survey.question_update", survey, community=survey.community, question=question.name,
               changes=changes)
    return question


def delete_question(actor, question: Question) -> None:
    survey = question.survey
    survey.require_editable()
    users = referring_questions(survey, question.name, exclude=(question,))
    if users:
        raise BuilderError({"": _("Other questions refer to ${%(name)s} in their conditions (%(users)s); change "
                                  "those first.", name=question.name, users=", ".join(users))})
    record(actor, "survey.question_delete", survey, community=survey.community, question=question.name,
           type=question.type)
    drop_question(question)
    renumber(survey)


def move_question(actor, question: Question, direction: str) -> None:
    """Up or down one place; past the top or bottom of its page it moves to the neighbouring page."""
    survey = question.survey
    survey.require_editable()
    sections = ordered_sections(survey)
    siblings = sorted(question.section.questions, key=lambda other: other.position)
    index, page = siblings.index(question), sections.index(question.section)
    if direction == "up" and index == 0 and page > 0:
        question.section = sections[page - 1]
        question.position = _next_position(survey.questions)
    elif direction == "down" and index == len(siblings) - 1 and page < len(sections) - 1:
        question.section = sections[page + 1]
        question.position = -len(survey.questions) - 1   # first of the next page; renumber puts it in place
    elif move_in_list(siblings, question, direction):
        positions = sorted(other.position for other in siblings)
        reposition_fixed(siblings, positions)
    else:
        return
    db.session.flush()
    renumber(survey)
    record(actor, "survey.question_move", survey, community=survey.community, question=question.name,
           direction=direction, section=question.section.name)


def reposition_fixed(objects: list, positions: list[int]) -> None:
    """Put ``objects`` at ``positions`` (same set they hold now, new order) without a UNIQUE clash."""
    for index, item in enumerate(objects):
        item.position = -1 - index - 100000
    db.session.flush()
    for item, position in zip(objects, positions):
        item.position = position


# --- choices --------------------------------------------------------------------------------------------------

def _require_choices(question: Question) -> None:
    question.survey.require_editable()
    if question.type not in EDITABLE_CHOICE_TYPES:
        raise BuilderError({"": _("This type of question has no choices to edit.")})


def _validate_choice(question: Question, name: str, label: dict, choice: Choice | None = None) -> dict:
    errors = {}
    name = (name or "").strip()
    if not NAME.match(name):
        errors["name"] = _("A name is Latin letters, digits and _ (at most 60), not starting with a digit.")
    elif any(other.name == name and other is not choice for other in question.choices):
        errors["name"] = _("This question already has a choice named %(name)s.", name=name)
    elif question.role is not None and choice is not None and name != choice.name:
        errors["name"] = _("This question belongs to the renovation item block: its choice names are fixed.")
    label = clean_text(label)
    if not label.get("zh"):
        errors["label_zh"] = _("Enter the choice in Chinese.")
    if errors:
        raise BuilderError(errors)
    return {"name": name, "label": label}


def add_choice(actor, question: Question, name: str, label: dict) -> Choice:
    _require_choices(question)
    clean = _validate_choice(question, name, label)
    choice = Choice(position=_next_position(question.choices), **clean)
    question.choices.append(choice)
    db.session.flush()
    record(actor, "survey.choice_add", question.survey, community=question.survey.community,
           question=question.name, choice=choice.name)
    return choice


def update_choice(actor, choice: Choice, name: str, label: dict) -> Choice:
    question = choice.question
    _require_choices(question)
    clean = _validate_choice(question, name, label, choice)
    changes = {key: [getattr(choice, key), value] for key, value in clean.items() if getattr(choice, key) != value}
    for key, value in clean.items():
        setattr(choice, key, value)
    db.session.flush()
    if changes:
        record(actor, "survey.choice_update", question.survey, community=question.survey.community,
               question=question.name, choice=choice.name, changes=changes)
    return choice


def delete_choice(actor, choice: Choice) -> None:
    question = choice.question
    _require_choices(question)
    if question.role is not None:
        raise BuilderError({"": _("Choices of the renovation item block change through “Pick catalogue items”.")})
    record(actor, "survey.choice_delete", question.survey, community=question.survey.community,
           question=question.name, choice=choice.name)
    question.choices.remove(choice)
    db.session.flush()


def move_choice(actor, choice: Choice, direction: str) -> None:
    question = choice.question
    _require_choices(question)
    ordered = sorted(question.choices, key=lambda other: other.position)
    if move_in_list(ordered, choice, direction):
        for index, other in enumerate(ordered, start=1):
            other.position = index
        db.session.flush()
        record(actor, "survey.choice_move", question.survey, community=question.survey.community,
               question=question.name, choice=choice.name, direction=direction)


STATE_MESSAGES = (   # the model's SurveyStateError texts, so the catalogue translates them where they are shown
    _l("A template cannot be opened; copy it to a community first."), _l("Only a draft survey can be opened."),
    _l("A survey needs at least one question before it opens."), _l("The closing time has already passed."),
    _l("Only an open survey can be closed."), _l("Questions can only change while the survey is a draft."),
)
