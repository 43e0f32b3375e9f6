"""Permission rows of the joint acceptance pages (participation/acceptance/views.py), merged into
tests/permissions/cases.CASES.

Readers: admins, organisers, owner representatives, hotline staff and the agencies doing or supervising the works
(the world's agency is a contractor; its pipeline company gets 403). Rounds and records are run by admins and
organisers: an empty form is 400 and changes nothing. The record is signed by organisers, owner representatives and
the supervisor's users. The world has no rating round, record or response, so the number filled in (a building's
id) names none: those allowed get 404. The answers on real rounds and records (the sign step, 403 for a contractor,
404 across communities) are pinned down in tests/participation/test_acceptance.py. The resident's rating page
serves the household this browser acts for, like the survey answering pages: staff acting for nobody and visitors
go to the start page; the resident gets 404 for a round that is not theirs.
"""
from tests.permissions.cases import ADMIN, AGENCY, HOTLINE, MANAGERS, ORGANISER, OWNER_REP, Case, answering, roles

READERS = (ADMIN, ORGANISER, OWNER_REP, HOTLINE, AGENCY)
SIGNERS = (ORGANISER, OWNER_REP, AGENCY)
NONE_HERE = {"round_id": "building", "record_id": "building", "response_id": "building"}
BASE = "/c/<community_code>/acceptance"

CASES: dict = {
    BASE: Case(get=roles(READERS)),
    BASE + "/rounds": Case(post=roles(MANAGERS, 400)),
    BASE + "/rounds/<int:round_id>/close": Case(post=roles(MANAGERS, 404), params=NONE_HERE),
    BASE + "/records": Case(post=roles(MANAGERS, 400)),
    BASE + "/record/<int:record_id>/sign": Case(post=roles(SIGNERS, 404), params=NONE_HERE),
    BASE + "/record/<int:record_id>/print": Case(get=roles(READERS, 404), params=NONE_HERE),
    BASE + "/responses/<int:response_id>/photo": Case(get=roles(READERS, 404), params=NONE_HERE),
    "/r/rating/<int:round_id>": Case(get=answering(404), post=answering(404), params=NONE_HERE),
}
