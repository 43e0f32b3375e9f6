"""Responses as files for the 社区 worker's Excel: one row per household (wide, CSV and XLSX) and one row per answer
value (long CSV).

The wide file follows the ODK/Kobo convention, so it imports back with ``surveys import-responses``: 楼栋, 单元,
房号, then one column per question name, select_multiple picks and rank orders as space-separated choice names.
Every household of the community has a row (status 未作答 / 草稿 / 已提交); only submitted answers are written.
CSV is UTF-8 with a byte-order mark (Excel in China opens it correctly) and any text starting with = + - @ is
prefixed with an apostrophe so Excel never runs it as a formula.
"""
import csv
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import and_, select
from sqlalchemy.orm import contains_eager

from participation.audit import record
from participation.extensions import db
from participation.formatting import beijing_naive
from participation.labels import label
from participation.models import CATEGORIES, Building, Household, Unit, User
from participation.roster.files import WORD_OF_OCCUPANCY
from participation.spreadsheets import workbook_bytes
from surveys.models import Answer, Response, Survey

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _number(value: Decimal | None):
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value.normalize()


def _status_words() -> dict:
    return {None: _("Not answered"), "draft": _("Draft"), "submitted": _("Submitted")}


def _channel(code: str | None) -> str:
    if code is None:
        return ""
    return _("Imported from a file") if code == "import" else label("channel", code)


def _answer_questions(survey: Survey) -> list:
    return [question for question in survey.questions if question.type != "note"]


def _answers(survey: Survey) -> dict[int, dict[int, list]]:
    """Submitted answers as {response id: {question id: [Answer row …]}}, picks in rank order."""
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.choice, Answer.rank, Answer.number,
               Answer.text_value, Answer.date_value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey.id, Response.status == "submitted")
        .order_by(Answer.response_id, Answer.question_id, Answer.rank, Answer.id))
    answers = defaultdict(lambda: defaultdict(list))
    for row in rows:
        answers[row.response_id][row.question_id].append(row)
    return answers


def _households(survey: Survey):
    return db.session.execute(
        select(Household, Response).join(Household.unit).join(Unit.building)
        .outerjoin(Response, and_(Response.household_id == Household.id, Response.survey_id == survey.id))
        .options(contains_eager(Household.unit).contains_eager(Unit.building))
        .where(Building.community_id == survey.community_id)
        .order_by(Building.sort_key, Unit.sort_key, Household.sort_key)).all()


def _value(question, rows: list, choice_order: dict):
    """One question's answer in one cell: choice names space-separated (picks in choice order, ranks in rank
    order), a number, a date or the text."""
    if not rows:
        return None
    if question.type in ("select_one", "select_multiple", "rank", "yes_no"):
        names = [row.choice for row in rows]
        if question.type == "select_multiple":
            names.sort(key=lambda name: choice_order[question.id].get(name, len(names)))
        return " ".join(names)
    return _single(rows[0])


def _single(row):
    """One stored value, whichever column holds it."""
    if row.choice is not None:
        return row.choice
    if row.number is not None:
        return _number(row.number)
    if row.date_value is not None:
        return row.date_value
    return row.text_value or ""


def response_table(survey: Survey) -> tuple[list[str], list[list]]:
    """The wide table: headers and one row per household of the community."""
    questions = _answer_questions(survey)
    need_questions = [q for q in questions if q.role == "item_need" and q.item is not None]
    categories = [c for c in CATEGORIES if any(q.item.category == c for q in need_questions)]
    categories += sorted({q.item.category for q in need_questions} - set(categories))
    choice_order = {q.id: {choice.name: choice.position for choice in q.choices} for q in questions}
    headers = ["楼栋", "单元", "房号", "面积", "居住状态", "状态", "提交时间", "渠道", *(q.name for q in questions),
               *(_("Needed: %(category)s", category=label("category", c)) for c in categories)]
    answers, statuses = _answers(survey), _status_words()
    table = []
    for household, response in _households(survey):
        submitted = response is not None and response.status == "submitted"
        given = answers.get(response.id, {}) if submitted else {}
        unit = household.unit
        row = [unit.building.name, unit.name, household.room, household.area,
               WORD_OF_OCCUPANCY.get(household.occupancy, household.occupancy),
               statuses[response.status if response else None],
               beijing_naive(response.submitted_at) if submitted else None,
               _channel(response.channel) if response else ""]
        row += [_value(q, given.get(q.id, []), choice_order) for q in questions]
        for category in categories:
            needed = [q.item.code for q in need_questions if q.item.category == category
                      and any(a.choice == "need" for a in given.get(q.id, []))]
            row.append(" ".join(needed) or None)
        table.append(row)
    return headers, table


def long_table(survey: Survey) -> tuple[list[str], list[list]]:
    """One row per answer value: household, question, item code, category, value, rank."""
    by_id = {q.id: q for q in _answer_questions(survey)}
    answers = _answers(survey)
    headers = ["楼栋", "单元", "房号", _("Question"), _("Item code"), _("Category"), _("Answer"), _("Rank")]
    table = []
    for household, response in _households(survey):
        if response is None or response.status != "submitted":
            continue
        unit = household.unit
        for question_id, rows in answers.get(response.id, {}).items():
            question = by_id.get(question_id)
            if question is None:
                continue
            item = question.item
            for row in rows:
                table.append([unit.building.name, unit.name, household.room, question.name,
                              item.code if item else None, label("category", item.category) if item else None,
                              _single(row), row.rank])
    return headers, table


# --- writing files ------------------------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    """Numbers and dates as written by us; any text (answers, rooms) that Excel would run as a formula gets an
    apostrophe in front."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value[:1] in FORMULA_STARTS else value
    return str(value)


def _csv(headers: list[str], table: list[list]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_csv_cell(header) for header in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in table)
    return out.getvalue()


def _audit(actor: User, survey: Survey, kind: str, rows: int) -> None:
    record(actor, "survey.export", survey, community=survey.community, kind=kind, rows=rows)


def responses_csv(actor: User, survey: Survey) -> str:
    headers, table = response_table(survey)
    _audit(actor, survey, "csv", len(table))
    return _csv(headers, table)


def responses_long_csv(actor: User, survey: Survey) -> str:
    headers, table = long_table(survey)
    _audit(actor, survey, "long_csv", len(table))
    return _csv(headers, table)


def responses_xlsx(actor: User, survey: Survey) -> bytes:
    headers, table = response_table(survey)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Responses")[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value for value in row])
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.00"
        sheet.cell(row=sheet.max_row, column=7).number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "D2"
    _audit(actor, survey, "xlsx", len(table))
    return workbook_bytes(book)   # an answer such as "=1+1" is text, never a formula
