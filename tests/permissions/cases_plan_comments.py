"""Permission rows of the plan's comment period (merged into tests/permissions/cases.CASES).

Staff pages follow the plan pages: the plan's readers read the comments page and the printable notice; admins and
organisers who run the community publish, close, lock and moderate. The world's version 1 was never published for
comment, so closing it or locking it is refused with a message (back to the comments page) and changes nothing;
an empty publish form has no dates and an empty moderation form names no comment (400).

The residents' plan page /r/<code>/plan is a public notice, like the entry page next to it: everyone reads it in
any community. Giving a view needs a household of the community: staff acting for nobody and visitors go to the
start page; the resident's household gets 404 while nothing is published (and on another community's plan).
"""
from tests.permissions.cases import ACTORS, MANAGERS, NOBODY_ACTING, RESIDENT, RESULT_READERS, Case, Redirect, roles

VERSION = "/c/<community_code>/plan/versions/<int:number>"
COMMENTS = Redirect("/c/{community}/plan/versions/{plan_version}/comments")

CASES: dict = {
    VERSION + "/comments": Case(get=roles(RESULT_READERS)),
    VERSION + "/comments/publish": Case(post=roles(MANAGERS, 400)),
    VERSION + "/comments/close": Case(post=roles(MANAGERS, COMMENTS)),
    VERSION + "/comments/moderate": Case(post=roles(MANAGERS, 400)),
    VERSION + "/lock": Case(post=roles(MANAGERS, COMMENTS)),
    VERSION + "/notice": Case(get=roles(RESULT_READERS)),
    "/r/<community_code>/plan": Case(get={actor: 200 for actor in ACTORS},
                                     post={actor: NOBODY_ACTING for actor in ACTORS} | {RESIDENT: 404},
                                     public=True),
}
