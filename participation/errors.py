"""Error answers in the user's language: an HTML page, or JSON in the one shape of every JSON error. A failed request
rolls back, so nothing half-done is kept.

Every JSON error, whatever its status or URL (/api/v1, a page asked for ``Accept: application/json``, the survey
page's script), is ``{"error": {"code": "not_found", "message": "…"}}``, with ``"fields": {name: message}`` when
fields of a form were refused: ``participation.api.error_response`` writes it and nothing else writes an error. It is
the shape /api/v1 has published since issue 7 (openapi.json, DESIGN §8), chosen over RFC 9457 problem details
(application/problem+json) because the staff systems that read /api/v1 already parse it: moving the pages onto it
changes no API client, while problem details, which carry the same facts (a status, a code, a message, extension
members) under other names, would have broken every one of them or left two shapes.

Open311 is the exception its specification makes: GeoReport v2 fixes errors as ``[{"code", "description"}]``
(``<errors>`` in XML), so /open311/ answers its own (``answers_its_own_errors``), also for the errors Flask routes
here rather than to its blueprint: unknown URLs and wrong methods under its prefix, and crashes in its views.
"""
import logging

from flask import Blueprint, Flask, current_app, make_response, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from participation.api import ApiError, error_response, is_api_request
from participation.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l("This page does not exist, or you may not see it."),
    405: _l("This action is not allowed here."),
    413: _l("The file is too large. Files up to 16 MB are accepted."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing you sent was half-saved; please try again."),
}
OWN_ANSWERS = "own_error_answers"   # app.extensions key: URL prefix → the handler of a blueprint that answers its own


def answers_its_own_errors(blueprint: Blueprint):
    """Decorator: ``handler(error) -> response`` answers every HTTP error under ``blueprint``'s URL prefix, in a
    format a specification fixes for it (Open311). Flask calls a blueprint's handlers only for errors raised in its
    views; the app's handlers below hand it the rest."""
    def register(handler):
        blueprint.register_error_handler(HTTPException, handler)

        def remember(state) -> None:
            if not state.url_prefix:
                raise ValueError(f"{blueprint.name} answers its own errors only under a URL prefix")
            state.app.extensions.setdefault(OWN_ANSWERS, {})[state.url_prefix.rstrip("/") + "/"] = handler
        blueprint.record_once(remember)
        return handler
    return register


def _own_answer():
    answers = current_app.extensions.get(OWN_ANSWERS, {})
    return next((handler for prefix, handler in answers.items() if request.path.startswith(prefix)), None)


def _wants_json() -> bool:
    if is_api_request():
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _page_message(status: int) -> str:
    return str(MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400])


def _answer(error: HTTPException, message: str | None, *, code: str | None = None):
    """The error as JSON or as a page, with the headers HTTP asks of its status (Allow on a 405 …). ``message`` None:
    the status's own words, which under /api/v1 are the API's (they speak of tokens)."""
    db.session.rollback()
    status = error.code or 500
    if message is None and not is_api_request():
        message = _page_message(status)
    own = _own_answer()
    if own is not None:
        error.description = message
        response = make_response(own(error))
    elif _wants_json():
        response = error_response(status, message, code=code)
    else:
        template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
        response = make_response(render_template(template, status=status, message=message), status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers.setdefault(name, value)
    return response


def _http_error(error: HTTPException):
    shown = isinstance(error, ApiError) or getattr(error, "shown", False)   # security.BadInput: its own words
    return _answer(error, str(error.description) if shown and error.description else None)


def _csrf_error(error: CSRFError):
    return _answer(error, _("This form has expired or was sent from elsewhere. Please reload the page and send it "
                            "again."), code="csrf_failed")


def _server_error(error: Exception):
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return _answer(InternalServerError(original_exception=error), None)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
