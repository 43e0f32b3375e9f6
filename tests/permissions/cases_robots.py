"""Permission rows of the 企业微信 group robot pages (participation/reach/robot_views.py), merged into
tests/permissions/cases.CASES. Admins manage every robot; admins and organisers the robots of a community they
manage. Other roles 403. The world holds no robot, so pages naming one answer 404 to the roles that may use them;
real robots (another community's, an organisation's, CSRF, bad input) are pinned down in tests/reach/test_robot_pages.py."""
from tests.permissions.cases import ADMIN_FORM_POST, ADMIN_PAGE, MANAGERS, Case, roles

NO_ROBOT_HERE = {"robot_id": "building"}

CASES: dict = {
    "/admin/robots": Case(get=ADMIN_PAGE),
    "/admin/robots/new": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/c/<community_code>/robots": Case(get=roles(MANAGERS)),
    "/c/<community_code>/robots/new": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/robots/<int:robot_id>/edit": Case(get=roles(MANAGERS, 404), post=roles(MANAGERS, 404), params=NO_ROBOT_HERE),
    "/robots/<int:robot_id>/switch": Case(post=roles(MANAGERS, 404), params=NO_ROBOT_HERE),
    "/robots/<int:robot_id>/test": Case(post=roles(MANAGERS, 404), params=NO_ROBOT_HERE),
}
