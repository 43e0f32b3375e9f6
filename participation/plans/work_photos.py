"""Photos of the works (施工照片) on the items of the plan in force, shown to the community's residents on the
progress page (issue 15 point 6) and to staff on the works pages.

Who uploads: those who run the community (admins, organisers) and the accounts of its contractor and supervisor
(``WORKS_AGENCY_KINDS``). Each photo is checked and cleaned by ``participation.uploads`` (a real JPEG, PNG or WebP
picture, re-encoded without EXIF/GPS), at most 10 MB, with a thumbnail beside it; at most ``MAX_WORK_PHOTOS`` per
item. The uploader, or an admin or organiser of the community, deletes a photo. Uploads and deletions are audited.
"""
import io
import os
import secrets
from datetime import date

from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import event, select

from participation.audit import record
from participation.complaints.photos import discard_unless_committed
from participation.extensions import db
from participation.handlers import Refused
from participation.models import CatalogueItem, Community, Plan, PlanWork, User
from participation.models.plans import MAX_CAPTION, MAX_WORK_PHOTOS, PlanWorkPhoto
from participation.permissions import WORKS_AGENCY_KINDS, can_manage_community, can_view_survey_results
from participation.plans.operations import adopted_version, plan_for, today
from participation.uploads import JPEG_QUALITY, UploadError, clean_image, describe_size, discard, upload_root

MAX_PHOTO_BYTES = 10 * 1024 * 1024
THUMBNAIL_SIDE = 320
FOLDER = "works"


class PhotoRefused(Refused):
    """A work photo refused; ``errors`` name the field (``photo``, ``caption``, ``taken_on``, or "" for the page)."""


# --- who may do what -----------------------------------------------------------------------------------------------

def is_works_agency(user: User, community: Community) -> bool:
    """An account of the community's contractor or supervisor."""
    organisation = user.organisation if user.role == "agency" else None
    return (organisation is not None and organisation.kind in WORKS_AGENCY_KINDS
            and organisation.id in (community.contractor_id, community.supervisor_id))


def may_see_photos(user: User, community: Community) -> bool:
    """Staff who read the plan (never other agencies), and the community's works agencies."""
    return can_view_survey_results(user, community) or is_works_agency(user, community)


def may_upload(user: User, community: Community) -> bool:
    return can_manage_community(user, community) or is_works_agency(user, community)


def may_delete(user: User, photo: PlanWorkPhoto, community: Community) -> bool:
    """The uploader (while still allowed to upload there), or whoever runs the community."""
    if can_manage_community(user, community):
        return True
    return photo.uploaded_by_id == user.id and may_upload(user, community)


# --- reads ---------------------------------------------------------------------------------------------------------

def planned_items(community: Community) -> list[CatalogueItem]:
    """The catalogue items included in the adopted version, in plan order (none without one)."""
    version = adopted_version(plan_for(community))
    return [] if version is None else [row.item for row in version.items if row.included]


def planned_item(community: Community, code: str) -> CatalogueItem | None:
    return next((item for item in planned_items(community) if item.code == code), None)


def photos_by_item(plan: Plan | None) -> dict[int, list[PlanWorkPhoto]]:
    """{catalogue item id: its photos, oldest first} for the plan's works."""
    if plan is None:
        return {}
    rows = db.session.scalars(select(PlanWorkPhoto).join(PlanWork).where(PlanWork.plan_id == plan.id)
                              .order_by(PlanWorkPhoto.id)).all()
    result: dict[int, list[PlanWorkPhoto]] = {}
    for row in rows:
        result.setdefault(row.work.item_id, []).append(row)
    return result


def photos_of_item(community: Community, item: CatalogueItem) -> list[PlanWorkPhoto]:
    return photos_by_item(plan_for(community)).get(item.id, [])


def community_photo(community: Community, photo_id: int) -> PlanWorkPhoto | None:
    """The photo, when it belongs to the community's plan; None otherwise (another community's is not shown)."""
    photo = db.session.get(PlanWorkPhoto, photo_id)
    if photo is None or photo.work.plan.community_id != community.id:
        return None
    return photo


