"""Issue 13 point 6: old .xls rosters (Excel 97–2003) are read through xlrd into the same households, the same row
errors and the same refusals as .xlsx and .csv; a hostile, locked or fake .xls is refused with a message and changes
nothing. The fixtures in tests/data are written by tests/data/make_roster_xls.py (it needs xlwt only for that)."""
import datetime
import io
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
import xlrd
from openpyxl.utils.datetime import WINDOWS_EPOCH
from sqlalchemy import select

from participation import spreadsheet_guard
from participation.extensions import db
from participation.models import District, Household, Locality
from participation.roster.files import RosterImportError, read_roster_file
from participation.roster.imports import import_roster
from participation.spreadsheet_guard import Limits
from tests.conftest import csrf_token
from tests.participation.test_roster_import import nothing_stored, refused

DATA = Path(__file__).resolve().parents[1] / "data"
LOCKED = "The Excel file is protected with a password, so it cannot be read."
NOT_A_WORKBOOK = "The file is not an Excel workbook, though its name says so"
DAMAGED = "The Excel file could not be opened; it may be damaged."
OVERSTUFFED = "The Excel file holds far more records than a spreadsheet of this size needs"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def district(app, reference_data):
    district = District(locality=db.session.scalar(select(Locality)), name="南关区")
    db.session.add(district)
    db.session.commit()
    return district


