"""XLSForm → a draft survey for a community, or a refusal that names every row it cannot take.

pyxform (``pyxform.xls2json.parse_file_to_json``) reads and validates the spreadsheet and gives a nested dict; we
walk that dict. Its dict has no row numbers, so the raw survey sheet is read once more to find each name's row
(both in ``surveys.xlsform.reading``).
Nothing is created unless the whole form is accepted. The decisions about languages and types are in
``surveys.xlsform.common``.
"""
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from pyxform.parsing.sheet_headers import clean_text_values
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.logs import logs_refusals
from participation.models import CatalogueItem
from surveys.models import Choice, Question, Section, Survey
from surveys.xlsform.common import XLSFormError, at_row, expression_problem, has_chinese, language_code
from surveys.xlsform.questions import TYPES, read_question
from surveys.xlsform.reading import RawSheets, read_xlsform

logger = logging.getLogger(__name__)

METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
                  "email", "audit", "imei", "start time", "end time", "get today", "device id", "get device id",
                  "sim id", "get sim id", "subscriber id", "get subscriber id", "get phone number", "get start time",
                  "get end time", "uri:deviceid", "uri:email", "uri:phonenumber", "uri:simserial", "uri:subscriberid",
                  "uri:username"}
GENERATED_PREFIXES = ("generated_table_list_label_", "reserved_name_for_field_list_labels_", "generated_note_name_")


@dataclass
class ImportResult:
    survey: Survey
    warnings: list[str] = field(default_factory=list)


@logs_refusals("xlsform", XLSFormError)
def import_xlsform(actor, community, data: bytes, filename: str, *, channel: str = "web") -> ImportResult:
    """Create a draft survey for ``community`` from an XLSForm file; raise XLSFormError (nothing created) if refused."""
    form, raw = read_xlsform(data, filename)
    raw.stem = Path(filename).stem
    builder = _Builder(form, raw, _catalogue())
    builder.build()
    if builder.errors:
        raise XLSFormError(builder.errors)
    survey = builder.create(community, actor)
    db.session.add(survey)
    db.session.flush()
    record(actor, "survey.import_xlsform", survey, community=community, channel=channel, filename=filename,
           form_id=raw.settings.get("form_id"), version=raw.settings.get("version"),
           questions=len(survey.questions))
    return ImportResult(survey, builder.warnings)


def _catalogue() -> dict[str, CatalogueItem]:
    return {item.code: item for item in db.session.scalars(select(CatalogueItem))}


# --- walking pyxform's dict ---

