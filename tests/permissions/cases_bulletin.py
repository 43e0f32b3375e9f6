"""Permission rows of the bulletin pages (merged into tests/permissions/cases.CASES).

The weekly bulletin and the rates have no object in their URL: each reader sees the communities
``visible_communities`` gives them (an agency only its own tickets). Hotline staff, organisers, admins and agencies
(the contractor and the pipeline company of the world alike) read them; owner representatives and grid workers get
403. Patrol findings are filed by supervisor agencies and owner representatives (居民监督员): the world's agency is a
contractor and its pipeline account a pipeline company, so both get 403 on the form; an empty POST is a form
error (400). The list is read by the readers above and by owner representatives.
"""
from tests.permissions.cases import ADMIN, AGENCY, HOTLINE, ORGANISER, OWNER_REP, PIPELINE, Case, roles

BULLETIN_READERS = (ADMIN, ORGANISER, HOTLINE, AGENCY, PIPELINE)
PATROL_READERS = BULLETIN_READERS + (OWNER_REP,)
PATROL_FILERS = (OWNER_REP,)   # and supervisor agencies, which the world does not have

CASES: dict = {
    "/bulletin": Case(get=roles(BULLETIN_READERS), query="?week=2025-W45"),
    "/bulletin.xlsx": Case(get=roles(BULLETIN_READERS), query="?week=2025-W45"),
    "/rates": Case(get=roles(BULLETIN_READERS)),
    "/patrols": Case(get=roles(PATROL_READERS)),
    "/patrols/new": Case(get=roles(PATROL_FILERS), post=roles(PATROL_FILERS, 400)),
}
