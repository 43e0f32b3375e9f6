"""Reading an XLSForm file: the size and shape checks before pyxform sees it, pyxform's dict, and the raw sheets that
dict lacks (each name's row numbers, the cells' original texts, the settings). Any problem is an ``XLSFormError``."""
import logging
import tempfile
import warnings
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import xlrd
from flask_babel import gettext as _
from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2json_backends import get_xlsform

from participation import spreadsheet_guard
from participation.spreadsheet_guard import SpreadsheetDamaged, SpreadsheetRefused
from surveys.xlsform.common import XLSFormError, pyxform_message

logger = logging.getLogger(__name__)

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
MAX_BYTES = 2 * 1024 * 1024
MAX_SURVEY_ROWS, MAX_CHOICE_ROWS = 1000, 20_000
MAX_CELLS = 120_000   # filled cells of any one sheet


@dataclass
class RawSheets:
    """What the dict lacks: each name's row numbers (in sheet order), the raw type of each row, the settings."""

    rows_of: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    type_at: dict[int, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    stem: str = ""
    # Cell texts per survey row and per (list, choice): pyxform straightens “smart” quotes everywhere, which is
    # right for expressions but changes Chinese labels; the original text is taken back from these.
    cells_at: dict[int, list[str]] = field(default_factory=dict)
    choice_cells: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def read_xlsform(data: bytes, filename: str) -> tuple[dict, RawSheets]:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise XLSFormError([_("Upload an XLSForm: an Excel workbook (.xlsx or .xls), a .csv or a .md file.")])
    if not data:
        raise XLSFormError([_("The file is empty.")])
    if len(data) > MAX_BYTES:
        raise XLSFormError([_("The file is too large for a questionnaire (at most 2 MB).")])
    _check_size(data, suffix)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():   # openpyxl and xlrd warn about workbook features they skip
                warnings.simplefilter("ignore")
                raw = _raw_sheets(str(path))
                pyxform_warnings: list[str] = []
                form = parse_file_to_json(str(path), warnings=pyxform_warnings)
        except XLSFormError:
            raise
        except PyXFormError as error:
            raise XLSFormError([pyxform_message(str(error), _sheet_with_duplicate_header(path))]) from error
        except Exception as error:  # malformed files make the readers raise many kinds; all are the file's fault
            logger.info("unreadable XLSForm %s: %r", filename, error)
            raise XLSFormError([_("The file could not be read as an XLSForm. Save it again from Excel as .xlsx "
                                  "and check that it has a survey sheet.")]) from error
    return form, raw


def _check_size(data: bytes, suffix: str) -> None:
    """Refuse, before pyxform reads anything, a file that unpacks or pads to more than a questionnaire: pyxform
    trusts a workbook's declared dimension and pads rows to their header, xlrd pads .xls rows to the widest one,
    and a Markdown table becomes an in-memory workbook of every cell."""
    limits = spreadsheet_guard.Limits(rows=MAX_CHOICE_ROWS, cells=MAX_CELLS)
    try:
        if suffix in (".xlsx", ".xlsm"):
            spreadsheet_guard.check_every_sheet(data, limits)
        elif suffix == ".xls":
            spreadsheet_guard.check_xls(data, limits)
        else:
            text = data.decode("utf-8", errors="replace")
            spreadsheet_guard.check_csv(text, limits, delimiters="|" if suffix == ".md" else ",\t")
    except SpreadsheetDamaged:
        return   # pyxform says what is wrong with it
    except SpreadsheetRefused as refusal:
        raise XLSFormError([str(refusal)]) from None


def _raw_sheets(path: str) -> RawSheets:
    definition = get_xlsform(path)
    sheets = {name.strip().lower() for name in (definition.sheet_names or [])}
    refused = sorted(sheets & {"external_choices", "entities", "osm"})
    if refused:
        raise XLSFormError([_("The %(sheet)s sheet is not supported: remove it.", sheet=refused[0])])
    survey_rows, choice_rows = definition.survey or [], definition.choices or []
    if not survey_rows:
        raise XLSFormError([_("The form has no survey sheet, or the survey sheet is empty.")])
    if len(survey_rows) > MAX_SURVEY_ROWS or len(choice_rows) > MAX_CHOICE_ROWS:
        raise XLSFormError([_("The form is too long: at most %(survey)d rows on the survey sheet and %(choices)d "
                              "on the choices sheet.", survey=MAX_SURVEY_ROWS, choices=MAX_CHOICE_ROWS)])
    raw = RawSheets()
    for number, row in enumerate(survey_rows, start=2):   # pyxform numbers rows the same way (header = row 1)
        cells = {str(key).strip().lower(): str(value).strip() for key, value in row.items() if value is not None}
        raw.type_at[number] = cells.get("type", "")
        raw.cells_at[number] = list(cells.values())
        if cells.get("name"):
            raw.rows_of[cells["name"]].append(number)
    for row in choice_rows:
        cells = {str(key).strip().lower(): str(value).strip() for key, value in row.items() if value is not None}
        list_name = cells.get("list_name") or cells.get("list name") or ""
        raw.choice_cells[(list_name, cells.get("name", ""))] = list(cells.values())
    for row in definition.settings or []:
        raw.settings.update({str(key).strip().lower(): str(value).strip() for key, value in row.items()
                             if value is not None})
    return raw


def _sheet_with_duplicate_header(path: Path) -> str | None:
    """pyxform's "Duplicate column header" does not say which sheet; find it, for the message."""
    try:
        if path.suffix in (".xlsx", ".xlsm"):
            workbook = load_workbook(path, read_only=True)
            headers = {sheet.title: [cell.value for cell in next(sheet.iter_rows(max_row=1), ())]
                       for sheet in workbook.worksheets}
            workbook.close()
        elif path.suffix == ".xls":
            book = xlrd.open_workbook(path)
            headers = {sheet.name: sheet.row_values(0) if sheet.nrows else [] for sheet in book.sheets()}
        else:
            return None
    except Exception:  # noqa: BLE001  (only for a better message; the refusal stands either way)
        return None
    for sheet, row in headers.items():
        names = [str(value).strip() for value in row if value not in (None, "")]
        if len(names) != len(set(names)):
            return sheet
    return None
