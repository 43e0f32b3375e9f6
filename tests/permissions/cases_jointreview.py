"""Permission rows of the joint review pages (participation/jointreview/views.py and party_views.py), merged into
tests/permissions/cases.CASES.

Readers: admins, organisers and owner representatives of the community, and agencies that are a party of the review
of the version in force. The world's community A has an adopted version but no review (its locality lists no
party), so both agencies (A's contractor, and the pipeline company listed on A) get 403 on A, and 404 on B, which
they do not see. Opening is refused in words (no party listed) and goes back to the page, changing nothing; closing
and answering name no review here: 404. Sign-offs and works belong to listed agencies only: 403 for everyone on A.
The answers on a real review (parties, other organisations, grid, CSRF) are pinned down in
tests/participation/jointreview/. The reviewing parties page is for admins; a remove names no party here: 404.
"""
from tests.permissions.cases import (ADMINS, AGENCY, MANAGERS, OWNER_REP, PIPELINE, Case, Redirect, roles)

BASE = "/c/<community_code>/joint-review"
NONE_HERE = {"plan_item_id": "building", "signoff_id": "building", "work_id": "building", "party_id": "building"}
AGENCIES_ELSEWHERE = {AGENCY: 404, PIPELINE: 404}
NOBODY = ()

CASES: dict = {
    BASE: Case(get=roles(MANAGERS + (OWNER_REP,)), cross=AGENCIES_ELSEWHERE),
    BASE + "/open": Case(post=roles(MANAGERS, Redirect("/c/{community}/joint-review"))),
    BASE + "/close": Case(post=roles(MANAGERS, 404)),
    BASE + "/items/<int:plan_item_id>/signoff": Case(post=roles(NOBODY), params=NONE_HERE,
                                                     cross=AGENCIES_ELSEWHERE),
    BASE + "/signoffs/<int:signoff_id>/answer": Case(post=roles(MANAGERS, 404), params=NONE_HERE),
    BASE + "/works/new": Case(get=roles(NOBODY), post=roles(NOBODY), cross=AGENCIES_ELSEWHERE),
    BASE + "/works/<int:work_id>/edit": Case(get=roles(NOBODY), post=roles(NOBODY), params=NONE_HERE,
                                             cross=AGENCIES_ELSEWHERE),
    BASE + "/works/<int:work_id>/delete": Case(post=roles(NOBODY), params=NONE_HERE, cross=AGENCIES_ELSEWHERE),
    "/joint-review": Case(get=roles((AGENCY, PIPELINE))),
    "/admin/review-parties": Case(get=roles(ADMINS)),
    "/admin/review-parties/<int:locality_id>": Case(post=roles(ADMINS, Redirect("/admin/review-parties"))),
    "/admin/review-parties/<int:locality_id>/<int:party_id>/remove": Case(post=roles(ADMINS, 404), params=NONE_HERE),
}
