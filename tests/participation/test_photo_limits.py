"""Issue 12 point 8: a photo is refused from its header before any pixel is decoded when it has more pixels than a
phone photo (four 59 MP PNGs took 27 s and 2.1 GB), a JPEG is decoded at a reduced scale, and a resident's
complaints are limited per household and per network address with a message, not a bare 429 page. (Time and
memory are measured in bench/hostile_uploads.py.)"""
import io
import struct
import zlib

import pytest
from limits import parse as parse_limit
from PIL import Image, ImageFile
from sqlalchemy import func, select

from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.models import ComplaintCategory, Ticket
from participation.uploads import UploadError, clean_image
from tests.participation.test_complaints_resident import resident  # noqa: F401
from tests.participation.test_complaints_resident import (category_id, counts, form, jpeg_with_gps, photo, post, site,
                                                          stored_files)


def forged_png(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height RGBA pixels, with a few bytes of pixel data: Pillow opens it
    lazily, so only decoding would find it short."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
            + chunk(b"IEND", b""))


@pytest.fixture
def decoded(monkeypatch):
    """The sizes at which Pillow decoded images while the test ran."""
    sizes = []
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


@pytest.mark.parametrize("width, height", [(8_000, 7_400), (6_000, 4_100), (4_000, 3_100)])   # 59, 24.6, 12.4 MP
def test_a_png_with_more_pixels_than_a_phone_photo_is_refused_before_decoding(app, width, height, decoded):
    with app.test_request_context("/"), pytest.raises(UploadError) as caught:
        clean_image(forged_png(width, height))
    assert str(caught.value) == "图片像素太多，请换一张小一点的照片。"
    assert decoded == []


def test_the_pixel_limit_is_set_per_call(app, decoded):
    small = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 20, 30)).save(small, format="PNG")
    with app.test_request_context("/"):
        assert clean_image(small.getvalue()).size == (400, 300)
        with pytest.raises(UploadError):
            clean_image(small.getvalue(), max_pixels=100_000)


def test_a_large_phone_jpeg_is_accepted_and_decoded_at_a_reduced_scale(app, decoded):
    buffer = io.BytesIO()
    Image.new("L", (6_000, 4_500), 128).save(buffer, format="JPEG", quality=50)   # 27 MP, over the PNG limit
    with app.test_request_context("/"):
        cleaned = clean_image(buffer.getvalue())
    assert max(cleaned.size) == 1600
    assert decoded and all(w * h <= 3_000 * 2_250 for w, h in decoded)   # 1/2 scale at most, never 27 MP


def test_a_59_megapixel_png_filed_with_a_complaint_is_refused_with_a_message(app, site):
    client = resident(app, site)
    before, files_before = counts(), stored_files()
    response = post(client, form(client, photos=[photo(forged_png(8_000, 7_400), "big.png", "image/png")]))
    assert response.status_code == 400
    assert "图片像素太多" in response.text
    assert counts() == before and stored_files() == files_before


def test_a_household_files_at_most_ten_complaints_an_hour(app, site):
    community, home, *_rest = site
    category = db.session.get(ComplaintCategory, category_id())
    for _ in range(10):
        file_ticket(None, community, category=category, description="楼道灯不亮", household=home)
    db.session.commit()
    client = resident(app, site)
    response = post(client, form(client, photos=[photo(jpeg_with_gps())]))
    assert response.status_code == 429
    assert "您家在过去一小时内已提交 10 条投诉" in response.text and "12345" in response.text
    assert "楼道墙皮脱落" in response.text   # the form keeps what was written
    assert db.session.scalar(select(func.count(Ticket.id))) == 10


def test_one_network_address_is_limited_across_households(app, site, monkeypatch):
    monkeypatch.setattr("participation.complaints.photos.ADDRESS_LIMIT", parse_limit("1/hour"))
    home = resident(app, site)
    assert post(home, form(home)).status_code == 302
    neighbour = resident(app, site, "neighbour")
    response = post(neighbour, form(neighbour))
    assert response.status_code == 429
    assert "过去一小时内从这个网络提交的投诉太多" in response.text
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
