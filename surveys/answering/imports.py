"""Paper and ODK/Kobo answers imported from a spreadsheet (DESIGN §8): all-or-nothing, errors by row.

Columns 楼栋, 单元, 房号 name the household; every other column is a question name (an ODK/Kobo group prefix such as
``group_x/question`` is dropped), a known ODK/Kobo metadata column (ignored), or an error naming it. ``select_multiple``
and ``rank`` cells hold space-separated choice names, the ODK convention. Every row goes through ``clean_answers``
as a web submission does: types, choices, the form's own constraints, relevance and required questions refuse the
file. The product's consistency rules that no form states (rank only needed items, share the cost only of a needed
item) do not: such an answer is imported as the resident wrote it and listed as a warning (row, column, what looks
odd). A household that already has a response is reported and left as it is: an import never duplicates nor
overwrites an answer.
"""
import datetime as dt
import io
import logging
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.logs import logs_refusals
from participation.models import Building, Household, Unit, User
from participation.roster.files import RosterImportError, cell_text, natural_key, read_roster_file
from surveys.answering.checks import CONSENT_FIELD, clean_answers
from surveys.answering.operations import ResponseConflict, find_response, save_response
from surveys.models import Question, Response, Survey

logger = logging.getLogger(__name__)

HOUSEHOLD_HEADERS = ("楼栋", "单元", "房号")
# Columns ODK Collect/Central, KoboToolbox and Ona add to every export; compared in lower case, after the
# group prefix. (XLSForm metadata types, the ``meta`` group, Kobo's system columns, ODK Central's CSV columns.)
METADATA_COLUMNS = frozenset(name.lower() for name in (
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit",
    "start-geopoint", "instanceID", "instanceName", "deprecatedID", "rootUuid", "_id", "_uuid", "_submission_time",
    "_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_version_", "_version", "_tags",
    "_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid",
    "_submission__submission_time", "_submission__validation_status", "_submission__notes", "_submission__status",
    "_submission__submitted_by", "_submission___version__", "_submission__tags", "_xform_id_string", "_xform_id",
    "_attachments", "_geolocation", "_edited", "_media_count", "_total_media", "_media_all_received", "_duration",
    "formhub/uuid", "uuid", "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
    "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "UpdatedAt",
))
NOT_IMPORTED_TYPES = ("note", "photo")   # a note has no answer; a photo cannot travel in a spreadsheet cell
LIST_TYPES = ("select_multiple", "rank")
CONSENT_WORDS = ("1", "yes", "true", "y", "是", "同意")
YES_NO_WORDS = {"是": "yes", "否": "no", "1": "yes", "0": "no"}


class ResponseImportError(RosterImportError):
    """The file was refused and nothing was saved; ``errors`` are the messages to show, in order."""


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    # Households left untouched because they had answered already: row, place, status ("draft"/"submitted"), channel.
    already_answered: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Answers imported as written that look inconsistent: row, column, message.
    warnings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "imported": self.imported, "already_answered": self.already_answered,
                "ignored_columns": self.ignored_columns, "warnings": self.warnings}


@dataclass
class _Columns:
    household: dict[str, int] = field(default_factory=dict)      # 楼栋/单元/房号 → position
    questions: dict[int, tuple[str, Question]] = field(default_factory=dict)   # position → (header, question)
    refused_if_filled: dict[int, str] = field(default_factory=dict)  # photo columns: fine while empty
    ignored: list[str] = field(default_factory=list)
    consent: int | None = None   # the sensitive_consent column: the household agreed to the sensitive questions


