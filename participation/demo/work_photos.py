"""Works photos (施工照片) for the demo: one drawn picture of each finished item of a community's plan in force (at
most three), uploaded through ``participation.plans.work_photos.add_photo`` as the given account, so the residents'
progress page and the works pages show thumbnails. The pictures are drawn with Pillow (a building front with its
windows, in a colour per item) and are deterministic."""
import io
import zlib

from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from participation.models import Community, User
from participation.plans.operations import plan_for, works_by_item
from participation.plans.work_photos import add_photo, planned_items

MAX_DEMO_PHOTOS = 3
SIZE = (960, 720)


def picture(seed: str) -> bytes:
    """A JPEG of a building front under a sky, its colour taken from ``seed``."""
    tint = zlib.crc32(seed.encode("utf-8"))
    wall = (150 + tint % 80, 120 + (tint >> 8) % 80, 90 + (tint >> 16) % 80)
    image = Image.new("RGB", SIZE, (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, SIZE[0], SIZE[1]), fill=(120, 120, 115))           # the ground
    draw.rectangle((140, 150, 820, 580), fill=wall, outline=(80, 70, 60), width=4)
    draw.rectangle((120, 130, 840, 160), fill=(90, 90, 95))                     # the new roof edge
    for row in range(4):
        for column in range(6):
            left, top = 180 + column * 105, 190 + row * 90
            draw.rectangle((left, top, left + 60, top + 55), fill=(210, 225, 235), outline=(70, 70, 70), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def seed_work_photos(community: Community, uploader: User) -> int:
    """One photo of each finished item of ``community``'s adopted plan, up to ``MAX_DEMO_PHOTOS``; the number added."""
    works = works_by_item(plan_for(community))
    added = 0
    for item in planned_items(community):
        work = works.get(item.id)
        if work is None or work.status != "finished" or work.photos or added >= MAX_DEMO_PHOTOS:
            continue
        upload = FileStorage(io.BytesIO(picture(item.code)), filename=f"{item.code}.jpg", content_type="image/jpeg")
        add_photo(uploader, community, item, upload, caption=f"{item.name}（完工）", taken_on=work.finished_on)
        added += 1
    return added
