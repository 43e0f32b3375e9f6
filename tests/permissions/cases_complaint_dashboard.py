"""Permission rows of the hotline desk's charts (merged into tests/permissions/cases.CASES).

``/hotline/dashboard`` has no object in its URL: whoever reads the queue reads its charts, over the tickets the
queue would list them (desk staff those of the communities they see, an agency — the world's contractor and its
pipeline company alike — those that are with it). Owner representatives and grid workers 403.
"""
from tests.permissions.cases import ADMIN, AGENCY, HOTLINE, ORGANISER, PIPELINE, Case, roles

QUEUE_READERS = (ADMIN, ORGANISER, HOTLINE, AGENCY, PIPELINE)

CASES: dict = {
    "/hotline/dashboard": Case(get=roles(QUEUE_READERS)),
}
