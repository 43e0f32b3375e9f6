"""Issue 15 point 8: works progress in Excel — the template (every included item of the adopted version, the status
as a drop-down of 未开工/施工中/已完工, dates as dates) and its import, all or nothing, each row through ``set_work``:
a refusal of its rules (or of the joint-review gate) on row N is row N's error and nothing is written."""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask.cli import AppGroup
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from participation import sheet_cli
from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, Plan, PlanItem, PlanVersion, PlanWork
from participation.models.jointreview import JointReview
from participation.models.lifecycle import GateOverride
from participation.models.types import utcnow
from participation.plans.works_sheet import parse_day
from tests.conftest import csrf_token

HEADERS = ["项目编码", "项目名称", "状态", "开工日期", "完工日期", "备注"]


def adopted_plan(community, codes=("B01", "B02", "B03"), excluded=("B04",), *, reviewed=True) -> Plan:
    plan = Plan(community=community)
    version = PlanVersion(plan=plan, number=1, status="adopted", adopted_at=utcnow())
    items = {item.code: item for item in db.session.scalars(select(CatalogueItem))}
    for position, code in enumerate(codes + excluded):
        version.items.append(PlanItem(item=items[code], position=position, included=code in codes,
                                      quantity=Decimal("1"), unit_cost=Decimal("100"), cost=Decimal("100")))
        if code in codes:
            plan.works.append(PlanWork(item_id=items[code].id, status="not_started"))
    db.session.add(plan)
    db.session.flush()
    if reviewed:
        db.session.add(JointReview(version_id=version.id, closed_at=utcnow()))
    return plan


@pytest.fixture
def world(reference_data, make_user, make_community):
    one = {"buildings": 1, "units": 1, "floors": 1, "per_floor": 1}
    community, other = make_community("WK1", **one), make_community("WK2", district="朝阳区", **one)
    plan = adopted_plan(community)
    plan.works[0].status, plan.works[0].started_on = "in_progress", date(2026, 3, 1)
    make_user("organiser", username="org", communities=[community])
    make_user("admin", username="admin")
    make_user("admin", username="admin-chaoyang", district=other.district)
    make_user("owner_rep", username="rep", communities=[community])
    make_user("hotline", username="hotline")
    db.session.commit()
    return community


def state() -> tuple:
    db.session.expire_all()
    works = {work.item.code: (work.status, work.started_on, work.finished_on, work.note)
             for work in db.session.scalars(select(PlanWork))}
    return (works, db.session.scalar(select(func.count(AuditEvent.id))),
            db.session.scalar(select(func.count(GateOverride.id))))


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, filename="施工进度.xlsx", code="WK1", *, token=True, **fields):
    form = {"file": (io.BytesIO(data), filename), **fields}
    if token:
        form["csrf_token"] = csrf_token(client.get("/staff").get_data(as_text=True))
    return client.post(f"/c/{code}/plan/works/import", data=form, content_type="multipart/form-data")


def listed_errors(response) -> list[str]:
    html = response.get_data(as_text=True)
    section = re.search(r'<section class="form-errors sheet-errors".*?</section>', html, re.S)
    assert section, html
    return re.findall(r"<li>(.*?)</li>", section.group(0), re.S)


def error_about(response, *words) -> str:
    assert response.status_code == 422
    matching = [message for message in listed_errors(response) if all(word in message for word in words)]
    assert matching, listed_errors(response)
    return matching[0]


