"""Open311 GeoReport v2's two formats: XML (required by the spec) and JSON (bare arrays, as clients index them), in
the spec's content types ``text/xml; charset=utf-8`` and ``application/json; charset=utf-8``, and its error answer
``<errors>`` / ``[{code, description}]`` (``error``), the Open311 counterpart of ``participation.api.error_response``.
"""
import json
from xml.etree import ElementTree

from flask import Response, request

from participation.extensions import db

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Element names of list items in XML (JSON has bare arrays).
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
         "formats": "format", "attributes": "attribute", "values": "value"}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(name: str, value) -> ElementTree.Element:
    element = ElementTree.Element(name)
    if isinstance(value, dict):
        for key, child in value.items():
            if child is not None:
                element.append(_element(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(ITEMS.get(name, "item"), child))
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, body, status: int = 200) -> Response:
    if fmt == "xml":
        text = '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(_element(root, body),
                                                                                 encoding="unicode")
    else:
        text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, content_type=CONTENT_TYPES[fmt])


def _format() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def error(status: int, description: str) -> Response:
    """The spec's error answer with HTTP ``status``, in the format the URL asked for, after rolling back (also for
    errors raised outside a view, such as an unknown URL, which no request transaction wraps)."""
    db.session.rollback()
    return render(_format(), "errors", [{"code": status, "description": str(description)}], status)
