"""Rectifying patrol findings (整改闭环, issue 5 point 4): the contractor marks a finding rectified with a note and
photos, the 监理 or the owner representative verifies it or sends it back; each step is history, audited and told
through the outbox; refusals change nothing; the pages answer 403/404 as the permission rules say; the weekly
bulletin shows each finding's state and counts the week's rectifications and verifications.

Community R1: contractor 甲施工 (account kk), supervisor 乙监理 (ss), owner representative rep. Community R2:
contractor 丙施工 (kk2), its own owner representative rep2. Desk staff (hotline) read every finding.
"""
from datetime import datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from participation.complaints.bulletin import bulletin_xlsx, weekly_bulletin
from participation.complaints.patrols import (MAX_NOTE, FindingForbidden, FindingRefused, finding_actions,
                                              record_finding, rectify_finding, return_finding, verify_finding)
from participation.extensions import db
from participation.models import (AuditEvent, ComplaintCategory, Notification, Organisation, PatrolFinding,
                                  PatrolFindingEvent, TicketPhoto)
from participation.uploads import upload_root
from tests.conftest import csrf_token

BJ = ZoneInfo("Asia/Shanghai")


def bj(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=BJ).astimezone(timezone.utc)


def photo(colour="green", exif=False):
    """A small JPEG (with a camera make and GPS-ish EXIF when ``exif``), as an upload."""
    image = BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"        # Make
        tags[0x8825] = {1: "N", 2: (43.0, 52.0, 0.0)}   # GPS info
        extra["exif"] = tags
    Image.new("RGB", (40, 30), colour).save(image, "JPEG", **extra)
    image.seek(0)
    return image


class Upload:
    """What the operations get from a form: a FileStorage-like object."""

    def __init__(self, data: bytes, filename="p.jpg"):
        self.stream, self.filename, self.content_length = BytesIO(data), filename, len(data)


@pytest.fixture
def site(make_community, make_user, reference_data):
    k, s, k2 = (Organisation(name="甲施工", kind="contractor"), Organisation(name="乙监理", kind="supervisor"),
                Organisation(name="丙施工", kind="contractor"))
    db.session.add_all([k, s, k2])
    r1 = make_community("R1", contractor=k, supervisor=s)
    r2 = make_community("R2", contractor=k2)
    users = {"kk": make_user("agency", organisation=k, username="kk"),
             "kk_b": make_user("agency", organisation=k, username="kk_b"),
             "ss": make_user("agency", organisation=s, username="ss"),
             "kk2": make_user("agency", organisation=k2, username="kk2"),
             "rep": make_user("owner_rep", communities=[r1], username="rep"),
             "rep2": make_user("owner_rep", communities=[r2], username="rep2"),
             "desk": make_user("hotline", username="desk"),
             "grid": make_user("grid", buildings=[r1.buildings[0]], username="grid")}
    quality = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    finding = record_finding(users["ss"], r1, quality, "脚手架未设防护网", place="1号楼北侧", now=bj(11, 3, 10))
    other = record_finding(users["rep2"], r2, quality, "R2 的发现", now=bj(11, 3, 11))
    db.session.commit()
    return {"r1": r1, "r2": r2, "k": k, "s": s, "users": users, "finding": finding, "other": other,
            "quality": quality}


def state_of(finding_id: int) -> tuple:
    """Everything a step could change, to compare before and after a refusal."""
    db.session.expire_all()
    finding = db.session.get(PatrolFinding, finding_id)
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in
                   (PatrolFindingEvent, Notification, AuditEvent, TicketPhoto))
    return (finding.state, finding.rectified_at, finding.verified_at) + counts


def notices(username_or_id, kind):
    return db.session.scalars(select(Notification.text).where(Notification.user_id == username_or_id,
                                                              Notification.kind == kind)).all()


