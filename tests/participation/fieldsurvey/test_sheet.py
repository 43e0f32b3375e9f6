"""Issue 15 point 8: the field survey in Excel — the template (every catalogue item in use, code, name and unit
filled in, the condition as a drop-down of the Chinese words) and its import, all or nothing: every bad row is
listed with its row number and column, and the database is as it was; a good file records the findings and says
how many are new, changed and unchanged."""
import csv
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask.cli import AppGroup
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from participation import sheet_cli
from participation.extensions import db
from participation.fieldsurvey import sheet
from participation.fieldsurvey.operations import FieldSurveyError, record_finding
from participation.models import AuditEvent, CatalogueItem, FieldFinding, Organisation
from tests.conftest import csrf_token

DATA = Path(__file__).resolve().parents[2] / "data"
HEADERS = ["项目编码", "项目名称", "计量单位", "状况", "数量", "备注"]


@pytest.fixture
def world(reference_data, make_user, make_community):
    one = {"units": 1, "floors": 1, "per_floor": 1}
    a, c = make_community("FSA", **one), make_community("FSC", district="朝阳区", **one)
    pipeline = Organisation(name="长春燃气管线公司", kind="pipeline")
    db.session.add(pipeline)
    organiser = make_user("organiser", username="org-a", communities=[a])
    make_user("admin", username="admin-chaoyang", district=c.district)
    make_user("owner_rep", username="rep-a", communities=[a])
    make_user("hotline", username="hotline")
    make_user("agency", username="pipeline-a", organisation=pipeline, communities=[a])
    roof = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    record_finding(organiser, a, roof, condition="needs_repair", quantity=Decimal("10"), note="漏水")
    db.session.commit()
    return {"a": a, "c": c}


def findings() -> dict:
    return {finding.item.code: (finding.condition, finding.quantity, finding.note, finding.recorded_by_id)
            for finding in db.session.scalars(select(FieldFinding))}


def state() -> tuple:
    """Everything an import may write: the findings and the audit rows."""
    db.session.expire_all()
    return findings(), db.session.scalar(select(func.count(AuditEvent.id)))


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_bytes(client) -> bytes:
    response = client.get("/c/FSA/field-survey/template.xlsx")
    assert response.status_code == 200
    return response.data


def upload(client, data: bytes, filename="实地调查.xlsx", *, token=True):
    form = {"file": (io.BytesIO(data), filename)}
    if token:
        form["csrf_token"] = csrf_token(client.get("/staff").get_data(as_text=True))
    return client.post("/c/FSA/field-survey/import", data=form, content_type="multipart/form-data")


def listed_errors(response) -> list[str]:
    html = response.get_data(as_text=True)
    section = re.search(r'<section class="form-errors sheet-errors".*?</section>', html, re.S)
    assert section, html
    return re.findall(r"<li>(.*?)</li>", section.group(0), re.S)


def error_about(response, *words) -> str:
    """The one listed error holding every word; the import refused (422)."""
    assert response.status_code == 422
    matching = [message for message in listed_errors(response) if all(word in message for word in words)]
    assert matching, listed_errors(response)
    return matching[0]


# --- the template ----------------------------------------------------------------------------------------------

def test_template_lists_every_item_in_use_with_the_condition_drop_down(client, auth, world):
    auth.login("org-a")
    book = load_workbook(io.BytesIO(template_bytes(client)))
    sheet_ = book.worksheets[0]
    rows = list(sheet_.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    in_use = db.session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.retired_at.is_(None)))
    assert len(rows) - 1 == in_use > 30
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["B01"][:2] == ("B01", "屋面防水及保温维修") and by_code["B01"][2]
    assert by_code["B01"][3:] == ("需维修", 10, "漏水")       # what is recorded so far
    assert by_code["B02"][3:] == (None, None, None)
    [choices] = sheet_.data_validations.dataValidation
    assert choices.type == "list" and choices.formula1 == '"完好,需维修,缺失,不适用"'
    assert str(choices.sqref) == f"D2:D{in_use + 1}"
    assert book.sheetnames[1] == "说明"


# --- a good file -------------------------------------------------------------------------------------------------

def test_the_filled_template_imports_and_reports_new_changed_unchanged(client, auth, world):
    auth.login("org-a")
    book = load_workbook(io.BytesIO(template_bytes(client)))
    sheet_ = book.worksheets[0]
    for row in sheet_.iter_rows(min_row=2):
        if row[0].value == "B02":
            row[3].value, row[4].value, row[5].value = "完好", 1200.5, "外墙良好"
        if row[0].value == "B04":
            row[3].value, row[4].value = "缺失", "6"
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, buffer.getvalue())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    counts = {kind: int(n) for kind, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}
    assert counts["new"] == 2 and counts["changed"] == 0 and counts["unchanged"] == 1
    now = findings()
    assert now["B02"][:3] == ("good", Decimal("1200.50"), "外墙良好")
    assert now["B04"][:3] == ("missing", Decimal("6.00"), None)
    assert now["B01"][:3] == ("needs_repair", Decimal("10.00"), "漏水")
    event = db.session.scalar(select(AuditEvent).filter_by(action="field_finding.import"))
    assert event.actor.username == "org-a" and event.community_id == world["a"].id
    assert event.detail["counts"]["new"] == 2
    assert db.session.scalar(select(func.count(AuditEvent.id)).filter_by(action="field_finding.create")) == 3


