"""The roster and response importers fed random and garbled rows: each import either succeeds or raises its own
error naming rows, never anything else, and a refused import changes nothing."""
import io
import math
import re

import pytest
from flask_babel import force_locale
from hypothesis import event, given, settings, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Building, Community, Household, Unit
from participation.roster.files import HEADERS, RosterImportError, read_roster_file
from participation.roster.imports import import_roster
from surveys.answering.imports import ResponseImportError, import_responses
from surveys.models import Answer, Response
from tests.properties.conftest import scaled
from tests.surveys.test_response_import import HEADER as ANSWER_HEADER, make_survey

ROW_MESSAGE = re.compile(r"^(Row (\d+)|… and \d+ more errors)")
# Whole-file refusals that are right even with the right header row: every row was blank.
NO_ROWS = {"The file has a header row but no households.", "The file has a header row but no answers."}


def snapshot():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Community, Building, Unit, Household, AuditEvent, Response, Answer))


def garbage():
    return st.one_of(st.none(), st.text(max_size=20), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=True, allow_infinity=True), st.booleans())


@st.composite
def cell(draw, good: list):
    """Mostly a plausible value (some of them wrong in a known way), now and then anything at all."""
    if draw(st.integers(0, 7)) == 0:
        return draw(garbage())
    return draw(st.sampled_from(good))


@st.composite
def mutated(draw, rows: list[list], cells):
    """``rows`` with a few cells replaced by ``cells(column)``."""
    rows = [list(row) for row in rows]
    for _ in range(draw(st.integers(0, 3))):
        if any(rows):
            row = draw(st.sampled_from([row for row in rows if row]))
            column = draw(st.integers(0, len(row) - 1))
            row[column] = draw(cells(column))
    return rows


ROSTER_CELLS = {
    "小区编码": ["NG001", "NG002", "bad code", ""], "小区名称": ["幸福里", "别名", ""], "楼栋": ["1", "2", "10号楼"],
    "单元": ["1", "2"], "房号": ["101", "102", "201", ""], "楼层": [1, "3", "-6", "二"],
    "建筑面积": [56.78, "60.5", "0", "-1", "1.234", "1e9", "NaN", "abc"], "产权人编号": ["O1", "O2", ""],
    "身份证后四位": ["12345X", "1234", ""], "联系人": ["张三", ""], "联系电话": ["13800001111", "138****1111", "12"],
    "居住状态": ["自住", "出租", "空置", "住"],
}


@st.composite
def roster_tables(draw):
    headers = list(HEADERS)
    if draw(st.integers(0, 9)) == 0:   # now and then a garbled header row
        headers = draw(st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=6)), max_size=14))
    rooms = draw(st.lists(st.tuples(st.sampled_from(["1", "2", "3"]), st.sampled_from(["1", "2"]),
                                    st.sampled_from(["101", "102", "201", "202"])), max_size=8, unique=True))
    valid = [["NG001", "幸福里", building, unit, room, int(room[0]), "56.78", None, None, "张三", "13800001111",
              "自住"][:len(headers)] for building, unit, room in rooms]
    rows = draw(mutated(valid, lambda column: cell(ROSTER_CELLS.get(headers[column], [""]))))
    if rows and draw(st.integers(0, 9)) == 0:   # a value beyond the last header
        rows[0] += draw(st.lists(garbage(), min_size=1, max_size=2))
    return headers, rows


