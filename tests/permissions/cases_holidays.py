"""Permission rows of the holiday table (merged into tests/permissions/cases.CASES).

The table is national: no object in the URL, so no scope. Admins read it and change it; every other staff role gets
403 and visitors go to the login page. The matrix's empty POST (a CSRF token and nothing else) names no day and no
year, so an admin gets the page back with a message (400) and nothing changes.
"""
from tests.permissions.cases import ADMIN_FORM_POST, ADMIN_PAGE, Case

CASES: dict = {
    "/admin/holidays": Case(get=ADMIN_PAGE),
    "/admin/holidays/day": Case(post=ADMIN_FORM_POST),
    "/admin/holidays/remove": Case(post=ADMIN_FORM_POST),
    "/admin/holidays/seed": Case(post=ADMIN_FORM_POST),
    "/admin/holidays/recompute": Case(post=ADMIN_FORM_POST),
}
