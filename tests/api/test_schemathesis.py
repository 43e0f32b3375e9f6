"""Every operation of /api/v1/openapi.json, exercised by schemathesis in-process with an admin token on a small site:
no request ever gets a 5xx, and each response whose status the document declares matches the declared schema.

Each operation runs twice with a bounded, derandomized profile: once with generated path parameters (mostly unknown
codes and ids → the documented 404) and once with the seeded community's code and ticket's receipt filled in."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (CHECKS as CHECKS_REGISTRY, is_check_class, not_a_server_error,
                                 response_schema_conformance)
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, PositiveDataAcceptanceConfig
from schemathesis.generation import GenerationMode
from sqlalchemy import select

from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.models import ComplaintCategory
from tests.api.conftest import call

CHECKS = [not_a_server_error, response_schema_conformance]
CALLS = []  # (operation label, with known path parameters) of every generated request
PROFILE = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture
def site(make_community, make_token, reference_data):
    community = make_community("ST001", buildings=1, units=2, floors=2)
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    ticket = file_ticket(None, community, category=category, description="楼道漏水", channel="web")
    db.session.commit()
    return {"code": community.code, "receipt": ticket.receipt, "token": make_token("admin")}


def _exercise(operation, headers, path_parameters):
    failures = []

    @PROFILE
    @given(case=operation.as_strategy(path_parameters=path_parameters or None))
    def run(case):
        CALLS.append((operation.label, path_parameters is not None))
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Exception as error:  # noqa: BLE001 - reported per operation below
        failures.append(f"{operation.label} {path_parameters or ''}: {error}")
    return failures


def test_every_operation_survives_generated_requests(app, site):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The in-process WSGI transport does not undo Flask-Compress's gzip; ask for the plain body.
    headers = {"Authorization": f"Bearer {site['token']}", "Accept-Encoding": "identity"}
    known = {"code": site["code"], "receipt": site["receipt"]}
    failures, labels = [], []
    CALLS.clear()
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        names = {p.name for p in operation.path_parameters}
        failures += _exercise(operation, headers, None)
        if names and names <= known.keys():
            failures += _exercise(operation, headers, {name: known[name] for name in names})
    assert len(labels) >= 10 and {label for label, _known in CALLS} == set(labels)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("url", ["/api/v1/surveys/645884502557230740013056/summary",
                                 "/api/v1/votes/2147483648/result"])
def test_ids_past_the_key_range_are_unknown_not_a_server_error(client, make_token, url):
    """Found by schemathesis: an id too large for the database's integer key gave a 500."""
    response = call(client, "GET", url, make_token("admin"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


# --- issue 12 point 18: negative data and every check ---------------------------------------------------------------

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
NEGATIVE = settings(PROFILE, max_examples=400 if FUZZ else 15, derandomize=not FUZZ)
EVERY_CHECK = [check for check in CHECKS_REGISTRY.get_all() if not is_check_class(check)]


def test_negative_data_and_every_check(app, site, monkeypatch):
    """Generated requests that break the schema (wrong types, objects and arrays for strings, missing fields, huge
    numbers, NUL characters…) are refused with a documented 4xx, never a 5xx, under every check schemathesis has.
    HYPOTHESIS_PROFILE=fuzz: 400 examples an operation and mode (over 5,000 requests in all)."""
    monkeypatch.setitem(app.config, "ANONYMOUS_READ_LIMIT", "1000000/minute")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Query parameters the document does not name are ignored, as most HTTP APIs do (cache busters, tracking): not
    # "negative data". NUL characters stay on (allow_x00).
    schema.config.generation.update(allow_extra_parameters=False)
    # A schema-valid body may still name a category the community's locality does not have: the documented 422.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "422"])
    headers = {"Authorization": f"Bearer {site['token']}", "Accept-Encoding": "identity"}
    known = {"code": site["code"], "receipt": site["receipt"]}
    failures, statuses = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        fixed = {name: known[name] for name in names} if names and names <= known.keys() else None
        for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):

            @NEGATIVE
            @given(case=operation.as_strategy(mode, path_parameters=fixed))
            def run(case):
                response = case.call_and_validate(headers=headers, checks=EVERY_CHECK)
                statuses.append(response.status_code)

            try:
                run()
            except Exception as error:  # noqa: BLE001 - reported per operation below
                failures.append(f"{operation.label} {mode.value}: {error}")
    print(f"schemathesis: {len(statuses)} requests, statuses {sorted(set(statuses))}")
    assert statuses and not any(status >= 500 for status in statuses)
    assert not failures, "\n\n".join(failures)
