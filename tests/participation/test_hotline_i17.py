"""The hotline pages people use (issue 17, points 8, 9 and 11): the queue's time left in words (frozen clocks, the
working-day clock too), urgent tickets first within their due band and the description's first line; the ticket's
action forms with nothing chosen beforehand (派单 without an agency refused in Chinese), 标为重复 and 不予受理 opened on
demand; the agency's reply with up to three photos of the fix (EXIF removed; too many, the wrong type or too big
refused with nothing stored), shown on the ticket page and to the resident; display names, never login names, in
the ticket's history; 单元 on the desk's search."""
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from participation.complaints import photos as complaint_photos, views as hotline_views
from participation.complaints.deadlines import time_left, time_left_words, working_days_left
from participation.complaints.operations import act
from participation.extensions import db
from participation.models import Ticket, TicketEvent, TicketPhoto
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from tests.conftest import csrf_token
from tests.participation.test_complaints_resident import GPS_IFD, jpeg_with_gps, png_bytes
from tests.participation.test_entry_views import accept_notice, enter
from tests.participation.test_hotline import new_ticket, receipts_in, sign_in, site  # noqa: F401 (the fixture)

UTC = timezone.utc


# --- the time left, in words ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("due, now, words", [
    (datetime(2026, 12, 7, 11, 58, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "剩余 1小时58分"),
    (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, 30, tzinfo=UTC), "已超时 3小时"),
    (datetime(2026, 12, 7, 10, 20, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "剩余 20分钟"),
    (datetime(2026, 12, 9, 14, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "剩余 2天4小时"),
    (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "已超时 2天"),
])
def test_time_left_in_words(app, due, now, words):
    with app.test_request_context():
        assert time_left_words(time_left(due, now)) == words


def test_the_working_day_clock_counts_working_days(app, reference_data):
    # Friday 2026-12-11 10:00 Beijing; due at the end of Wednesday 12-16: Mon, Tue, Wed are left (not the weekend)
    now = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
    due = datetime(2026, 12, 16, 16, 0, tzinfo=UTC)          # Beijing midnight between Wednesday and Thursday
    assert working_days_left(now, due) == 3
    with app.test_request_context():
        assert time_left_words(time_left(due, now, working_days=True)) == "剩余 3个工作日"
        # under a day left, or overdue, the clock's hours and minutes are what matters
        assert time_left_words(time_left(due, due - timedelta(hours=5), working_days=True)) == "剩余 5小时"
        assert time_left_words(time_left(due, due + timedelta(hours=1), working_days=True)) == "已超时 1小时"


# --- the queue --------------------------------------------------------------------------------------------------------

def _due(ticket, delta):
    ticket.due_at = utcnow() + delta
    db.session.commit()


def test_the_queue_puts_urgent_tickets_first_within_their_due_band_with_words(client, site):
    late, late_urgent = new_ticket(site), new_ticket(site, urgency="urgent")
    soon, soon_emergency = new_ticket(site, description="灯不亮\n第二行不显示"), new_ticket(site, urgency="emergency")
    later, later_urgent = new_ticket(site), new_ticket(site, urgency="urgent")
    for ticket, delta in ((late, -timedelta(hours=5)), (late_urgent, -timedelta(hours=2)),
                          (soon, timedelta(hours=3)), (soon_emergency, timedelta(hours=5)),
                          (later, timedelta(days=3)), (later_urgent, timedelta(days=4))):
        _due(ticket, delta)
    sign_in(client, "desk")
    page = client.get("/hotline").text
    assert receipts_in(page) == [late_urgent.receipt, late.receipt, soon_emergency.receipt, soon.receipt,
                                 later_urgent.receipt, later.receipt]
    assert "已超时" in page and "剩余" in page                    # the time left in words, not colour alone
    assert "较急" in page and "紧急" in page                        # urgency in words
    assert "灯不亮" in page and "第二行不显示" not in page         # the description's first line only
    assert "参建单位" in page                                       # the desk sees whose ticket it is


def test_an_agency_queue_has_no_agency_column(client, site):
    mine = new_ticket(site)
    act(site["users"]["hotline"], mine, "dispatch", agency=site["contractor"])
    db.session.commit()
    sign_in(client, "builder")
    page = client.get("/hotline").text
    assert receipts_in(page) == [mine.receipt]
    assert 'class="q-agency"' not in page


# --- the ticket's action forms ----------------------------------------------------------------------------------------

