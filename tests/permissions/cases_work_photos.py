"""Permission rows of the works photos (participation/plans/work_photo_views.py), merged into
tests/permissions/cases.CASES.

Staff who read the plan see an item's photos, and so do the community's contractor and supervisor (the world's agency
is A's contractor; its pipeline company gets 403). Uploading: admins, organisers and that agency — an empty upload
names no photo: 400, nothing stored; owner representatives, grid workers and hotline staff get 403. The world has no
works photo, so the id filled in (a building's) names none: those who see photos get 404. Residents reach the photos
of their own community through the progress page; staff acting for nobody and visitors go to the start page.
Uploads, deletions, EXIF and the 403/404 on real photos: tests/participation/test_work_photos.py.
"""
from tests.permissions.cases import (ADMIN, AGENCY, ANSWER_CROSS, GRID, HOTLINE, ORGANISER, OWNER_REP, Case,
                                     answering, roles)

SEE = (ADMIN, ORGANISER, OWNER_REP, GRID, HOTLINE, AGENCY)
UPLOAD = (ADMIN, ORGANISER, AGENCY)
NONE_HERE = {"photo_id": "building"}
STAFF_PHOTO = roles(SEE, 404)
SCOPE_FIRST = {role: 404 for role in (OWNER_REP, GRID, HOTLINE)}
BASE = "/c/<community_code>/plan/works"

CASES: dict = {
    BASE + "/photos": Case(get=roles(SEE)),
    # The scope comes first: those who see A's photos but may not upload get 403 there and 404 on B's.
    BASE + "/<item_code>/photos": Case(get=roles(SEE), post=roles(UPLOAD, 400), cross=SCOPE_FIRST),
    BASE + "/photos/<int:photo_id>/delete": Case(post=STAFF_PHOTO, params=NONE_HERE),
    BASE + "/photos/<int:photo_id>.jpg": Case(get=STAFF_PHOTO, params=NONE_HERE),
    BASE + "/photos/<int:photo_id>/thumb.jpg": Case(get=STAFF_PHOTO, params=NONE_HERE),
    "/r/<community_code>/progress/photos/<int:photo_id>.jpg": Case(get=answering(404), params=NONE_HERE,
                                                                   cross=ANSWER_CROSS),
    "/r/<community_code>/progress/photos/<int:photo_id>/thumb.jpg": Case(get=answering(404), params=NONE_HERE,
                                                                         cross=ANSWER_CROSS),
}
