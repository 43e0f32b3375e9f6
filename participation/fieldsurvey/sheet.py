"""The field survey in Excel (实地调查, for 社区 staff who work in spreadsheets): a template of every catalogue item in
use with what is recorded so far, and its import, all or nothing.

Each row is checked on its own and against the rows before it; every problem is listed with its row number and
column, and nothing changes unless the whole file is right. A row left without a condition keeps what is recorded
(the template lists every item; staff fill in those they surveyed). Each finding is saved by ``record_finding``,
so its rules and its audit rows are the form's.
"""
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.fieldsurvey.forms import QUANTITY_MEASURES, parse_quantity
from participation.fieldsurvey.operations import (MAX_NOTE, MAX_QUANTITY, FieldSurveyError, record_finding,
                                                  survey_overview)
from participation.logs import logs_refusals
from participation.models import CatalogueItem, Community, FieldFinding, User
from participation.roster.files import cell_text
from participation.sheet_imports import (Column, Problems, SheetImportError, add_choices, free_text, read_sheet,
                                         row_item, write_header, write_notes)
from participation.spreadsheets import workbook_bytes

COLUMNS = (
    Column("项目编码", "code", required=True, width=10),
    Column("项目名称", "name", given=True, width=34),
    Column("计量单位", "unit", given=True, width=14),
    Column("状况", "condition", required=True, width=10),
    Column("数量", "quantity", width=12),
    Column("备注", "note", width=40),
)
COLUMN = {column.field: column for column in COLUMNS}
# The condition as staff write it; the same words as the pages show in Chinese.
CONDITION_WORDS = {"完好": "good", "需维修": "needs_repair", "缺失": "missing", "不适用": "not_applicable"}
WORD_OF_CONDITION = {code: word for word, code in CONDITION_WORDS.items()}
CENT = Decimal("0.01")


def _items_in_order(community: Community) -> list[tuple[CatalogueItem, FieldFinding | None]]:
    """Every catalogue item in use, in the overview's order (category, then code), with its finding if any."""
    return [(row["item"], row["finding"]) for _category, rows in survey_overview(community)["groups"] for row in rows]


def _notes() -> list[tuple[str, str]]:
    return [
        ("项目编码", _("The catalogue item's code. Keep it as it is; each item appears once.")),
        ("项目名称", _("The item's name, for reading only: the import does not read it.")),
        ("计量单位", _("What the quantity is counted in, for reading only.")),
        ("状况", _("完好, 需维修, 缺失 or 不适用 (choose from the list). Leave it empty for an item not surveyed: "
                 "what is recorded for it stays as it is.")),
        ("数量", _("A number of at least 0 with at most 2 decimals, such as 12 or 350.5; empty for none.")),
        ("备注", _("What was found, at most %(n)d characters.", n=MAX_NOTE)),
    ]


