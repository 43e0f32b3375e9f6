"""Permission rows of the staff JSON API and its admin page (merged into tests/permissions/cases.CASES).

/api/v1 authenticates with a Bearer token only, never with the staff session: every signed-in role, resident and
visitor gets 401 from every endpoint, in any community (so ``public``: there is no scope to cross without a token;
tests/api/test_auth.py covers tokens, their scope 404s and role 403s). The OpenAPI document is public. The token
page is the admins'; its empty POST names no token (400), and revoking a token that does not exist is 404.
"""
from tests.permissions.cases import ADMIN_FORM_POST, ADMIN_PAGE, ADMINS, Case, everyone, roles

UNAUTHORIZED = everyone(401)
COMMUNITY = {"code": "community"}

CASES: dict = {
    "/api/v1/openapi.json": Case(get=everyone(200), public=True),
    "/api/v1/communities": Case(get=UNAUTHORIZED, public=True),
    "/api/v1/communities/<code>": Case(get=UNAUTHORIZED, params=COMMUNITY, public=True),
    "/api/v1/communities/<code>/households": Case(get=UNAUTHORIZED, params=COMMUNITY, public=True),
    "/api/v1/communities/<code>/plan-inputs": Case(get=UNAUTHORIZED, params=COMMUNITY, public=True),
    "/api/v1/communities/<code>/surveys": Case(get=UNAUTHORIZED, params=COMMUNITY, public=True),
    "/api/v1/surveys/<int:survey_id>/summary": Case(get=UNAUTHORIZED, public=True),
    "/api/v1/complaints": Case(post=UNAUTHORIZED, public=True),
    "/api/v1/complaints/<receipt>": Case(get=UNAUTHORIZED, public=True),
    "/api/v1/complaints/<receipt>/actions": Case(post=UNAUTHORIZED, public=True),
    "/api/v1/votes/<int:vote_id>/result": Case(get=UNAUTHORIZED, params={"vote_id": "user"}, public=True),
    "/admin/api-tokens": Case(get=ADMIN_PAGE, post=ADMIN_FORM_POST),
    "/admin/api-tokens/<int:token_id>/revoke": Case(post=roles(ADMINS, 404), params={"token_id": "user"}),
}
