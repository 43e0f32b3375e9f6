"""/api/v1/openapi.json: a valid OpenAPI 3 document (openapi-spec-validator) that documents every /api/v1 route of
the URL map with each of its methods."""
import re

from openapi_spec_validator import validate


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    validate(document)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_is_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        documented = paths.get(_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from openapi.json: {missing}"
    assert len(paths) >= 11


def test_every_operation_documents_its_errors_with_the_error_shape(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.endswith("openapi.json"):
                continue
            assert "401" in operation["responses"], f"{method} {path}"
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Error"}