# --- writes --------------------------------------------------------------------------------------------------------

def add_photo(actor: User, community: Community, item: CatalogueItem, upload, *, caption: str | None = None,
              taken_on: date | None = None) -> PlanWorkPhoto:
    """Check, clean and store one photo of the works on ``item`` (an included item of the adopted version), with its
    thumbnail. Raises PhotoRefused with nothing stored: not an image, empty, too large, the item full, a future
    date, a caption too long."""
    plan = plan_for(community)
    if plan is None or planned_item(community, item.code) is None:
        raise PhotoRefused({"": _("%(item)s is not in the adopted plan.", item=item.name)})
    work = next((row for row in plan.works if row.item_id == item.id), None)
    if work is not None and len(work.photos) >= MAX_WORK_PHOTOS:
        raise PhotoRefused({"photo": _("%(item)s already has %(count)d photos, the most kept. Delete one first.",
                                       item=item.name, count=MAX_WORK_PHOTOS)})
    caption = (caption or "").strip() or None
    errors = {}
    if caption is not None and len(caption) > MAX_CAPTION:
        errors["caption"] = _("At most %(count)d characters, please.", count=MAX_CAPTION)
    if taken_on is not None and taken_on > today():
        errors["taken_on"] = _("The day a photo was taken cannot be in the future.")
    if errors:
        raise PhotoRefused(errors)
    image = _checked_image(upload)
    written: list[str] = []
    try:
        path = _write(image, written)
        thumbnail = image.copy()
        thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        thumbnail_path = _write(thumbnail, written)
    except OSError:
        for relative in written:
            discard(relative)
        raise PhotoRefused({"photo": _("The photo could not be saved. Nothing was saved; please try again.")}) \
            from None
    if work is None:
        work = PlanWork(plan=plan, item_id=item.id, status="not_started", updated_by_id=actor.id)
        db.session.add(work)
    photo = PlanWorkPhoto(work=work, path=path, thumbnail_path=thumbnail_path, thumbnail_width=thumbnail.width,
                          thumbnail_height=thumbnail.height, caption=caption, taken_on=taken_on,
                          uploaded_by_id=actor.id)
    db.session.add(photo)
    db.session.flush()
    discard_unless_committed(written)   # the request commits after the view returned
    record(actor, "plan_work_photo.add", photo, community=community.id, item=item.code, caption=caption,
           taken_on=taken_on.isoformat() if taken_on else None)
    return photo


def delete_photo(actor: User, community: Community, photo: PlanWorkPhoto) -> None:
    """Remove the row now and its files once the transaction commits (audited)."""
    item = photo.work.item
    files = [photo.path, photo.thumbnail_path]
    record(actor, "plan_work_photo.delete", photo, community=community.id, item=item.code, caption=photo.caption,
           uploaded_by=photo.uploaded_by_id)
    db.session.delete(photo)
    db.session.flush()
    _discard_once_committed(files)


def _discard_once_committed(paths: list[str]) -> None:
    """Remove the files of a deleted photo when the deletion commits; a rollback keeps them (the row is back)."""
    session = db.session()

    def committed(_session) -> None:
        event.remove(session, "after_rollback", rolled_back)
        for path in paths:
            discard(path)

    def rolled_back(_session) -> None:
        event.remove(session, "after_commit", committed)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


def _checked_image(upload) -> Image.Image:
    if upload is None or not (getattr(upload, "filename", None) or "").strip():
        raise PhotoRefused({"photo": _("Choose a photo to upload.")})
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)   # never more than the limit is read
    if not data:
        raise PhotoRefused({"photo": _("The photo file is empty.")})
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused({"photo": _("The photo is too large. Photos up to %(size)s are accepted.",
                                       size=describe_size(MAX_PHOTO_BYTES))})
    try:
        return clean_image(data)
    except UploadError as error:
        raise PhotoRefused({"photo": str(error)}) from None


def _write(image: Image.Image, written: list[str]) -> str:
    relative = f"{FOLDER}/{secrets.token_hex(16)}.jpg"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, target)
    written.append(relative)
    return relative
