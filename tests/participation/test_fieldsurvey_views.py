"""Field survey pages through HTTP: the permission matrix, the form, photo uploads and the Excel export."""
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import ExifTags, Image
from sqlalchemy import select

from participation.extensions import db
from participation.fieldsurvey.operations import record_finding
from participation.models import CatalogueItem, FieldFinding, Organisation
from participation.models.types import utcnow
from tests.conftest import csrf_token


def jpeg_bytes(size=(400, 300), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG", **save)
    return buffer.getvalue()


@pytest.fixture
def world(reference_data, make_user, make_community):
    """Communities A and B in 南关区, C in 朝阳区, of one household a building; one user of every kind, in and out
    of scope."""
    one_a_building = {"units": 1, "floors": 1, "per_floor": 1}
    a, b = make_community("FSA", **one_a_building), make_community("FSB", **one_a_building)
    c = make_community("FSC", district="朝阳区", **one_a_building)
    nanguan, chaoyang = a.district, c.district
    contractor = Organisation(name="甲建筑公司", kind="contractor")
    pipeline = Organisation(name="长春燃气管线公司", kind="pipeline")
    db.session.add_all([contractor, pipeline])
    a.contractor = contractor
    organiser = make_user("organiser", username="org-a", communities=[a])
    make_user("admin", username="admin-city")
    make_user("admin", username="admin-chaoyang", district=chaoyang)
    make_user("organiser", username="org-district", district=nanguan)
    make_user("owner_rep", username="rep-a", communities=[a])
    make_user("grid", username="grid-a", buildings=[a.buildings[0]])
    make_user("hotline", username="hotline")
    make_user("agency", username="contractor-a", organisation=contractor)
    make_user("agency", username="pipeline-a", organisation=pipeline, communities=[a])
    make_user("agency", username="pipeline-none", organisation=Organisation(name="供热公司", kind="pipeline"))
    roof = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    record_finding(organiser, a, roof, condition="needs_repair", quantity=Decimal("10"), note="漏水",
                   photo=io.BytesIO(jpeg_bytes()))
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def photo_status(client, path: str) -> int:
    response = client.get(path)
    response.close()  # a served file stays open until the response is closed
    return response.status_code


# user → expected status on A for (overview, export, photo, record form GET, record POST), then overview of B
MATRIX = [
    ("admin-city", (200, 200, 200, 200, 302), 200),
    ("admin-chaoyang", (404, 404, 404, 404, 404), 404),
    ("org-a", (200, 200, 200, 200, 302), 404),
    ("org-district", (200, 200, 200, 200, 302), 200),
    ("rep-a", (200, 200, 200, 403, 403), 404),
    ("grid-a", (200, 200, 200, 403, 403), 404),
    ("hotline", (403, 403, 403, 403, 403), 403),
    ("contractor-a", (403, 403, 403, 403, 403), 403),
    ("pipeline-a", (200, 200, 200, 200, 302), 404),
    ("pipeline-none", (404, 404, 404, 404, 404), 404),
]


@pytest.mark.parametrize("username, expected, on_b", MATRIX, ids=[row[0] for row in MATRIX])
def test_permission_matrix(client, auth, world, username, expected, on_b):
    assert auth.login(username).status_code == 302
    token = csrf_token(client.get("/staff").get_data(as_text=True))
    got = (
        client.get("/c/FSA/field-survey").status_code,
        client.get("/c/FSA/field-survey.xlsx").status_code,
        photo_status(client, "/c/FSA/field-survey/B01/photo"),
        client.get("/c/FSA/field-survey/B02").status_code,
        client.post("/c/FSA/field-survey/B02", data={"csrf_token": token, "condition": "good"}).status_code,
    )
    assert got == expected
    assert client.get("/c/FSB/field-survey").status_code == on_b
    saved = db.session.scalar(select(FieldFinding).join(CatalogueItem).where(CatalogueItem.code == "B02"))
    assert (saved is not None) == (expected[4] == 302)


def test_anonymous_is_sent_to_login(client, world):
    for path in ("/c/FSA/field-survey", "/c/FSA/field-survey/B01", "/c/FSA/field-survey/B01/photo",
                 "/c/FSA/field-survey.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_community_item_or_retired_item_is_404(client, auth, world):
    db.session.scalar(select(CatalogueItem).filter_by(code="U09")).retired_at = utcnow()
    auth.login("admin-city")
    assert client.get("/c/NOPE/field-survey").status_code == 404
    assert client.get("/c/FSA/field-survey/Z99").status_code == 404
    assert client.get("/c/FSA/field-survey/U09").status_code == 404
    assert client.get("/c/FSA/field-survey/B02/photo").status_code == 404  # no finding, no photo
    assert "U09" not in client.get("/c/FSA/field-survey").get_data(as_text=True)


def test_read_only_viewer_sees_findings_but_no_record_buttons(client, auth, world):
    auth.login("rep-a")
    html = client.get("/c/FSA/field-survey").get_data(as_text=True)
    assert "实地调查" in html and "漏水" in html and "需要改造 (1)" in html
    assert "填写调查结果" not in html and "修改调查结果" not in html
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").get_data(as_text=True))})
    auth.login("org-a")
    html = client.get("/c/FSA/field-survey").get_data(as_text=True)
    assert "填写调查结果" in html and "基础类" in html and "应改尽改" in html


def post_form(client, path, **fields):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields}, content_type="multipart/form-data")


