"""Response exports: one row per household (CSV with BOM and XLSX), one row per answer value (long CSV), formula
injection escaped, item category columns, audit rows, and who may download."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from tests.surveys.results_support import build_world

FIXED = ["楼栋", "单元", "房号", "面积", "居住状态", "状态", "提交时间", "渠道"]


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _download(client, results_world, name):
    response = client.get(f"/surveys/{results_world.survey.id}/{name}")
    assert response.status_code == 200, response.status_code
    assert "attachment" in response.headers["Content-Disposition"]
    return response


def test_wide_csv_one_row_per_household_in_odk_form(client, login_as, results_world):
    login_as("organiser", results_world.community)
    response = _download(client, results_world, "responses.csv")
    assert response.mimetype == "text/csv"
    rows = _rows(response.data.decode("utf-8"))
    header, body = rows[0], rows[1:]
    questions = [q.name for q in results_world.survey.questions if q.type != "note"]
    assert header == FIXED + questions + ["需要的基础类项目", "需要的完善类项目", "需要的提升类项目"]
    assert len(body) == len(results_world.households)
    column = {name: header.index(name) for name in header}
    for household, row in zip(results_world.households, body):
        assert row[:3] == [household.unit.building.name, household.unit.name, household.room]
        assert row[column["面积"]] == f"{household.area:.2f}"
        values = results_world.values.get(household.id)
        if values is None:
            assert row[column["状态"]] in ("未作答", "草稿")
            assert row[column["need_B01"]] == ""
            continue
        assert row[column["状态"]] == "已提交"
        assert row[column["need_B01"]] == values["need_B01"]
        assert row[column["priorities"]] == " ".join(values["priorities"])   # rank: in order
        assert row[column["colours"]] == " ".join(values["colours"])         # picks: in choice order
        assert row[column["persons"]] == str(values["persons"])
        assert row[column["visit"]] == values["visit"].isoformat()
        needed = [code for code in ("B01", "I01", "U01") if values[f"need_{code}"] == "need"]
        assert " ".join(row[len(FIXED) + len(questions):]).split() == needed


def test_csv_escapes_formulas(client, login_as, results_world):
    login_as("organiser", results_world.community)
    text = _download(client, results_world, "responses.csv").data.decode("utf-8")
    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text and ',"=HYPERLINK' not in text


def test_xlsx_holds_the_same_table_and_no_formula(client, login_as, results_world):
    login_as("organiser", results_world.community)
    response = _download(client, results_world, "responses.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:len(FIXED)] == FIXED
    assert len(rows) - 1 == len(results_world.households)
    comment = header.index("comment")
    cells = [row[comment] for row in rows[1:] if row[comment]]
    assert '=HYPERLINK("x")' in cells
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
    persons = header.index("persons")
    first = next(h for h in results_world.households if h.id in results_world.values)
    row = rows[1 + results_world.households.index(first)]
    assert row[persons] == results_world.values[first.id]["persons"]
    assert float(row[header.index("面积")]) == float(first.area)


def test_long_csv_one_row_per_answer_value(client, login_as, results_world):
    login_as("organiser", results_world.community)
    rows = _rows(_download(client, results_world, "responses-long.csv").data.decode("utf-8"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["楼栋", "单元", "房号"]
    expected = sum(len(value) if isinstance(value, list) else 1
                   for values in results_world.values.values() for value in values.values())
    assert len(body) == expected
    need = [row for row in body if row[3] == "need_I01"]
    assert {row[4] for row in need} == {"I01"} and {row[5] for row in need} == {"完善类"}
    assert sorted(row[6] for row in need) == sorted(v["need_I01"] for v in results_world.values.values())
    ranked = [row for row in body if row[3] == "priorities" and row[7] == "1"]
    assert len(ranked) == len(results_world.values)


def test_exports_are_audited(client, login_as, results_world):
    login_as("organiser", results_world.community)
    _download(client, results_world, "responses.csv")
    _download(client, results_world, "responses.xlsx")
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "survey.export"))
    assert count == 2


@pytest.mark.parametrize("role", ["owner_rep", "grid", "hotline", "agency"])
def test_only_managers_download(client, login_as, results_world, role):
    login_as(role, results_world.community)
    for name in ("responses.csv", "responses.xlsx", "responses-long.csv"):
        assert client.get(f"/surveys/{results_world.survey.id}/{name}").status_code == 403


def test_confidential_survey_refuses_per_household_files(client, login_as, reference_data):
    results_world = build_world(confidential=True)
    db.session.commit()
    login_as("admin")
    response = client.get(f"/surveys/{results_world.survey.id}/responses.csv")
    assert response.status_code == 403
    assert "保密问卷" in response.text
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "survey.export")) == 0
