"""Permission rows of the patrol findings' rectification steps (merged into tests/permissions/cases.CASES).

``/patrols/<finding_id>/rectify`` (the contractor), ``/verify`` and ``/return`` (the 监理 or an owner
representative who may file findings in the community) are POSTs only. Those who read findings (desk staff, agencies,
owner representatives) reach the lookup; everyone else gets 403 (grid workers) or the login page. The matrix's world
has no patrol finding, so the number filled in (a building's id) names none and the readers get 404 — the answers on a
real finding (403 for a reader who may not take the step, 404 outside one's reach, the step itself) are pinned down
in tests/participation/test_patrol_rectification.py.
"""
from tests.permissions.cases import Case, roles
from tests.permissions.cases_bulletin import PATROL_READERS

NO_FINDING = roles(PATROL_READERS, 404)

CASES: dict = {
    f"/patrols/<int:finding_id>/{step}": Case(post=NO_FINDING, params={"finding_id": "building"})
    for step in ("rectify", "verify", "return")
}
