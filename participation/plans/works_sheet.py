"""Works progress in Excel (项目实施, for 社区 staff who keep the works in a spreadsheet): a template of every item of
the adopted version with its works so far, and its import, all or nothing.

Each row is read (item codes of the adopted plan, status words, dates), and each row that reads well goes through
``set_work``, so that its rules (dates, the finish date, the joint-review gate) refuse that row with their words
while the rows after it are still checked. On any problem SheetImportError lists them all by row and the caller
rolls back the rows already set (``handlers.withdraw``): nothing is written. (No savepoint per row: on SQLite, a
savepoint opened before any write is the transaction, and releasing it would commit.)
"""
import re
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook

from participation.audit import record
from participation.handlers import Refused
from participation.lifecycle.overrides import GateRefused
from participation.logs import logs_refusals
from participation.models import Community, Plan, PlanWork, User
from participation.plans.operations import MAX_TEXT, adopted_version, plan_for, set_work, works_by_item
from participation.roster.files import cell_text
from participation.sheet_imports import (Column, Problems, SheetImportError, add_choices, column_letter, free_text,
                                         read_sheet, row_item, write_header, write_notes)
from participation.spreadsheets import workbook_bytes

COLUMNS = (
    Column("项目编码", "code", required=True, width=10),
    Column("项目名称", "name", given=True, width=34),
    Column("状态", "status", required=True, width=10),
    Column("开工日期", "started_on", width=12),
    Column("完工日期", "finished_on", width=12),
    Column("备注", "note", width=40),
)
COLUMN = {column.field: column for column in COLUMNS}
STATUS_WORDS = {"未开工": "not_started", "施工中": "in_progress", "已完工": "finished"}
OTHER_STATUS_WORDS = {"未开始": "not_started"}   # as the works page says it
WORD_OF_STATUS = {code: word for word, code in STATUS_WORDS.items()}
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
                   r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?")


def included_items(plan: Plan | None) -> list:
    """The adopted version's included items, in the plan's order (PlanItem rows)."""
    adopted = adopted_version(plan)
    return [] if adopted is None else [row for row in adopted.items if row.included]


def template_workbook(community: Community) -> bytes:
    """One row per included item of the adopted version with its works so far, a drop-down of the status words,
    dates as Excel dates, and a 说明 sheet."""
    plan = plan_for(community)
    works = works_by_item(plan)
    book = Workbook()
    sheet = book.active
    sheet.title = "施工进度"
    write_header(sheet, COLUMNS)
    rows = included_items(plan)
    for row in rows:
        work = works.get(row.item_id)
        sheet.append([row.item.code, row.item.name, WORD_OF_STATUS[work.status if work else "not_started"],
                      work.started_on if work else None, work.finished_on if work else None,
                      work.note if work else None])
        sheet.cell(row=sheet.max_row, column=1).number_format = "@"
    for field in ("started_on", "finished_on"):
        letter = column_letter(COLUMNS, field)
        for line in range(2, len(rows) + 2):
            sheet[f"{letter}{line}"].number_format = "yyyy-mm-dd"
    add_choices(sheet, COLUMNS, "status", STATUS_WORDS, len(rows) + 1, title=_("Status"),
                message=_("Choose 未开工, 施工中 or 已完工."))
    write_notes(book, (
        ("项目编码", _("The plan item's code. Keep it as it is; each item appears once.")),
        ("项目名称", _("The item's name, for reading only: the import does not read it.")),
        ("状态", _("未开工, 施工中 or 已完工 (choose from the list). Leave the row's status empty to keep what is "
                 "recorded.")),
        ("开工日期", _("The day the works started, as a date or written as 2026-03-05 or 2026/3/5; not in the "
                   "future.")),
        ("完工日期", _("The day the works finished: needed for 已完工, not before the start.")),
        ("备注", _("Anything to note, at most %(n)d characters.", n=MAX_TEXT))))
    return workbook_bytes(book)


# --- import --------------------------------------------------------------------------------------------------------

