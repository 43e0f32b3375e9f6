"""Error pages in the user's language; a failed request rolls back so nothing half-done is kept."""
import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/open311/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _render(status: int, message: str):
    db.session.rollback()
    if _wants_json():
        return {"error": message, "status": status}, status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def _http_error(error: HTTPException):
    status = error.code or 500
    shown = isinstance(error, ApiError) or getattr(error, "shown", False)   # security.BadInput: its own words
    if is_api_request():   # /api/v1: {"error": {"code", "message"}} for every status, unknown URLs included
        return error_response(status, error.description if shown else None)
    return _render(status, str(error.description if shown else MESSAGES.get(status, MESSAGES[400])))


def _csrf_error(error: CSRFError):
    return _render(400, _("This form has expired or was sent from elsewhere. Please reload the page and send it "
                          "again."))


def _server_error(error: Exception):
    logger.exception("unhandled error on %s %s", request.method, request.path)
    if is_api_request():
        return error_response(500)
    return _render(500, str(MESSAGES[500]))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
