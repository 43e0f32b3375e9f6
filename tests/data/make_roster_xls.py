"""Writes the roster fixtures of tests/participation/test_roster_xls.py into this folder: the same roster as .xls,
.xlsx and .csv, a roster with bad rows as .xls and .csv, and .xls files no import should open.

Only to regenerate them: the application reads .xls through xlrd and never writes one. It needs xlwt (unmaintained,
so not a dependency), msoffcrypto-tool (to lock an .xlsx with a password) and openpyxl, in a throwaway virtualenv:

    python3 -m venv /tmp/xlwt-venv
    /tmp/xlwt-venv/bin/pip install xlwt msoffcrypto-tool openpyxl
    /tmp/xlwt-venv/bin/python tests/data/make_roster_xls.py
"""
import csv
import datetime
import io
import struct
from pathlib import Path

import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADERS = ["小区编码", "小区名称", "楼栋", "单元", "房号", "楼层", "面积", "业主标识", "业主证件后六位", "联系人", "电话",
           "居住状态"]
# Numbers where Excel users type numbers (a building 1, a room 101, an area 88.5, a phone): xlrd reads every one as a
# float, openpyxl a whole one as an int; a room typed as text keeps its leading zero. A date typed into 联系人 comes
# out as the date and time both readers give, which the CSV spells out. None is an empty cell; an empty row stays.
GOOD = [
    ["XL001", "旧表小区", 1, 1, 101, 1, 88.5, "业主甲", "12345X", "王建国", 13800000001, "自住"],
    ["XL001", "旧表小区", 1, 1, 102, 1, 60, "业主甲", "12345X", "王建国", 13800000001, "出租"],
    ["XL001", "旧表小区", "1", "1", "0201", 2, 57.78, "业主乙", 123456, datetime.datetime(2024, 1, 5), None, None],
    None,
    ["XL001", "旧表小区", "2号楼", 2, 101, 1, 102.25, None, None, None, "0431-88881234", "空置"],
    ["XL001", "旧表小区", "2号楼", 2, 1502, 15, 99.9, "业主丙", None, "李 四", 13900000002, "自住"],
]
# Row 3: an area that is not a number; row 4: no floor; row 6 repeats row 2's room (row 5 is empty).
BAD = [
    ["XL002", "错行小区", 1, 1, 101, 1, 70.5, None, None, None, None, None],
    ["XL002", "错行小区", 1, 1, 102, 1, "七十", None, None, None, None, None],
    ["XL002", "错行小区", 1, 1, 201, None, 70.5, None, None, None, None, None],
    None,
    ["XL002", "错行小区", 1, 1, 101, 1, 70.5, None, None, None, None, None],
]


def _roster_sheet(workbook: xlwt.Workbook, rows):
    sheet = workbook.add_sheet("名册")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row or []):
            if isinstance(value, datetime.datetime):
                sheet.write(number, column, value, dates)
            elif value is not None:
                sheet.write(number, column, value)
    return sheet


def _saved(workbook: xlwt.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows, workbook_class=xlwt.Workbook) -> bytes:
    workbook = workbook_class(encoding="utf-8")
    _roster_sheet(workbook, rows)
    return _saved(workbook)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row or [])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row or []])
    return buffer.getvalue().encode("utf-8-sig")


class _Encrypted(xlwt.Workbook):
    """A workbook with the FILEPASS record that opens an encrypted workbook's globals (RC4, as Excel 2003 writes it);
    what follows is left unencrypted, which is all a reader needs to see to refuse it."""

    def get_biff_data(self):
        data = super().get_biff_data()
        after_bof = 4 + struct.unpack_from("<H", data, 2)[0]
        filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)
        return data[:after_bof] + filepass + data[after_bof:]


def encrypted_xlsx() -> bytes:
    locked = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes(GOOD))).encrypt("123456", locked)
    return locked.getvalue()


def styles_workbook() -> bytes:
    """A real roster, and a second sheet with 600 numbers in as many formats: a format and a cell style each, 1,200
    records (the test lowers the limit to 1,000; Excel allows about 4,000 styles in a workbook)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    _roster_sheet(workbook, GOOD)
    styles = workbook.add_sheet("样式")
    for number in range(600):
        styles.write(number, 0, number, xlwt.easyxf(num_format_str=f'0.00"{number}"'))
    return _saved(workbook)


def formatted_rows() -> bytes:
    """A real roster followed by 3,000 rows that have a height but no cell: a record each, nothing to read."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = _roster_sheet(workbook, GOOD)
    for number in range(10, 3_010):
        sheet.row(number).height_mismatch = True
        sheet.row(number).height = 400
    return _saved(workbook)


def wide() -> bytes:
    """The roster's header and one row with a stray value in column 251 (IQ)."""
    row = list(GOOD[0]) + [None] * 238 + ["备注"]
    return xls_bytes([row])


def main() -> None:
    files = {
        "roster.xls": xls_bytes(GOOD), "roster.xlsx": xlsx_bytes(GOOD), "roster.csv": csv_bytes(GOOD),
        "roster_bad_rows.xls": xls_bytes(BAD), "roster_bad_rows.csv": csv_bytes(BAD),
        "roster_encrypted.xls": xls_bytes(GOOD, _Encrypted),
        "roster_encrypted.xlsx": encrypted_xlsx(),
        "roster_web_page.xls": "<html><body><table><tr><td>小区编码</td><td>小区名称</td></tr></table></body></html>"
                               .encode("utf-8"),
        # An OLE2 file without a workbook stream, as a Word document saved under an .xls name is.
        "roster_not_a_workbook.xls": xls_bytes(GOOD).replace("Workbook".encode("utf-16-le"),
                                                             "Document".encode("utf-16-le")),
        "roster_styles.xls": styles_workbook(),
        "roster_formatted_rows.xls": formatted_rows(),
        "roster_wide.xls": wide(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