def test_dispatch_has_nothing_chosen_and_is_refused_in_chinese_without_a_choice(client, site):
    ticket = new_ticket(site)
    sign_in(client, "desk")
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    select_html = re.search(r'<select id="agency-dispatch".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="">请选择承办单位</option>', select_html)
    assert " selected" not in select_html
    # 派单 its own card with a heading; 标为重复 and 不予受理 opened on demand
    assert re.search(r'<div class="action-card primary">\s*<h3>派单</h3>', page)
    assert re.search(r'<details class="action-more" id="more-mark_duplicate">\s*<summary>标为重复</summary>', page)
    assert re.search(r'<details class="action-more" id="more-reject">\s*<summary>不予受理</summary>', page)
    response = client.post(f"/hotline/tickets/{ticket.receipt}",
                           data={"action": "dispatch", "agency": "", "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "请选择承办单位，再派单。" in response.text
    assert db.session.get(Ticket, ticket.id).state == "received"
    junk = client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"action": "dispatch", "agency": "x1", "csrf_token": csrf_token(page)})
    assert junk.status_code == 400
    refused = client.post(f"/hotline/tickets/{ticket.receipt}", data={"action": "mark_duplicate", "original": " ",
                                                                      "csrf_token": csrf_token(page)})
    assert refused.status_code == 400 and "请填写原工单的受理号。" in refused.text
    assert '<details class="action-more" id="more-mark_duplicate" open>' in refused.text
    expired = client.post(f"/hotline/tickets/{ticket.receipt}", data={"action": "dispatch", "agency": ""})
    assert expired.status_code == 400
    # the view is exempt from the global CSRF check only so the form can check it after the upload limit is set:
    # a complete dispatch without the token is still refused, and nothing moves
    forged = client.post(f"/hotline/tickets/{ticket.receipt}",
                         data={"action": "dispatch", "agency": str(site["contractor"].id)})
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "received"
    assert client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"action": "dispatch", "agency": str(site["contractor"].id),
                             "csrf_token": csrf_token(page)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "dispatched"


def test_the_extension_request_is_below_the_reply(client, site):
    ticket = new_ticket(site)
    act(site["users"]["hotline"], ticket, "dispatch", agency=site["contractor"])
    act(site["users"]["contractor"], ticket, "sign")
    db.session.commit()
    sign_in(client, "builder")
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert page.index('id="act-reply"') < page.index('id="more-request_extension"')
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page


# --- the reply's photos -----------------------------------------------------------------------------------------------

def _handling(site):
    ticket = new_ticket(site)
    act(site["users"]["hotline"], ticket, "dispatch", agency=site["contractor"])
    act(site["users"]["contractor"], ticket, "sign")
    db.session.commit()
    return ticket


