"""The roster pages through the client: who may see what (403/404), upload, template, export, community page."""
import io
import re
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Community, District, Household, Locality, Organisation
from participation.roster.communities import CommunityError, update_community
from participation.roster.files import HEADERS
from participation.roster.imports import import_roster
from tests.conftest import AuthActions, csrf_token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster_rows(code, name):
    """2 buildings × 2 units × 2 floors × 2 rooms; phones 13800000000 + serial; one ID tail."""
    rows = []
    for b in (1, 2):
        for u in (1, 2):
            for floor in (1, 2):
                for door in (1, 2):
                    serial = len(rows)
                    rows.append([code, name, str(b), str(u), f"{floor}0{door}", floor, 70.5, f"业主{serial}",
                                 "12345X" if serial == 0 else None, "联系人", f"1380000{serial:04d}", "自住"])
    return rows


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    workbook.active.append(list(headers))
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def site(app, reference_data, make_user):
    with app.test_request_context("/"):
        locality = db.session.scalar(select(Locality))
        nanguan, chaoyang = District(locality=locality, name="南关区"), District(locality=locality, name="朝阳区")
        db.session.add_all([nanguan, chaoyang])
        db.session.flush()
        import_roster(None, xlsx_bytes(roster_rows("NG001", "幸福里")), filename="r.xlsx", district=nanguan)
        import_roster(None, xlsx_bytes(roster_rows("CY001", "朝阳里")), filename="r.xlsx", district=chaoyang)
    community = db.session.scalar(select(Community).filter_by(code="NG001"))
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="吉林监理", kind="supervisor")
    db.session.add_all([contractor, supervisor, Organisation(name="供热公司", kind="pipeline")])
    community.address, community.year_built, community.quality_hotline = "南关区幸福路1号", 1992, "0431-12345678"
    community.contractor = contractor
    building_one = community.buildings[0]
    db.session.commit()
    scopes = {   # users are made when a test first signs in as them: password hashing is slow on purpose
        "admin": dict(role="admin"), "organiser": dict(role="organiser", district=nanguan),
        "outsider": dict(role="organiser", district=chaoyang),
        "owner_rep": dict(role="owner_rep", communities=[community]),
        "grid": dict(role="grid", buildings=[building_one]), "hotline": dict(role="hotline", district=nanguan),
        "agency": dict(role="agency", organisation=contractor),
    }
    made = {}

    def user(name):
        if name not in made:
            made[name] = make_user(username=name, **scopes[name])
            db.session.commit()
        return made[name]

    return SimpleNamespace(community=community, nanguan=nanguan, chaoyang=chaoyang, user=user,
                           contractor=contractor, supervisor=supervisor)


@pytest.fixture
def login(app, client, site):
    """Sign in as one of the site's users: the test's client, or a fresh one for a second user in the same test."""
    def sign_in(name, fresh=False):
        site.user(name)
        target = app.test_client() if fresh else client
        AuthActions(target).login(name)
        return target
    return sign_in


def household(building="1", unit="1", room="101", code="NG001") -> Household:
    return next(h for h in db.session.scalars(select(Household)) if (h.community.code, h.unit.building.name,
                                                                     h.unit.name, h.room) == (code, building, unit,
                                                                                              room))


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def upload(client, data: bytes, filename="名册.xlsx", **fields):
    """Post the import form as a browser would: the district select sends its first option unless told."""
    page = client.get("/roster/import").get_data(as_text=True)
    first = re.search(r'<option[^>]*value="([0-9]+)"', page)
    if first and "district" not in fields:
        fields["district"] = first.group(1)
    return client.post("/roster/import", data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), filename),
                                               **fields}, content_type="multipart/form-data")


# --- who may see what -----------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(client, site):
    response = client.get("/roster/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/roster/", "/roster/import", "/roster/template.xlsx", "/roster/NG001/export.xlsx",
                                  "/c/NG001/households", "/c/NG001/edit"])
def test_agencies_never_see_roster_pages(client, login, path):
    login("agency")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["owner_rep", "grid", "hotline"])
@pytest.mark.parametrize("path", ["/roster/import", "/roster/template.xlsx", "/c/NG001/edit"])
def test_only_organisers_and_admins_import_and_edit(client, login, role, path):
    login(role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["grid", "hotline"])
def test_bulk_export_is_not_for_grid_or_hotline_staff(client, login, role):
    login(role)
    assert client.get("/roster/NG001/export.xlsx").status_code == 403


@pytest.mark.parametrize("path", ["/c/CY001/households", "/roster/CY001/export.xlsx", "/c/CY001/edit", "/c/NOPE"])
def test_communities_outside_the_scope_are_not_found(client, login, path):
    login("organiser")
    assert client.get(path).status_code == 404


def test_the_list_shows_visible_communities_with_counts(client, login):
    login("organiser")
    html = client.get("/roster/").get_data(as_text=True)
    assert "NG001" in html and "幸福里" in html and "CY001" not in html
    assert '<td class="num">2</td><td class="num">4</td><td class="num">16</td>' in html
    html = login("admin", fresh=True).get("/roster/").get_data(as_text=True)
    assert "NG001" in html and "CY001" in html


