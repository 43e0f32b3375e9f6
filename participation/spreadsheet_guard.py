"""Limits on every spreadsheet an upload hands to a reader (roster, survey responses, paper ballots, XLSForm), so that
no file within MAX_CONTENT_LENGTH can take seconds or hundreds of megabytes of a worker.

A .xlsx is a zip of XML, and what it declares is not trusted: its `<dimension ref="A1:XFD2000">` made openpyxl fill
33 million empty cells (5 s, 416 MB for a 1.6 KB file), and deflate packs a thousand bytes of XML into one. So,
before any XML is parsed: the zip's declared sizes (Python's zipfile never inflates a member past them) and
compression ratios, then one streaming pass over the sheet XML counting rows, cells and shared strings. Reading
then walks only the cells present (``reset_dimensions``), row by row, never padding to a declared size. An old .xls
has its records counted before xlrd reads it (its section below). A .csv is checked for its delimiters and lines
before the csv module splits it.
"""
import csv
import io
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass

import xlrd
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from xlrd.compdoc import CompDoc, CompDocError

MAX_ROWS = 20_000            # filled rows of a sheet, header excluded
MAX_COLUMNS = 200            # the last filled column of any row
MAX_CELLS = 300_000          # filled cells of a sheet: what openpyxl parses (~2 s) and the reader keeps
MAX_SHARED_STRINGS = 300_000
MAX_PART_BYTES = {"sheet": 64 * 1024 * 1024, "sharedStrings": 24 * 1024 * 1024, "other": 8 * 1024 * 1024}
MAX_TOTAL_BYTES = 96 * 1024 * 1024   # all members unpacked: what the pre-count may have to read (~1 s)
MAX_ZIP_MEMBERS = 2_000
MAX_RATIO = 200              # deflate ratio of a member over 1 MB; real sheet XML packs 10–50 times
SMALL_PART = 1024 * 1024


class SpreadsheetRefused(ValueError):
    """The file is refused before reading; the message says which limit and is shown as it is."""


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cells: int = MAX_CELLS


def too_many_rows(limit: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The file has more than %(n)d rows. Split it, for example by community, and import "
                                "the parts one after another.", n=limit))


def too_many_columns(limit: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The file has more than %(n)d columns. Keep only the columns the import asks for.",
                                n=limit))


def too_many_cells(limit: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The file has more than %(n)d filled cells. Split it into smaller files and import "
                                "them one after another.", n=limit))


class SpreadsheetDamaged(SpreadsheetRefused):
    """The file cannot be opened at all (a reader with its own messages for that may say it instead)."""


def _damaged() -> SpreadsheetRefused:
    return SpreadsheetDamaged(_("The Excel file could not be opened; it may be damaged. Open it in Excel, save it "
                                "again as .xlsx and retry."))


def _inflated() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The Excel file unpacks to far more data than a spreadsheet of this size holds, so "
                                "it was not opened. Save it again from Excel as .xlsx and retry."))


# --- .xlsx -----------------------------------------------------------------------------------------------------------

_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _kind(name: str) -> str:
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return "sheet"
    if name.endswith("sharedStrings.xml"):
        return "sharedStrings"
    return "other"


def check_xlsx(data: bytes, limits: Limits = Limits()) -> None:
    """Refuse (SpreadsheetRefused) a workbook whose zip or sheets exceed the limits; every sheet is counted, as an
    XLSForm is read sheet by sheet. Reads at most the declared sizes, a few megabytes at a time."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _damaged() from error
    with archive:
        if len(members) > MAX_ZIP_MEMBERS:
            raise _damaged()
        if sum(member.file_size for member in members) > MAX_TOTAL_BYTES:
            raise _inflated()
        for member in members:
            kind = _kind(member.filename)
            if member.file_size > MAX_PART_BYTES[kind]:
                raise _inflated()
            if member.file_size > SMALL_PART and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise _inflated()
        for member in members:
            kind = _kind(member.filename)
            if kind == "sheet":
                rows, cells = _count(archive, member, (_ROW, _CELL))
                if rows > 2 * limits.rows + 1000:   # rows present, filled or only formatted; filled are counted later
                    raise too_many_rows(limits.rows)
                if cells > limits.cells:
                    raise too_many_cells(limits.cells)
            elif kind == "sharedStrings":
                (strings,) = _count(archive, member, (_STRING,))
                if strings > MAX_SHARED_STRINGS:
                    raise too_many_cells(limits.cells)


def _count(archive: zipfile.ZipFile, member: zipfile.ZipInfo, patterns) -> list[int]:
    """How many times each tag pattern occurs in ``member``, streamed in 1 MB pieces (a tag cut between two pieces
    is carried over to the next)."""
    counts = [0] * len(patterns)
    carry = b""
    try:
        with archive.open(member) as stream:
            while True:
                piece = stream.read(SMALL_PART)
                data = carry + piece
                if not piece:
                    cut = len(data)
                else:
                    cut = data.rfind(b"<")
                    cut = len(data) if cut == -1 else cut
                for index, pattern in enumerate(patterns):
                    counts[index] += len(pattern.findall(data, 0, cut))
                carry = data[cut:]
                if not piece:
                    return counts
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise _damaged() from error


def xlsx_rows(data: bytes, limits: Limits = Limits()):
    """(row number, values) of the first sheet's filled rows, trailing empty cells dropped; only the cells present
    are read. Raises SpreadsheetRefused past a limit, openpyxl's own errors for a damaged file."""

    check_xlsx(data, limits)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()   # never pad rows to the declared A1:XFD… size
        yield from _bounded(sheet.iter_rows(values_only=True), limits)
    finally:
        workbook.close()