def _reply(client, ticket, note="已修补完毕", photos=()):
    page = client.get(f"/hotline/tickets/{ticket.receipt}")
    fields = MultiDict([("action", "reply"), ("note", note), ("csrf_token", csrf_token(page.text))])
    for data, name, kind in photos:
        fields.add("photos", FileStorage(io.BytesIO(data), filename=name, content_type=kind))
    boundary, body = encode_multipart(fields)
    return client.post(f"/hotline/tickets/{ticket.receipt}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def status(client, url: str) -> int:
    """The status of a GET whose body (a file) is closed at once."""
    with client.get(url) as response:
        return response.status_code


def _stored() -> set[Path]:
    root = Path(current_app.config["UPLOAD_FOLDER"]) / "complaints"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_the_agencys_reply_carries_photos_without_exif_shown_to_the_desk_and_the_resident(app, client, site):
    ticket = _handling(site)
    sign_in(client, "builder")
    response = _reply(client, ticket, photos=[(jpeg_with_gps(), "fix.jpg", "image/jpeg"),
                                              (png_bytes(), "fix.png", "image/png")])
    assert response.status_code == 302
    db.session.expire_all()
    reply = db.session.scalar(select(TicketEvent).filter_by(ticket_id=ticket.id, action="reply"))
    rows = db.session.scalars(select(TicketPhoto).filter_by(ticket_id=ticket.id)).all()
    assert [row.event_id for row in rows] == [reply.id, reply.id]
    assert db.session.get(Ticket, ticket.id).state == "replied"
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    assert page.count(f"/hotline/tickets/{ticket.receipt}/photos/") == 4      # two links, two thumbnails
    with client.get(f"/hotline/tickets/{ticket.receipt}/photos/1") as served:
        assert served.status_code == 200 and served.headers["Cache-Control"] == "private, no-store"
        with Image.open(io.BytesIO(served.data)) as image:
            assert not image.getexif().get_ifd(GPS_IFD) and 0x010F not in image.getexif()
    assert status(client, f"/hotline/tickets/{ticket.receipt}/photos/3") == 404
    assert status(client, f"/hotline/tickets/{ticket.receipt}/photos/2?size=thumb") == 200
    sign_in(client, "stranger")   # another agency's people
    assert status(client, f"/hotline/tickets/{ticket.receipt}/photos/1") == 404
    sign_in(client, "desk")
    assert status(client, f"/hotline/tickets/{ticket.receipt}/photos/1") == 200
    # the resident who filed it sees the photos with the reply, and the agency by its name
    home = ticket.household
    code = issue_code(None, home)
    db.session.commit()
    resident = app.test_client()
    assert enter(resident, site["community"].code, code).status_code == 302
    assert accept_notice(resident).status_code == 302
    mine = resident.get(f"/complaints/{ticket.receipt}").text
    assert mine.count(f"/complaints/{ticket.receipt}/photos/") == 4
    assert "整改照片 1" in mine and "长春建工" in mine
    assert status(resident, f"/complaints/{ticket.receipt}/photos/2") == 200
    assert status(resident, f"/hotline/tickets/{ticket.receipt}/photos/2") in (302, 403, 404)   # not the staff's


@pytest.mark.parametrize("bad", ["too_many", "wrong_type", "too_big"])
def test_bad_reply_photos_are_refused_in_chinese_with_nothing_stored(client, site, monkeypatch, bad):
    ticket = _handling(site)
    photos = {"too_many": [(png_bytes(), f"{n}.png", "image/png") for n in range(4)],
              "wrong_type": [(b"%PDF-1.4 not a picture", "fix.jpg", "image/jpeg")],
              "too_big": [(png_bytes(), "fix.png", "image/png")]}[bad]
    if bad == "too_big":
        monkeypatch.setattr(complaint_photos, "MAX_PHOTO_BYTES", 200)
    before = _stored()
    sign_in(client, "builder")
    response = _reply(client, ticket, photos=photos)
    assert response.status_code == 400
    words = {"too_many": "最多只能上传 3 张", "wrong_type": "不是照片", "too_big": "照片太大"}[bad]
    message = re.search(r'<p class="error" role="alert" id="error-reply">(.*?)</p>', response.text, re.S).group(1)
    assert words in message and not re.search(r"[A-Za-z]{5,}", message), message   # JPEG, WebP are names
    assert "已修补完毕" in response.text                               # the reply's words are kept
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "handling"
    assert db.session.scalar(select(func.count()).select_from(TicketPhoto)) == 0
    assert _stored() == before


def test_a_reply_body_over_the_limit_is_refused_with_words(client, site, monkeypatch):
    ticket = _handling(site)
    monkeypatch.setattr(hotline_views, "MAX_REQUEST_BYTES", 2000)
    sign_in(client, "builder")
    response = _reply(client, ticket, photos=[(jpeg_with_gps(), "fix.jpg", "image/jpeg")])
    assert response.status_code == 413 and "照片太大" in response.text
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "handling"


def test_a_reply_without_words_stores_no_photo(client, site):
    ticket = _handling(site)
    sign_in(client, "builder")
    before = _stored()
    response = _reply(client, ticket, note="", photos=[(png_bytes(), "fix.png", "image/png")])
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(TicketPhoto)) == 0 and _stored() == before


# --- names in the history, 单元 on the search -------------------------------------------------------------------------

def test_history_names_people_by_display_name_and_agencies_by_organisation(app, client, site):
    users = site["users"]
    users["hotline"].display_name = "热线·小王"
    users["contractor"].display_name = "施工·老李"
    ticket = _handling(site)
    sign_in(client, "desk")
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    timeline = page[page.index('<ol class="timeline">'):]
    assert "热线·小王" in timeline and "长春建工" in timeline
    for login in ("desk", "builder"):
        assert f"· {login}" not in timeline and f">{login}<" not in timeline
    code = issue_code(None, ticket.household)
    db.session.commit()
    resident = app.test_client()
    enter(resident, site["community"].code, code)
    accept_notice(resident)
    mine = resident.get(f"/complaints/{ticket.receipt}").text
    assert "长春建工" in mine
    for hidden in ("desk", "builder", "热线·小王", "施工·老李"):
        assert hidden not in mine


def test_the_desk_search_says_unit_as_a_stairwell(client, site):
    sign_in(client, "desk")
    page = client.get("/hotline/new").text
    assert re.search(r'<label for="unit">单元</label>', page)
