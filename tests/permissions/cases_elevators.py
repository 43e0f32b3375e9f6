"""Permission rows of the elevator pages (participation/elevators/views.py), merged into
tests/permissions/cases.CASES.

The resident's page /r/<community_code>/elevator serves the household this browser acts for, like the answering
pages: staff acting for nobody and visitors go to the start page; another community's page is 404 for the resident.
The world's 单元 are not marked as able to take an elevator, so starting a request is refused (400) and there is
nothing to withdraw (400); starting one is tested in tests/participation/test_elevators.py.

The staff page is read by admins, organisers, owner representatives and grid workers in scope; hotline staff and
agencies get 403. Its POSTs are for those who run the community; the world's 单元 has no request under way, so an
allowed POST answers 400 and changes nothing; a 单元 of another community under A's code is 404.
"""
from tests.permissions.cases import ADMIN, ANSWER_CROSS, GRID, MANAGERS, ORGANISER, OWNER_REP, Case, answering, roles

ELEVATOR_READERS = (ADMIN, ORGANISER, OWNER_REP, GRID)

CASES: dict = {
    "/r/<community_code>/elevator": Case(get=answering(200), cross=ANSWER_CROSS),
    "/r/<community_code>/elevator/start": Case(post=answering(400), cross=ANSWER_CROSS),
    "/r/<community_code>/elevator/withdraw": Case(post=answering(400), cross=ANSWER_CROSS),
    "/c/<community_code>/elevators": Case(get=roles(ELEVATOR_READERS)),
}
for _action in ("estimate", "consultation", "withdraw", "shaft", "consent"):
    CASES[f"/c/<community_code>/elevators/<int:unit_id>/{_action}"] = Case(post=roles(MANAGERS, 400))