def counts_after(client, response) -> dict:
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return {kind: int(n) for kind, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


# --- the template ----------------------------------------------------------------------------------------------

def test_template_lists_the_adopted_items_with_a_status_drop_down_and_dates(client, auth, world):
    auth.login("org")
    response = client.get("/c/WK1/plan/works/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert [row[0] for row in rows[1:]] == ["B01", "B02", "B03"]          # B04 is left out of the plan
    assert rows[1][2:4] == ("施工中", datetime(2026, 3, 1)) and rows[2][2:4] == ("未开工", None)
    assert sheet["D2"].is_date
    [choices] = sheet.data_validations.dataValidation
    assert choices.formula1 == '"未开工,施工中,已完工"' and str(choices.sqref) == "C2:C4"
    assert book.sheetnames[1] == "说明"


def test_dates_are_read_from_excel_and_from_text():
    assert parse_day(datetime(2026, 3, 5, 0, 0)) == date(2026, 3, 5)
    assert parse_day("2026-03-05") == parse_day("2026/3/5") == parse_day("2026年3月5日") == date(2026, 3, 5)
    assert parse_day("") is None and parse_day(None) is None
    for bad in ("3月5日", "2026-13-01", "明天", 46000):
        with pytest.raises(ValueError):
            parse_day(bad)


# --- a good file -------------------------------------------------------------------------------------------------

def test_the_filled_template_imports_through_set_work(client, auth, world):
    auth.login("org")
    book = load_workbook(io.BytesIO(client.get("/c/WK1/plan/works/template.xlsx").data))
    sheet = book.worksheets[0]
    sheet["C3"], sheet["D3"], sheet["E3"], sheet["F3"] = "已完工", datetime(2026, 4, 1), "2026/5/20", "已验收"
    sheet["C4"], sheet["D4"] = "施工中", "2026-06-01"
    buffer = io.BytesIO()
    book.save(buffer)
    assert counts_after(client, upload(client, buffer.getvalue())) == {"new": 0, "changed": 2, "unchanged": 1,
                                                                       "skipped": 0}
    works = state()[0]
    assert works["B02"] == ("finished", date(2026, 4, 1), date(2026, 5, 20), "已验收")
    assert works["B03"] == ("in_progress", date(2026, 6, 1), None, None)
    assert works["B01"] == ("in_progress", date(2026, 3, 1), None, None)
    assert db.session.scalar(select(func.count(AuditEvent.id)).filter_by(action="plan_work.update")) == 2
    event = db.session.scalar(select(AuditEvent).filter_by(action="plan_work.import"))
    assert event.actor.username == "org" and event.detail["counts"]["changed"] == 2


def test_a_csv_with_text_dates_imports(client, auth, world):
    auth.login("org")
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, ["B02", "", "施工中", "2026/3/5", "", ""], ["B03", "", "", "", "", ""]])
    assert counts_after(client, upload(client, text.getvalue().encode("gb18030"), "进度.csv"))["skipped"] == 1
    assert state()[0]["B02"][:2] == ("in_progress", date(2026, 3, 5))


# --- bad rows ------------------------------------------------------------------------------------------------------

BAD_ROWS = [
    ("unknown item", ("X99", None, "施工中", "2026-03-05"), ("X99", "项目编码")),
    ("item left out of the plan", ("B04", None, "施工中", "2026-03-05"), ("B04", "项目编码")),
    ("unknown status", ("B03", None, "开工了", "2026-03-05"), ("开工了", "状态")),
    ("text that is no date", ("B03", None, "施工中", "3月5日"), ("3月5日", "开工日期")),
    ("a date in the future (set_work)", ("B03", None, "施工中", "2099-01-01"), ("开工日期",)),
    ("finished without its date (set_work)", ("B03", None, "已完工", "2026-03-05"), ("完工日期",)),
    ("finished before it started (set_work)", ("B03", None, "已完工", "2026-03-05", "2026-03-01"), ("完工日期",)),
    ("a date without a status", ("B03", None, None, "2026-03-05"), ("状态",)),
    ("duplicate item", ("B02", None, "施工中", "2026-03-05"), ("B02", "项目编码")),
]