def finding(code: str) -> FieldFinding | None:
    db.session.expire_all()
    return db.session.scalar(select(FieldFinding).join(CatalogueItem).where(CatalogueItem.code == code))


@pytest.mark.parametrize("fields, message", [
    ({"quantity": "3"}, "请选择这一项的现状"),
    ({"condition": "broken"}, "请选择这一项的现状"),
    ({"condition": "good", "quantity": "abc"}, "数量要填数字"),
    ({"condition": "good", "quantity": "-4"}, "数量必须是不小于0的数字"),
    ({"condition": "good", "quantity": "1.234"}, "数量最多保留两位小数"),
    ({"condition": "good", "note": "长" * 2001}, "备注太长了"),
])
def test_bad_form_input_gets_a_message_and_saves_nothing(client, auth, world, fields, message):
    auth.login("org-a")
    response = post_form(client, "/c/FSA/field-survey/B05", **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert finding("B05") is None


def test_form_shows_the_quantity_unit_and_accepts_full_width_digits(client, auth, world):
    auth.login("org-a")
    html = client.get("/c/FSA/field-survey/B06").get_data(as_text=True)
    assert "单位：户" in html and "整个小区为 2" in html
    response = post_form(client, "/c/FSA/field-survey/B06", condition="needs_repair", quantity="１２", note="老化")
    assert response.status_code == 302 and response.headers["Location"].endswith("#item-B06")
    saved = finding("B06")
    assert (saved.condition, saved.quantity, saved.note) == ("needs_repair", Decimal("12"), "老化")
    assert 'value="12"' in client.get("/c/FSA/field-survey/B06").get_data(as_text=True)


def gps_jpeg() -> bytes:
    """A 2400×1800 photo, left half red and right half blue, taken 'rotated' (EXIF orientation 6) with GPS."""
    image = Image.new("RGB", (2400, 1800), (220, 20, 20))
    image.paste((20, 20, 220), (1200, 0, 2400, 1800))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (43.0, 52.0, 30.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (125.0, 19.0, 12.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test photo really carries GPS
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    return data


def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "fieldsurvey"


def test_photo_upload_strips_exif_and_gps_applies_orientation_and_downscales(app, client, auth, world):
    auth.login("org-a")
    response = post_form(client, "/c/FSA/field-survey/B02", condition="missing",
                         photo=(io.BytesIO(gps_jpeg()), "IMG_0001.jpg"))
    assert response.status_code == 302
    saved = finding("B02")
    stored = Path(app.config["UPLOAD_FOLDER"]) / saved.photo_path
    assert stored.parent == upload_dir(app) and "IMG_0001" not in stored.name
    raw = stored.read_bytes()
    assert b"Exif" not in raw and b"SecretPhoneMaker" not in raw and b"taken at home" not in raw
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0 and "exif" not in image.info and "comment" not in image.info
        assert image.size == (1200, 1600)  # upright (portrait) and at most 1600 px
        top, bottom = image.getpixel((600, 20)), image.getpixel((600, 1580))
    assert top[0] > 150 and top[2] < 100      # the left (red) half is now on top
    assert bottom[2] > 150 and bottom[0] < 100

    served = client.get("/c/FSA/field-survey/B02/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == raw and "private" in served.headers["Cache-Control"]
    served.close()


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGBA"), ("WEBP", "RGB")])
def test_png_and_webp_are_accepted_and_stored_as_clean_jpeg(app, client, auth, world, fmt, mode):
    buffer = io.BytesIO()
    Image.new(mode, (300, 200), (10, 200, 10, 0)[:len(mode)]).save(buffer, fmt)
    buffer.seek(0)
    auth.login("org-a")
    response = post_form(client, "/c/FSA/field-survey/B03", condition="good", photo=(buffer, f"x.{fmt.lower()}"))
    assert response.status_code == 302
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / finding("B03").photo_path) as image:
        assert image.format == "JPEG" and image.size == (300, 200)


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize("content, filename", [
    (b"This is a shopping list, not a photo.\n", "list.jpg"),
    (jpeg_bytes()[:400], "cut.jpg"),
    (gif_bytes(), "anim.gif"),
], ids=["renamed-text", "truncated-jpeg", "gif"])
def test_non_image_is_refused_with_a_message_and_nothing_is_saved(app, client, auth, world, content, filename):
    before = set(upload_dir(app).iterdir())
    auth.login("org-a")
    response = post_form(client, "/c/FSA/field-survey/B04", condition="good",
                         photo=(io.BytesIO(content), filename))
    assert response.status_code == 400
    assert "这个文件不是照片" in response.get_data(as_text=True)
    assert finding("B04") is None
    assert set(upload_dir(app).iterdir()) == before


def test_oversize_upload_is_refused_with_the_limit_in_words(app, client, auth, world):
    auth.login("org-a")
    token = csrf_token(client.get("/c/FSA/field-survey/B04").get_data(as_text=True))
    original = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024
    try:
        response = client.post("/c/FSA/field-survey/B04", content_type="multipart/form-data", data={
            "csrf_token": token, "condition": "good",
            "photo": (io.BytesIO(jpeg_bytes((1200, 1200), quality=95)), "big.jpg")})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = original
    assert response.status_code == 413
    assert "照片太大了，最大只能传 8 KB" in response.get_data(as_text=True)
    assert finding("B04") is None


def test_replacing_and_removing_the_photo(app, client, auth, world):
    auth.login("org-a")
    first = finding("B01").photo_path
    html = client.get("/c/FSA/field-survey/B01").get_data(as_text=True)
    assert "/c/FSA/field-survey/B01/photo" in html and "/static/" not in first
    post_form(client, "/c/FSA/field-survey/B01", condition="needs_repair", quantity="10", note="漏水",
              photo=(io.BytesIO(jpeg_bytes()), "new.jpg"))
    second = finding("B01").photo_path
    assert second and second != first
    post_form(client, "/c/FSA/field-survey/B01", condition="needs_repair", quantity="10", note="漏水",
              remove_photo="y")
    assert finding("B01").photo_path is None
    assert client.get("/c/FSA/field-survey/B01/photo").status_code == 404


def test_export_downloads_a_workbook(client, auth, world):
    auth.login("rep-a")
    response = client.get("/c/FSA/field-survey.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "FSA-field-survey.xlsx" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data))["实地调查"].iter_rows(values_only=True))
    roof = next(row for row in rows if row[1] == "B01")
    assert roof[3] == "需维修" and roof[6] == "漏水" and roof[7] == "有照片"