@pytest.fixture
def in_english(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def in_chinese(app):
    with app.test_request_context("/"):
        yield


def households() -> list[tuple]:
    rows = db.session.scalars(select(Household).order_by(Household.id))
    return [(h.unit.building.community.code, h.unit.building.name, h.unit.name, h.room, h.floor, h.area, h.owner_key,
             h.contact_name, h.phone, h.occupancy) for h in rows]


# --- the same roster in three formats ----------------------------------------------------------------------------

def test_an_xls_imports_the_same_households_as_the_xlsx_and_the_csv(district, in_chinese):
    imported, tails = {}, {}
    for name in ("roster.xls", "roster.xlsx", "roster.csv"):
        counts = import_roster(None, data(name), filename=name)
        assert counts["households"]["created"] == 5
        imported[name] = households()
        tails[name] = db.session.scalars(select(Household.owner_id_tail_hash).order_by(Household.id)).all()
        db.session.rollback()
    assert imported["roster.xls"] == imported["roster.xlsx"] == imported["roster.csv"]
    # the same ID tails hashed, so the same text: 123456 typed as a number is "123456", not "123456.0"
    assert tails["roster.xls"] == tails["roster.xlsx"] == tails["roster.csv"] and all(tails["roster.xls"][:3])
    assert imported["roster.xls"] == [
        # numbers typed as numbers: xlrd's 1.0, 101.0 and 13800000001.0 are read as the text "1", "101" and the phone
        ("XL001", "1", "1", "101", 1, Decimal("88.50"), "业主甲", "王建国", "13800000001", "owner_occupied"),
        ("XL001", "1", "1", "102", 1, Decimal("60.00"), "业主甲", "王建国", "13800000001", "rented"),
        # a room typed as text keeps its zero; a date typed into 联系人 reads as .xlsx gives it
        ("XL001", "1", "1", "0201", 2, Decimal("57.78"), "业主乙", "2024-01-05 00:00:00", None, "owner_occupied"),
        ("XL001", "2号楼", "2", "101", 1, Decimal("102.25"), None, None, "0431-88881234", "vacant"),
        ("XL001", "2号楼", "2", "1502", 15, Decimal("99.90"), "业主丙", "李 四", "13900000002", "owner_occupied"),
    ]


def test_an_xls_with_bad_rows_gives_the_row_errors_of_the_csv(district, in_chinese):
    from_xls = refused(data("roster_bad_rows.xls"), filename="名册.xls")
    assert from_xls == refused(data("roster_bad_rows.csv"), filename="名册.csv")
    assert from_xls == ["第3行：面积必须是数字（平方米），例如 56.78", "第4行：楼层不能为空",
                        "第6行：楼栋1、单元1、房号101与第2行重复"]   # row 5 is empty: still counted, as Excel shows it
    assert nothing_stored()


def test_an_xlsx_saved_under_an_xls_name_is_read_as_what_it_is(district, in_chinese):
    import_roster(None, data("roster.xlsx"), filename="名册.xls")
    assert len(households()) == 5


# --- refused, with a message, nothing stored ---------------------------------------------------------------------

@pytest.mark.parametrize("name, filename, message", [
    ("roster_encrypted.xls", "名册.xls", LOCKED),
    ("roster_encrypted.xlsx", "名册.xlsx", LOCKED),   # Office wraps a locked .xlsx in the .xls container
    ("roster_web_page.xls", "名册.xls", NOT_A_WORKBOOK),
    ("roster_not_a_workbook.xls", "名册.xls", NOT_A_WORKBOOK),
    ("roster_wide.xls", "名册.xls", "The file has more than 200 columns."),
])
def test_locked_fake_and_oversized_xls_files_are_refused(district, in_english, name, filename, message):
    errors = refused(data(name), filename=filename)
    assert len(errors) == 1 and errors[0].startswith(message)
    assert nothing_stored()


def test_damaged_xls_files_are_refused_as_damaged(district, in_english):
    whole = data("roster.xls")
    for broken in (whole[:len(whole) // 2], whole[:600], spreadsheet_guard.OLE2_MAGIC + bytes(600)):
        errors = refused(broken, filename="名册.xls")
        assert len(errors) == 1 and errors[0].startswith(DAMAGED)
    assert nothing_stored()


def test_any_corruption_of_an_xls_is_read_or_refused_never_a_crash(in_english):
    """Bytes flipped anywhere (the container's tables, the records, the strings): a table or a message."""
    whole = bytearray(data("roster.xls"))
    chance = random.Random(13)
    outcomes = set()
    for _attempt in range(300):
        broken = bytearray(whole)
        for _flip in range(chance.randint(1, 8)):
            broken[chance.randrange(len(broken))] = chance.randrange(256)
        try:
            read_roster_file(bytes(broken), "名册.xls")
            outcomes.add("read")
        except RosterImportError as error:
            assert error.errors and all(error.errors)
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}


def test_too_many_rows_in_an_xls_is_refused_like_any_roster(district, in_english, monkeypatch):
    monkeypatch.setattr("participation.roster.files.MAX_ROWS", 3)
    assert refused(data("roster.xls"), filename="名册.xls") == [
        "The file has more than 3 rows. Split it, for example by community, and import the parts one after another."]
    assert nothing_stored()


def test_the_records_are_counted_before_xlrd_reads_them(in_english, monkeypatch):
    """Styles in the globals, rows with only a height, cells: refused on the count, within the limits read."""
    assert len(list(spreadsheet_guard.xls_rows(data("roster_styles.xls")))) == 6   # header and five rows
    assert len(list(spreadsheet_guard.xls_rows(data("roster_formatted_rows.xls")))) == 6
    monkeypatch.setattr(spreadsheet_guard, "MAX_XLS_GLOBALS", 1000)
    with pytest.raises(spreadsheet_guard.SpreadsheetRefused, match=OVERSTUFFED):
        list(spreadsheet_guard.xls_rows(data("roster_styles.xls")))
    with pytest.raises(spreadsheet_guard.SpreadsheetRefused, match=OVERSTUFFED):
        list(spreadsheet_guard.xls_rows(data("roster_formatted_rows.xls"), Limits(cells=100)))
    with pytest.raises(spreadsheet_guard.SpreadsheetRefused, match="more than 20 filled cells"):
        list(spreadsheet_guard.xls_rows(data("roster.xls"), Limits(cells=20)))


@pytest.mark.parametrize("kind, value, expected", [
    (xlrd.XL_CELL_NUMBER, 101.0, 101), (xlrd.XL_CELL_NUMBER, 88.5, 88.5), (xlrd.XL_CELL_NUMBER, 1e20, 10**20),
    (xlrd.XL_CELL_DATE, 45296.0, datetime.datetime(2024, 1, 5)), (xlrd.XL_CELL_DATE, 0.5, datetime.time(12)),
    (xlrd.XL_CELL_DATE, 1e300, 1e300), (xlrd.XL_CELL_BOOLEAN, 1, True), (xlrd.XL_CELL_ERROR, 0x07, "#DIV/0!"),
    (xlrd.XL_CELL_EMPTY, "", None), (xlrd.XL_CELL_BLANK, "", None), (xlrd.XL_CELL_TEXT, "0101", "0101"),
])
def test_xls_cells_are_the_values_openpyxl_gives_for_the_same_xlsx_cells(kind, value, expected):
    result = spreadsheet_guard.xls_value(kind, value, WINDOWS_EPOCH)
    assert result == expected and type(result) is type(expected)


def test_an_xlsform_check_of_a_locked_xls_says_it_is_locked(in_english):
    with pytest.raises(spreadsheet_guard.SpreadsheetRefused, match=LOCKED):
        spreadsheet_guard.check_xls(data("roster_encrypted.xls"))
    spreadsheet_guard.check_xls(data("roster.xls"))   # a good one passes


# --- through the web form and the command line ----------------------------------------------------------------

def _upload(client, body: bytes, filename: str):
    page = client.get("/roster/import").get_data(as_text=True)
    district = re.search(r'<option[^>]*value="([0-9]+)"', page).group(1)
    return client.post("/roster/import", data={"csrf_token": csrf_token(page), "district": district,
                                               "file": (io.BytesIO(body), filename)},
                       content_type="multipart/form-data", headers={"Accept-Language": "en"})


def test_the_web_form_offers_and_imports_xls(client, district, login_as):
    login_as("admin")
    page = client.get("/roster/import").get_data(as_text=True)
    assert 'accept=".xlsx,.xls,.csv"' in page and ".xls" in page
    response = _upload(client, data("roster.xls"), "名册.xls")
    assert response.status_code == 302
    assert [row[3] for row in households()] == ["101", "102", "0201", "101", "1502"]


def test_the_web_form_refuses_a_locked_xls_with_its_message(client, district, login_as):
    login_as("admin")
    response = _upload(client, data("roster_encrypted.xls"), "名册.xls")
    assert response.status_code == 422
    assert LOCKED in response.get_data(as_text=True)
    assert nothing_stored()


def test_the_command_imports_an_xls_and_lists_its_bad_rows_as_for_a_csv(runner, district):
    result = runner.invoke(args=["roster", "import", str(DATA / "roster.xls")])
    assert result.exit_code == 0, result.output
    assert "住户：新增 5 户" in result.stdout and len(households()) == 5
    bad_xls = runner.invoke(args=["roster", "import", str(DATA / "roster_bad_rows.xls")])
    bad_csv = runner.invoke(args=["roster", "import", str(DATA / "roster_bad_rows.csv")])
    assert bad_xls.exit_code == bad_csv.exit_code == 1
    assert "第6行：楼栋1、单元1、房号101与第2行重复" in bad_xls.stderr and bad_xls.stderr == bad_csv.stderr
    locked = runner.invoke(args=["roster", "import", str(DATA / "roster_encrypted.xls")])
    assert locked.exit_code == 1 and "Excel" in locked.stderr
    assert [row[0] for row in households()] == ["XL001"] * 5   # neither refusal changed anything
