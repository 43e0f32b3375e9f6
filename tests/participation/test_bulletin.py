"""The weekly bulletin (每周通报): the week's edges in Beijing time, its contents, the workbook; the pages of the
bulletin and the rates; patrol findings (who files them, that they reach the contractor and never the rates).

Week 2025-W45 runs from Mon 11-03 00:00 to Mon 11-10 00:00 Beijing time = 11-02 16:00 to 11-09 16:00 UTC.
Tickets of community W1 (contractor 甲施工, supervisor 乙监理) and W2 (contractor 丙施工), times in Beijing:

    A  施工质量  received Mon 11-03 07:00 (Sunday 23:00 UTC: new in W45 all the same)         left received
    B  噪音扰民  received Sun 11-09 23:30 (15:30 UTC): new in W45
    C  施工安全  received Mon 11-10 00:30 (Sunday 16:30 UTC): W46, not in the bulletin
    D  施工质量  received Sun 11-02 22:00 (W44); 甲施工; due Wed 11-05 12:00, answered Thu 11-06; called back
                 and closed Fri 11-07 → closed in W45, overdue in W45 (answered late)
    E  燃气管线  W2, received Tue 11-04 09:00, 丙施工, due Tue 11-04 21:00 (set by hand), never answered → overdue
So: new = A, B, E = 3 (W1: 2, W2: 1); closed = D = 1 (W1); overdue = D, E = 2 (W1: 1, W2: 1).
Quality and safety tickets received in W45: A (施工质量) and E (燃气管线) — B is noise, C is next week, D last week.
Patrol findings: one by 乙监理's account in W1 on Wed 11-05, one by W1's owner representative on Sun 11-09 23:00,
one on Mon 11-10 01:00 (W46, left out).
"""
from datetime import datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.complaints.bulletin import bulletin_xlsx, weekly_bulletin
from participation.complaints.operations import act, file_ticket
from participation.complaints.patrols import FindingRefused, record_finding
from participation.complaints.rates import complaint_rates, iso_week
from participation.extensions import db
from participation.models import AuditEvent, ComplaintCategory, Notification, Organisation, PatrolFinding
from tests.conftest import csrf_token

BJ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 20, tzinfo=timezone.utc)


def bj(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=BJ).astimezone(timezone.utc)


def category(code):
    return db.session.scalar(select(ComplaintCategory).filter_by(code=code))


@pytest.fixture
def site(make_community, make_user, reference_data):
    k, s, k2 = (Organisation(name="甲施工", kind="contractor"), Organisation(name="乙监理", kind="supervisor"),
                Organisation(name="丙施工", kind="contractor"))
    db.session.add_all([k, s, k2])
    w1 = make_community("W1", contractor=k, supervisor=s)
    w2 = make_community("W2", contractor=k2)
    users = {"desk": make_user("hotline", username="desk"), "k": make_user("agency", organisation=k, username="kk"),
             "s": make_user("agency", organisation=s, username="ss"),
             "k2": make_user("agency", organisation=k2, username="kk2"),
             "rep": make_user("owner_rep", communities=[w1], username="rep")}
    desk = users["desk"]
    quality, safety, noise, gas = (category(c) for c in ("construction_quality", "construction_safety", "noise",
                                                         "gas"))
    building = w1.buildings[0]
    file_ticket(desk, w1, category=quality, description="A 外墙脱落", building=building, now=bj(11, 3, 7))
    file_ticket(desk, w1, category=noise, description="B 夜间施工", place="3号楼前", now=bj(11, 9, 23, 30))
    file_ticket(desk, w1, category=safety, description="C 脚手架松动", now=bj(11, 10, 0, 30))
    d = file_ticket(desk, w1, category=quality, description="D 楼道墙皮", now=bj(11, 2, 22))
    d.due_at = bj(11, 5, 12)
    act(desk, d, "dispatch", agency=k, now=bj(11, 2, 22))
    act(users["k"], d, "sign", now=bj(11, 3, 9))
    act(users["k"], d, "reply", note="已修补", now=bj(11, 6, 10))
    act(desk, d, "complete", now=bj(11, 6, 11))
    act(desk, d, "callback", solved=True, satisfaction="basically_satisfied", now=bj(11, 7, 10))
    e = file_ticket(desk, w2, category=gas, description="E 燃气味", now=bj(11, 4, 9))
    e.due_at = bj(11, 4, 21)
    act(desk, e, "dispatch", agency=k2, now=bj(11, 4, 9))
    record_finding(users["s"], w1, quality, "脚手架未设防护网", building=building, now=bj(11, 5, 10))
    record_finding(users["rep"], w1, safety, "消防通道堆放材料", place="2号楼东侧", now=bj(11, 9, 23))
    record_finding(users["rep"], w1, noise, "下周的发现", now=bj(11, 10, 1))
    db.session.commit()
    return {"w1": w1, "w2": w2, "k": k, "s": s, "k2": k2, "users": users}


