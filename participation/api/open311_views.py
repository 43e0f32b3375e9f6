"""Open311 GeoReport v2 at /open311/v2/ (issue 5): discovery, services, service definitions, service requests
(GET, and POST with an api_key), each in XML (required by the spec) and JSON (bare arrays, as clients index them).

Public by design: the GETs show what any resident could see on a notice board (category, state, community and
building, the agency, the deadline, the latest reply) and never the caller or the household. POST needs a key
(403 without); it is exempt from CSRF (a machine client has no session) and rate-limited per key.

Content types are the spec's: ``text/xml; charset=utf-8`` and ``application/json; charset=utf-8``. (The SeeClickFix
validator compares them without the charset; the spec wins.) Errors are the spec's ``<errors>`` / ``[{code,
description}]`` with HTTP 403 (key), 404 (unknown service or request) and 400 (anything else).
"""
from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from participation.api import open311 as api, open311_requests
from participation.api.open311 import Open311Error
from participation.api.open311_keys import key_for
from participation.api.open311_render import FORMATS, error, render
from participation.errors import answers_its_own_errors
from participation.extensions import anonymous_read_limit, csrf, limiter

bp = Blueprint("open311", __name__, url_prefix="/open311")

POST_LIMIT = "30/minute"
# Every public read shares one budget per client address (extensions.ANONYMOUS_READ_LIMIT); POSTs count per key.
public_read = limiter.shared_limit(anonymous_read_limit, scope="open311-read")


@bp.errorhandler(Open311Error)
def _open311_error(problem: Open311Error):
    return error(problem.status, problem.description)


@answers_its_own_errors(bp)   # also unknown URLs and wrong methods under /open311/, and crashes in its views
def _http_error(problem: HTTPException):
    status = problem.code or 400
    if status == 429:
        if request.method == "GET":
            return error(429, _("Too many requests from this address. Please wait a minute."))
        return error(429, _("Too many requests with this key. Please wait a minute."))
    if status == 405:
        return error(405, _("This method is not allowed here."))
    return error(status if status in (403, 404) else 400, problem.description or _("The request was not "
                                                                                   "understood."))


def _routes(path: str, endpoint: str, view, methods=("GET",)) -> None:
    for fmt in FORMATS:
        bp.add_url_rule(f"/v2/{path}.{fmt}", f"{endpoint}_{fmt}", view, methods=list(methods),
                        defaults={"fmt": fmt})


# --- views ---------------------------------------------------------------------------------------------------------

@public_read
def discovery(fmt: str):
    endpoint = url_for("open311.services_json", _external=True).rsplit("/", 1)[0]
    return render(fmt, "discovery", {
        "changeset": api.CHANGESET,
        "contact": _("The complaint desk of the city's old-residential-area renewal programme."),
        "key_service": _("Ask the administrators for a key; they create one with 'flask open311 create-key'."),
        "endpoints": [{"specification": api.SPECIFICATION, "url": endpoint, "changeset": api.CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    })


@public_read
def services(fmt: str):
    return render(fmt, "services", api.services())


@public_read
def service_definition(fmt: str, service_code: str):
    return render(fmt, "service_definition", api.service_definition(service_code))


@public_read
def requests_get(fmt: str):
    return render(fmt, "service_requests", open311_requests.find_requests(request.args))


def _limit_key() -> str:
    return "open311:" + (request.values.get("api_key") or f"nokey:{request.remote_addr}")


@limiter.limit(POST_LIMIT, key_func=_limit_key)
def requests_post(fmt: str):
    key = key_for(request.values.get("api_key"))
    ticket = api.create_request(key, request.form)
    return render(fmt, "service_requests", [api.created(ticket)])


csrf.exempt(requests_post)


@public_read
def request_get(fmt: str, service_request_id: str):
    return render(fmt, "service_requests", [open311_requests.find_request(service_request_id)])


_routes("discovery", "discovery", discovery)
_routes("services", "services", services)
_routes("services/<service_code>", "service_definition", service_definition)
# open311 1.1 (PyPI, Code for America) asks for the definition at the singular "service/".
_routes("service/<service_code>", "service_definition_singular", service_definition)
_routes("requests", "requests", requests_get)
_routes("requests", "create_request", requests_post, methods=("POST",))
_routes("requests/<service_request_id>", "request", request_get)
