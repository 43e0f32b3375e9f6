"""Permission rows of the owner vote pages (participation/votes/views.py), merged into
tests/permissions/cases.CASES.

Staff: admins, organisers and owner representatives in scope read the votes; admins and organisers create and run
them (owner representatives get 403 there); only owner representatives co-sign; grid workers, hotline staff and
agencies get 403. The world holds no vote, so a vote's pages are filled with a building's id: those allowed get
404 (the real flow, 403s and 404s on real votes are in tests/participation/test_vote_pages.py). A new vote's empty
form is 400 and creates nothing.

Residents: the list serves the household this browser acts for, like the answering pages (staff acting for nobody
and visitors go to the start page; another community's list is 404 for the resident); a vote that does not exist
is 404.
"""
from tests.permissions.cases import ADMIN, ANSWER_CROSS, MANAGERS, ORGANISER, OWNER_REP, Case, answering, roles

READERS = (ADMIN, ORGANISER, OWNER_REP)
NONE_HERE = {"vote_id": "building", "objection_id": "building"}
BASE = "/c/<community_code>/votes"
VOTE = BASE + "/<int:vote_id>"
RESIDENT_VOTE = "/r/<community_code>/votes/<int:vote_id>"

CASES: dict = {
    BASE: Case(get=roles(READERS)),
    BASE + "/new": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    VOTE: Case(get=roles(READERS, 404), params=NONE_HERE),
    VOTE + "/notice": Case(get=roles(READERS, 404), params=NONE_HERE),
    VOTE + "/result": Case(get=roles(READERS, 404), params=NONE_HERE),
    VOTE + "/register": Case(get=roles(READERS, 404), params=NONE_HERE),
    VOTE + "/register/<int:entry_id>": Case(get=roles(MANAGERS, 404), post=roles(MANAGERS, 404),
                                            params={**NONE_HERE, "entry_id": "building"}),
    VOTE + "/paper": Case(get=roles(MANAGERS, 404), post=roles(MANAGERS, 404), params=NONE_HERE),
    VOTE + "/import": Case(post=roles(MANAGERS, 404), params=NONE_HERE),
    VOTE + "/keying/discard": Case(post=roles(MANAGERS, 404), params=NONE_HERE),
    VOTE + "/cosign": Case(post=roles((OWNER_REP,), 404), params=NONE_HERE),
    VOTE + "/objections/<int:objection_id>/answer": Case(post=roles(MANAGERS, 404), params=NONE_HERE),
    "/r/<community_code>/votes": Case(get=answering(200), cross=ANSWER_CROSS),
    RESIDENT_VOTE: Case(get=answering(404), params=NONE_HERE, cross=ANSWER_CROSS),
}
for _action in ("open", "close", "cancel", "finalise"):
    CASES[f"{VOTE}/{_action}"] = Case(post=roles(MANAGERS, 404), params=NONE_HERE)
for _action in ("verify", "ballot", "objection"):
    CASES[f"{RESIDENT_VOTE}/{_action}"] = Case(post=answering(404), params=NONE_HERE, cross=ANSWER_CROSS)
