"""Permission rows of the after-care page (participation/aftercare/views.py) and the elevator consent vote's two
buttons (participation/elevators/views.py), merged into tests/permissions/cases.CASES.

/c/<community_code>/aftercare is read by admins, organisers, owner representatives and grid workers in scope;
hotline staff and agencies get 403. Proposing (POST) is for those who run the community: an empty form is a form
error (400), nothing created. The elevator buttons follow the other elevator POSTs: the world's 单元 has no
request under way, so an allowed POST answers 400 and changes nothing.
"""
from tests.permissions.cases import ADMIN, GRID, MANAGERS, ORGANISER, OWNER_REP, Case, roles

AFTERCARE_READERS = (ADMIN, ORGANISER, OWNER_REP, GRID)

CASES: dict = {
    "/c/<community_code>/aftercare": Case(get=roles(AFTERCARE_READERS), post=roles(MANAGERS, 400)),
    "/c/<community_code>/elevators/<int:unit_id>/vote": Case(post=roles(MANAGERS, 400)),
    "/c/<community_code>/elevators/<int:unit_id>/settle": Case(post=roles(MANAGERS, 400)),
}