def test_contents_of_the_week_with_its_beijing_edges(site):
    result = weekly_bulletin("2025-W45", now=NOW)
    assert (result["first_day"].isoformat(), result["last_day"].isoformat()) == ("2025-11-03", "2025-11-09")
    assert result["totals"] == {"new": 3, "closed": 1, "overdue": 2}
    rows = {row["code"]: (row["new"], row["closed"], row["overdue"]) for row in result["by_community"]}
    assert rows == {"W1": (2, 1, 1), "W2": (1, 0, 1)}
    agencies = {row["name"]: (row["new"], row["closed"], row["overdue"]) for row in result["by_agency"]}
    assert agencies == {"甲施工": (0, 1, 1), "丙施工": (1, 0, 1), None: (2, 0, 0)}
    assert [row["description"][0] for row in result["quality_tickets"]] == ["A", "E"]
    assert [row["description"] for row in result["findings"]] == ["脚手架未设防护网", "消防通道堆放材料"]
    assert [row["source"] for row in result["findings"]] == ["supervisor", "resident_supervisor"]
    # the rates of the week: D and E due, neither answered in time; D's call-back solved, 基本满意
    total = result["rates"]["total"]
    assert (total["due"], total["answered_in_time"], total["response_rate"]) == (2, 0, 0.0)
    assert (total["callbacks"], total["resolution_rate"], total["satisfaction_rate"]) == (1, 1.0, 1.0)


def test_next_week_holds_what_fell_after_sunday_midnight(site):
    result = weekly_bulletin("2025-W46", now=NOW)
    assert result["totals"]["new"] == 1
    assert [row["description"][0] for row in result["quality_tickets"]] == ["C"]
    assert [row["description"] for row in result["findings"]] == ["下周的发现"]


def test_a_deadline_still_to_come_is_not_overdue(site):
    # Seen on Tue 11-04 20:00, E (due 21:00) is not overdue yet; D (due Wednesday) neither.
    assert weekly_bulletin("2025-W45", now=bj(11, 4, 20))["totals"]["overdue"] == 0
    assert weekly_bulletin("2025-W45", now=bj(11, 4, 22))["totals"]["overdue"] == 1


def test_scoped_to_communities_and_to_an_agency(site):
    only_w2 = weekly_bulletin("2025-W45", communities=[site["w2"].id], now=NOW)
    assert only_w2["totals"] == {"new": 1, "closed": 0, "overdue": 1} and only_w2["findings"] == []
    own = weekly_bulletin("2025-W45", agency_id=site["k"].id, now=NOW)
    assert own["totals"] == {"new": 0, "closed": 1, "overdue": 1}
    assert len(own["findings"]) == 2          # the contractor of W1 sees the findings of its works
    assert own["quality_tickets"] == []       # A is not dispatched; E is 丙施工's


def test_workbook_opens_with_its_headers(site):
    book = load_workbook(BytesIO(bulletin_xlsx(weekly_bulletin("2025-W45", now=NOW))))
    assert book.sheetnames == ["概况", "按小区", "按承办单位", "巡查发现", "质量安全工单"]
    assert "2025-W45" in book["概况"]["A1"].value
    assert [c.value for c in book["按小区"][2]][:5] == ["小区编码", "小区", "新增", "办结关闭", "超期"]
    assert book["按小区"].freeze_panes == "A3"
    assert [c.value for c in book["按小区"][3]][:5] == ["W1", "W1小区", 2, 1, 1]
    assert book["按小区"]["H3"].number_format == "0.0%"
    quality = book["质量安全工单"]
    assert quality["A2"].value == "受理编号" and quality.max_row == 4
    assert quality["H3"].value == datetime(2025, 11, 3, 7, 0)    # Beijing time, as received
    findings = book["巡查发现"]
    assert [findings.cell(row=r, column=6).value for r in (3, 4)] == ["监理巡查", "居民监督员"]
    overview = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=3, max_row=7)}
    assert overview == {"新增工单": 3, "办结关闭工单": 1, "超期工单": 2, "巡查发现": 2, "质量安全类工单": 2}


# --- patrol findings ----------------------------------------------------------------------------------------------

def test_who_files_findings_and_that_the_contractor_hears(site):
    w1, w2, users = site["w1"], site["w2"], site["users"]
    quality = category("construction_quality")
    with pytest.raises(FindingRefused):
        record_finding(users["k"], w1, quality, "施工方不能自查")           # a contractor
    with pytest.raises(FindingRefused):
        record_finding(users["s"], w2, quality, "不是乙监理的工程")           # a supervisor elsewhere
    with pytest.raises(FindingRefused):
        record_finding(users["rep"], w2, quality, "不是自己的小区")           # a representative elsewhere
    with pytest.raises(FindingRefused):
        record_finding(users["desk"], w1, quality, "热线不巡查")
    with pytest.raises(FindingRefused):
        record_finding(users["s"], w1, quality, "   ")
    with pytest.raises(FindingRefused):
        record_finding(users["s"], w1, quality, "楼号不对", building=w2.buildings[0])
    before = db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == users["k"].id))
    finding = record_finding(users["s"], w1, quality, "钢筋外露", place="1号楼屋面")
    db.session.commit()
    assert (finding.source, finding.contractor_id) == ("supervisor", site["k"].id)
    after = db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == users["k"].id))
    assert after == before + 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patrol_finding.record")
                             .order_by(AuditEvent.id.desc())).object_id == str(finding.id)


