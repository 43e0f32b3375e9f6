"""Server-side checking of one household's answers to a survey, whatever sent them (web form, phone script, paper
row, ODK export). The browser decides nothing: every type, bound, pick count, constraint, relevance rule, audience
and consent is checked here, and anything a form could not have produced (unknown names, choices not in the list,
several values for a single answer, huge strings) is refused or ignored.

Settings read from ``Question.settings`` (the builder and the XLSForm import write the same keys):
``min_picks`` / ``max_picks`` (select_multiple, rank), ``top_n`` (rank, default 5), ``min`` / ``max`` (integer,
decimal, rating — default 1–5 — and date as ISO text), ``decimal_places`` (decimal, default 2, at most 4),
``max_length`` (text 500, long_text 5000), ``audience`` ("elevator_units_above_ground"). One answer's type is
checked in surveys.answering.values; the rules between answers (relevance, constraints, audiences, the item block's
consistency, consent) here.
"""
import logging

from flask_babel import force_locale, gettext as _
from werkzeug.datastructures import FileStorage

from participation.uploads import discard
from surveys.answering.expressions import ExpressionError, RegexTimeout, is_true, one_budget
from surveys.answering.structure import structure
from surveys.answering.values import Invalid, parse_value, photo_value
from surveys.models import Question, Survey

logger = logging.getLogger(__name__)

ELEVATOR_AUDIENCE = "elevator_units_above_ground"
CONSENT_FIELD = "sensitive_consent"


def locale_for(lang: str) -> str:
    return "en" if lang == "en" else "zh_Hans_CN"


def clean_answers(survey: Survey, household, raw: dict, *, lang: str = "zh", consent: bool | None = None,
                  check_required: bool = True, previous: dict | None = None,
                  warnings: list | None = None) -> tuple[dict, dict]:
    """(values by question name, errors by question name) for ``raw`` answers of ``household`` (None: a preview).

    ``consent`` (None: read the ``sensitive_consent`` field of ``raw``) says whether the household agreed to
    answer the sensitive questions; without it their answers are dropped, which is not an error. A draft passes
    ``check_required=False``. ``previous`` holds the values already saved, so a photo is kept when no new one
    comes. Photos that arrive are checked, cleaned and stored; when anything else is wrong they are discarded.

    ``warnings``: a list for answers imported from paper or ODK. The product's own consistency rules, which the
    form itself never states (priorities only among needed items, cost sharing only for a needed item), then
    neither refuse nor drop an answer: it is kept as the resident wrote it and (question name, what looks odd) is
    appended to the list. Web answering (None) holds them as rules for the built-in item block only (the phone form
    offers only needed items to rank); an imported XLSForm is held to its own constraints and relevance.
    """
    if consent is None:
        consent = _truthy(raw.get(CONSENT_FIELD))
    previous = previous or {}
    shape = structure(survey)   # open surveys: read once per worker, not once per submission
    with force_locale(locale_for(lang)):
        typed, errors, stored = _typed_values(shape, raw, previous)
        values = _apply_rules(shape, household, typed, errors, lang=lang, consent=consent,
                              check_required=check_required, warnings=warnings)
    if errors:
        for path in stored:
            discard(path)
    return values, errors


def _truthy(value) -> bool:
    if isinstance(value, list):
        value = value[-1] if value else None
    return isinstance(value, (str, bool)) and str(value).strip().lower() in ("1", "on", "yes", "true")


def _typed_values(survey: Survey, raw: dict, previous: dict) -> tuple[dict, dict, list]:
    """Each question's raw answer parsed to its type (None when empty); type errors by name; newly stored photos."""
    typed, errors, stored = {}, {}, []
    for question in survey.questions:
        if question.type == "note":
            continue
        try:
            if question.type == "photo":
                typed[question.name] = photo_value(question, raw.get(question.name), previous.get(question.name),
                                              remove=_truthy(raw.get(f"{question.name}__remove")), stored=stored)
            else:
                typed[question.name] = parse_value(question, raw.get(question.name))
        except Invalid as error:
            errors[question.name] = str(error)
            typed[question.name] = None
    return typed, errors, stored


def hidden_questions(survey: Survey, household, raw: dict, *, consent: bool | None = None) -> set[str]:
    """Names of the questions (notes too) that ``raw`` answers hide: what the paged form leaves out. Nothing is
    stored: photos are not read here."""
    if consent is None:
        consent = _truthy(raw.get(CONSENT_FIELD))
    without_files = {name: value for name, value in raw.items() if not isinstance(value, FileStorage)}
    hidden: set[str] = set()
    shape = structure(survey)
    typed, errors, _stored = _typed_values(shape, without_files, {})
    _apply_rules(shape, household, typed, errors, lang="zh", consent=consent, check_required=False, hidden=hidden)
    return hidden


