"""What the field survey's and the works' Excel imports share with the roster's: the file is read by the roster's
reader (.xlsx, old .xls and .csv, within the shared limits on hostile files), its first row is checked against
fixed Chinese column names, and every problem is collected with its row number and column, so that the page lists
them all and nothing is written. Also the look of their templates: bold headers, widths, drop-down lists.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from participation.handlers import Refused
from participation.roster.files import RosterImportError, cell_text, read_roster_file

MAX_ERRORS = 200
REQUIRED_FILL = PatternFill("solid", fgColor="FFF1D6")
GIVEN_FILL = PatternFill("solid", fgColor="EEEEEE")


@dataclass(frozen=True)
class Column:
    header: str               # in Chinese, whatever the page's language: the file is the 社区's
    field: str
    required: bool = False    # the column must be in the file
    given: bool = False       # filled in by the template and not read back (a name, a unit)
    width: int = 12


class SheetImportError(Refused):
    """The file was refused and nothing changed; ``errors`` are the messages, one a line, file-wide ones first (at
    most MAX_ERRORS, then a count of the rest)."""

    def __init__(self, errors: list[str]):
        self.count = len(errors)
        shown = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:
            shown.append(_("… and %(n)d more errors.", n=len(errors) - MAX_ERRORS))
        super().__init__("\n".join(shown))
        self.errors = shown


class Problems(list):
    """(row, message) pairs; row 0 is the file as a whole."""

    def at(self, row: int, column: Column | None, problem: str) -> None:
        if column is None:
            self.append((row, _("Row %(row)d: %(problem)s", row=row, problem=problem)))
        else:
            self.append((row, _("Row %(row)d, column %(column)s: %(problem)s", row=row, column=column.header,
                                problem=problem)))

    def whole(self, message: str) -> None:
        self.append((0, message))

    def raise_if_any(self) -> None:
        if self:
            raise SheetImportError([message for _row, message in sorted(self, key=lambda problem: problem[0])])


def row_item(number: int, code: str, items: dict, column: Column, problems: Problems, first_row: dict, *,
             unknown: Callable[[str], str]):
    """The thing a row's item code names in ``items`` (a catalogue item, a plan item …), or None with the row's
    problem added: the code is empty, unknown (``unknown(code)`` says why), or already on an earlier row (the first
    row of each code is kept in ``first_row``)."""
    if not code:
        problems.at(number, column, _("the item code is empty."))
        return None
    found = items.get(code)
    if found is None:
        problems.at(number, column, unknown(code))
    elif code in first_row:
        problems.at(number, column, _("item %(code)s is already on row %(first)d.", code=code, first=first_row[code]))
    else:
        first_row[code] = number
    return found


def read_sheet(source, filename: str | None, columns: tuple[Column, ...]) -> list[tuple[int, dict]]:
    """The filled rows of the file, each as (row number, {field: cell value}); raise SheetImportError for a file
    that cannot be read or whose header is not the template's."""
    try:
        table = read_roster_file(source, filename)
    except RosterImportError as refusal:
        raise SheetImportError(refusal.errors) from None
    by_header = {column.header: column for column in columns}
    problems, seen = Problems(), set()
    for header in table.headers:
        if not header:
            continue
        if header not in by_header:
            problems.whole(_("Unknown column %(name)s. The columns allowed are: %(allowed)s.", name=header,
                             allowed="、".join(by_header)))
        elif header in seen:
            problems.whole(_("The column %(name)s appears twice.", name=header))
        seen.add(header)
    for column in columns:
        if column.required and column.header not in seen:
            problems.whole(_("The column %(name)s is missing.", name=column.header))
    width = max((len(values) for _number, values in table.rows), default=0)
    for position in range(width):
        header = table.headers[position] if position < len(table.headers) else ""
        if not header and any(position < len(values) and cell_text(values[position]) for _n, values in table.rows):
            problems.whole(_("Column %(number)d has values but no header.", number=position + 1))
    if not problems and not table.rows:
        problems.whole(_("The file has the column names but no rows below them."))
    problems.raise_if_any()
    positions = [(by_header[header].field, index) for index, header in enumerate(table.headers)
                 if header in by_header and not by_header[header].given]
    return [(number, {name: values[index] if index < len(values) else None for name, index in positions})
            for number, values in table.rows]


def free_text(value) -> str:
    """A note as typed (full-width punctuation kept), without the characters a workbook cannot hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value).strip()
    return cell_text(value)


# --- templates ---------------------------------------------------------------------------------------------------

def write_header(sheet, columns: tuple[Column, ...]) -> None:
    """The first row: the column names, bold; required ones tinted; the columns the template fills in greyed."""
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = REQUIRED_FILL
        elif column.given:
            cell.fill = GIVEN_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def add_choices(sheet, columns: tuple[Column, ...], field: str, words, last_row: int, *, title: str,
                message: str) -> DataValidation:
    """A drop-down of ``words`` on the column of ``field``, rows 2 to ``last_row``; other text is refused by Excel."""
    letter = column_letter(columns, field)
    choices = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                             showErrorMessage=True, errorTitle=title, error=message)
    choices.add(f"{letter}2:{letter}{max(last_row, 2)}")
    sheet.add_data_validation(choices)
    return choices


def column_letter(columns: tuple[Column, ...], field: str) -> str:
    return get_column_letter(next(index for index, column in enumerate(columns, 1) if column.field == field))


def write_notes(book, rows) -> None:
    """The template's 说明 sheet: one line per column (its Chinese header, what to enter), then how the file is
    checked."""
    notes = book.create_sheet("说明")
    notes.append([_("Column"), _("What to enter")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for header, text in rows:
        notes.append([header, text])
    notes.append([])
    notes.append([_("The whole file is checked first. If any row has a mistake, nothing is imported and every "
                    "mistake is listed with its row number.")])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    for line in notes.iter_rows(min_row=2):
        line[-1].alignment = Alignment(wrap_text=True, vertical="top")
