"""A survey → an XLSForm workbook (survey, choices and settings sheets) that imports back to the same survey.

Sections become groups, labels go to ``label::Chinese (zh)`` / ``label::English (en)``, and what XLSForm has no
column for travels in our own columns (``item``, ``sensitive``, ``role``, ``settings``); other XLSForm tools
ignore those. The conventions are described in ``surveys.xlsform.common``.
"""
import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font

from surveys.models import Survey
from surveys.xlsform.common import (LANGUAGE_COLUMNS, RATING_DEFAULT, RATING_MAX, RATING_MIN, SETTINGS_IN_COLUMNS,
                                    YES_NO, YES_NO_LABELS)

LANGUAGES = ("zh", "en")
SURVEY_COLUMNS = (
    ["type", "name"]
    + [f"label::{LANGUAGE_COLUMNS[code]}" for code in LANGUAGES]
    + [f"hint::{LANGUAGE_COLUMNS[code]}" for code in LANGUAGES]
    + ["required"] + [f"required_message::{LANGUAGE_COLUMNS[code]}" for code in LANGUAGES]
    + ["relevant", "constraint"] + [f"constraint_message::{LANGUAGE_COLUMNS[code]}" for code in LANGUAGES]
    + ["appearance", "parameters", "item", "sensitive", "role", "settings"]
)
CHOICE_COLUMNS = ["list_name", "name"] + [f"label::{LANGUAGE_COLUMNS[code]}" for code in LANGUAGES]
SETTINGS_COLUMNS = ["form_title", "form_title_en", "form_id", "version", "default_language", "description_zh",
                    "description_en"]
TYPE_OF = {"select_one": "select_one", "yes_no": "select_one", "select_multiple": "select_multiple",
           "rank": "rank", "rating": "range", "integer": "integer", "decimal": "decimal", "text": "text",
           "long_text": "text", "phone": "phone number", "date": "date", "note": "note", "photo": "image"}


def export_xlsform(survey: Survey) -> bytes:
    workbook = Workbook()
    survey_sheet = workbook.active
    survey_sheet.title = "survey"
    choices_sheet = workbook.create_sheet("choices")
    settings_sheet = workbook.create_sheet("settings")
    survey_rows, choice_rows = _survey_rows(survey)
    _write(survey_sheet, SURVEY_COLUMNS, survey_rows)
    _write(choices_sheet, CHOICE_COLUMNS, choice_rows)
    _write(settings_sheet, SETTINGS_COLUMNS, [_settings_row(survey)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write(sheet, columns: list[str], rows: list[dict]) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    sheet.freeze_panes = "A2"


def _texts(prefix: str, value: dict | None) -> dict:
    return {f"{prefix}::{LANGUAGE_COLUMNS[code]}": (value or {}).get(code) or None for code in LANGUAGES}


def _survey_rows(survey: Survey) -> tuple[list[dict], list[dict]]:
    survey_rows, choice_rows = [], []
    for section in survey.sections:
        survey_rows.append({"type": "begin_group", "name": section.name, **_texts("label", section.label),
                            "relevant": section.relevant})
        for question in sorted(section.questions, key=lambda question: question.position):
            row, choices = _question_row(question)
            survey_rows.append(row)
            choice_rows.extend(choices)
        survey_rows.append({"type": "end_group"})
    return survey_rows, choice_rows


def _question_row(question) -> tuple[dict, list[dict]]:
    settings = dict(question.settings or {})
    kind = TYPE_OF[question.type]
    choices = [(choice.name, choice.label) for choice in question.choices]
    if question.type == "yes_no" and not choices:
        choices = [(name, YES_NO_LABELS[name]) for name in YES_NO]
    if choices:
        kind = f"{kind} {question.name}"   # one list per question, named after it
    appearance = settings.get("appearance")
    parameters = settings.get("parameters") or {}
    if question.type == "long_text":
        appearance = " ".join(filter(None, ["multiline", appearance]))
    elif question.type == "rating":
        appearance = " ".join(filter(None, ["rating", appearance]))
        parameters = {"start": settings.get(RATING_MIN, RATING_DEFAULT[0]),
                      "end": settings.get(RATING_MAX, RATING_DEFAULT[1]), "step": 1}
    extra = {key: value for key, value in settings.items() if key not in SETTINGS_IN_COLUMNS}
    row = {
        "type": kind, "name": question.name, **_texts("label", question.label), **_texts("hint", question.hint),
        "required": "yes" if question.required else None,
        **_texts("required_message", settings.get("required_message")),
        "relevant": question.relevant, "constraint": question.constraint,
        **_texts("constraint_message", question.constraint_message),
        "appearance": appearance or None,
        "parameters": " ".join(f"{key}={value}" for key, value in parameters.items()) or None,
        "item": question.item.code if question.item is not None else None,
        "sensitive": "yes" if question.sensitive else None,
        "role": question.role,
        "settings": json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    }
    choice_rows = [{"list_name": question.name, "name": name, **_texts("label", label)} for name, label in choices]
    return row, choice_rows


def _settings_row(survey: Survey) -> dict:
    title = survey.title or {}
    chinese = bool(title.get("zh"))
    return {
        "form_title": title.get("zh") or title.get("en") or survey.label(),
        "form_title_en": title.get("en") if chinese else None,
        "form_id": f"survey_{survey.id}",
        "version": survey.updated_at.strftime("%Y%m%d%H") if survey.updated_at else None,
        "default_language": LANGUAGE_COLUMNS["zh" if chinese else "en"],
        "description_zh": (survey.description or {}).get("zh"),
        "description_en": (survey.description or {}).get("en"),
    }