class _Builder:
    """Turns the dict into section and question specs, collecting every problem before anything is created."""

    def __init__(self, form: dict, raw: RawSheets, catalogue: dict[str, CatalogueItem]):
        self.form, self.raw, self.catalogue = form, raw, catalogue
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.sections: list[dict] = []
        self.questions: list[dict] = []
        self.row = None           # the row being read, for elements pyxform generated from it
        self._dropped_languages: set[str] = set()
        self.ignored_columns: set[str] = set()
        self.choice_media_warned = False
        self.default_language = self._default_language()

    # -- languages --

    def _default_language(self) -> str:
        setting = language_code(self.raw.settings.get("default_language", "") or "")
        if setting:
            return setting
        texts, english_column = [], False

        def collect(value):
            nonlocal english_column
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, dict):
                for language, text in value.items():
                    if language == "default":
                        texts.append(str(text))
                    english_column = english_column or language_code(language) == "en"

        def walk(elements):
            for element in elements:
                for key in ("label", "hint"):
                    collect(element.get(key))
                walk(element.get("children", []))
        walk(self.form.get("children", []))
        for choices in (self.form.get("choices") or {}).values():
            for choice in choices:
                collect(choice.get("label"))
        if not english_column and not any(has_chinese(text) for text in texts):
            return "en"
        return "zh"

    def texts(self, value, cells: list[str] | None = None) -> dict:
        """pyxform's label/hint (a string, or a dict by language) as {"zh": …, "en": …}; ``cells`` are the row's
        original texts, to undo pyxform's straightening of quotes."""
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            value = {"default": value}
        result = {}
        # explicit language columns first: the untranslated column only fills a language they leave empty
        for language, text in sorted(value.items(), key=lambda pair: pair[0] == "default"):
            code = self.default_language if language == "default" else language_code(language)
            text = str(text).strip() if text is not None else ""
            if code is None:
                if text and language not in self._dropped_languages:
                    self._dropped_languages.add(language)
                    self.warnings.append(_("Texts in %(language)s were left out: only Chinese and English are "
                                           "used.", language=language))
                continue
            if text and not result.get(code):
                result[code] = _original(text, cells or [])
        return result

    # -- structure --

    def build(self) -> None:
        run = None   # the default section that holds a run of questions outside any group
        for element in self.form.get("children", []):
            kind = element.get("type")
            if kind == "group" and element.get("name") == "meta" and (element.get("control") or {}).get("bodyless"):
                continue   # pyxform's instanceID: not a question
            if kind == "group":
                run = None
                self.row = self._row_of(element)
                section = self._section(element["name"], self.texts(element.get("label"), self._cells()),
                                        (element.get("bind") or {}).get("relevant"))
                self._group_extras(element)
                self._children(element.get("children", []), section, None)
            else:
                if run is None:
                    run = self._section(None, {}, None)
                self._children([element], run, None)
        self._check_names_and_expressions()

    def _section(self, name, label, relevant) -> dict:
        section = {"name": name, "label": label, "relevant": relevant or None, "row": self.row, "questions": []}
        self.sections.append(section)
        return section

    def _group_extras(self, element) -> None:
        if element.get("hint"):
            self.warnings.append(at_row(self.row, _("the hint of group %(name)s was left out (a page has no hint).",
                                                    name=element["name"])))

    def _children(self, elements, section, relevant) -> None:
        for element in elements:
            kind = element.get("type")
            if kind == "group":   # a nested group joins its top-level section; its condition joins its questions
                self.row = self._row_of(element)
                inner = (element.get("bind") or {}).get("relevant")
                self._group_extras(element)
                self._children(element.get("children", []), section, _both(relevant, inner))
            else:
                self._element(element, section, relevant)

    def _cells(self) -> list[str]:
        return self.raw.cells_at.get(self.row, []) if self.row else []

    def _row_of(self, element) -> int | None:
        rows = self.raw.rows_of.get(element.get("name"))
        if rows:
            self.row = rows.popleft()
        return self.row

    def _element(self, element, section, group_relevant) -> None:
        name, kind = element.get("name", ""), element.get("type", "")
        generated = not self.raw.rows_of.get(name)
        row = self._row_of(element)
        if generated and name.startswith(GENERATED_PREFIXES):
            return   # pyxform's table-list header row: presentation only
        if kind in METADATA_TYPES:
            self.warnings.append(at_row(row, _("%(type)s is device data, not a question; it was left out.",
                                               type=kind)))
            return
        if kind not in TYPES:
            self.errors.append(at_row(row, _unsupported_type(kind)))
            return
        question = read_question(self, element, row, generated)
        if question is None:
            return
        question["relevant"] = _both(group_relevant, question["relevant"])
        section["questions"].append(question)
        self.questions.append(question)

    def _check_names_and_expressions(self) -> None:
        names = {question["name"] for question in self.questions}
        seen = set()
        for question in self.questions:
            if question["name"] in seen:
                self.errors.append(at_row(question["row"], _("the name %(name)s is used twice; names must be "
                                                             "unique in the whole form.", name=question["name"])))
            seen.add(question["name"])
            for column in ("relevant", "constraint"):
                if question[column]:
                    problem = expression_problem(question[column], names)
                    if problem:
                        self.errors.append(at_row(question["row"], problem))
        for section in self.sections:
            if section["relevant"]:
                problem = expression_problem(section["relevant"], names)
                if problem:
                    self.errors.append(at_row(section["row"], problem))
        if not self.questions and not self.errors:
            self.errors.append(_("The form has no questions."))

    # -- creating --

    def title(self) -> dict:
        title = {}
        if self.raw.settings.get("form_title"):
            title[self.default_language] = self.raw.settings["form_title"]
        if self.raw.settings.get("form_title_en"):
            title["en"] = self.raw.settings["form_title_en"]
        return title or {self.default_language: self.raw.stem or _("Imported questionnaire")}

    def create(self, community, actor) -> Survey:
        settings = self.raw.settings
        description = {code: settings[f"description_{code}"] for code in ("zh", "en") if settings.get(f"description_{code}")}
        survey = Survey(community=community, title=self.title(), description=description, status="draft",
                        created_by_id=getattr(actor, "id", None))
        taken = {section["name"] for section in self.sections if section["name"]}
        position = 0
        for index, spec in enumerate(self.sections, start=1):
            if not spec["questions"] and spec["name"] is None:
                continue
            name = spec["name"] or _free_name(f"page_{index}", taken)
            section = Section(survey=survey, position=index, name=name, label=spec["label"],
                              relevant=spec["relevant"])
            for question_spec in spec["questions"]:
                position += 1
                question = Question(
                    survey=survey, section=section, position=position, name=question_spec["name"],
                    type=question_spec["type"], role=question_spec["role"], item=question_spec["item"],
                    label=question_spec["label"], hint=question_spec["hint"], required=question_spec["required"],
                    relevant=question_spec["relevant"], constraint=question_spec["constraint"],
                    constraint_message=question_spec["constraint_message"], sensitive=question_spec["sensitive"],
                    settings=question_spec["settings"])
                for choice_position, (choice_name, label) in enumerate(question_spec["choices"], start=1):
                    question.choices.append(Choice(position=choice_position, name=choice_name, label=label))
        return survey


def _original(text: str, cells: list[str]) -> str:
    if '"' not in text and "'" not in text:
        return text
    return next((cell for cell in cells if clean_text_values(cell).strip() == text), text)


def _both(first: str | None, second: str | None) -> str | None:
    if first and second:
        return f"({first}) and ({second})"
    return first or second or None


def _free_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _unsupported_type(kind: str) -> str:
    reasons = {
        "repeat": _("repeats (begin_repeat) are not supported."),
        "loop": _("loops (begin_loop) are not supported."),
        "calculate": _("calculations (calculate) are not supported."),
        "geopoint": _("locations (geopoint, geotrace, geoshape) are not supported."),
        "geotrace": _("locations (geopoint, geotrace, geoshape) are not supported."),
        "geoshape": _("locations (geopoint, geotrace, geoshape) are not supported."),
        "trigger": _("acknowledge/trigger questions are not supported."),
        "acknowledge": _("acknowledge/trigger questions are not supported."),
        "audio": _("audio, video and file questions are not supported."),
        "video": _("audio, video and file questions are not supported."),
        "file": _("audio, video and file questions are not supported."),
        "barcode": _("barcode questions are not supported."),
        "hidden": _("hidden questions are not supported."),
        "select one external": _("external choice lists are not supported."),
        "xml-external": _("external data (xml-external, csv-external) is not supported."),
        "csv-external": _("external data (xml-external, csv-external) is not supported."),
    }
    return reasons.get(kind, _("the question type %(type)s is not supported.", type=kind))

