"""Permission rows of the dashboards pages (merged into tests/permissions/cases.CASES)."""
from tests.permissions.cases import SURVEY_READERS, Case, roles

CASES: dict = {
    # The organiser dashboard (participation/dashboards/views.py): those who run the community and its owner
    # representatives; other staff 403 (the role check comes first), another community 404.
    "/c/<community_code>/dashboard": Case(get=roles(SURVEY_READERS)),
}