def audits(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- the operations -----------------------------------------------------------------------------------------------

def test_the_whole_loop_with_history_outbox_and_audit(site, app):
    users, finding = site["users"], site["finding"]
    assert finding.state == "open" and finding_actions(users["kk"], finding) == ("rectify",)
    assert finding_actions(users["ss"], finding) == () and finding_actions(users["desk"], finding) == ()

    rectify_finding(users["kk"], finding, "  已加设防护网  ", photos=[Upload(photo(exif=True).getvalue())],
                    now=bj(11, 4, 9))
    db.session.commit()
    assert (finding.state, finding.rectified_at, finding.verified_at) == ("rectified", bj(11, 4, 9), None)
    event = finding.events[-1]
    assert (event.action, event.from_state, event.to_state, event.actor_id, event.note) == (
        "rectify", "open", "rectified", users["kk"].id, "已加设防护网")
    assert len(event.photo_ids) == 1 and len(finding.photos) == 1
    with Image.open(upload_root() / db.session.get(TicketPhoto, event.photo_ids[0]).path) as stored:
        assert stored.format == "JPEG" and not stored.getexif()   # re-encoded, EXIF and GPS gone
    # the filer (ss, also the supervisor's account) hears once; the contractor's own accounts do not
    assert len(notices(users["ss"].id, "patrol.step")) == 1
    assert notices(users["kk_b"].id, "patrol.step") == []
    assert audits("patrol_finding.rectify")[-1].object_id == str(finding.id)
    assert finding_actions(users["ss"], finding) == ("verify", "return")
    assert finding_actions(users["rep"], finding) == ("verify", "return")
    assert finding_actions(users["kk"], finding) == ()

    return_finding(users["rep"], finding, "防护网未覆盖顶层", now=bj(11, 5, 9))
    db.session.commit()
    assert (finding.state, finding.rectified_at, finding.verified_at) == ("open", None, None)
    assert finding.events[-1].note == "防护网未覆盖顶层"
    assert {len(notices(users[name].id, "patrol.step")) for name in ("kk", "kk_b")} == {1}
    assert len(audits("patrol_finding.return")) == 1

    rectify_finding(users["kk_b"], finding, "顶层已补设", now=bj(11, 6, 9))
    verify_finding(users["ss"], finding, now=bj(11, 6, 15))
    db.session.commit()
    assert (finding.state, finding.rectified_at, finding.verified_at) == ("verified", bj(11, 6, 9), bj(11, 6, 15))
    assert [(e.action, e.actor_id) for e in finding.events] == [
        ("rectify", users["kk"].id), ("return", users["rep"].id), ("rectify", users["kk_b"].id),
        ("verify", users["ss"].id)]
    assert len(notices(users["kk"].id, "patrol.step")) == 2   # the return, then the verification
    assert len(audits("patrol_finding.verify")) == 1
    assert finding_actions(users["kk"], finding) == () and finding_actions(users["ss"], finding) == ()


def test_every_refusal_changes_nothing(site):
    users, finding = site["users"], site["finding"]

    def refused(error, call, *args, **kwargs):
        before = state_of(finding.id)
        with pytest.raises(error):
            call(*args, **kwargs)
        assert state_of(finding.id) == before

    # an open finding: only its contractor, with a note and real photos, may mark it rectified
    refused(FindingForbidden, rectify_finding, users["kk2"], finding, "别人的工程")      # another contractor
    refused(FindingForbidden, rectify_finding, users["ss"], finding, "监理不整改")         # the supervisor
    refused(FindingForbidden, rectify_finding, users["rep"], finding, "业主代表不整改")
    refused(FindingForbidden, rectify_finding, users["desk"], finding, "热线不整改")
    refused(FindingRefused, rectify_finding, users["kk"], finding, "   ")
    refused(FindingRefused, rectify_finding, users["kk"], finding, "长" * (MAX_NOTE + 1))
    refused(FindingRefused, rectify_finding, users["kk"], finding, "照片坏了",
            photos=[Upload(photo().getvalue()), Upload(b"MZ not a picture", "x.jpg")])
    refused(FindingRefused, rectify_finding, users["kk"], finding, "照片太多",
            photos=[Upload(photo().getvalue()) for _ in range(4)])
    refused(FindingRefused, verify_finding, users["ss"], finding)                            # not rectified yet
    refused(FindingRefused, return_finding, users["ss"], finding, "还没整改")

    rectify_finding(users["kk"], finding, "已整改", now=bj(11, 4, 9))
    db.session.commit()
    refused(FindingRefused, rectify_finding, users["kk"], finding, "又整改一次")           # already rectified
    refused(FindingForbidden, verify_finding, users["kk"], finding)                          # its own work
    refused(FindingForbidden, verify_finding, users["rep2"], finding)                        # another community
    refused(FindingForbidden, verify_finding, users["desk"], finding)
    refused(FindingForbidden, return_finding, users["kk2"], finding, "不是我的")
    refused(FindingRefused, return_finding, users["rep"], finding, "  ")                     # no reason
    refused(FindingRefused, return_finding, users["rep"], finding, "长" * (MAX_NOTE + 1))

    verify_finding(users["rep"], finding)
    db.session.commit()
    refused(FindingRefused, verify_finding, users["ss"], finding)                            # already verified
    refused(FindingRefused, return_finding, users["ss"], finding, "太晚了")
    refused(FindingRefused, rectify_finding, users["kk"], finding, "再整改")


def test_a_finding_without_a_contractor_is_rectified_by_nobody(site, make_community):
    users = site["users"]
    bare = make_community("R3", supervisor=site["s"])
    finding = record_finding(users["ss"], bare, site["quality"], "无施工单位的小区")
    db.session.commit()
    assert finding.contractor_id is None and finding_actions(users["kk"], finding) == ()
    with pytest.raises(FindingForbidden):
        rectify_finding(users["kk"], finding, "不是我的")


# --- the pages ----------------------------------------------------------------------------------------------------

def token(client) -> str:
    return csrf_token(client.get("/account/password").get_data(as_text=True))


def test_the_loop_through_the_pages(site, client, auth):
    finding = site["finding"]
    auth.login("kk")
    page = client.get("/patrols").get_data(as_text=True)
    assert f'action="/patrols/{finding.id}/rectify"' in page and f'action="/patrols/{finding.id}/verify"' not in page
    done = client.post(f"/patrols/{finding.id}/rectify", content_type="multipart/form-data", data={
        "csrf_token": token(client), "note": "已加设防护网", "photos": [(photo(), "after.jpg")]})
    assert done.status_code == 302 and done.location.endswith(f"/patrols#finding-{finding.id}")
    assert state_of(finding.id)[0] == "rectified"
    html = client.get("/patrols").get_data(as_text=True)
    assert "已加设防护网" in html and "照片1张" in html and 'data-state="rectified"' in html
    assert f'action="/patrols/{finding.id}/rectify"' not in html
    auth.logout()

    auth.login("ss")
    page = client.get("/patrols").get_data(as_text=True)
    assert f'action="/patrols/{finding.id}/verify"' in page and f'action="/patrols/{finding.id}/return"' in page
    back = client.post(f"/patrols/{finding.id}/return", data={"csrf_token": token(client), "reason": "顶层未覆盖"})
    assert back.status_code == 302 and state_of(finding.id)[:2] == ("open", None)
    auth.logout()

    auth.login("kk")
    assert client.post(f"/patrols/{finding.id}/rectify",
                       data={"csrf_token": token(client), "note": "顶层已补设"}).status_code == 302
    auth.logout()
    auth.login("rep")
    assert client.post(f"/patrols/{finding.id}/verify", data={"csrf_token": token(client)}).status_code == 302
    assert state_of(finding.id)[0] == "verified"
    assert 'data-state="verified"' in client.get("/patrols").get_data(as_text=True)


def test_refused_steps_on_the_pages_answer_400_and_change_nothing(site, client, auth):
    finding = site["finding"]
    auth.login("kk")
    for data in ({"note": "  "}, {"note": "照片坏了", "photos": [(BytesIO(b"MZ not a picture"), "x.jpg")]}):
        before = state_of(finding.id)
        response = client.post(f"/patrols/{finding.id}/rectify", content_type="multipart/form-data",
                               data={"csrf_token": token(client), **data})
        assert response.status_code == 400 and f'id="error-{finding.id}"' in response.get_data(as_text=True)
        assert state_of(finding.id) == before
    kept = client.post(f"/patrols/{finding.id}/rectify", data={"csrf_token": token(client), "note": "长" * 1001})
    assert kept.status_code == 400 and "长" * 1001 in kept.get_data(as_text=True)   # the text typed is kept
    auth.logout()
    auth.login("ss")
    before = state_of(finding.id)
    assert client.post(f"/patrols/{finding.id}/verify", data={"csrf_token": token(client)}).status_code == 400
    assert client.post(f"/patrols/{finding.id}/verify", data={}).status_code == 400        # no CSRF token
    assert state_of(finding.id) == before


@pytest.mark.parametrize("who, step, expected", [
    ("desk", "rectify", 403), ("desk", "verify", 403), ("desk", "return", 403),    # reads, may not act
    ("ss", "rectify", 403), ("rep", "rectify", 403), ("kk", "verify", 403), ("kk", "return", 403),
    ("grid", "rectify", 403),                                                      # reads no findings at all
    ("kk2", "rectify", 404), ("kk2", "verify", 404), ("rep2", "verify", 404),     # not their works/community
    ("rep2", "rectify", 404),
])
def test_403_and_404(site, client, auth, who, step, expected):
    finding = site["finding"]
    auth.login(who)
    before = state_of(finding.id)
    response = client.post(f"/patrols/{finding.id}/{step}", data={"csrf_token": token(client), "note": "x",
                                                                  "reason": "x"})
    assert response.status_code == expected
    assert state_of(finding.id) == before


def test_no_such_finding_and_no_sign_in(site, client, auth):
    anonymous = client.post(f"/patrols/{site['finding'].id}/rectify",
                            data={"csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    auth.login("kk")
    assert client.post("/patrols/999999/rectify", data={"csrf_token": token(client), "note": "x"}).status_code == 404


# --- the weekly bulletin ------------------------------------------------------------------------------------------

def test_the_bulletin_shows_states_and_counts_the_weeks_steps(site, client, auth):
    users, finding, r1 = site["users"], site["finding"], site["r1"]
    # found in W45 (Mon 11-03); rectified Tue, returned Wed, rectified again Thu (W45), verified Mon 11-10 (W46)
    rectify_finding(users["kk"], finding, "第一次", now=bj(11, 4, 9))
    return_finding(users["ss"], finding, "不合格", now=bj(11, 5, 9))
    rectify_finding(users["kk"], finding, "第二次", now=bj(11, 6, 9))
    second = record_finding(users["rep"], r1, site["quality"], "W44 的发现", now=bj(10, 30, 10))
    rectify_finding(users["kk"], second, "整改了上周的", now=bj(11, 7, 9))
    verify_finding(users["rep"], second, now=bj(11, 8, 9))
    verify_finding(users["ss"], finding, now=bj(11, 10, 9))
    db.session.commit()
    now = bj(11, 20, 0)

    w45 = weekly_bulletin("2025-W45", now=now)
    assert [(row["description"], row["state"]) for row in w45["findings"]] == [
        ("脚手架未设防护网", "verified"), ("R2 的发现", "open")]
    assert (w45["findings_rectified"], w45["findings_verified"]) == (2, 1)   # the first counted once; W44's too
    w46 = weekly_bulletin("2025-W46", now=now)
    assert (w46["findings_rectified"], w46["findings_verified"]) == (0, 1)
    assert weekly_bulletin("2025-W44", now=now)["findings"][0]["state"] == "verified"
    only_r2 = weekly_bulletin("2025-W45", communities=[site["r2"].id], now=now)
    assert (only_r2["findings_rectified"], only_r2["findings_verified"]) == (0, 0)
    other = weekly_bulletin("2025-W45", agency_id=site["k"].id, now=now)
    assert (other["findings_rectified"], len(other["findings"])) == (2, 1)

    book = load_workbook(BytesIO(bulletin_xlsx(w45)))
    sheet = book["巡查发现"]
    assert sheet["K2"].value == "整改状态" and sheet["L2"].value == "核验时间"
    assert [sheet.cell(row=r, column=11).value for r in (3, 4)] == ["已核验", "未整改"]
    assert sheet["L3"].value == datetime(2025, 11, 10, 9, 0)
    overview = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=3, max_row=9)}
    assert (overview["本周整改巡查发现"], overview["本周核验巡查发现"]) == (2, 1)

    auth.login("desk")
    html = client.get("/bulletin?week=2025-W45").get_data(as_text=True)
    assert 'id="total-findings-rectified">2<' in html and 'id="total-findings-verified">1<' in html
    assert 'data-state="verified"' in html and 'data-state="open"' in html
