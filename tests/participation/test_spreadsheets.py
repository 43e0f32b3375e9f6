"""Workbooks hold data, never formulas: text a resident or an organiser typed as "=…" (or "+…", "-…", "@…") comes
back out of every export as the same text, stored as text with Excel's quote prefix."""
from io import BytesIO

from openpyxl import Workbook, load_workbook

from participation.extensions import db
from participation.roster.export import export_roster
from participation.spreadsheets import workbook_bytes

ATTACK = '=HYPERLINK("http://x.cn","点我")'   # fits a 40-character contact name


def test_formula_looking_text_is_saved_as_quoted_text():
    book = Workbook()
    book.active.append([ATTACK, "+8613800000000", "-5", "@SUM(1)", "普通文字", 12])
    sheet = load_workbook(BytesIO(workbook_bytes(book))).active
    cells = list(sheet[1])
    assert [cell.value for cell in cells] == [ATTACK, "+8613800000000", "-5", "@SUM(1)", "普通文字", 12]
    assert [cell.data_type for cell in cells[:5]] == ["s"] * 5
    assert all(cell.quotePrefix for cell in cells[:4]) and not cells[4].quotePrefix


def test_a_roster_export_keeps_a_contact_name_as_text(app, make_community):
    community = make_community("XL001", buildings=1, units=1, floors=1)
    household = community.buildings[0].units[0].households[0]
    household.contact_name = ATTACK
    db.session.commit()
    data = export_roster(None, community, community.buildings, reveal_phones=False)
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    found = [cell for row in sheet.iter_rows() for cell in row if cell.value == ATTACK]
    assert found and all(cell.data_type == "s" for cell in found)
