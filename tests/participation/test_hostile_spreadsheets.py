"""Issue 12 point 7: spreadsheets built to cost a worker seconds and hundreds of megabytes — a declared dimension of
A1:XFD2000, a zip bomb, a row of thousands of columns, a million shared strings, a CSV of one giant line — are read
only as far as their real cells, or refused with a message naming the limit, nothing stored. (Time and memory are
measured in bench/hostile_uploads.py, not asserted here.)"""
import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Community
from participation.roster.files import HEADERS, RosterImportError, read_roster_file
from participation.roster.imports import import_roster
from surveys.xlsform.common import XLSFormError
from surveys.xlsform.imports import read_xlsform
from tests.participation.test_roster_import import (csv_bytes, district, in_request, roster_rows,  # noqa: F401
                                                    xlsx_bytes)


def _rewrite(data: bytes, changes) -> bytes:
    """The workbook ``data`` with members changed by ``changes`` (name → function of the old bytes), or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename in changes:
                body = changes[info.filename](body)
            target.writestr(info.filename, body)
        for name, change in changes.items():
            if name not in source.namelist():
                target.writestr(name, change(b""))
    return out.getvalue()


def dimension_bomb(rows=roster_rows(floors=1)) -> bytes:
    """A real roster whose sheet declares A1:XFD2000 and has an empty cell at A2000: openpyxl pads every row to
    16,384 cells and fills the rows between, 33 million cells, of which 109 exist."""
    def declare(body: bytes) -> bytes:
        body = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b"", body)
        body = body.replace(b"</sheetData>", b'<row r="2000"><c r="A2000" t="inlineStr"><is><t></t></is></c></row>'
                                              b"</sheetData>")
        return body.replace(b"<sheetViews>", b'<dimension ref="A1:XFD2000"/><sheetViews>', 1)
    return _rewrite(xlsx_bytes(rows), {"xl/worksheets/sheet1.xml": declare})


def zip_bomb() -> bytes:
    """A roster whose sheet XML carries 30 MB of blanks that deflate packs into a few dozen kilobytes."""
    return _rewrite(xlsx_bytes(roster_rows(floors=1)), {
        "xl/worksheets/sheet1.xml": lambda body: body.replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)})


def wide_rows(columns=16_384, rows=300) -> bytes:
    """Every row has one cell at column XFD: padded, 300 rows would be 5 million cells."""
    def widen(body: bytes) -> bytes:
        cells = b"".join(b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                         for n in range(2, rows + 2))
        body = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData>" + cells + b"</sheetData>", body, flags=re.S)
        return re.sub(rb"<sheetData/>", b"<sheetData>" + cells + b"</sheetData>", body)
    return _rewrite(xlsx_bytes([]), {"xl/worksheets/sheet1.xml": widen})


def shared_strings_bomb(count=300_001) -> bytes:
    strings = b"".join(b"<si><t>%d</t></si>" % n for n in range(count))
    table = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + strings + b"</sst>")
    return _rewrite(xlsx_bytes(roster_rows(floors=1)), {"xl/sharedStrings.xml": lambda body: table})


def refused(source, filename) -> list[str]:
    with pytest.raises(RosterImportError) as caught:
        import_roster(None, source, filename=filename)
    db.session.rollback()
    return caught.value.errors


def nothing_stored() -> bool:
    return (db.session.scalar(select(func.count(Community.id))) == 0
            and db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "roster.import")) == 0)


def test_a_declared_dimension_is_not_trusted_only_the_cells_present_are_read(in_request):
    data = dimension_bomb()
    assert b'ref="A1:XFD2000"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert len(data) < 20_000
    table = read_roster_file(data, "名册.xlsx")
    assert table.headers == list(HEADERS)
    assert len(table.rows) == 8
    assert max(len(values) for _number, values in table.rows) <= len(HEADERS)   # not 16,384


def test_the_dimension_bomb_imports_as_the_roster_it_really_is(district):
    counts = import_roster(None, dimension_bomb(), filename="名册.xlsx")
    assert counts["households"]["created"] == 8


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_any_xml_is_parsed(in_request, monkeypatch):
    data = zip_bomb()
    assert len(data) < 200_000
    parsed = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: parsed.append(1))
    assert refused(data, "名册.xlsx") == [
        "这个 Excel 文件解压后的数据量远超同等大小的表格，因此没有打开。请用 Excel 重新另存为 .xlsx 后再试。"]
    assert parsed == [] and nothing_stored()


def test_many_sheets_each_within_the_limits_are_refused_for_their_total(in_request, monkeypatch):
    monkeypatch.setattr("participation.spreadsheet_guard.MAX_TOTAL_BYTES", 1024 * 1024)
    book = Workbook()
    for n in range(4):
        sheet = book.create_sheet(f"表{n}")
        for _ in range(30):
            sheet.append(["x" * 200] * 50)   # some 300 KB of XML a sheet, 1.2 MB in all
    buffer = io.BytesIO()
    book.save(buffer)
    assert refused(buffer.getvalue(), "名册.xlsx") == [
        "这个 Excel 文件解压后的数据量远超同等大小的表格，因此没有打开。请用 Excel 重新另存为 .xlsx 后再试。"]


def test_rows_reaching_column_xfd_are_refused_at_the_column_limit(in_request):
    assert refused(wide_rows(), "名册.xlsx") == ["文件超过 200 列。只保留导入需要的列。"]
    assert nothing_stored()


def test_too_many_rows_are_counted_in_the_xml_and_refused_before_reading(in_request):
    def many(body: bytes) -> bytes:
        rows = b"".join(b'<row r="%d"/>' % n for n in range(2, 41_100))
        return body.replace(b"</sheetData>", rows + b"</sheetData>")
    data = _rewrite(xlsx_bytes(roster_rows(floors=1)), {"xl/worksheets/sheet1.xml": many})
    assert refused(data, "名册.xlsx") == ["文件超过 20000 行。请拆分成几个文件（例如每个小区一个），再逐个导入。"]


def test_a_million_shared_strings_are_refused(in_request):
    assert refused(shared_strings_bomb(), "名册.xlsx") == [
        "文件中有内容的单元格超过 300000 个。请拆分成几个较小的文件，再逐个导入。"]
    assert nothing_stored()


def test_a_csv_of_one_giant_line_is_refused_before_it_is_split(in_request):
    data = csv_bytes(roster_rows(floors=1)) + b"," * 2_000_000 + b"\n"
    assert refused(data, "名册.csv") == ["文件中有内容的单元格超过 300000 个。请拆分成几个较小的文件，再逐个导入。"]
    assert nothing_stored()


def test_a_csv_row_wider_than_the_column_limit_is_refused(in_request):
    data = csv_bytes(roster_rows(floors=1)) + ("x," * 250 + "x\n").encode()
    assert refused(data, "名册.csv") == ["文件超过 200 列。只保留导入需要的列。"]


def test_response_and_ballot_files_share_the_reader_and_its_limits(in_request):
    with pytest.raises(RosterImportError) as caught:
        read_roster_file(io.BytesIO(wide_rows()), "答卷.xlsx")   # responses and paper ballots read through it
    assert caught.value.errors == ["文件超过 200 列。只保留导入需要的列。"]


def _xlsform(columns: int) -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label"] + [f"x{n}" for n in range(columns)])
    survey.append(["text", "q1", "问题"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsform_is_checked_before_pyxform_reads_it(in_request, monkeypatch):
    read = []
    monkeypatch.setattr("surveys.xlsform.reading.parse_file_to_json", lambda *a, **k: read.append(1))
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(_xlsform(columns=300), "问卷.xlsx")
    assert caught.value.errors == ["文件超过 200 列。只保留导入需要的列。"]
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(zip_bomb(), "问卷.xlsx")
    assert "解压后的数据量" in caught.value.errors[0]
    with pytest.raises(XLSFormError) as caught:   # pyxform turns a Markdown table into a workbook of every cell
        read_xlsform(b"| survey | type | name |\n|" + b"|" * 300_000 + b"\n", "问卷.md")
    assert "单元格超过 120000 个" in caught.value.errors[0]
    assert read == []
