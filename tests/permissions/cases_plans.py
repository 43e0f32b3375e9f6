"""Permission rows of the plans pages (merged into tests/permissions/cases.CASES).

Readers are those who read the survey results (agencies never: the inputs hold residents' comments); admins and
organisers who run the community change things. The world's plan has version 1 adopted, so adopting the
suggestions again, or version 1 again, is refused with a message and changes nothing.
"""
from tests.permissions.cases import MANAGERS, RESULT_READERS, Case, Redirect, roles

PLAN = "/c/{community}/plan"

CASES: dict = {
    "/c/<community_code>/plan": Case(get=roles(RESULT_READERS)),
    # An empty form has no plan year: 400, nothing saved.
    "/c/<community_code>/plan/budget": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/c/<community_code>/plan/adopt-suggestions": Case(post=roles(MANAGERS, Redirect(PLAN))),
    "/c/<community_code>/plan/versions/<int:number>": Case(get=roles(RESULT_READERS)),
    "/c/<community_code>/plan/versions/<int:number>/adopt": Case(
        post=roles(MANAGERS, Redirect(PLAN + "/versions/{plan_version}"))),
    # An empty edit changes nothing: 400, no version made.
    "/c/<community_code>/plan/edit": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    # Readers follow the works; an empty update names no item: 400.
    "/c/<community_code>/plan/works": Case(get=roles(RESULT_READERS), post=roles(MANAGERS, 400)),
    # works progress in Excel (participation/plans/works_sheet_views.py): those who manage the community
    "/c/<community_code>/plan/works/template.xlsx": Case(get=roles(MANAGERS)),
    "/c/<community_code>/plan/works/import": Case(get=roles(MANAGERS), post=roles(MANAGERS, 400)),
    "/c/<community_code>/plan/notice": Case(get=roles(RESULT_READERS)),
    "/c/<community_code>/plan.xlsx": Case(get=roles(RESULT_READERS)),
    "/c/<community_code>/plan.json": Case(get=roles(RESULT_READERS)),
}
