"""``flask roster import`` and ``flask roster export``: exit codes, output, the audit row, the round trip."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Community, District, Household, Locality
from participation.roster.files import HEADERS


def roster_rows(code="NG001", name="幸福里", floors=2):
    return [[code, name, str(b), str(u), f"{floor}01", floor, 60.25, None, None, None, f"139000{b}{u}{floor}00", "自住"]
            for b in (1, 2) for u in (1, 2) for floor in range(1, floors + 1)]


def write_xlsx(path, rows, headers=HEADERS):
    workbook = Workbook()
    workbook.active.append(list(headers))
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def district(reference_data):
    district = District(locality=db.session.scalar(select(Locality)), name="南关区")
    db.session.add(district)
    db.session.commit()
    return district


def households() -> int:
    return db.session.scalar(select(func.count(Household.id)))


def test_import_prints_the_summary_and_records_one_audit_row(runner, district, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", roster_rows())
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "小区：新增 1 个，修改 0 个，未变 0 个" in result.stdout
    assert "住户：新增 8 户，修改 0 户，未变 0 户，文件中没有的 0 户（已保留）" in result.stdout
    assert "已导入 8 行，用时" in result.stdout
    assert households() == 8
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert event.actor_id is None and event.channel == "cli" and event.detail["filename"] == "名册.xlsx"
    again = runner.invoke(args=["roster", "import", str(path)])
    assert "住户：新增 0 户，修改 0 户，未变 8 户" in again.stdout


def test_import_with_errors_exits_non_zero_lists_rows_and_changes_nothing(runner, district, tmp_path):
    rows = roster_rows()
    rows[2][6] = -3
    rows[4][11] = "借住"
    path = tmp_path / "bad.csv"
    path.write_bytes(("\n".join(",".join("" if v is None else str(v) for v in row)
                                for row in [list(HEADERS)] + rows) + "\n").encode("gb18030"))
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1
    assert "第4行：面积必须是正数" in result.stderr
    assert "第6行：居住状态只能填 自住、出租 或 空置" in result.stderr
    assert "没有导入任何内容。" in result.stderr
    assert households() == 0 and db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_import_of_a_file_that_is_not_a_roster_exits_non_zero(runner, district, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1 and "只能导入 Excel 工作簿（.xlsx 或 .xls）或 .csv 文件。" in result.stderr


def test_district_option_creates_the_district_for_new_communities(runner, district, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", roster_rows("LY01"))
    result = runner.invoke(args=["roster", "import", str(path), "--district", "绿园区"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Community).filter_by(code="LY01")).district.name == "绿园区"


def test_as_user_records_the_actor_and_applies_their_scope(runner, district, make_user, tmp_path):
    other = District(locality=district.locality, name="朝阳区")
    db.session.add(other)
    make_user("organiser", username="cy-organiser", district=other)
    db.session.commit()
    path = write_xlsx(tmp_path / "r.xlsx", roster_rows())
    refused = runner.invoke(args=["roster", "import", str(path), "--as-user", "cy-organiser", "--district", "南关区"])
    assert refused.exit_code == 1 and "您不能在“南关区”新增小区。" in refused.stderr
    result = runner.invoke(args=["roster", "import", str(path), "--as-user", "cy-organiser"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert event.actor.username == "cy-organiser"
    assert db.session.scalar(select(Community)).district.name == "朝阳区"
    unknown = runner.invoke(args=["roster", "import", str(path), "--as-user", "nobody"])
    assert unknown.exit_code != 0 and "没有名为 nobody 的工作人员账号。" in unknown.output


def test_export_writes_the_roster_that_imports_back_unchanged(runner, district, tmp_path):
    runner.invoke(args=["roster", "import", str(write_xlsx(tmp_path / "r.xlsx", roster_rows()))])
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["roster", "export", "NG001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    assert tuple(cell.value for cell in sheet[1]) == HEADERS and sheet.max_row == 9
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "roster.export"))[
        "phones_revealed"] is True
    again = runner.invoke(args=["roster", "import", str(out)])
    assert "住户：新增 0 户，修改 0 户，未变 8 户" in again.stdout
    masked = tmp_path / "masked.xlsx"
    runner.invoke(args=["roster", "export", "NG001", "--out", str(masked), "--mask-phones"])
    assert "****" in load_workbook(masked).active.cell(row=2, column=11).value


def test_export_of_an_unknown_community_exits_non_zero(runner, district, tmp_path):
    result = runner.invoke(args=["roster", "export", "NOPE", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "没有编码为 NOPE 的小区。" in result.output
    assert not (tmp_path / "x.xlsx").exists()