# --- upload ---------------------------------------------------------------------------------------------------

def test_upload_needs_the_csrf_token(client, login):
    login("organiser")
    response = client.post("/roster/import", data={"file": (io.BytesIO(xlsx_bytes(roster_rows("NG002", "新"))),
                                                            "r.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(Community).filter_by(code="NG002")) is None


def test_a_good_upload_shows_the_summary_and_is_audited(site, client, login):
    login("organiser")
    rows = roster_rows("NG001", "幸福里")
    rows[0][6] = 80.25
    rows.append(["NG001", "幸福里", "3", "1", "101", 1, 50, None, None, None, None, "出租"])
    response = upload(client, xlsx_bytes(rows))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "花名册已导入" in html
    assert '<th scope="row">住户</th>\n      <td class="num">1</td>\n      <td class="num">1</td>' in html
    assert household().area == 80.25 and household(building="3").occupancy == "rented"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import",
                                                       AuditEvent.actor_id == site.user("organiser").id))
    assert event.channel == "web" and event.detail["filename"] == "名册.xlsx"
    assert "花名册已导入" not in client.get("/roster/import").get_data(as_text=True)   # shown once


def test_a_bad_upload_lists_rows_and_changes_nothing(client, login):
    login("organiser")
    rows = roster_rows("NG001", "幸福里")
    rows[0][6], rows[1][6] = 99, -1
    response = upload(client, xlsx_bytes(rows))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "没有导入任何内容" in html and "第3行：面积必须是正数" in html
    assert household().area == 70.5 and audit_count("roster.import") == 2   # the fixture's two imports only


@pytest.mark.parametrize("data, filename, message", [
    (b"%PDF-1.4", "scan.pdf", "只能导入 Excel 工作簿（.xlsx 或 .xls）或 .csv 文件。"),
    (b"not a zip at all", "r.xlsx", "无法打开这个 Excel 文件"),
    (b"", "empty.csv", "文件是空的。"),
])
def test_files_that_are_not_rosters_get_a_message(client, login, data, filename, message):
    login("organiser")
    response = upload(client, data, filename)
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)