@logs_refusals("survey responses", ResponseImportError)
def import_responses(actor: User | None, survey: Survey, source, *, filename: str | None = None,
                     lang: str = "zh", progress=None) -> ImportResult:
    """Check the whole file, then save a submitted response for each household that has none. Never commits.

    ``actor`` None is the command line: channel "import" and no staff member; a staff user records channel
    "paper" with themself as the staff member who entered the forms.
    """
    if survey.is_template or survey.community is None:
        raise ResponseImportError([_("A template has no households; copy it to a community first.")])
    status = survey.effective_status()
    if status == "closed":
        raise ResponseImportError([_("This survey is closed: answers can no longer be added.")])
    if status != "open":
        raise ResponseImportError([_("This survey is not open yet: open it before importing answers.")])
    try:
        table = read_roster_file(source, filename)
    except RosterImportError as error:
        raise ResponseImportError(error.errors) from error
    file_errors: list[str] = []
    columns = _map_columns(survey, table.headers, table.rows, file_errors)
    if file_errors:
        raise ResponseImportError(file_errors)
    if not table.rows:
        raise ResponseImportError([_("The file has a header row but no answers.")])

    households = _HouseholdIndex(survey)
    answered = dict(db.session.execute(
        select(Response.household_id, Response.status).where(Response.survey_id == survey.id)).all())
    result = ImportResult(rows=len(table.rows), ignored_columns=columns.ignored)
    errors: list[str] = []
    seen: dict[int, int] = {}
    to_save: list[tuple[Household, dict, bool, list[dict]]] = []
    for number, cells in table.rows:
        warnings: list[dict] = []
        household, values, consent = _check_row(survey, number, cells, columns, households, seen, errors, lang,
                                                warnings)
        if progress:
            progress("validate", 1)
        if household is None:
            continue
        if household.id in answered:
            result.already_answered.append(_place(number, household, answered[household.id]))
        else:
            to_save.append((household, values, consent, warnings))
    if errors:
        raise ResponseImportError(errors)

    channel = "import" if actor is None else "paper"
    for household, values, consent, warnings in to_save:
        if find_response(survey, household) is not None:
            # Answered online while the file was being checked: theirs stands, this row is reported instead.
            result.already_answered.append(_place(seen[household.id], household, "submitted"))
            continue
        try:
            # No actor here: the import is audited once below, with its counts, not once per household.
            save_response(None, survey, household, values, channel=channel, staff=actor, submit=True,
                          sensitive_consent=consent)
        except ResponseConflict:   # … or in the very same moment
            result.already_answered.append(_place(seen[household.id], household, "submitted"))
        else:
            result.imported += 1
            result.warnings.extend(warnings)
        if progress:
            progress("write", 1)
    result.already_answered.sort(key=lambda entry: entry["row"])
    record(actor, "survey.responses_import", survey, community=survey.community,
           channel="cli" if actor is None else "web", filename=filename, rows=result.rows,
           imported=result.imported, already_answered=len(result.already_answered),
           ignored_columns=columns.ignored, warnings=len(result.warnings))
    db.session.flush()
    return result


# ---------------------------------------------------------------------------------------------------- columns

def _map_columns(survey: Survey, headers: list[str], rows, errors: list[str]) -> _Columns:
    by_name = {question.name: question for question in survey.questions}
    sections = {section.name for section in survey.sections}
    columns = _Columns()
    taken: dict[str, str] = {}   # question name → the header that already supplies it
    detail_columns: list[tuple[int, str, Question]] = []
    for position, header in enumerate(headers):
        if not header:
            if any(position < len(values) and cell_text(values[position]) for _number, values in rows):
                errors.append(_("Column %(number)d has values but no header.", number=position + 1))
            continue
        if header == CONSENT_FIELD:
            if columns.consent is not None:
                errors.append(_("The column %(name)s appears twice.", name=header))
            columns.consent = position
            continue
        if header in HOUSEHOLD_HEADERS:
            if header in columns.household:
                errors.append(_("The column %(name)s appears twice.", name=header))
            columns.household[header] = position
            continue
        question = _question_of(header, by_name, sections)
        if question is None:
            if _is_metadata(header):
                columns.ignored.append(header)
                continue
            parent = _choice_column_parent(header, by_name)
            if parent is not None:
                detail_columns.append((position, header, parent))
                continue
            errors.append(_("Unknown column %(name)s: it is not 楼栋, 单元 or 房号, not a question of this survey and "
                            "not an ODK/Kobo metadata column.", name=header))
            continue
        if question.name in taken:
            errors.append(_("The columns %(first)s and %(second)s both hold the question %(question)s.",
                            first=taken[question.name], second=header, question=question.name))
            continue
        taken[question.name] = header
        if question.type == "note":
            columns.ignored.append(header)
        elif question.type == "photo":
            columns.refused_if_filled[position] = header
        else:
            columns.questions[position] = (header, question)
    for position, header, question in detail_columns:
        # Kobo's "separate columns" export: one 0/1 column per choice. Harmless beside the question's own column.
        if question.name in taken:
            columns.ignored.append(header)
        else:
            errors.append(_("The column %(name)s holds one choice of the question %(question)s. Export select-many "
                            "questions as a single column (choice names separated by spaces) and retry.",
                            name=header, question=question.name))
    for header in HOUSEHOLD_HEADERS:
        if header not in columns.household:
            errors.append(_("The column %(name)s is missing.", name=header))
    for question in survey.questions:
        # A question every household must answer, whatever else it says, cannot be left out of the file.
        if (question.required and not question.relevant and not question.settings.get("audience")
                and question.type not in NOT_IMPORTED_TYPES and question.name not in taken
                and not (question.section.relevant if question.section else None)):
            errors.append(_("The column %(name)s is missing: every household must answer that question.",
                            name=question.name))
    return columns


