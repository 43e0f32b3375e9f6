"""The XLSForm importer fed mutated copies of the real forms in tests/surveys/corpus (the pyxform test forms the
corpus holds): cells dropped or garbled, rows deleted or repeated, sheets renamed, dropped or filled at random.
The importer gives a survey or an XLSFormError, and the upload page a redirect or a refusal, never a 500."""
import functools
import io
import warnings
from pathlib import Path

import pytest
import xlrd
from hypothesis import event, given, settings, strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from surveys.models import Choice, Question, Survey
from surveys.xlsform.common import XLSFormError
from surveys.xlsform.imports import import_xlsform
from tests.conftest import csrf_token
from tests.properties.conftest import scaled

CORPUS = Path(__file__).parent.parent / "surveys" / "corpus"
FORMS = sorted(path.name for path in CORPUS.iterdir() if path.suffix in (".xlsx", ".xls"))
# The corpus forms the importer takes as they are; drawn more often, so that mutations start from a good form.
ACCEPTED = ["badly_named_choices_sheet.xls", "group.xlsx", "specify_other.xlsx", "table-list.xls",
            "text_and_integer.xlsx", "yes_or_no_question.xlsx"]
WORDS = ["text", "integer", "decimal", "select_one yes_no", "select_multiple list", "select_one", "begin group",
         "end group", "begin repeat", "end repeat", "note", "calculate", "date", "geopoint", "rank", "photo",
         "yes", "no", "true()", "${age} > 10", "${missing} = 'x'", ". >= 0", "regex(., '^[0-9]+$')", "(((",
         "label", "label::Chinese (zh)", "label::English (en)", "name", "type", "list_name", "relevant",
         "constraint", "required", "choice_filter", "form_id", "default_language", "中文标签", "", " ", "1", "a b"]


@functools.cache
def sheets_of(name: str) -> tuple[tuple[str, tuple[tuple, ...]], ...]:
    """The workbook's sheets as (title, rows of cell values)."""
    path = CORPUS / name
    if path.suffix == ".xls":
        book = xlrd.open_workbook(path)
        return tuple((sheet.name, tuple(tuple(sheet.row_values(r)) for r in range(sheet.nrows)))
                     for sheet in book.sheets())
    # Not read_only: some corpus workbooks declare a sheet dimension of a whole million rows.
    with warnings.catch_warnings():   # openpyxl warns about workbook extensions it skips
        warnings.simplefilter("ignore")
        book = load_workbook(path)
    return tuple((sheet.title, _trimmed([_trimmed(list(row)) for row in sheet.iter_rows(values_only=True)]))
                 for sheet in book.worksheets)


def _trimmed(values: list) -> tuple:
    """Without the trailing empty cells of a row, or the trailing empty rows of a sheet."""
    while values and values[-1] in (None, ()):
        values.pop()
    return tuple(values)


def cell_values():
    return st.one_of(st.sampled_from(WORDS), st.none(), st.text(max_size=15), st.integers(-5, 10**6),
                     st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def mutated_forms(draw):
    name = draw(st.one_of(st.sampled_from(ACCEPTED), st.sampled_from(FORMS)))
    sheets = [[title, [list(row) for row in rows]] for title, rows in sheets_of(name)]
    for _ in range(draw(st.integers(0, 5))):
        sheet = draw(st.sampled_from(sheets))
        rows = sheet[1]
        action = draw(st.sampled_from(["drop", "garble", "garble", "delete_row", "repeat_row", "swap", "rename",
                                       "drop_sheet", "random_sheet", "header"]))
        if action in ("drop", "garble") and rows and any(rows):
            row = draw(st.sampled_from([row for row in rows if row]))
            column = draw(st.integers(0, len(row) - 1))
            row[column] = None if action == "drop" else draw(cell_values())
        elif action == "header" and rows and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.sampled_from(WORDS))
        elif action == "delete_row" and rows:
            del rows[draw(st.integers(0, len(rows) - 1))]
        elif action == "repeat_row" and rows:
            rows.insert(draw(st.integers(0, len(rows))), list(draw(st.sampled_from(rows))))
        elif action == "swap" and len(rows) > 1:
            i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif action == "rename":
            sheet[0] = draw(st.sampled_from(["survey", "choices", "settings", "Survey ", "external_choices",
                                             "entities", "sheet1", "调查"]))
        elif action == "drop_sheet" and len(sheets) > 1:
            sheets.remove(sheet)
        elif action == "random_sheet":
            sheets.append([draw(st.sampled_from(["survey", "choices", "settings", "extra"])),
                           draw(st.lists(st.lists(cell_values(), max_size=5), max_size=6))])
    return name, sheets


def workbook_bytes(sheets) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for title, rows in sheets:
        title = title.strip() or "sheet"
        while title.lower() in used:   # openpyxl renames duplicates itself; keep it visible here
            title += "1"
        used.add(title.lower())
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                          for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Survey, Question, Choice, AuditEvent))


@pytest.fixture
def community(make_community, reference_data):
    return make_community("XFA", buildings=1, units=1, floors=1, per_floor=1)


@pytest.mark.parametrize("name", FORMS)
def test_every_corpus_form_is_read_as_it_is(community, name):
    """The starting points themselves: each is imported or refused cleanly."""
    try:
        import_xlsform(None, community, workbook_bytes(sheets_of(name)), "form.xlsx")
    except XLSFormError as error:
        assert error.errors
    db.session.rollback()


@settings(max_examples=scaled(0.5))
@given(mutated_forms())
def test_mutated_forms_give_a_survey_or_an_xlsform_error(community, form):
    _name, sheets = form
    before = counts()
    try:
        result = import_xlsform(None, community, workbook_bytes(sheets), "form.xlsx")
    except XLSFormError as error:
        event("refused")
        assert error.errors and all(str(message).strip() for message in error.errors)
        assert counts() == before
    else:
        event("imported")
        assert result.survey.id is not None and result.survey.status == "draft"
    finally:
        db.session.rollback()


@settings(max_examples=scaled(0.15))
@given(mutated_forms())
def test_mutated_forms_through_the_upload_page_never_give_a_500(client, login_as, community, form):
    url = f"/c/{community.code}/surveys/import-xlsform"
    page = client.get(url)
    if page.status_code == 302:   # first example: sign in once
        login_as("organiser", community)
        page = client.get(url)
    data = {"file": (io.BytesIO(workbook_bytes(form[1])), "form.xlsx"),
            "csrf_token": csrf_token(page.get_data(as_text=True))}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 422), response.status_code
    event(str(response.status_code))
