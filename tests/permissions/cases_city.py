"""Permission rows of the city pages (merged into tests/permissions/cases.CASES).

The overview lists only the communities the viewer sees, so it has no object in its URL to be out of scope:
those who plan and answer for the programme (admins, organisers, owner representatives) get it; grid workers,
hotline staff and agencies get 403 (see participation/dashboards/city_views.py for why).
"""
from tests.permissions.cases import ADMIN, ORGANISER, OWNER_REP, Case, roles

CITY_READERS = (ADMIN, ORGANISER, OWNER_REP)

CASES: dict = {
    "/city": Case(get=roles(CITY_READERS)),
    "/city/annual-list.xlsx": Case(get=roles(CITY_READERS)),
}
