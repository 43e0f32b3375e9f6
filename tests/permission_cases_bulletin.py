"""Permission rows of the bulletin pages (merged into tests/permission_matrix_cases.CASES)."""
from tests.permission_matrix_cases import Case  # noqa: F401

CASES: dict = {}