def test_an_upload_without_a_file_asks_for_one(client, login):
    login("organiser")
    token = csrf_token(client.get("/roster/import").get_data(as_text=True))
    response = client.post("/roster/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择要导入的文件。" in response.get_data(as_text=True)


def test_new_communities_go_to_the_chosen_district_among_those_offered(site, client, login):
    login("organiser")
    form = client.get("/roster/import").get_data(as_text=True)
    assert "南关区" in form and "朝阳区" not in form
    response = upload(client, xlsx_bytes(roster_rows("CY002", "新朝阳")), district=str(site.chaoyang.id))
    assert response.status_code == 400   # not a choice this organiser has
    response = upload(login("admin", fresh=True), xlsx_bytes(roster_rows("CY002", "新朝阳")),
                      district=str(site.chaoyang.id))
    assert response.status_code == 302
    assert db.session.scalar(select(Community).filter_by(code="CY002")).district_id == site.chaoyang.id


def test_an_organiser_cannot_import_into_another_district_community(site, client, login):
    login("organiser")
    response = upload(client, xlsx_bytes(roster_rows("CY001", "朝阳里")), district=str(site.nanguan.id))
    assert response.status_code == 422
    assert "第2行：您没有权限修改小区 CY001 的花名册" in response.get_data(as_text=True)


# --- template and export ------------------------------------------------------------------------------------

def test_template_opens_with_the_headers_notes_and_occupancy_choices(client, login):
    login("organiser")
    response = client.get("/roster/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert tuple(cell.value for cell in sheet[1]) == HEADERS
    assert sheet.cell(row=2, column=1).value and sheet.max_row == 2
    assert workbook.sheetnames[1] == "说明"
    notes = {row[0]: row[2] for row in workbook["说明"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert set(HEADERS) <= set(notes) and "平方米" in notes["面积"]
    validations = sheet.data_validations.dataValidation
    assert any(v.formula1 == '"自住,出租,空置"' and "L2" in str(v.sqref) for v in validations)


def test_export_reveals_phones_to_organisers_and_audits_it(site, client, login):
    login("organiser")
    response = client.get("/roster/NG001/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 17 and sheet.cell(row=2, column=11).value == "13800000000"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.export"))
    assert event.actor_id == site.user("organiser").id and event.detail["phones_revealed"] is True
    assert upload(client, response.data, "export.xlsx").status_code == 302     # the export imports back …
    summary = client.get("/roster/import").get_data(as_text=True)
    assert '<th scope="row">住户</th>\n      <td class="num">0</td>\n      <td class="num">0</td>\n' \
           '      <td class="num">16</td>' in summary                         # … with nothing changed


def test_export_masks_phones_for_owner_representatives(client, login):
    login("owner_rep")
    response = client.get("/roster/NG001/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=2, column=11).value == "138****0000"
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "roster.export"))[
        "phones_revealed"] is False


# --- community page and phone reveal ----------------------------------------------------------------------------

def test_community_page_shows_facts_and_masked_phones(client, login):
    login("owner_rep")
    html = client.get("/c/NG001/households").get_data(as_text=True)
    for text in ("南关区幸福路1号", "1992", "储备", "0431-12345678", "长春建工", "138****0000", "已存证件后六位"):
        assert text in html
    assert "13800000000" not in html and "显示号码" not in html


def test_show_phone_reveals_once_and_audits(site, client, login):
    login("organiser")
    page = client.get("/c/NG001/households").get_data(as_text=True)
    assert "13800000000" not in page and "显示号码" in page
    target = household()
    response = client.post("/c/NG001/phone", data={"csrf_token": csrf_token(page), "household_id": target.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#h{target.id}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.phone_reveal"))
    assert (event.actor_id, event.object_id, event.community_id) == (site.user("organiser").id, str(target.id),
                                                                     site.community.id)
    assert "13800000000" in client.get("/c/NG001/households").get_data(as_text=True)
    assert "13800000000" not in client.get("/c/NG001/households").get_data(as_text=True)   # masked again afterwards


def test_show_phone_refusals(client, login):
    login("organiser")
    page = client.get("/c/NG001/households").get_data(as_text=True)
    token = csrf_token(page)
    assert client.post("/c/NG001/phone", data={"household_id": household().id}).status_code == 400
    other = household(code="CY001")
    assert client.post("/c/NG001/phone", data={"csrf_token": token, "household_id": other.id}).status_code == 404
    assert client.post("/c/CY001/phone", data={"csrf_token": token, "household_id": other.id}).status_code == 404
    assert client.post("/c/NG001/phone", data={"csrf_token": token, "household_id": "x"}).status_code == 404
    assert audit_count("household.phone_reveal") == 0
    owner_rep = login("owner_rep", fresh=True)
    token = csrf_token(owner_rep.get("/c/NG001/households").get_data(as_text=True))
    response = owner_rep.post("/c/NG001/phone", data={"csrf_token": token, "household_id": household().id})
    assert response.status_code == 403


def test_grid_workers_see_and_reveal_only_their_buildings(client, login):
    login("grid")
    page = client.get("/c/NG001/households").get_data(as_text=True)
    assert "1号楼" in page and "2号楼" not in page
    token = csrf_token(page)
    assert client.post("/c/NG001/phone", data={"csrf_token": token,
                                               "household_id": household(building="2").id}).status_code == 404
    assert client.post("/c/NG001/phone", data={"csrf_token": token,
                                               "household_id": household().id}).status_code == 302


# --- the community record ---------------------------------------------------------------------------------------

def test_organiser_edits_the_community_record_and_it_is_audited(site, client, login):
    login("organiser")
    form = client.get("/c/NG001/edit").get_data(as_text=True)
    assert "长春建工" in form and "吉林监理" in form and "供热公司" not in form
    response = client.post("/c/NG001/edit", data={
        "csrf_token": csrf_token(form), "name": "幸福里小区", "address": "幸福路1号", "year_built": "1990",
        "status": "planning", "quality_hotline": "0431-12345678", "supervisor_hotline": "13900001111",
        "community_hotline": "", "contractor": str(site.contractor.id), "supervisor": str(site.supervisor.id)})
    assert response.status_code == 302
    community = db.session.scalar(select(Community).filter_by(code="NG001"))
    # the stage is not part of the record: it moves only on the community page, through its gates
    assert (community.name, community.year_built, community.status) == ("幸福里小区", 1990, "reserve")
    assert community.supervisor == site.supervisor and community.community_hotline is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "community.update"))
    assert event.detail["changes"]["supervisor"] == [None, "吉林监理"]
    assert "已保存。" in client.get("/c/NG001/households").get_data(as_text=True)


def test_the_record_cannot_move_the_stage_past_its_gates(site):
    """update_community takes no ``status``: the stage moves only through lifecycle.operations.advance."""
    organiser, community = site.user("organiser"), site.community
    before = (community.name, community.status)
    with pytest.raises(CommunityError) as refused:
        update_community(organiser, community, name="幸福里小区", status="works")
    assert "status" in refused.value.message
    assert (community.name, community.status) == before and before[1] != "works"
    assert audit_count("community.update") == 0
    assert update_community(organiser, community, name="幸福里小区") == ["name"]   # the rest of the record still edits


def test_a_bad_hotline_number_is_refused_and_nothing_changes(client, login):
    login("organiser")
    form = client.get("/c/NG001/edit").get_data(as_text=True)
    response = client.post("/c/NG001/edit", data={
        "csrf_token": csrf_token(form), "name": "幸福里", "status": "reserve", "quality_hotline": "12",
        "contractor": "0", "supervisor": "0"})
    assert response.status_code == 400
    assert "请填写电话号码，例如 0431-88888888 或 13812345678。" in response.get_data(as_text=True)
    assert db.session.scalar(select(Community.quality_hotline).filter_by(code="NG001")) == "0431-12345678"
    assert audit_count("community.update") == 0
    assert client.post("/c/NG001/edit", data={"name": "x", "status": "reserve"}).status_code == 400