def template_workbook(community: Community) -> bytes:
    """One row per catalogue item in use, code, name and unit filled in and what is recorded so far, a drop-down of
    the condition words, and a 说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "实地调查"
    write_header(sheet, COLUMNS)
    rows = _items_in_order(community)
    for item, finding in rows:
        sheet.append([item.code, item.name, str(QUANTITY_MEASURES.get(item.quantity_unit, "")),
                      WORD_OF_CONDITION[finding.condition] if finding else None,
                      finding.quantity if finding and finding.quantity is not None else None,
                      finding.note if finding else None])
        sheet.cell(row=sheet.max_row, column=1).number_format = "@"
    add_choices(sheet, COLUMNS, "condition", CONDITION_WORDS, len(rows) + 1, title=_("Condition"),
                message=_("Choose 完好, 需维修, 缺失 or 不适用."))
    write_notes(book, _notes())
    return workbook_bytes(book)


# --- import --------------------------------------------------------------------------------------------------------

def _quantity(number: int, value, problems: Problems) -> Decimal | None:
    text = cell_text(value)
    try:
        quantity = parse_quantity(text)
    except ValueError:
        problems.at(number, COLUMN["quantity"], _("%(value)s is not a number; write a number such as 12 or 350.5.",
                                                  value=text))
        return None
    if quantity is None:
        return None
    if quantity < 0:
        problems.at(number, COLUMN["quantity"], _("the quantity cannot be negative."))
    elif quantity > MAX_QUANTITY:
        problems.at(number, COLUMN["quantity"], _("the quantity is too large."))
    elif quantity != quantity.quantize(CENT):
        problems.at(number, COLUMN["quantity"], _("the quantity may have at most 2 decimals."))
    else:
        return quantity.quantize(CENT)
    return None


def _parse(rows: list[tuple[int, dict]], items: dict[str, CatalogueItem], problems: Problems) -> list[dict]:
    """The rows to record, each {row, item, condition, quantity, note}; problems of every row added."""
    parsed, first_row = [], {}
    for number, cells in rows:
        before = len(problems)
        code = cell_text(cells.get("code")).upper()
        word = cell_text(cells.get("condition"))
        note = free_text(cells.get("note"))
        item = row_item(number, code, items, COLUMN["code"], problems, first_row,
                        unknown=lambda code: _("there is no item %(code)s in the catalogue in use.", code=code))
        if word and word not in CONDITION_WORDS:
            problems.at(number, COLUMN["condition"], _("%(word)s is not a condition; write 完好, 需维修, 缺失 or "
                                                       "不适用.", word=word))
        elif not word and (cell_text(cells.get("quantity")) or note):
            problems.at(number, COLUMN["condition"], _("the condition is empty, though a quantity or a note is "
                                                       "given."))
        quantity = _quantity(number, cells.get("quantity"), problems)   # problems in the columns' order
        if len(note) > MAX_NOTE:
            problems.at(number, COLUMN["note"], _("the note is too long (at most %(n)d characters).", n=MAX_NOTE))
        if len(problems) == before and word:
            parsed.append({"row": number, "item": item, "condition": CONDITION_WORDS[word], "quantity": quantity,
                           "note": note or None})
    return parsed


def _same(finding: FieldFinding, row: dict) -> bool:
    stored = None if finding.quantity is None else Decimal(finding.quantity).quantize(CENT)
    return (finding.condition, stored, finding.note) == (row["condition"], row["quantity"], row["note"])


@logs_refusals("field_survey", SheetImportError)
def import_findings(actor: User, community: Community, source, *, filename: str | None = None,
                    channel: str = "web") -> dict:
    """Check the whole file, then record each row's finding; raise SheetImportError on any problem. The caller rolls
    back what was flushed before the refusal (``handlers.withdraw``). Returns counts: new, changed, unchanged and
    skipped (rows without a condition)."""
    rows = read_sheet(source, filename, COLUMNS)
    items = {item.code.upper(): item for item in db.session.scalars(
        select(CatalogueItem).where(CatalogueItem.retired_at.is_(None)))}
    problems = Problems()
    parsed = _parse(rows, items, problems)
    problems.raise_if_any()
    stored = {finding.item_id: finding for finding in db.session.scalars(
        select(FieldFinding).where(FieldFinding.community_id == community.id))}
    counts = {"new": 0, "changed": 0, "unchanged": 0, "skipped": len(rows) - len(parsed)}
    for row in parsed:
        finding = stored.get(row["item"].id)
        kind = "new" if finding is None else "unchanged" if _same(finding, row) else "changed"
        try:
            record_finding(actor, community, row["item"], condition=row["condition"], quantity=row["quantity"],
                           note=row["note"], channel=channel)
        except FieldSurveyError as refusal:
            problems.at(row["row"], None, refusal.message)
            continue
        counts[kind] += 1
    problems.raise_if_any()
    record(actor, "field_finding.import", community, community=community, channel=channel, filename=filename,
           rows=len(rows), counts=counts)
    return counts