@pytest.mark.parametrize("bad, words", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_each_bad_row_is_named_with_its_row_and_column_and_nothing_changes(client, auth, world, bad, words):
    auth.login("org")
    before = state()
    good = [("B01", None, "已完工", "2026-03-01", "2026-04-01"), ("B02", None, "施工中", "2026-03-02")]
    message = error_about(upload(client, xlsx(good + [bad])), *words)
    assert re.search(r"(?<![0-9])4(?![0-9])", message)   # the header is row 1: the bad row is row 4
    assert state() == before


def test_every_bad_row_is_listed(client, auth, world):
    auth.login("org")
    response = upload(client, xlsx([("X1", None, "施工中"), ("B02", None, "已完工", "2026-03-05"),
                                    ("B03", None, "施工中", "2099-01-01")]))
    assert response.status_code == 422 and len(listed_errors(response)) == 3


def test_without_an_adopted_plan_nothing_is_imported(client, auth, world):
    db.session.delete(db.session.scalar(select(Plan)))
    db.session.commit()
    auth.login("org")
    assert "/plan/works/template.xlsx" not in client.get("/c/WK1/plan/works/import").get_data(as_text=True)
    assert len(load_workbook(io.BytesIO(client.get("/c/WK1/plan/works/template.xlsx").data)).worksheets[0]
               ["A"]) == 1
    response = upload(client, xlsx([("B01", None, "施工中", "2026-03-05")]))
    assert response.status_code == 422 and len(listed_errors(response)) == 1


# --- the joint-review gate ----------------------------------------------------------------------------------------

@pytest.fixture
def unreviewed(world):
    db.session.delete(db.session.scalar(select(JointReview)))
    db.session.commit()
    return world


def test_works_do_not_start_before_the_joint_review(client, auth, unreviewed):
    auth.login("org")
    before = state()
    response = upload(client, xlsx([("B01", None, "施工中", "2026-03-01", None, "照常"),
                                    ("B02", None, "施工中", "2026-03-05"), ("B03", None, "施工中", "2026-03-06")]))
    assert response.status_code == 422
    errors = listed_errors(response)
    assert any("联合审查" in message for message in errors)            # the gate's words, once
    assert sum("状态" in message for message in errors) == 2           # rows 3 and 4; B01 had already started
    assert state() == before


def test_only_an_administrator_with_a_reason_gets_past_the_gate(client, auth, unreviewed):
    auth.login("org")
    rows = xlsx([("B02", None, "施工中", "2026-03-05")])
    assert upload(client, rows, override_reason="急需").status_code == 422
    auth.logout()
    auth.login("admin")
    assert "override_reason" in client.get("/c/WK1/plan/works/import").get_data(as_text=True)
    assert upload(client, rows).status_code == 422
    assert counts_after(client, upload(client, rows, override_reason="雨季前必须开工"))["changed"] == 1
    override = db.session.scalar(select(GateOverride))
    assert override.gate == "works_joint_review" and override.reason == "雨季前必须开工"


# --- hostile files -------------------------------------------------------------------------------------------------

def test_hostile_files_are_refused_cleanly(client, auth, world):
    auth.login("org")
    before = state()
    error_about(upload(client, b"PK\x03\x04 no zip" * 10))
    error_about(upload(client, b""))
    error_about(upload(client, xlsx([("B01", "施工中")], headers=["编码", "状况"])), "项目编码")
    assert state() == before


def test_formula_text_in_a_note_stays_text(client, auth, world):
    auth.login("org")
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, ["B02", "", "施工中", "2026-03-05", "", "=cmd|'/c calc'!A0"]])
    counts_after(client, upload(client, text.getvalue().encode("utf-8"), "进度.csv"))
    assert state()[0]["B02"][3] == "=cmd|'/c calc'!A0"
    book = load_workbook(io.BytesIO(client.get("/c/WK1/plan/works/template.xlsx").data))
    cell = book.worksheets[0]["F3"]
    assert cell.value == "=cmd|'/c calc'!A0" and cell.data_type == "s" and cell.quotePrefix


# --- who may ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("rep", 403), ("hotline", 403), ("admin-chaoyang", 404),
                                              ("org", 200), ("admin", 200)])
def test_only_those_who_run_the_community_may(client, auth, world, username, status):
    auth.login(username)
    assert client.get("/c/WK1/plan/works/template.xlsx").status_code == status
    assert client.get("/c/WK1/plan/works/import").status_code == status


def test_out_of_scope_and_missing_communities_are_not_found(client, auth, world):
    auth.login("org")
    assert client.get("/c/WK2/plan/works/import").status_code == 404
    assert client.get("/c/NOPE/plan/works/template.xlsx").status_code == 404


def test_refused_posts_change_nothing(client, auth, world):
    auth.login("org")
    before = state()
    assert upload(client, xlsx([("B02", None, "施工中", "2026-03-05")]), token=False).status_code == 400
    assert state() == before
    auth.logout()
    auth.login("rep")
    before = state()
    assert upload(client, xlsx([("B02", None, "施工中", "2026-03-05")])).status_code == 403
    assert state() == before


def test_the_works_page_links_to_the_excel_import_for_managers(client, auth, world):
    auth.login("org")
    assert "/c/WK1/plan/works/import" in client.get("/c/WK1/plan/works").get_data(as_text=True)
    auth.logout()
    auth.login("rep")
    assert "/c/WK1/plan/works/import" not in client.get("/c/WK1/plan/works").get_data(as_text=True)


def test_the_command_line_imports_works_and_passes_the_gate_only_with_an_admin_reason(runner, unreviewed, tmp_path):
    group = AppGroup("flask")
    sheet_cli.register(SimpleNamespace(cli=group))
    path = tmp_path / "works.xlsx"
    path.write_bytes(xlsx([("B02", None, "施工中", "2026-03-05")]))
    before = state()
    result = runner.invoke(group, ["works", "import", str(path), "--community", "WK1", "--as-user", "org"])
    assert result.exit_code == 1 and "联合审查" in result.output and state() == before
    result = runner.invoke(group, ["works", "import", str(path), "--community", "WK1", "--as-user", "admin",
                                   "--override-reason", "雨季前必须开工"])
    assert result.exit_code == 0, result.output
    assert state()[0]["B02"][:2] == ("in_progress", date(2026, 3, 5))


def test_a_body_over_the_upload_limit_is_refused_with_413(app, client, auth, world):
    auth.login("org")
    before = state()
    original = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024
    try:
        response = upload(client, b"x" * 20_000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = original
    assert response.status_code == 413 and "photo" not in response.get_data(as_text=True).lower()
    assert state() == before
