"""The staff JSON API at /api/v1 (issue 7, DESIGN §8), shared by its two halves: participation's endpoints
(``participation.api.views``) and the survey endpoints that live with the survey engine (``surveys.views.api``,
since participation never imports surveys).

Auth: ``Authorization: Bearer <token>``; a token acts as its service account (see
``participation.api.tokens``), so scope checks are the staff pages' own predicates. No cookies are read,
so the API is exempt from CSRF. Errors always have one shape: ``{"error": {"code": "...", "message": "..."}}``
(``error_response``), the shape of every JSON error of the application (``participation.errors``, which also
answers unknown URLs and wrong methods under /api/v1).
"""
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

from flask import g, jsonify, request
from flask_babel import gettext as _
from limits import parse
from werkzeug.exceptions import HTTPException

from participation.api.tokens import user_for
from participation.extensions import anonymous_read_limit, db, limiter
from participation.permissions import can_view_community
from participation.roster.communities import community_by_code
from participation.security import MAX_PAGE, BadInput, int_arg

PREFIX = "/api/v1"
# Channels a staff system may file a complaint through ("web" is residents', "open311" the GeoReport API's).
API_CHANNELS = ("community_hotline", "hotline_12345", "walk_in", "patrol")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "unprocessable",
         429: "too_many_requests", 500: "server_error", 503: "unavailable"}


class ApiError(HTTPException):
    """Stop with ``status`` and a message shown as it is (in the client's language)."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(description=message)
        self.code = status


def messages() -> dict:
    return {
        400: _("The request could not be understood."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("This token may not do that."),
        404: _("There is nothing here, or this token may not see it."),
        405: _("This method is not allowed here."),
        409: _("That conflicts with the current state."),
        413: _("The request is too large."),
        422: _("The request was understood but its data was refused."),
        429: _("Too many requests. Please wait a moment."),
        500: _("Something went wrong on our side. Nothing was half-saved."),
    }


def error_response(status: int, message: str | None = None, *, code: str | None = None, fields: dict | None = None,
                   **members):
    """The one JSON error of the whole application (``participation.errors`` says why this shape):
    ``{"error": {"code", "message"[, "fields"]}}`` with HTTP ``status``, after rolling back.

    ``code``: a word for programs (the status's by default: "not_found" …; "csrf_failed" tells a script to reload the
    page); ``message``: for people, in their language (the status's own words by default); ``fields``: {field name:
    message} when fields of a form were refused; ``members``: what a page's script needs beside the error, at the top
    level (which questions a survey now hides)."""
    db.session.rollback()
    words = messages()
    error = {"code": code or CODES.get(status) or CODES[500 if status >= 500 else 400],
             "message": str(message or words.get(status) or words[500 if status >= 500 else 400])}
    if fields:
        error["fields"] = {name: str(text) for name, text in fields.items()}
    response = jsonify({"error": error, **members})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def api_user():
    return g.api_user


def token_required(*roles: str):
    """The token's service account in ``g.api_user``: 401 without a live token, 403 when its role is not in
    ``roles`` (any role when empty)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _space, token = header.partition(" ")
            user = user_for(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                count_anonymous()
                raise ApiError(401)
            if roles and user.role not in roles:
                raise ApiError(403)
            g.api_user = user
            return view(*args, **kwargs)
        return wrapped
    return decorator


def count_anonymous() -> None:
    """A request without a live token counts against its address's budget of anonymous requests (shared with the
    OpenAPI document's reads); past it, 429 before any further work."""
    if not limiter.enabled:
        return
    budget = parse(anonymous_read_limit())
    if not limiter.limiter.hit(budget, "api-anonymous", request.remote_addr or "unknown"):
        raise ApiError(429)


def community_or_404(code: str, roles=None):
    """Missing → 404; role outside ``roles`` → 403; outside the token's scope → 404 (as ``guards.staff_community``)."""
    community = community_by_code(code)
    if community is None:
        raise ApiError(404)
    if roles is not None and api_user().role not in roles:
        raise ApiError(403)
    if not can_view_community(api_user(), community):
        raise ApiError(404)
    return community


def page_args() -> tuple[int, int]:
    """``?page=`` (1 to ``MAX_PAGE``) and ``?per_page=`` (1–200); 400 for anything else (security.int_arg)."""
    try:
        if any(name in request.args and not request.args[name].strip() for name in ("page", "per_page")):
            raise BadInput()   # given, but empty: not a number (absent is the default)
        page = int_arg(request.args.get("page"), default=1, high=MAX_PAGE)
        per_page = int_arg(request.args.get("per_page"), default=PAGE_SIZE, high=MAX_PAGE_SIZE)
    except BadInput:
        raise ApiError(400, _("page must be a whole number from 1 to %(pages)d and per_page from 1 to %(most)d.",
                              pages=MAX_PAGE, most=MAX_PAGE_SIZE)) from None
    return page, per_page


def json_body(strings=(), booleans=()) -> dict:
    """The request's JSON object, with only the fields named in ``strings`` (each a string, or absent/null) and
    ``booleans`` (true/false/"yes"/"no"); 400 for anything else: an object or a list where text is expected is bad
    input, not something to turn into text (or a 500 further down), and a field the operation does not know (a typo
    such as "descripton") would otherwise be dropped without a word."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, _("Send a JSON object with Content-Type: application/json."))
    unknown = sorted(set(body) - set(strings) - set(booleans))
    if unknown:
        raise ApiError(400, _("Unknown field: %(field)s.", field=unknown[0]))
    for name in strings:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ApiError(400, _("%(field)s must be a string.", field=name))
    for name in booleans:
        if body.get(name) is not None and body[name] not in (True, False, "yes", "no"):
            raise ApiError(400, _("%(field)s must be true or false.", field=name))
    return body


def jsonable(value):
    """Decimals as strings (exact money and areas), datetimes in ISO 8601, lazy strings as text."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
