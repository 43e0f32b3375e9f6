"""Photos of the works (施工照片): every item's photos at /c/<community_code>/plan/works/photos, the page of one item's
photos at /c/<community_code>/plan/works/<item_code>/photos where staff see them and those who may upload add and
delete them, and the photo files — for staff at
/c/<community_code>/plan/works/photos/<id>.jpg (and /thumb.jpg), for the community's residents at
/r/<community_code>/progress/photos/<id>.jpg (and /thumb.jpg; the progress page shows them).

Staff who read the plan see the photos, and so do the accounts of the community's contractor and supervisor; other
agencies get 403. Uploading and deleting: admins, organisers and those agencies (a grid worker or an owner
representative gets 403). A community outside the user's scope, an item not in the adopted plan, or a photo of another
community: 404. A resident sees the photos of the household's own community only (another community's: 404).
"""
from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.forms import EmptyForm
from participation.guards import resident_or_start, staff_community
from participation.handlers import refuse_onto
from participation.models.plans import MAX_WORK_PHOTOS
from participation.permissions import WORKS_AGENCY_KINDS, role_required
from participation.plans.work_photo_forms import WorkPhotoForm
from participation.plans.operations import plan_for
from participation.plans.work_photos import (PhotoRefused, add_photo, community_photo, delete_photo, may_delete,
                                             may_see_photos, may_upload, photos_by_item, photos_of_item,
                                             planned_item, planned_items)
from participation.uploads import stored_file

bp = Blueprint("work_photos", __name__)

def _community(community_code: str):
    """Agencies other than the contractor and the supervisor never see works photos (403); then the scope (404)."""
    if current_user.role == "agency" and (current_user.organisation is None
                                          or current_user.organisation.kind not in WORKS_AGENCY_KINDS):
        abort(403)
    return staff_community(community_code, visible=may_see_photos)


def _item(community, item_code: str):
    item = planned_item(community, item_code)
    if item is None:
        abort(404)
    return item


def _photo(community, photo_id: int):
    photo = community_photo(community, photo_id)
    if photo is None:
        abort(404)
    return photo


@bp.get("/c/<community_code>/plan/works/photos")
@role_required()
def index(community_code: str):
    """Every item of the adopted plan with its photos: where the contractor and the supervisor, who do not read the
    plan's works page, start."""
    community = _community(community_code)
    photos = photos_by_item(plan_for(community))
    rows = [{"item": item, "photos": photos.get(item.id, [])} for item in planned_items(community)]
    return render_template("plans/work_photo_index.html", community=community, rows=rows,
                           may_upload=may_upload(current_user, community), limit=MAX_WORK_PHOTOS)


@bp.route("/c/<community_code>/plan/works/<item_code>/photos", methods=["GET", "POST"])
@role_required()
def item_photos(community_code: str, item_code: str):
    community = _community(community_code)
    item = _item(community, item_code)
    uploads = may_upload(current_user, community)
    form, status = WorkPhotoForm(), 200
    if form.is_submitted():
        if not uploads:
            abort(403)
        status = 400
        if form.validate():
            try:
                add_photo(current_user, community, item, form.photo.data, caption=form.caption.data,
                          taken_on=form.taken_on.data)
            except PhotoRefused as refusal:
                refuse_onto(form, refusal)
            else:
                flash(_("The photo of %(item)s was added.", item=item.name), "success")
                return redirect(url_for(".item_photos", community_code=community.code, item_code=item.code))
    photos = photos_of_item(community, item)
    return render_template("plans/work_photos.html", community=community, item=item, photos=photos, form=form,
                           may_upload=uploads, full=len(photos) >= MAX_WORK_PHOTOS, limit=MAX_WORK_PHOTOS,
                           deletable={photo.id for photo in photos if may_delete(current_user, photo, community)},
                           delete_form=EmptyForm()), status


@bp.post("/c/<community_code>/plan/works/photos/<int:photo_id>/delete")
@role_required()
def delete(community_code: str, photo_id: int):
    community = _community(community_code)
    photo = _photo(community, photo_id)
    if not may_delete(current_user, photo, community):
        abort(403)
    item = photo.work.item
    if not EmptyForm().validate_on_submit():
        abort(400)
    delete_photo(current_user, community, photo)
    flash(_("The photo was deleted."), "success")
    return redirect(url_for(".item_photos", community_code=community.code, item_code=item.code))


def _send(photo, size: str):
    path = stored_file(photo.thumbnail_path if size == "thumb" else photo.path)
    if path is None:
        abort(404)
    result = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    result.headers["Cache-Control"] = "private, no-cache"
    return result


@bp.get("/c/<community_code>/plan/works/photos/<int:photo_id>.jpg", defaults={"size": "full"})
@bp.get("/c/<community_code>/plan/works/photos/<int:photo_id>/thumb.jpg", defaults={"size": "thumb"})
@role_required()
def staff_photo(community_code: str, photo_id: int, size: str):
    community = _community(community_code)
    return _send(_photo(community, photo_id), size)


@bp.get("/r/<community_code>/progress/photos/<int:photo_id>.jpg", defaults={"size": "full"})
@bp.get("/r/<community_code>/progress/photos/<int:photo_id>/thumb.jpg", defaults={"size": "thumb"})
def resident_photo(community_code: str, photo_id: int, size: str):
    """A works photo for the residents of its community (the works are public to them)."""
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    return _send(_photo(acting.household.community, photo_id), size)
