"""/api/v1/openapi.json, generated from the code: apispec (with apispec-webframeworks' Flask plugin) reads each
/api/v1 view's docstring YAML (after ``---``) and the route's path from the URL map; shared schemas are below."""
import copy
import json

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app

from participation.api import API_CHANNELS, PREFIX
from participation.complaints.operations import ACTIONS
from participation.models.complaints import SATISFACTION, URGENCIES

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string", "example": "not_found"}, "message": {"type": "string"},
                   "fields": {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "field name → why it was refused"}}}}}
SCHEMAS = {
    "Error": ERROR,
    "Community": {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "district": {"type": "string"},
        "status": {"type": "string"}, "buildings": {"type": "integer"}, "units": {"type": "integer"},
        "households": {"type": "integer"},
        "estimates": {"type": "object", "description": "the labelled investment figures in yuan "
                      "(participation/plans/figures.py): field_survey, version_in_force, after_votes (null: none), "
                      "headline (the one a single-number surface shows), labels, version, adopted, failed_items",
                      "properties": {"field_survey": {"type": "number"},
                                     "version_in_force": {"type": "number", "nullable": True},
                                     "after_votes": {"type": "number", "nullable": True},
                                     "headline": {"type": "string"}}}}},
    "Household": {"type": "object", "properties": {
        "id": {"type": "integer"}, "building": {"type": "string"}, "unit": {"type": "string"},
        "room": {"type": "string"}, "floor": {"type": "integer"},
        "area": {"type": "string", "description": "registered area in m², a decimal string"},
        "occupancy": {"type": "string"}, "phone": {"type": "string", "description": "masked: 138****5678"}}},
    "NewComplaint": {"type": "object", "required": ["community", "category", "description"],
                     "additionalProperties": False, "properties": {
        "community": {"type": "string", "description": "community code"},
        "category": {"type": "string", "description": "complaint category code of the community's locality"},
        "description": {"type": "string"},
        "urgency": {"type": "string", "default": "normal", "enum": list(URGENCIES)},
        "channel": {"type": "string", "default": "community_hotline",
                    "enum": list(API_CHANNELS)}, "building": {"type": "string"},
        "place": {"type": "string"}, "caller_name": {"type": "string"}, "caller_phone": {"type": "string"},
        "external_number": {"type": "string", "description": "12345 ticket number (工单号)"}}},
    "ComplaintAction": {"type": "object", "required": ["action"], "additionalProperties": False, "properties": {
        "action": {"type": "string", "example": "dispatch", "enum": list(ACTIONS)}, "agency": {"type": "string"},
        "note": {"type": "string"}, "solved": {"type": "boolean"},
        "satisfaction": {"type": "string", "enum": list(SATISFACTION)}}},
    "Complaint": {"type": "object", "properties": {
        "receipt": {"type": "string"}, "community": {"type": "string"}, "state": {"type": "string"},
        "state_label": {"type": "string"}, "category": {"type": "string"}, "urgency": {"type": "string"},
        "channel": {"type": "string"}, "description": {"type": "string"},
        "building": {"type": "string", "nullable": True}, "place": {"type": "string", "nullable": True},
        "agency": {"type": "string", "nullable": True}, "received_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"},
        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
        "caller_phone": {"type": "string", "nullable": True},
        "actions": {"type": "array", "items": {"type": "string"}},
        "timeline": {"type": "array", "items": {"type": "object"}}}},
    "VoteResult": {"type": "object", "additionalProperties": True, "properties": {
        "id": {"type": "integer"}, "community": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "string"}, "hidden": {"type": "boolean"}, "matter": {"type": "integer"},
        "class": {"type": "string"}, "area_total": {"type": "string"}, "headcount_total": {"type": "integer"}}},
    "SurveySummary": {"type": "object", "additionalProperties": True},
}


def openapi_json() -> bytes:
    """The document as served, built once per app (the URL map and the docstrings do not change while it runs) and
    kept in ``app.extensions``."""
    app = current_app
    if "openapi_json" not in app.extensions:
        app.extensions["openapi_json"] = json.dumps(openapi_document(), ensure_ascii=False).encode("utf-8")
    return app.extensions["openapi_json"]


def openapi_document() -> dict:
    spec = APISpec(title="民呼我应 staff API", version="1.0.0", openapi_version="3.0.3", plugins=[FlaskPlugin()],
                   info={"description": "Read and file for staff systems; a token acts like a staff account "
                                        "of its role and communities."},
                   servers=[{"url": "/"}], security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    spec.components.response("Error", {"description": "An error", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    app = current_app
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        if not load_operations_from_docstring(view.__doc__ or ""):
            continue   # undocumented: the test over the URL map names it
        spec.path(view=view, app=app)
    document = _no_nul_in_strings(copy.deepcopy(spec.to_dict()))
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                # any request may be refused as bad input before its view (security.guard_input: a NUL character)
                operation["responses"].setdefault("400", {"$ref": "#/components/responses/Error"})
    return document


NO_NUL = "^[^\\u0000]*$"


def _no_nul_in_strings(node):
    """Every free string of the document says what the API enforces (security.guard_input): no NUL character."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"enum", "pattern", "format"} & node.keys():
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul_in_strings(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul_in_strings(value)
    return node