def _xlsx_value(value):
    """What openpyxl can store: no control characters, no NaN or infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def as_file(headers, rows, kind):
    if kind == "xlsx":
        workbook = Workbook()
        workbook.active.append([_xlsx_value(value) for value in headers])
        for row in rows:
            workbook.active.append([_xlsx_value(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), "roster.xlsx"
    text = "\r\n".join(",".join("" if v is None else str(v).replace(",", " ").replace("\n", " ")
                                .replace("\r", " ").replace('"', "") for v in line) for line in [headers, *rows])
    return text.encode("utf-8-sig"), "roster.csv"


def check_row_numbers(messages, rows, headers_ok):
    numbers = set(range(2, len(rows) + 2))
    for message in messages:
        match = ROW_MESSAGE.match(message)
        if headers_ok and message not in NO_ROWS:
            assert match, message
        if match and match.group(2):
            assert int(match.group(2)) in numbers, message


@pytest.fixture
def existing(make_community):
    community = make_community("NG001", name="幸福里", buildings=1, units=1, floors=1, per_floor=2)
    db.session.commit()
    return community


@settings(max_examples=scaled(0.3))
@given(roster_tables(), st.sampled_from(["rows", "csv", "xlsx"]))
def test_roster_import_refuses_by_row_or_succeeds_and_a_refusal_changes_nothing(existing, table, kind):
    headers, rows = table
    before = snapshot()
    source = [dict(zip(headers, row)) for row in rows] if kind == "rows" else as_file(headers, rows, kind)[0]
    filename = None if kind == "rows" else f"roster.{kind}"
    try:
        with force_locale("en"):
            counts = import_roster(None, source, filename=filename)
    except RosterImportError as error:
        event("refused")
        assert error.errors and snapshot() == before
        check_row_numbers(error.errors, rows, headers_ok=kind != "rows" and list(headers) == list(HEADERS)
                          and all(len(row) == len(headers) for row in rows))
    else:
        event("imported")
        assert isinstance(counts, dict)
    finally:
        db.session.rollback()


@given(st.binary(max_size=300), st.sampled_from(["x.xlsx", "x.csv", "x.xls", "x.txt", None]),
       st.sampled_from([b"", b"PK\x03\x04", "小区编码,小区名称\r\n".encode("gb18030"), b"\xef\xbb\xbf"]))
def test_garbled_roster_files_are_read_or_refused_with_a_message(app, data, filename, prefix):
    with app.app_context():
        try:
            read_roster_file(prefix + data, filename)
        except RosterImportError as error:
            assert error.errors and all(error.errors)


# --- response import -------------------------------------------------------------------------------------------

ANSWER_CELLS = {
    "楼栋": ["1", "2", "3", ""], "单元": ["1", "2", "9"], "房号": ["101", "102", "201", "999"],
    "need": ["need", "no", "neutral", "需要", "maybe", ""], "items": ["bench light", "lift", "lift lift", "x"],
    "order": ["light bench", "lift", "bench light lift"], "age": [67, "45", "-1", "200", "old"],
    "moved_in": ["1995-06-01", "2100-01-01", "1995-13-01", ""], "note1": ["", "x"], "photo1": ["", "p.jpg"],
}
EXTRA_HEADERS = ["_uuid", "group_a/need", "items/bench", "sensitive_consent", "unknown", "楼栋", ""]


@st.composite
def answer_tables(draw):
    headers = list(ANSWER_HEADER) + draw(st.lists(st.sampled_from(EXTRA_HEADERS), max_size=2))
    rooms = draw(st.lists(st.tuples(st.sampled_from(["1", "2"]), st.sampled_from(["1", "2"]),
                                    st.sampled_from(["101", "102", "201", "202"])), max_size=6, unique=True))
    valid = [[building, unit, room, "need", "bench light", "light bench", 67, "1995-06-01", "", ""]
             + [""] * (len(headers) - len(ANSWER_HEADER)) for building, unit, room in rooms]
    rows = draw(mutated(valid, lambda column: cell(ANSWER_CELLS.get(headers[column], ["", "1", "yes"]))))
    return headers, rows


@pytest.fixture
def open_survey(make_community):
    community = make_community("NG001", buildings=2, units=2, floors=2, per_floor=2)
    return make_survey(community)


@settings(max_examples=scaled(0.3))
@given(answer_tables(), st.sampled_from(["csv", "xlsx"]))
def test_response_import_refuses_by_row_or_saves_and_a_refusal_changes_nothing(open_survey, table, kind):
    headers, rows = table
    before = snapshot()
    data, filename = as_file(headers, rows, kind)
    try:
        with force_locale("en"):
            result = import_responses(None, open_survey, data, filename=filename)
    except ResponseImportError as error:
        event("refused")
        assert error.errors and snapshot() == before
        clean_headers = headers == list(ANSWER_HEADER)
        check_row_numbers(error.errors, rows, headers_ok=clean_headers and bool(rows))
    else:
        event("imported")
        assert result.rows == len(rows) and result.imported + len(result.already_answered) <= len(rows)
    finally:
        db.session.rollback()
