"""Roster import without HTTP: file formats, every kind of bad row (all-or-nothing), re-import, scope, 5,000 rows."""
import csv
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Building, Community, District, Household, Locality, Unit
from participation.roster.communities import roster_tree
from participation.roster.export import export_roster
from participation.roster.files import HEADERS, RosterImportError, natural_key
from participation.roster.imports import id_tail_hash, id_tail_matches, import_roster

REQUIRED = HEADERS[:7]


def roster_rows(code="NG001", name="幸福里", buildings=(1, 2), units=(1, 2), floors=3, per_floor=2):
    """Rows in HEADERS order: 小区编码 … 居住状态; room 101, 102, 201 …"""
    rows = []
    for b in buildings:
        for u in units:
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    serial = len(rows)
                    rows.append([code, name, str(b), str(u), f"{floor}{door:02d}", floor, 56.78 + floor,
                                 f"业主{serial}", None, f"住户{serial}", f"1380000{serial:04d}", "自住"])
    return rows


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=HEADERS, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def in_request(app, reference_data):
    """Messages are translated for the user's language, which needs a request; Chinese is the default."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def district(in_request):
    locality = db.session.scalar(select(Locality))
    district = District(locality=locality, name="南关区")
    db.session.add(district)
    db.session.commit()
    return district


def refused(source, actor=None, **options) -> list[str]:
    with pytest.raises(RosterImportError) as caught:
        import_roster(actor, source, **options)
    db.session.rollback()
    return caught.value.errors


def nothing_stored() -> bool:
    return (db.session.scalar(select(func.count(Community.id))) == 0
            and db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "roster.import")) == 0)


def test_good_xlsx_imports_every_level_with_exact_areas_and_one_audit_row(district):
    counts = import_roster(None, xlsx_bytes(roster_rows()), filename="名册.xlsx")
    db.session.commit()
    assert counts["communities"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert counts["buildings"] == {"created": 2, "unchanged": 0}
    assert counts["units"] == {"created": 4, "unchanged": 0}
    assert counts["households"] == {"created": 24, "updated": 0, "unchanged": 0, "not_in_file": 0}
    community = db.session.scalar(select(Community).filter_by(code="NG001"))
    assert community.district == district and community.name == "幸福里" and community.status == "reserve"
    household = db.session.scalar(select(Household).filter_by(room="302").join(Unit).join(Building)
                                  .where(Building.name == "2", Unit.name == "1"))
    assert household.area == Decimal("59.78") and household.floor == 3 and household.occupancy == "owner_occupied"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import")).all()
    assert len(events) == 1
    assert events[0].actor_id is None and events[0].community_id == community.id
    assert events[0].detail["counts"]["households"]["created"] == 24


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(district, encoding):
    rows = roster_rows(name="长春路小区", buildings=(1,), units=(1,), floors=1)
    rows[0][9] = "张三丰"
    counts = import_roster(None, csv_bytes(rows, encoding=encoding), filename="roster.csv")
    assert counts["households"]["created"] == 2
    assert db.session.scalar(select(Community.name)) == "长春路小区"
    assert db.session.scalar(select(Household.contact_name).filter_by(room="101")) == "张三丰"


def test_buildings_units_and_rooms_sort_naturally(district):
    import_roster(None, xlsx_bytes(roster_rows(buildings=(10, 2, "1号楼"), units=(1,), floors=1)))
    community = db.session.scalar(select(Community))
    assert [b.name for b in roster_tree(None, community)] == ["1号楼", "2", "10"]
    assert natural_key("2") < natural_key("10") and natural_key("3号楼") < natural_key("12号楼")


def other_tools_sort_key(name: str) -> str:
    """Sort keys as another tool writes them (zero-padded to 5), which the importer normalises to its own."""
    return name.zfill(5)


def test_imported_buildings_join_stored_ones_in_natural_order(district, make_community):
    community = make_community("OLD01", district=district, sort_key=other_tools_sort_key)
    db.session.commit()
    import_roster(None, xlsx_bytes(roster_rows("OLD01", community.name, buildings=(10,), units=(1,), floors=1)))
    assert [b.name for b in roster_tree(None, community)] == ["1", "2", "10"]
    assert [h.room for h in roster_tree(None, community)[0].units[0].households] == [
        "101", "102", "201", "202", "301", "302"]


BAD_ROWS = [
    (6, "-5", "第12行：面积必须是正数"),
    (6, "0", "第12行：面积必须是正数"),
    (6, "56.789", "第12行：面积最多保留两位小数"),
    (6, "五十", "第12行：面积必须是数字（平方米），例如 56.78"),
    (5, "3.5", "第12行：楼层必须是整数"),
    (5, "三楼", "第12行：楼层必须是整数"),
    (5, "300", "第12行：楼层必须在 -5 到 200 之间"),
    (10, "12345", "第12行：电话号码 12345 不正确"),
    (10, "23800001111", "第12行：电话号码 23800001111 不正确"),
    (11, "自用", "第12行：居住状态只能填 自住、出租 或 空置"),
    (8, "12345", "第12行：业主证件后六位必须是6位，都是数字，最后一位可以是X"),
    (8, "1234X5", "第12行：业主证件后六位必须是6位，都是数字，最后一位可以是X"),
    (4, "", "第12行：房号不能为空"),
    (6, None, "第12行：面积不能为空"),
    (0, "NG 001/A", "第12行：小区编码只能用字母、数字、- 和 _"),
    (2, "1" * 21, "第12行：楼栋太长（最多20个字）"),
]


@pytest.mark.parametrize("column, value, message", BAD_ROWS)
def test_each_bad_row_is_named_by_its_excel_row_and_nothing_changes(district, column, value, message):
    rows = roster_rows()
    rows[10][column] = value   # the 11th data row is row 12 in Excel (the header is row 1)
    errors = refused(xlsx_bytes(rows), filename="r.xlsx")
    assert message in errors
    assert nothing_stored()


def test_bad_rows_in_csv_are_numbered_the_same_way(district):
    rows = roster_rows()
    rows[10][6] = "-5"
    assert refused(csv_bytes(rows), filename="r.csv") == ["第12行：面积必须是正数"]


def test_duplicate_room_in_the_same_unit_names_both_rows(district):
    rows = roster_rows()
    rows[3] = list(rows[1])
    assert refused(xlsx_bytes(rows), filename="r.xlsx") == ["第5行：楼栋1、单元1、房号102与第3行重复"]


def test_one_community_code_with_two_names_is_refused(district):
    rows = roster_rows()
    rows[4][1] = "别的名字"
    assert refused(xlsx_bytes(rows), filename="r.xlsx") == ["第6行：小区 NG001 在第2行的名称是“幸福里”，前后不一致"]


def test_every_error_is_reported_in_row_order(district):
    rows = roster_rows()
    rows[0][6], rows[5][5], rows[20][11] = "-1", "x", "住"
    assert refused(xlsx_bytes(rows), filename="r.xlsx") == [
        "第2行：面积必须是正数", "第7行：楼层必须是整数", "第22行：居住状态只能填 自住、出租 或 空置"]


def test_errors_are_capped_with_a_count_of_the_rest(district):
    rows = roster_rows(buildings=range(1, 12), floors=6)   # 264 rows
    for row in rows:
        row[6] = "-1"
    errors = refused(xlsx_bytes(rows), filename="r.xlsx")
    assert len(errors) == 201 and errors[-1] == "……还有 64 处错误。"


@pytest.mark.parametrize("headers, message", [
    (HEADERS[:5] + HEADERS[6:], "缺少列“楼层”。"),
    (HEADERS + ("备注",), "无法识别的列：备注。可以使用的列有：" + "、".join(HEADERS) + "。"),
    (HEADERS[:7] + ("面积",), "列“面积”出现了两次。"),
])
def test_header_problems_name_the_column(district, headers, message):
    rows = [row[:len(headers)] + [""] * (len(headers) - len(row)) for row in roster_rows(floors=1)]
    assert message in refused(xlsx_bytes(rows, headers=headers), filename="r.xlsx")
    assert nothing_stored()


def test_optional_columns_may_be_left_out(district):
    rows = [row[:7] for row in roster_rows(floors=1)]
    counts = import_roster(None, xlsx_bytes(rows, headers=REQUIRED), filename="r.xlsx")
    assert counts["households"]["created"] == 8
    assert db.session.scalar(select(func.count(Household.id)).where(Household.phone.is_not(None))) == 0


@pytest.mark.parametrize("data, filename, message", [
    (b"", "r.xlsx", "文件是空的。"),
    (b"  \n", "r.csv", "文件是空的。"),
    ("小区编码,小区名称,楼栋,单元,房号,楼层,面积\n".encode(), "r.csv", "文件只有列名，没有住户。"),
    (b"%PDF-1.4 not a roster", "r.pdf", "只能导入 Excel 工作簿（.xlsx 或 .xls）或 .csv 文件。"),
    (b"this is not a zip", "r.xlsx", "无法打开这个 Excel 文件，文件可能已损坏。请用 Excel 打开，重新保存为 .xlsx 后再试。"),
    # an .xls is read since issue 13 (tests/participation/test_roster_xls.py); this one is only its magic number
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "r.xls",
     "无法打开这个 Excel 文件，文件可能已损坏。请用 Excel 打开，重新保存为 .xlsx 后再试。"),
])
def test_files_that_are_not_rosters_are_refused_with_a_message(district, data, filename, message):
    assert refused(data, filename=filename) == [message]
    assert nothing_stored()


def test_a_truncated_xlsx_is_a_broken_file_not_a_crash(district):
    data = xlsx_bytes(roster_rows())
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if "sheet1" not in item.filename:
                target.writestr(item, source.read(item))
    assert refused(broken.getvalue(), filename="r.xlsx")[0].startswith("无法打开这个 Excel 文件")
    assert refused(data[: len(data) // 2], filename="r.xlsx")[0].startswith("无法打开这个 Excel 文件")


def test_reimport_updates_by_natural_key_adds_new_and_keeps_missing(district):
    rows = roster_rows()
    import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
    db.session.commit()
    changed = [list(row) for row in rows[2:]]          # two households left out of the file
    changed[0][6] = 99.99                              # area
    changed[1][5], changed[1][11] = 4, "空置"          # floor and occupancy
    changed[2][10] = "0431-88886666"                   # phone
    changed.append(["NG001", "幸福里", "3", "1", "101", 1, 45.5, None, None, None, None, "出租"])
    counts = import_roster(None, xlsx_bytes(changed), filename="r.xlsx")
    db.session.commit()
    assert counts["households"] == {"created": 1, "updated": 3, "unchanged": 19, "not_in_file": 2}
    assert counts["buildings"] == {"created": 1, "unchanged": 2}
    assert db.session.scalar(select(func.count(Household.id))) == 25
    by_room = {(h.unit.building.name, h.unit.name, h.room): h for h in db.session.scalars(select(Household))}
    assert by_room[("1", "1", "201")].area == Decimal("99.99")
    assert (by_room[("1", "1", "202")].floor, by_room[("1", "1", "202")].occupancy) == (4, "vacant")
    assert by_room[("1", "1", "301")].phone == "0431-88886666"
    assert by_room[("3", "1", "101")].occupancy == "rented"
    assert by_room[("1", "1", "101")].phone == "13800000000"   # not in the file: kept as it was


def test_an_owner_of_two_units_is_kept_by_owner_key(district):
    rows = roster_rows(floors=1)
    rows[0][7] = rows[5][7] = "王建国"
    import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
    owned = db.session.scalars(select(Household).where(Household.owner_key == "王建国")).all()
    assert len(owned) == 2 and owned[0].unit_id != owned[1].unit_id
    owners = db.session.scalar(select(func.count(func.distinct(Household.owner_key))))
    assert owners == len(rows) - 1


def test_id_tail_is_stored_only_as_a_keyed_hash_and_kept_when_left_empty(district):
    rows = roster_rows(floors=1)
    rows[0][8] = "12345x"
    import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
    db.session.commit()
    household = db.session.scalar(select(Household).where(Household.owner_id_tail_hash.is_not(None)))
    assert "12345" not in household.owner_id_tail_hash
    assert household.owner_id_tail_hash == id_tail_hash("NG001", "12345X")
    assert id_tail_matches(household, "NG001", "12345x") and not id_tail_matches(household, "NG001", "123456")
    rows[0][8] = None
    counts = import_roster(None, xlsx_bytes(rows), filename="r.xlsx")
    assert counts["households"]["unchanged"] == len(rows)
    assert id_tail_matches(household, "NG001", "12345X")


def test_one_owner_with_two_id_tails_is_refused(district):
    rows = roster_rows(floors=1)
    rows[0][7] = rows[3][7] = "王建国"
    rows[0][8], rows[3][8] = "123456", "654321"
    assert refused(xlsx_bytes(rows), filename="r.xlsx") == ["第5行：业主 王建国 的证件后六位与第2行不同"]


def test_organiser_imports_only_communities_they_manage(district, make_user, make_community):
    theirs = make_community("OWN01", district=district)
    foreign = make_community("FOR01", district="朝阳区")
    other_district = foreign.district
    organiser = make_user("organiser", district=district)
    db.session.commit()
    rows = roster_rows("OWN01", theirs.name, floors=1) + roster_rows("FOR01", foreign.name, floors=1)
    errors = refused(xlsx_bytes(rows), actor=organiser, filename="r.xlsx", district=district)
    assert errors[0] == "第10行：您没有权限修改小区 FOR01 的花名册" and len(errors) == 8
    counts = import_roster(organiser, xlsx_bytes(rows[:8] + roster_rows("NEW01", floors=1)), filename="r.xlsx",
                           district=district)
    assert counts["communities"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert db.session.scalar(select(Community).filter_by(code="NEW01")).district == district
    assert "您不能在“朝阳区”新增小区。" in refused(xlsx_bytes(roster_rows("NEW02", floors=1)), actor=organiser,
                                               filename="r.xlsx", district=other_district)


def test_organiser_with_listed_communities_cannot_add_new_ones(district, make_user, make_community):
    theirs = make_community("OWN01", district=district)
    organiser = make_user("organiser", communities=[theirs])
    errors = refused(xlsx_bytes(roster_rows("NEW01", floors=1)), actor=organiser, filename="r.xlsx")
    assert errors[0] == "第2行：小区 NEW01 还不在系统里，您没有新增小区的权限"
    assert db.session.scalar(select(Community).filter_by(code="NEW01")) is None


def test_the_system_names_or_creates_the_district(in_request):
    assert refused(xlsx_bytes(roster_rows(floors=1)), filename="r.xlsx") == [
        "系统里还没有区，请写明新小区所属的区。"]
    import_roster(None, xlsx_bytes(roster_rows(floors=1)), filename="r.xlsx", district="绿园区")
    community = db.session.scalar(select(Community))
    assert community.district.name == "绿园区" and community.district.locality is not None


def test_export_round_trips_through_the_importer_with_masked_or_full_phones(district):
    import_roster(None, xlsx_bytes(roster_rows()), filename="r.xlsx")
    db.session.commit()
    community = db.session.scalar(select(Community))
    for reveal in (True, False):
        data = export_roster(None, community, roster_tree(None, community), reveal_phones=reveal)
        sheet = load_workbook(io.BytesIO(data)).active
        assert tuple(cell.value for cell in sheet[1]) == HEADERS
        assert sheet.cell(row=2, column=11).value == ("13800000000" if reveal else "138****0000")
        counts = import_roster(None, data, filename="export.xlsx")
        assert counts["households"] == {"created": 0, "updated": 0, "unchanged": 24, "not_in_file": 0}
    assert db.session.scalar(select(Household.phone).filter_by(room="101").limit(1)) == "13800000000"
    masked = load_workbook(io.BytesIO(export_roster(None, community, roster_tree(None, community),
                                                    reveal_phones=False)))
    masked.active.cell(row=3, column=11).value = "139****0001"
    buffer = io.BytesIO()
    masked.save(buffer)
    assert refused(buffer.getvalue(), filename="r.xlsx") == [
        "第3行：电话 139****0001 打了星号，和系统里的号码对不上，请填写完整号码"]


def test_progress_hears_every_row_in_both_stages(district):
    heard = {"validate": 0, "write": 0}
    import_roster(None, xlsx_bytes(roster_rows(buildings=range(1, 6))), filename="r.xlsx",
                  progress=lambda stage, n: heard.__setitem__(stage, heard[stage] + n))
    assert heard == {"validate": 60, "write": 60}


@pytest.mark.slow
def test_five_thousand_rows_import_and_reimport(district, capsys):
    rows = roster_rows(buildings=range(1, 26), units=(1, 2, 3, 4), floors=25, per_floor=2)
    assert len(rows) == 5000
    counts = import_roster(None, xlsx_bytes(rows), filename="big.xlsx")
    db.session.commit()
    assert counts["households"]["created"] == 5000 and counts["units"]["created"] == 100
    counts = import_roster(None, xlsx_bytes(rows), filename="big.xlsx")
    assert counts["households"]["unchanged"] == 5000
    assert capsys.readouterr() == ("", "")


def test_values_under_an_empty_header_are_refused(district):
    rows = [row + [None, "备注"] for row in roster_rows(floors=1)]
    assert refused(xlsx_bytes(rows, headers=HEADERS + ("",)), filename="r.xlsx") == ["第14列有内容，但没有列名。"]


def test_files_over_the_row_limit_are_refused_before_any_check(district, monkeypatch):
    monkeypatch.setattr("participation.roster.files.MAX_ROWS", 5)
    assert refused(csv_bytes(roster_rows(floors=1)), filename="r.csv") == [
        "文件超过 5 行。请拆分成几个文件（例如每个小区一个），再逐个导入。"]