def test_a_changed_finding_is_counted_as_changed(client, auth, world):
    auth.login("org-a")
    response = upload(client, xlsx([("B01", None, None, "完好", 0, None)]))
    assert response.status_code == 302
    assert "data-count=\"changed\">1<" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert findings()["B01"][:3] == ("good", Decimal("0.00"), None)


def test_a_csv_in_gb18030_imports_like_the_workbook(client, auth, world):
    auth.login("org-a")
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, ["B03", "", "", "需维修", "4", "扶手松动"]])
    assert upload(client, text.getvalue().encode("gb18030"), "实地调查.csv").status_code == 302
    assert findings()["B03"][:3] == ("needs_repair", Decimal("4.00"), "扶手松动")


# --- bad rows: each listed with its row and column, nothing changed -----------------------------------------------

BAD_ROWS = [
    ("unknown code", ("X99", None, None, "完好", 1, None), ("X99", "项目编码")),
    ("unknown condition", ("B02", None, None, "很好", 1, None), ("很好", "状况")),
    ("negative quantity", ("B02", None, None, "完好", -3, None), ("数量",)),
    ("text quantity", ("B02", None, None, "完好", "十个", None), ("十个", "数量")),
    ("empty code", ("", "屋面", None, "完好", 1, None), ("项目编码",)),
    ("quantity without condition", ("B02", None, None, None, 5, None), ("状况",)),
    ("too many decimals", ("B02", None, None, "完好", "1.234", None), ("数量",)),
    ("note too long", ("B02", None, None, "完好", 1, "长" * 2001), ("备注",)),
]


@pytest.mark.parametrize("rows_bad, words", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_each_bad_row_is_named_with_its_row_and_column_and_nothing_changes(client, auth, world, rows_bad, words):
    auth.login("org-a")
    before = state()
    good = ("B03", None, None, "缺失", 2, None)
    response = upload(client, xlsx([good, ("B04", None, None, "完好", 1, None), rows_bad]))
    message = error_about(response, *words)
    assert re.search(r"(?<![0-9])4(?![0-9])", message)   # the header is row 1: the bad row is row 4
    assert state() == before


def test_a_duplicate_item_row_names_the_first_one(client, auth, world):
    auth.login("org-a")
    before = state()
    response = upload(client, xlsx([("B02", None, None, "完好", 1, None), ("B03", None, None, "完好", 1, None),
                                    ("B02", None, None, "缺失", 1, None)]))
    message = error_about(response, "B02", "项目编码")
    assert re.findall(r"(?<![0-9])[0-9](?![0-9])", message) == ["4", "2"]
    assert state() == before


def test_every_bad_row_is_listed_not_only_the_first(client, auth, world):
    auth.login("org-a")
    response = upload(client, xlsx([("X1", None, None, "完好", 1, None), ("B02", None, None, "坏了", 1, None),
                                    ("B03", None, None, "完好", -1, None)]))
    assert response.status_code == 422
    assert len(listed_errors(response)) == 3


def test_a_refusal_while_writing_undoes_the_rows_written_before_it(client, auth, world, monkeypatch):
    auth.login("org-a")
    before = state()
    real = sheet.record_finding

    def refuse_the_second(actor, community, item, **fields):
        if item.code == "B03":
            raise FieldSurveyError("此项目刚刚被他人修改")
        return real(actor, community, item, **fields)

    monkeypatch.setattr(sheet, "record_finding", refuse_the_second)
    response = upload(client, xlsx([("B02", None, None, "完好", 1, None), ("B03", None, None, "完好", 1, None)]))
    assert "此项目刚刚被他人修改" in error_about(response, "3")
    assert state() == before


# --- files that are not the template -----------------------------------------------------------------------------

def test_files_that_are_not_the_template_are_refused(client, auth, world):
    auth.login("org-a")
    before = state()
    error_about(upload(client, b""))
    error_about(upload(client, xlsx([("B02", "完好")], headers=["编码", "状态"])), "编码")
    error_about(upload(client, xlsx([("B02", "完好")], headers=["编码", "状态"])), "项目编码")
    error_about(upload(client, xlsx([])))                           # the header alone
    error_about(upload(client, (DATA / "roster.xls").read_bytes(), "名册.xls"), "小区编码")   # an old .xls is read
    error_about(upload(client, (DATA / "roster_web_page.xls").read_bytes(), "调查.xls"))
    error_about(upload(client, b"%PDF-1.4 not a spreadsheet", "调查.pdf"))
    assert state() == before


# --- hostile files -------------------------------------------------------------------------------------------------

def test_a_file_that_is_not_a_zip_is_refused_cleanly(client, auth, world):
    auth.login("org-a")
    before = state()
    error_about(upload(client, b"PK\x03\x04 this is no zip at all" * 10, "调查.xlsx"))
    assert state() == before


def test_a_zip_bomb_is_refused_before_it_is_parsed(client, auth, world):
    auth.login("org-a")
    before = state()
    source = zipfile.ZipFile(io.BytesIO(xlsx([("B02", None, None, "完好", 1, None)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)
            target.writestr(info.filename, body)
    assert len(out.getvalue()) < 200_000
    error_about(upload(client, out.getvalue()))
    assert state() == before


def test_a_body_over_the_upload_limit_is_named_a_file_not_a_photo(app, client, auth, world):
    auth.login("org-a")
    before = state()
    token = csrf_token(client.get("/c/FSA/field-survey/import").get_data(as_text=True))
    original = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024
    try:
        response = client.post("/c/FSA/field-survey/import", content_type="multipart/form-data", data={
            "csrf_token": token, "file": (io.BytesIO(b"x" * 20_000), "big.xlsx")})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = original
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "8 KB" in html and "照片" not in html and "photo" not in html.lower()
    assert state() == before


def test_formula_text_is_stored_as_text_and_handed_back_as_text(client, auth, world):
    auth.login("org-a")
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, ["B02", "", "", "完好", "1", '=HYPERLINK("http://evil.example","看")']])
    assert upload(client, text.getvalue().encode("utf-8-sig"), "调查.csv").status_code == 302
    assert findings()["B02"][2] == '=HYPERLINK("http://evil.example","看")'
    book = load_workbook(io.BytesIO(template_bytes(client)))
    cell = next(row[5] for row in book.worksheets[0].iter_rows(min_row=2) if row[0].value == "B02")
    assert cell.data_type == "s" and cell.quotePrefix


# --- who may ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("rep-a", 403), ("hotline", 403), ("admin-chaoyang", 404),
                                              ("pipeline-a", 200), ("org-a", 200)])