def test_findings_never_count_in_the_rates(site):
    week = iso_week("2025-W45")
    before = complaint_rates(week.start, week.end, by="community")
    for n in range(5):
        record_finding(site["users"]["s"], site["w1"], category("construction_quality"), f"发现{n}",
                       now=bj(11, 6, 10))
    db.session.commit()
    assert complaint_rates(week.start, week.end, by="community") == before


# --- the pages ----------------------------------------------------------------------------------------------------

def test_bulletin_page_and_workbook(site, client, auth):
    auth.login("desk")
    page = client.get("/bulletin?week=2025-W45")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="total-new">3<' in html and 'data-code="W1"' in html and "2025-11-03" in html
    assert "脚手架未设防护网" in html and "E 燃气味" in html
    download = client.get("/bulletin.xlsx?week=2025-W45")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(BytesIO(download.data))["按小区"]["A3"].value == "W1"
    bad = client.get("/bulletin?week=next-friday")
    assert bad.status_code == 200 and 'class="flash flash-error"' in bad.get_data(as_text=True)


def test_agency_sees_only_its_own_tickets(site, client, auth):
    auth.login("kk2")
    html = client.get("/bulletin?week=2025-W45").get_data(as_text=True)
    assert 'id="total-new">1<' in html and 'data-code="W1"' not in html and "脚手架未设防护网" not in html


def test_rates_page_draws_charts_from_json_blocks(site, client, auth):
    auth.login("desk")
    page = client.get("/rates?from=2025-11-03&to=2025-11-16&period=week")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-key="2025-W45"' in html and 'data-key="2025-W46"' in html
    assert 'type="application/json" id="chart-rates-period-data"' in html
    assert client.get("/rates?from=soon&period=decade").status_code == 200


def test_patrol_form_for_a_resident_supervisor(site, client, auth):
    auth.login("rep")
    page = client.get("/patrols/new")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    quality = category("construction_quality")
    empty = client.post("/patrols/new", data={"csrf_token": token, "community": "W1", "category": quality.id,
                                              "description": ""})
    assert empty.status_code == 400
    wrong_building = client.post("/patrols/new", data={"csrf_token": token, "community": "W1",
                                                       "category": quality.id, "building": "99",
                                                       "description": "屋面渗漏"})
    assert wrong_building.status_code == 400
    count = db.session.scalar(select(func.count(PatrolFinding.id)))
    done = client.post("/patrols/new", data={"csrf_token": token, "community": "W1", "category": quality.id,
                                             "building": "1", "description": "屋面渗漏"})
    assert done.status_code == 302 and done.location.endswith("/patrols")
    assert db.session.scalar(select(func.count(PatrolFinding.id))) == count + 1
    assert "屋面渗漏" in client.get("/patrols").get_data(as_text=True)
    not_mine = client.post("/patrols/new", data={"csrf_token": token, "community": "W2", "category": quality.id,
                                                 "description": "别的小区"})
    assert not_mine.status_code == 400


def test_patrol_form_for_supervisor_and_not_for_contractor(site, client, auth):
    auth.login("kk")
    assert client.get("/patrols/new").status_code == 403
    assert client.get("/patrols").status_code == 200
    auth.logout()
    auth.login("ss")
    page = client.get("/patrols/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="W1"' in html and 'value="W2"' not in html


def test_finding_with_a_photo_keeps_it(site, client, auth):
    from PIL import Image
    image = BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, "JPEG")
    image.seek(0)
    auth.login("ss")
    token = csrf_token(client.get("/patrols/new").get_data(as_text=True))
    response = client.post("/patrols/new", data={
        "csrf_token": token, "community": "W1", "category": category("construction_quality").id,
        "description": "外墙保温层空鼓", "photos": [(image, "wall.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    finding = db.session.scalar(select(PatrolFinding).filter_by(description="外墙保温层空鼓"))
    assert len(finding.photos) == 1
    bad = client.post("/patrols/new", data={
        "csrf_token": token, "community": "W1", "category": category("construction_quality").id,
        "description": "坏照片", "photos": [(BytesIO(b"MZ not a picture"), "x.jpg")]},
        content_type="multipart/form-data")
    assert bad.status_code == 400
    assert db.session.scalar(select(PatrolFinding).filter_by(description="坏照片")) is None