def check_every_sheet(data: bytes, limits: Limits = Limits()) -> None:
    """Refuse a workbook any of whose sheets exceeds the limits, walking the cells present; for a file another
    library (pyxform) reads afterwards, trusting the declared dimension and padding every row to its header."""

    check_xlsx(data, limits)
    with warnings.catch_warnings():   # openpyxl warns about workbook features it skips
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 — the reader after this one says what is wrong with the file
            raise _damaged() from error
        try:
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()
                for _row in _bounded(sheet.iter_rows(values_only=True), limits):
                    pass
        except SpreadsheetRefused:
            raise
        except Exception as error:  # noqa: BLE001
            raise _damaged() from error
        finally:
            workbook.close()


# --- .xls ------------------------------------------------------------------------------------------------------------
# An old .xls is a BIFF record stream inside an OLE2 container, never compressed, so its cost is its records: xlrd
# turns each style record of the workbook's globals into five objects (600,000 of them, 14 MB, took 7 s and 500 MB)
# and each cell record into a cell, and walks every record of a sheet. So the records are counted first, in one pass
# over the stream, and xlrd reads only a stream within the limits; its rows are ragged (never padded to the widest).

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_XLS_GLOBALS = 50_000     # records before the first sheet: Excel caps a workbook at about 4,000 styles
_RECORD = struct.Struct("<HH")
_BOF, _FILEPASS, _SST, _MULRK = 0x0809, 0x002F, 0x00FC, 0x00BD
# NUMBER, RK, LABELSST, LABEL, RSTRING, BOOLERR and the three FORMULA records: one cell each (blanks are skipped)
_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006, 0x0206, 0x0406})


class SpreadsheetLocked(SpreadsheetRefused):
    """The workbook is encrypted (a password to open it): no reader can open it."""


def _locked() -> SpreadsheetRefused:
    return SpreadsheetLocked(_("The Excel file is protected with a password, so it cannot be read. Open it in Excel, "
                               "remove the password to open it, save it and retry."))


def _not_a_workbook() -> SpreadsheetRefused:
    return SpreadsheetDamaged(_("The file is not an Excel workbook, though its name says so (it may be a web page, "
                                "text or another document saved under an Excel name). Open it in Excel, save it as "
                                "Excel Workbook (.xlsx) and import that file."))


def _overstuffed() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The Excel file holds far more records than a spreadsheet of this size needs, so it "
                                "was not opened. Save it again from Excel as .xlsx and retry."))


def _workbook_stream(data: bytes) -> tuple[bytes, int, int]:
    """(bytes, start, length) of the BIFF stream of an OLE2 file: "Workbook" (Excel 97 on), "Book" (Excel 5 and 95).
    A password-protected .xlsx is an OLE2 file too, holding an "EncryptedPackage" stream instead."""

    if not data.startswith(OLE2_MAGIC):
        raise _not_a_workbook()
    try:
        document = CompDoc(data, logfile=io.StringIO())
        names = {node.name for node in document.dirlist}
        found = next((found for found in map(document.locate_named_stream, ("Workbook", "Book")) if found[0]), None)
    except (CompDocError, struct.error, IndexError, ValueError, MemoryError) as error:
        raise _damaged() from error
    if "EncryptedPackage" in names:
        raise _locked()
    if found is None:
        raise _not_a_workbook()
    return found


