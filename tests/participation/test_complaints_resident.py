"""The resident's complaints on a phone: filing with photos (cleaned of EXIF/GPS, with thumbnails), bad uploads
refused with nothing stored, the household's list and status page (public timeline only), another household 404,
and staff in assisted mode filing on the household's behalf."""
import io
from pathlib import Path

import pytest
from flask import current_app, has_request_context
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from participation.accounts.operations import create_user
from participation.complaints.operations import act
from participation.extensions import db
from participation.models import (AuditEvent, ComplaintCategory, Notification, Organisation, Ticket, TicketEvent,
                                  TicketPhoto)
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from tests.conftest import PASSWORD, csrf_token
from tests.participation.test_entry_views import accept_notice, enter

GPS_IFD = 0x8825


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    db.session.add(contractor)
    community = make_community("CP001", contractor=contractor)
    home, neighbour = community.buildings[0].units[0].households[0], community.buildings[0].units[0].households[1]
    codes = {"home": issue_code(None, home), "neighbour": issue_code(None, neighbour)}
    users = {"hotline": make_user("hotline"), "agency": make_user("agency", organisation=contractor)}
    db.session.commit()
    return community, home, neighbour, codes, users, contractor


def resident(app, site, who="home"):
    community, *_rest = site
    client = app.test_client()
    assert enter(client, community.code, site[3][who]).status_code == 302
    assert accept_notice(client).status_code == 302
    return client


def jpeg_with_gps(size=(800, 600)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestPhoneMaker"
    exif[0x0110] = "TestPhone X"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (43.0, 52.0, 59.0)
    gps[3], gps[4] = "E", (125.0, 19.0, 1.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:   # the source really carries a GPS position
        assert check.getexif().get_ifd(GPS_IFD).get(2) is not None
    return data


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (500, 400), (0, 0, 255, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


def category_id(name_code="construction_quality") -> int:
    return db.session.scalar(select(ComplaintCategory.id).filter_by(code=name_code))


def form(client, **overrides):
    page = client.get("/complaints/new")
    assert page.status_code == 200
    data = {"category": str(category_id()), "where": "home", "place": "", "urgency": "urgent",
            "description": "楼道墙皮脱落，砸到楼梯上", "csrf_token": csrf_token(page.text)}
    data.update(overrides)
    return data


def photo(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return FileStorage(io.BytesIO(data), filename=name, content_type=content_type)


def post(client, data: dict):
    """POST the form as multipart, encoded in memory: the test client would spool a large body to a temporary file
    that it never closes when the app refuses to read it."""
    fields = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            fields.add(key, item)
    boundary, body = encode_multipart(fields)
    return client.post("/complaints/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored_files() -> set[Path]:
    root = Path(current_app.config["UPLOAD_FOLDER"]) / "complaints"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts() -> tuple:
    return (db.session.scalar(select(func.count()).select_from(Ticket)),
            db.session.scalar(select(func.count()).select_from(TicketPhoto)),
            db.session.scalar(select(func.count()).select_from(Notification)))


# --- filing -------------------------------------------------------------------------------------------------------

def test_the_form_offers_the_localitys_categories_in_order_and_accepts_photos(app, site):
    client = resident(app, site)
    page = client.get("/complaints/new").text
    categories = db.session.scalars(select(ComplaintCategory).order_by(ComplaintCategory.position)).all()
    positions = [page.index(f'value="{c.id}"') for c in categories]
    assert positions == sorted(positions) and len(positions) >= 2
    assert 'enctype="multipart/form-data"' in page and 'accept="image/*"' in page and "multiple" in page
    assert site[1].address in page
    assert "<script>" not in page and "style=" not in page


def test_filing_with_photos_strips_exif_and_gps_and_leaves_receipt_timeline_and_outbox(app, site):
    community, home, *_ = site
    client = resident(app, site)
    source = jpeg_with_gps()
    response = post(client, form(client, photos=[photo(source), photo(png_bytes(), "p.png", "image/png")]))
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert response.location.endswith(f"/complaints/{ticket.receipt}?new=1")
    assert (ticket.household_id, ticket.channel, ticket.urgency, ticket.created_by_id) == (home.id, "web", "urgent",
                                                                                          None)
    assert ticket.unit_id == home.unit_id and ticket.place is None
    photos = db.session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)).all()
    assert len(photos) == 2
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for row in photos:
        for relative in (row.path, row.thumbnail_path):
            raw = (root / relative).read_bytes()
            assert b"TestPhoneMaker" not in raw and b"Exif" not in raw
            with Image.open(root / relative) as stored:
                assert stored.format == "JPEG"
                assert len(stored.getexif()) == 0 and not stored.getexif().get_ifd(GPS_IFD)
        with Image.open(root / row.thumbnail_path) as thumb, Image.open(root / row.path) as full:
            assert max(thumb.size) <= 320 < max(full.size)
    outbox = db.session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)).all()
    assert [(n.household_id, n.kind) for n in outbox] == [(home.id, "ticket.received")]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "ticket.photos")) == 1
    page = client.get(f"/complaints/{ticket.receipt}?new=1")
    assert page.status_code == 200 and ticket.receipt in page.text
    assert page.headers["Cache-Control"] == "no-store"
    for number in (1, 2):
        with client.get(f"/complaints/{ticket.receipt}/photos/{number}") as full, \
                client.get(f"/complaints/{ticket.receipt}/photos/{number}?size=thumb") as thumb:
            assert full.status_code == thumb.status_code == 200 and full.mimetype == "image/jpeg"
            assert full.data != thumb.data and "no-store" in full.headers["Cache-Control"]
    assert client.get(f"/complaints/{ticket.receipt}/photos/3").status_code == 404
    listing = client.get("/complaints")
    assert listing.status_code == 200 and ticket.receipt in listing.text


