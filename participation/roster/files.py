"""Reading roster files: .xlsx, old .xls (Excel 97–2003, which 社区 staff still keep) and .csv in UTF-8 (with or
without BOM) or GB18030 as Excel in China saves it. Every format gives the same table for the same cells: the same
headers, row numbers and cell text, so a roster gets the same row errors whatever it was saved as.

Also the roster's columns and the small text rules (natural sort, phone numbers) that import and export share.
"""
import csv
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from participation import spreadsheet_guard
from participation.handlers import Refused
from participation.spreadsheet_guard import SpreadsheetRefused

logger = logging.getLogger(__name__)

# (header, field, required, longest text the column holds)
COLUMNS = (
    ("小区编码", "community_code", True, 30), ("小区名称", "community_name", True, 100), ("楼栋", "building", True, 20),
    ("单元", "unit", True, 20), ("房号", "room", True, 20), ("楼层", "floor", True, None), ("面积", "area", True, None),
    ("业主标识", "owner_key", False, 64), ("业主证件后六位", "id_tail", False, None), ("联系人", "contact_name", False, 40),
    ("电话", "phone", False, 30), ("居住状态", "occupancy", False, None),
)
HEADERS = tuple(column[0] for column in COLUMNS)
FIELD_OF = {column[0]: column[1] for column in COLUMNS}
OCCUPANCY_WORDS = {"自住": "owner_occupied", "出租": "rented", "空置": "vacant"}
WORD_OF_OCCUPANCY = {code: word for word, code in OCCUPANCY_WORDS.items()}
MAX_ERRORS = 200
MAX_ROWS = spreadsheet_guard.MAX_ROWS   # filled rows after the header


class RosterImportError(Refused):
    """The file was refused; ``errors`` are the messages to show, a list by row rather than ``Refused``'s dict by
    field (at most MAX_ERRORS, then a count of the rest): the import page and the CLI list them one per line."""

    def __init__(self, errors: list[str]):
        self.count = len(errors)
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(_("… and %(n)d more errors.", n=len(errors) - MAX_ERRORS))
        super().__init__("\n".join(shown))
        self.errors = shown


@dataclass
class RosterTable:
    """A file's header and its rows, each with the row number Excel shows (the header is row 1)."""

    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)

    @classmethod
    def from_dicts(cls, records: list[dict]) -> "RosterTable":
        headers = list(records[0]) if records else []
        return cls(headers, [(number, [record.get(h) for h in headers]) for number, record in enumerate(records, 2)])


def natural_key(name: str) -> str:
    """Sort key that puts 2 before 10 and 2号楼 before 10号楼: digit runs are zero-padded."""
    return "".join(part.zfill(8) if part.isdigit() else part for part in re.split(r"([0-9]+)", name))[:40]


def normalise_phone(text: str) -> str | None:
    """The phone as stored (mobiles as 11 digits, landlines as written), or None when it cannot be a number."""
    compact = re.sub(r"[\s()（）-]", "", text)
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix):]
    if not re.fullmatch(r"[0-9]+", compact):
        return None
    if compact.startswith("1"):
        return compact if len(compact) == 11 else None   # any 1xx: demo data uses the unassigned 100 range
    if compact.startswith("0"):
        return " ".join(text.split()) if 10 <= len(compact) <= 12 else None
    return " ".join(text.split()) if 7 <= len(compact) <= 8 else None


# ---------------------------------------------------------------------------------------------------- reading files

def read_roster_file(source, filename: str | None = None) -> RosterTable:
    """Read an uploaded or local file (bytes, a path or a binary stream) into a table; refuse what is not a roster."""
    if isinstance(source, (str, Path)):
        filename = filename or str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        data = source.read()
    suffix = Path(filename or "").suffix.lower()
    if not data.strip():
        raise RosterImportError([_("The file is empty.")])
    if data.startswith(spreadsheet_guard.OLE2_MAGIC):   # .xls, or a password-protected .xlsx (the same container)
        table = _read_workbook(spreadsheet_guard.xls_rows, data)
    elif suffix == ".xlsx" or (suffix in (".xls", "") and data.startswith(b"PK\x03\x04")):   # also one named .xls
        table = _read_workbook(spreadsheet_guard.xlsx_rows, data)
    elif suffix == ".xls":
        table = _read_workbook(spreadsheet_guard.xls_rows, data)   # not a workbook: the guard says so
    elif suffix in (".csv", ""):
        table = _read_csv(data)
    else:
        raise RosterImportError([_("Only Excel workbooks (.xlsx or .xls) and .csv files can be imported.")])
    if not table.headers:
        raise RosterImportError([_("The file is empty.")])
    return table


def _read_workbook(rows, data: bytes) -> RosterTable:
    """The table of ``rows`` (the guard's reader of .xlsx or .xls); a refusal or a damaged file as the message."""
    try:
        return _table(rows(data, _limits()))
    except SpreadsheetRefused as refusal:
        raise RosterImportError([str(refusal)]) from None
    except Exception as error:  # noqa: BLE001 — any failure to parse an uploaded file is the file's, never a 500
        logger.info("unreadable workbook: %r", error)
        raise RosterImportError([_("The Excel file could not be opened; it may be damaged. Open it in Excel, "
                                   "save it again as .xlsx and retry.")]) from error


def _read_csv(data: bytes) -> RosterTable:
    # Excel in China saves "CSV" in GB18030 (GBK); "CSV UTF-8" starts with a BOM; other tools write plain UTF-8.
    if b"\x00" in data:
        raise RosterImportError([_("The CSV file could not be read as text. Save it as CSV UTF-8 and retry.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as error:
            raise RosterImportError([_("The CSV file could not be read as text. Save it as CSV UTF-8 and "
                                       "retry.")]) from error
    try:
        return _table(spreadsheet_guard.csv_rows(text, _limits()))
    except SpreadsheetRefused as refusal:
        raise RosterImportError([str(refusal)]) from None
    except csv.Error as error:
        raise RosterImportError([_("The CSV file could not be read as text. Save it as CSV UTF-8 and "
                                   "retry.")]) from error


def _limits() -> spreadsheet_guard.Limits:
    """The shared limits, with this module's MAX_ROWS (a city's roster is imported per district)."""
    return spreadsheet_guard.Limits(rows=MAX_ROWS)


def _table(lines) -> RosterTable:
    """Header from the first filled line; only filled lines come from the guard's readers, each with its number."""
    headers, rows = None, []
    for number, values in lines:
        if headers is None:
            headers = [cell_text(value) for value in values]
            while headers and not headers[-1]:
                headers.pop()
        elif any(cell_text(value) for value in values):
            rows.append((number, values))
    return RosterTable(headers or [], rows)


def cell_text(value) -> str:
    """A cell as text: whole numbers without ".0", other numbers with Excel's 15 significant digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return unicodedata.normalize("NFKC", str(value)).strip()
