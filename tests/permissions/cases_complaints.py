"""Permission rows of the resident's complaint pages (participation/complaints/resident_views.py), merged into
tests/permissions/cases.CASES.

Like the survey answering pages, they serve the household this browser acts for: the resident who entered with the
code (or staff in assisted mode). Staff acting for nobody and visitors go to the start page. The world's ticket of A
was filed by the resident's household; B's ticket, and any other household's, is 404. The world's ticket has no
photo, so its photo 1 is 404 for everyone; serving a household its own photos is tested in
tests/participation/test_complaints_resident.py.
"""
from tests.permissions.cases import NOBODY_ACTING, RESIDENT, STAFF, Case, answering

COMPLAINT_CROSS = {actor: NOBODY_ACTING for actor in STAFF} | {RESIDENT: 404}

CASES: dict = {
    # An empty form: 400 with the messages, no ticket.
    "/complaints/new": Case(get=answering(200), post=answering(400)),
    "/complaints": Case(get=answering(200)),
    "/complaints/<receipt>": Case(get=answering(200), cross=COMPLAINT_CROSS),
    "/complaints/<receipt>/photos/<int:number>": Case(get=answering(404, others=404), cross={RESIDENT: 404}),
}