def _question_of(header: str, by_name: dict[str, Question], sections: set[str]) -> Question | None:
    if header in by_name:
        return by_name[header]
    if "/" in header:   # ODK/Kobo group path: group_x/question
        return by_name.get(header.rsplit("/", 1)[1])
    parts = header.split("-")   # ODK Central's CSV joins groups with "-"; only trusted when they are our sections
    if len(parts) > 1 and all(part in sections for part in parts[:-1]):
        return by_name.get(parts[-1])
    return None


def _is_metadata(header: str) -> bool:
    name = header.lower()
    for separator in ("/", "-"):
        if name.startswith("meta" + separator):
            return True
    return name in METADATA_COLUMNS or name.rsplit("/", 1)[-1] in METADATA_COLUMNS


def _choice_column_parent(header: str, by_name: dict[str, Question]) -> Question | None:
    parts = header.split("/")
    if len(parts) < 2:
        return None
    question = by_name.get(parts[-2])
    if question is not None and question.type == "select_multiple" and \
            any(choice.name == parts[-1] for choice in question.choices):
        return question
    return None


# ---------------------------------------------------------------------------------------------------- rows

class _HouseholdIndex:
    """The survey community's households by (楼栋, 单元, 房号): exact names, then natural keys ("01" = "1")."""

    def __init__(self, survey: Survey):
        rows = db.session.execute(
            select(Household, Unit.name, Building.name).join(Unit, Household.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .where(Building.community_id == survey.community_id)).all()
        self.exact, self.natural = {}, {}
        for household, unit, building in rows:
            self.exact[(building, unit, household.room)] = household
            key = (natural_key(building), natural_key(unit), natural_key(household.room))
            self.natural[key] = None if key in self.natural else household   # ambiguous → exact names only

    def find(self, building: str, unit: str, room: str) -> Household | None:
        return self.exact.get((building, unit, room)) or \
            self.natural.get((natural_key(building), natural_key(unit), natural_key(room)))


def _check_row(survey, number, cells, columns, households, seen, errors, lang, warnings):
    """(household, cleaned values, consent) for one row, or Nones with its errors added; what is imported as
    written but looks odd is added to ``warnings``."""
    before = len(errors)
    place = {}
    for header in HOUSEHOLD_HEADERS:
        position = columns.household[header]
        place[header] = _text(cells[position]) if position < len(cells) else ""
        if not place[header]:
            errors.append(_("Row %(row)d: %(column)s is empty.", row=number, column=header))
    if len(errors) > before:
        return None, None, None
    household = households.find(place["楼栋"], place["单元"], place["房号"])
    if household is None:
        errors.append(_("Row %(row)d: there is no household %(building)s-%(unit)s-%(room)s in this community's "
                        "roster.", row=number, building=place["楼栋"], unit=place["单元"], room=place["房号"]))
        return None, None, None
    if household.id in seen:
        errors.append(_("Row %(row)d: the household %(building)s-%(unit)s-%(room)s is already in row %(first)d.",
                        row=number, building=place["楼栋"], unit=place["单元"], room=place["房号"],
                        first=seen[household.id]))
        return None, None, None
    seen[household.id] = number
    for position, header in columns.refused_if_filled.items():
        if position < len(cells) and _text(cells[position]):
            errors.append(_("Row %(row)d: %(column)s: photos cannot be imported from a spreadsheet; leave the "
                            "column empty.", row=number, column=header))
    raw: dict[str, str | list[str]] = {}
    headers = {}
    for position, (header, question) in columns.questions.items():
        text = _text(cells[position]) if position < len(cells) else ""
        if text:
            raw[question.name] = _raw_value(question, text, lang)
            headers[question.name] = header
    consent = columns.consent is not None and columns.consent < len(cells) and \
        _text(cells[columns.consent]).lower() in CONSENT_WORDS
    sensitive = [headers[q.name] for q in survey.questions if q.sensitive and q.name in raw]
    if sensitive and not consent:
        # Dropping them silently would lose what the household wrote; without consent they must not be kept.
        errors.append(_("Row %(row)d: %(columns)s are sensitive questions: their answers can be imported only with "
                        "the household's consent (1 in the column %(consent)s).", row=number,
                        columns="、".join(sensitive), consent=CONSENT_FIELD))
    odd: list[tuple[str, str]] = []
    values, problems = clean_answers(survey, household, raw, lang=lang, consent=consent, warnings=odd)
    for name, message in problems.items():
        errors.append(_("Row %(row)d: %(column)s: %(message)s", row=number, column=headers.get(name, name),
                        message=message))
    warnings.extend({"row": number, "column": headers.get(name, name), "message": message} for name, message in odd)
    return (household, values, consent) if len(errors) == before else (None, None, None)


def _text(value) -> str:
    """A cell as the text a form would send: Excel dates as ISO dates, numbers without a trailing ".0"."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return cell_text(value)


def _raw_value(question: Question, text: str, lang: str):
    """Choice names as ODK writes them; a hand-typed choice label (需要) is read as its name (need)."""
    if question.type in LIST_TYPES:
        return [_choice_name(question, token) for token in text.split()]
    if question.type == "select_one":
        return _choice_name(question, text)
    if question.type == "yes_no":
        name = _choice_name(question, text)
        return name if question.choices else YES_NO_WORDS.get(name.lower(), name.lower())
    return text


def _choice_name(question: Question, text: str) -> str:
    names = {choice.name for choice in question.choices}
    if text in names:
        return text
    by_label = {}
    for choice in question.choices:
        for label in (choice.label or {}).values():
            by_label.setdefault(label, set()).add(choice.name)
    matches = by_label.get(text, set())
    return next(iter(matches)) if len(matches) == 1 else text


def _place(row: int, household: Household, status: str) -> dict:
    unit = household.unit
    return {"row": row, "building": unit.building.name, "unit": unit.name, "room": household.room,
            "status": status}


# ---------------------------------------------------------------------------------------------------- template

def template_workbook(survey: Survey, lang: str = "zh") -> bytes:
    """An empty answer sheet for this survey (楼栋, 单元, 房号 and each question's name) and a sheet that explains
    every column: the question, its type, and the choice names to write."""
    workbook = Workbook()
    answers = workbook.active
    answers.title = _("Answers")
    questions = [q for q in survey.questions if q.type not in NOT_IMPORTED_TYPES]
    consent = [CONSENT_FIELD] if any(q.sensitive for q in questions) else []
    answers.append(list(HOUSEHOLD_HEADERS) + [q.name for q in questions] + consent)
    guide = workbook.create_sheet(_("Columns"))
    guide.append([_("Column"), _("Question"), _("Answer type"), _("What to write")])
    for question in questions:
        guide.append([question.name, question.text("label", lang), question.type, _how_to_write(question, lang)])
    if consent:
        guide.append([CONSENT_FIELD, _("The household agreed to answer the sensitive questions"), "",
                      _("1 when they agreed; the answers to sensitive questions are imported only then")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _how_to_write(question: Question, lang: str) -> str:
    choices = "；".join(f"{choice.name} = {choice.text(lang)}" for choice in question.choices)
    if question.type == "select_one":
        return _("One choice name: %(choices)s", choices=choices)
    if question.type == "select_multiple":
        return _("Choice names separated by spaces: %(choices)s", choices=choices)
    if question.type == "rank":
        return _("Choice names in order of preference, separated by spaces: %(choices)s", choices=choices)
    if question.type == "date":
        return _("A date such as 2025-05-01")
    if choices:
        return choices
    return ""