def test_only_those_who_record_findings_may_use_the_template_and_import(client, auth, world, username, status):
    auth.login(username)
    assert client.get("/c/FSA/field-survey/template.xlsx").status_code == status
    assert client.get("/c/FSA/field-survey/import").status_code == status


def test_a_community_out_of_scope_or_missing_is_not_found(client, auth, world):
    auth.login("org-a")
    assert client.get("/c/FSC/field-survey/import").status_code == 404
    assert client.get("/c/NOPE/field-survey/template.xlsx").status_code == 404


def test_a_post_by_someone_who_may_not_changes_nothing(client, auth, world):
    auth.login("rep-a")
    before = state()
    response = upload(client, xlsx([("B02", None, None, "完好", 1, None)]))
    assert response.status_code == 403
    assert state() == before


def test_the_import_needs_the_csrf_token(client, auth, world):
    auth.login("org-a")
    before = state()
    response = upload(client, xlsx([("B02", None, None, "完好", 1, None)]), token=False)
    assert response.status_code == 400
    assert state() == before


def test_the_overview_offers_the_template_and_the_import_to_recorders_only(client, auth, world):
    auth.login("org-a")
    html = client.get("/c/FSA/field-survey").get_data(as_text=True)
    assert "/c/FSA/field-survey/template.xlsx" in html and "/c/FSA/field-survey/import" in html
    auth.logout()
    auth.login("rep-a")
    html = client.get("/c/FSA/field-survey").get_data(as_text=True)
    assert "/c/FSA/field-survey/import" not in html


# --- the command line ---------------------------------------------------------------------------------------------

@pytest.fixture
def cli_group():
    """The commands of participation.sheet_cli on a group of their own (participation/cli.py registers them)."""
    group = AppGroup("flask")
    sheet_cli.register(SimpleNamespace(cli=group))
    return group


def test_the_command_line_imports_all_or_nothing(runner, world, cli_group, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(xlsx([("B02", None, None, "完好", 12, None)]))
    bad.write_bytes(xlsx([("B03", None, None, "完好", 1, None), ("X99", None, None, "完好", 1, None)]))
    before = state()
    result = runner.invoke(cli_group, ["fieldsurvey", "import", str(bad), "--community", "FSA", "--as-user", "org-a"])
    assert result.exit_code == 1 and "X99" in result.output and "项目编码" in result.output
    assert state() == before
    result = runner.invoke(cli_group, ["fieldsurvey", "import", str(good), "--community", "FSA", "--as-user", "rep-a"])
    assert result.exit_code == 1 and state() == before      # an owner representative does not record findings
    result = runner.invoke(cli_group, ["fieldsurvey", "import", str(good), "--community", "FSA", "--as-user", "org-a"])
    assert result.exit_code == 0, result.output
    assert findings()["B02"][:2] == ("good", Decimal("12.00"))
    assert db.session.scalar(select(AuditEvent).filter_by(action="field_finding.import")).channel == "cli"