def test_a_common_area_needs_its_name_and_is_kept(app, site):
    client = resident(app, site)
    assert post(client, form(client, where="common")).status_code == 400
    assert counts()[0] == 0
    response = post(client, form(client, where="common", place="3号楼门口"))
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.place == "3号楼门口"
    # the reporter stays on the ticket, but a common area is not their building or 单元
    assert ticket.household_id is not None and ticket.building_id is None and ticket.unit_id is None
    response = post(client, form(client, where="home"))
    assert response.status_code == 302
    own = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    assert own.place is None and own.unit_id == own.household.unit_id


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 2000 + b"This program cannot be run"


@pytest.mark.parametrize("bad", ["executable", "truncated", "too_large", "four_photos", "long_description"])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(app, site, bad):
    client = resident(app, site)
    good = jpeg_with_gps()
    uploads = {
        "executable": [photo(good), photo(EXECUTABLE, "virus.jpg")],
        "truncated": [photo(good), photo(good[: len(good) // 2], "cut.jpg")],
        # Over the 10 MB a photo may have, within what one request of three photos may carry.
        "too_large": [photo(good), photo(b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024), "big.jpg")],
        "four_photos": [photo(good) for _ in range(4)],
        "long_description": [photo(good)],
    }[bad]
    before, files_before = counts(), stored_files()
    data = form(client, photos=uploads)
    if bad == "long_description":
        data["description"] = "墙" * 4001
    response = post(client, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.text or 'class="error"' in response.text
    kept = "墙" * 200 if bad == "long_description" else "楼道墙皮脱落"
    assert kept in response.text   # what the resident wrote is kept for the next try
    assert counts() == before and stored_files() == files_before


def test_a_50_mb_file_is_refused_before_it_is_read_and_nothing_is_stored(app, site):
    client = resident(app, site)
    before, files_before = counts(), stored_files()
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    response = post(client, form(client, photos=[photo(huge, "huge.jpg")]))
    assert response.status_code == 413
    assert 'id="complaint-message"' in response.text and "10 MB" in response.text
    assert counts() == before and stored_files() == files_before


def test_photos_stored_for_a_request_whose_commit_fails_are_discarded(app, site, monkeypatch):
    """The request commits after the view returned (participation/handlers.py): if that commit fails, the photos the
    view stored are removed with the rolled-back ticket, and the next complaint's are kept."""
    client = resident(app, site)
    data = form(client, photos=[photo(jpeg_with_gps())])
    files_before = stored_files()

    commit = db.session.commit

    def failing_in_the_request():   # the test client's own commit of the test's session still goes through
        if has_request_context():
            raise RuntimeError("the database went away")
        commit()

    monkeypatch.setattr(db.session, "commit", failing_in_the_request)
    try:
        response = post(client, data)
    except RuntimeError:   # propagated by the test client
        response = None
    assert response is None or response.status_code == 500
    monkeypatch.undo()
    assert counts()[:2] == (0, 0) and stored_files() == files_before
    assert post(client, form(client, photos=[photo(jpeg_with_gps())])).status_code == 302
    assert len(stored_files()) == len(files_before) + 2   # the photo and its thumbnail


def test_a_form_without_its_token_is_refused(app, site):
    client = resident(app, site)
    data = form(client)
    data.pop("csrf_token")
    assert post(client, data).status_code == 400
    assert counts()[0] == 0


# --- the household's pages ----------------------------------------------------------------------------------------

def filed(app, site) -> tuple:
    client = resident(app, site)
    response = post(client, form(client, photos=[photo(jpeg_with_gps())]))
    assert response.status_code == 302
    return client, db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))


def test_the_status_page_shows_public_steps_only_and_no_staff_names(app, site):
    community, home, neighbour, codes, users, contractor = site
    client, ticket = filed(app, site)
    act(users["hotline"], ticket, "dispatch", agency=contractor)
    act(users["agency"], ticket, "sign")
    act(users["agency"], ticket, "reply", note="已重新抹灰，请查看")
    db.session.add(TicketEvent(ticket=ticket, action="internal_note", from_state="replied", to_state="replied",
                               actor=users["hotline"], note="内部备注：勿告诉住户", public=False, at=utcnow()))
    db.session.commit()
    page = client.get(f"/complaints/{ticket.receipt}").text
    assert page.count("data-action=") == 4
    for action in ("receive", "dispatch", "sign", "reply"):
        assert f'data-action="{action}"' in page
    assert "internal_note" not in page and "内部备注" not in page
    assert "已重新抹灰，请查看" in page and contractor.name in page
    assert 'data-state="replied"' in page
    for user in users.values():
        assert user.display_name not in page and user.username not in page


def test_another_household_gets_404_for_the_ticket_and_its_photos(app, site):
    _client, ticket = filed(app, site)
    neighbour = resident(app, site, "neighbour")
    assert neighbour.get(f"/complaints/{ticket.receipt}").status_code == 404
    assert neighbour.get(f"/complaints/{ticket.receipt}/photos/1").status_code == 404
    assert neighbour.get("/complaints/CNOTATHING").status_code == 404
    listing = neighbour.get("/complaints")
    assert listing.status_code == 200 and ticket.receipt not in listing.text
    assert site[1].address not in listing.text


def test_the_list_is_newest_first(app, site):
    client = resident(app, site)
    receipts = []
    for text in ("第一件事", "第二件事"):
        assert post(client, form(client, description=text)).status_code == 302
        receipts.append(db.session.scalar(select(Ticket.receipt).where(Ticket.description == text)))
    page = client.get("/complaints").text
    assert page.index(receipts[1]) < page.index(receipts[0])


def test_the_home_page_links_to_the_complaints(app, site):
    client = resident(app, site)
    page = client.get("/home").text
    assert 'href="/complaints/new"' in page and 'href="/complaints"' in page


# --- staff ------------------------------------------------------------------------------------------------------------

def test_staff_acting_for_nobody_go_home_and_staff_assisting_file_for_the_household(app, site):
    community, home, *_ = site
    client = app.test_client()
    grid = create_user(None, username="cp_grid", password=PASSWORD, role="grid", buildings=[community.buildings[0]])
    db.session.commit()
    page = client.get("/login")
    client.post("/login", data={"username": "cp_grid", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    away = client.get("/complaints/new")
    assert away.status_code == 302 and away.location.endswith("/")
    url = f"/assist/households/{home.id}"
    started = client.post(url, data={"channel": "phone", "csrf_token": csrf_token(client.get(url).text)})
    assert started.status_code == 302
    if home.notice_accepted_at is None:
        notice = client.get("/home/notice")
        assert client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice.text)}
                           ).status_code == 302
    response = post(client, form(client, description="电话代填：楼道灯不亮"))
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.household_id, ticket.channel, ticket.created_by_id) == (home.id, "community_hotline", grid.id)