@one_budget   # one regex() time budget for the whole form's expressions
def _apply_rules(survey: Survey, household, typed: dict, errors: dict, *, lang: str, consent: bool,
                 check_required: bool, hidden: set | None = None, warnings: list | None = None) -> dict:
    """Walk the survey in order: drop what is hidden (section or question relevance, audience, sensitive without
    consent), then check required and constraints of what is shown. Hidden answers never reach ``values``."""
    context = dict(typed)   # what expressions see; hidden questions read as unanswered
    values: dict[str, object] = {}
    section_shown: dict[int, bool] = {}
    needs = _need_levels(survey)
    # the items whose need the web holds the product's rules to: the built-in block's, never on an import
    enforced = set() if warnings is not None else set(_need_levels(survey, block_only=True))
    for question in _in_survey_order(survey):
        name = question.name
        if question.section_id not in section_shown:
            section_shown[question.section_id] = _true(question.section.relevant, context)
        shown = (section_shown[question.section_id] and in_audience(question, household)
                 and (consent or not question.sensitive) and _true(question.relevant, context))
        share_unneeded = question.role == "item_share" and question.item_id is not None \
            and question.item_id in needs and context.get(needs[question.item_id]) != "need"
        if share_unneeded and question.item_id in enforced:
            shown = False   # willing to share only what one needs, whatever the relevance column says
        if not shown and hidden is not None:
            hidden.add(name)
        if question.type == "note":
            continue
        if not shown:
            context[name] = None
            errors.pop(name, None)
            continue
        value = typed.get(name)
        if name in errors:
            continue
        unneeded = _unneeded_picks(survey, question, value, context, lang, block_only=warnings is None) \
            if question.role == "item_priority" and value else []
        if unneeded and warnings is None:
            errors[name] = _("Only items you marked as needed can be among your priorities: %(items)s.",
                             items="、".join(unneeded))
            continue
        if _empty(value):
            if check_required and question.required and not _nothing_to_rank(survey, question, context):
                errors[name] = _("Please answer this question.")
            continue
        if question.constraint and not _true(question.constraint, context, current=value):
            errors[name] = question.text("constraint_message", lang) or _("This answer is not accepted here.")
            continue
        if warnings is not None and unneeded:
            warnings.append((name, _("Ranked among the priorities but not marked as needed: %(items)s.",
                                     items="、".join(unneeded))))
        elif warnings is not None and share_unneeded:
            need = next(q for q in survey.questions if q.name == needs[question.item_id])
            warnings.append((name, _("Willing to share the cost of %(item)s, which is not marked as needed.",
                                     item=need.text("label", lang))))
        values[name] = value
    return values


def _in_survey_order(survey: Survey) -> list[Question]:
    section_position = {section.id: section.position for section in survey.sections}
    return sorted(survey.questions, key=lambda q: (section_position.get(q.section_id, 0), q.position))


def _true(expression: str | None, context: dict, current=None) -> bool:
    """An expression that cannot be evaluated (it was checked when the survey was built) lets the answer through
    rather than locking a household out of the survey; the log says which."""
    try:
        return is_true(expression, context, current)
    except RegexTimeout:   # the form's regex() budget is spent: refuse (a constraint) or hide, never let through
        logger.warning("expression %r: regex() out of time", expression)
        return False
    except (ExpressionError, TypeError, ArithmeticError, ValueError) as error:
        logger.warning("expression %r failed: %s", expression, error)
        return True


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def in_audience(question: Question, household) -> bool:
    """The elevator question goes only to households above the ground floor in units where one can be added."""
    audience = (question.settings or {}).get("audience")
    if question.role == "elevator" or audience == ELEVATOR_AUDIENCE:
        if household is None:
            return True   # a preview shows everything
        return household.floor > 1 and bool(household.unit.elevator_possible)
    return True


def from_item_block(question: Question) -> bool:
    """A need question the built-in item block made: it carries its catalogue category (the block writes it, and an
    XLSForm export and import of the survey keep it in the settings column)."""
    return "category" in (question.settings or {})


def _need_levels(survey: Survey, *, block_only: bool = False) -> dict[int, str]:
    """item_id → name of the question asking whether the household needs that item."""
    return {q.item_id: q.name for q in survey.questions if q.role == "item_need" and q.item_id is not None
            and (from_item_block(q) or not block_only)}


def _needed_codes(survey: Survey, context: dict, *, block_only: bool = False) -> dict[str, bool]:
    """Catalogue code → whether the household marked the item as needed (items with a need question only)."""
    return {q.item.code: context.get(q.name) == "need" for q in survey.questions
            if q.role == "item_need" and q.item is not None and (from_item_block(q) or not block_only)}


def _unneeded_picks(survey: Survey, question: Question, picks: list[str], context: dict, lang: str, *,
                    block_only: bool) -> list[str]:
    """The labels of the ranked items the household did not mark as needed (items with a need question only)."""
    needed = _needed_codes(survey, context, block_only=block_only)
    labels = {choice.name: choice.text(lang) for choice in question.choices}
    return [labels.get(code, code) for code in picks if code in needed and not needed[code]]


def _nothing_to_rank(survey: Survey, question: Question, context: dict) -> bool:
    """A required priorities question asks nothing of a household that needs none of the items."""
    if question.role != "item_priority":
        return False
    needed = _needed_codes(survey, context)
    return bool(needed) and not any(needed.get(choice.name) for choice in question.choices)