def parse_day(value) -> date | None:
    """A date from an Excel date cell or text such as 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日; None when
    empty. Raises ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, bool)):
        raise ValueError(value)
    text = cell_text(value)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(*(int(part) for part in match.groups()))


def _day(number: int, cells: dict, field: str, problems: Problems) -> date | None:
    try:
        return parse_day(cells.get(field))
    except ValueError:
        problems.at(number, COLUMN[field], _("%(value)s is not a date; write it as 2026-03-05 or 2026/3/5.",
                                             value=cell_text(cells.get(field))))
        return None


def _parse(rows: list[tuple[int, dict]], items: dict, problems: Problems) -> list[dict]:
    parsed, first_row = [], {}
    for number, cells in rows:
        before = len(problems)
        code = cell_text(cells.get("code")).upper()
        word = cell_text(cells.get("status"))
        note = free_text(cells.get("note"))
        row = row_item(number, code, items, COLUMN["code"], problems, first_row,
                       unknown=lambda code: _("item %(code)s is not in the adopted plan.", code=code))
        status = STATUS_WORDS.get(word) or OTHER_STATUS_WORDS.get(word)
        if word and status is None:
            problems.at(number, COLUMN["status"], _("%(word)s is not a status; write 未开工, 施工中 or 已完工.",
                                                    word=word))
        elif not word and (cell_text(cells.get("started_on")) or cell_text(cells.get("finished_on")) or note):
            problems.at(number, COLUMN["status"], _("the status is empty, though a date or a note is given."))
        started_on = _day(number, cells, "started_on", problems)   # problems in the columns' order
        finished_on = _day(number, cells, "finished_on", problems)
        if len(note) > MAX_TEXT:
            problems.at(number, COLUMN["note"], _("the note is too long (at most %(n)d characters).", n=MAX_TEXT))
        if len(problems) == before and word:
            parsed.append({"row": number, "item": row.item, "status": status, "started_on": started_on,
                           "finished_on": finished_on, "note": note or None})
    return parsed


def _snapshot(work: PlanWork | None) -> tuple | None:
    return None if work is None else (work.status, work.started_on, work.finished_on, work.note)


def _refused_row(number: int, refusal: Refused, problems: Problems, gate_missing: list[str]) -> None:
    """``set_work``'s refusal as the row's problems: each field's message under its column."""
    if isinstance(refusal, GateRefused):
        if not gate_missing:
            gate_missing.extend(refusal.missing)
        problems.at(number, COLUMN["status"], _("works on this item cannot start yet (see above)."))
        return
    for field, message in refusal.errors.items():
        problems.at(number, COLUMN.get(field), message)


@logs_refusals("works", SheetImportError)
def import_works(actor: User, community: Community, source, *, filename: str | None = None,
                 override_reason: str | None = None, channel: str = "web") -> dict:
    """Check the whole file, then set each row's works; raise SheetImportError on any problem (the caller rolls
    back). Returns counts: new, changed, unchanged and skipped (rows without a status)."""
    rows = read_sheet(source, filename, COLUMNS)
    plan = plan_for(community)
    problems = Problems()
    if adopted_version(plan) is None:
        problems.whole(_("No version of the plan has been adopted yet: works are recorded for the items of the "
                         "adopted version."))
        problems.raise_if_any()
    items = {row.item.code.upper(): row for row in included_items(plan)}
    parsed = _parse(rows, items, problems)   # the rows that read well still go through set_work, for its words
    works = works_by_item(plan)
    before = {row["item"].id: _snapshot(works.get(row["item"].id)) for row in parsed}
    counts = {"new": 0, "changed": 0, "unchanged": 0, "skipped": len(rows) - len(parsed)}
    gate_missing: list[str] = []
    for row in parsed:
        try:   # set_work checks everything before it writes, so a refused row leaves nothing half-written
            work = set_work(actor, plan, row["item"], row["status"], started_on=row["started_on"],
                            finished_on=row["finished_on"], note=row["note"], override_reason=override_reason)
        except Refused as refusal:
            _refused_row(row["row"], refusal, problems, gate_missing)
            continue
        old = before[row["item"].id]
        counts["new" if old is None else "unchanged" if old == _snapshot(work) else "changed"] += 1
    if gate_missing:
        problems.whole(_("Works cannot start yet: %(missing)s", missing=" ".join(gate_missing)))
    problems.raise_if_any()
    record(actor, "plan_work.import", plan, community=community, channel=channel, filename=filename,
           rows=len(rows), counts=counts)
    return counts