def _count_records(data: bytes, limits: Limits) -> None:
    """Refuse an encrypted stream, too many style or name records, or a sheet past the limits, before xlrd reads it."""
    stream, position, length = _workbook_stream(data)
    end = min(position + length, len(stream))
    records = cells = 0
    globals_done = False
    most_records = 2 * limits.cells + MAX_XLS_GLOBALS
    while position + 4 <= end:
        kind, size = _RECORD.unpack_from(stream, position)
        records += 1
        if kind == _BOF:
            globals_done, cells = records > 1, 0
        elif kind == _FILEPASS:
            raise _locked()
        elif kind == _SST and size >= 8:
            if int.from_bytes(stream[position + 8:position + 12], "little") > MAX_SHARED_STRINGS:
                raise too_many_cells(limits.cells)
        elif kind in _CELLS or kind == _MULRK:
            cells += max((size - 6) // 6, 0) if kind == _MULRK else 1
            if cells > limits.cells:
                raise too_many_cells(limits.cells)
        if records > most_records or (not globals_done and records > MAX_XLS_GLOBALS):
            raise _overstuffed()
        position += 4 + size


def _open_xls(data: bytes, limits: Limits):

    _count_records(data, limits)
    try:
        return xlrd.open_workbook(file_contents=data, ragged_rows=True, on_demand=True, logfile=io.StringIO())
    except Exception as error:  # noqa: BLE001 — xlrd raises many kinds for a damaged file
        raise _damaged() from error


def _check_xls_sheet(sheet, limits: Limits) -> None:
    if sheet.nrows > 2 * limits.rows + 1000:
        raise too_many_rows(limits.rows)
    if sheet.ncols > limits.columns:
        raise too_many_columns(limits.columns)


def check_xls(data: bytes, limits: Limits = Limits()) -> None:
    """Refuse an old .xls whose stream or sheets exceed the limits; every sheet is checked, as an XLSForm is read
    sheet by sheet."""
    book = _open_xls(data, limits)
    try:
        for index in range(book.nsheets):
            _check_xls_sheet(_xls_sheet(book, index), limits)
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_sheet(book, index: int):
    try:
        return book.sheet_by_index(index)
    except Exception as error:  # noqa: BLE001
        raise _damaged() from error


def xls_rows(data: bytes, limits: Limits = Limits()):
    """(row number, values) of the first sheet's filled rows, each value as ``xlsx_rows`` gives the same cell of a
    .xlsx (``xls_value``). Raises SpreadsheetRefused past a limit or for a file xlrd cannot open."""

    book = _open_xls(data, limits)
    try:
        sheet = _xls_sheet(book, 0)
        _check_xls_sheet(sheet, limits)
        epoch = MAC_EPOCH if book.datemode else WINDOWS_EPOCH
        lines = ([xls_value(kind, value, epoch) for kind, value in zip(sheet.row_types(row), sheet.row_values(row))]
                 for row in range(sheet.nrows))
        yield from _bounded(lines, limits)
    finally:
        book.release_resources()


def xls_value(kind: int, value, epoch):
    """An xlrd cell as openpyxl reads the same cell of a .xlsx, so that both formats give the same text: xlrd has
    every number as a float (a room 101 is 101.0) where openpyxl has an int for a whole number, a date as its serial
    number where openpyxl has a datetime (a time of day alone as a time), a boolean as 1/0 and an error as its code.
    ``epoch``: openpyxl's for the workbook's date system (1900, or 1904 from an old Mac)."""

    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return from_excel(value, epoch)
        except (OverflowError, ValueError):   # past the year 9999: no date, so the number
            return value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#N/A")
    return value


# --- .csv ------------------------------------------------------------------------------------------------------------

def check_csv(text: str, limits: Limits = Limits(), delimiters: str = ",\t") -> None:
    """Refuse a text whose delimiters or lines alone exceed the limits, before the csv module splits it (a single
    line of a million commas would be a million-field row). A Markdown table passes "|" as its delimiter."""
    if text.count("\n") > 2 * limits.rows + 1000:
        raise too_many_rows(limits.rows)
    if sum(text.count(delimiter) for delimiter in delimiters) > 2 * limits.cells:
        raise too_many_cells(limits.cells)


def csv_rows(text: str, limits: Limits = Limits()):
    """(row number, values) of the filled rows of a CSV text; raises SpreadsheetRefused or csv.Error."""
    check_csv(text, limits)
    yield from _bounded(csv.reader(io.StringIO(text, newline="")), limits)


# --- every format -----------------------------------------------------------------------------------------------------

def _bounded(lines, limits: Limits):
    filled = cells = 0
    for number, values in enumerate(lines, start=1):
        width = len(values)
        while width and values[width - 1] in (None, ""):
            width -= 1
        if not width:
            continue
        if width > limits.columns:
            raise too_many_columns(limits.columns)
        filled += 1
        cells += sum(value not in (None, "") for value in values[:width])   # as the XML pre-count sees them
        if filled > limits.rows + 1:   # the header is a row of the file, not one of the limit's
            raise too_many_rows(limits.rows)
        if cells > limits.cells:
            raise too_many_cells(limits.cells)
        yield number, list(values[:width])
