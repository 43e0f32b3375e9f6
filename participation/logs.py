"""Logs that reach the operator: one line per event on the process's stderr, where gunicorn, systemd and journald
pick it up — a JSON object per line under gunicorn, readable text for the development server and the CLI.

Every line says when (ISO 8601 with the zone), how bad, which logger and what, the request's id (taken from nginx's
``X-Request-ID`` when it is sane, made here otherwise, and sent back in the response) and who acted: the signed-in
staff member's ``user_id``, the household's ``household_id`` — ids only, never a phone number, a household code, an
ID tail, a password or a token. Structured fields given with ``extra=`` follow. A phone number or ID number that
slips into a message anyway is masked before the line is written.

Configured once per process, with ``logging.config.dictConfig``: ``LOG_LEVEL`` (default INFO) and ``LOG_FORMAT``
(json or text; json under gunicorn, text elsewhere) from the app's config or the environment. Configuring again
replaces this module's handler instead of stacking another, and keeps any other handler on the root logger (pytest's
log capture, for one). Downloads (any attachment response: spreadsheets, CSV, JSON files) are logged here too, so no
export view can forget it.
"""
import json
import logging
import logging.config
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect
from werkzeug.http import parse_options_header

logger = logging.getLogger(__name__)

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("json", "text")
HANDLER = "participation.stderr"   # this module's handler on the root logger, found by name when configured again
REQUEST_ID_HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; anything else a proxy might send is accepted if it cannot break a line or
# carry a sentence: letters, digits, "-", "_" and ".", 8 to 64 of them.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# An 11-digit mainland mobile number (kept as 138****5678, the way pages mask it) and an 18-character resident ID
# number (kept as its first 6 characters, the region), each standing alone in the text.
# A mainland mobile, also as SMS providers write it (+8613…, 008613…, 8613…): the prefix stays, the middle goes.
MOBILE = re.compile(r"(?<![0-9])((?:(?:\+|00)?86)?1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{11}[0-9Xx](?![0-9A-Za-z])")
CONTEXT_FIELDS = ("request_id", "user_id", "household_id")
# What every LogRecord carries; anything else on a record came with ``extra=`` and is written as a field.
RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """``text`` with mobile numbers masked (138****5678) and resident ID numbers cut to their region."""
    return ID_NUMBER.sub(r"\1************", MOBILE.sub(r"\1****\2", text))


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _redacted(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


class _Fields(logging.Formatter):
    """What both formats write: the fixed fields, then the record's own, every text masked (``redact``)."""

    def fields(self, record: logging.LogRecord) -> dict:
        line = {"time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": redact(record.getMessage()),
                "request_id": getattr(record, "request_id", None)}
        for name in ("user_id", "household_id"):
            if getattr(record, name, None) is not None:
                line[name] = record.__dict__[name]
        for name, value in record.__dict__.items():
            if name not in RECORD_FIELDS and name not in CONTEXT_FIELDS and not name.startswith("_"):
                line.setdefault(name, _redacted(value))
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return line


class JsonFormatter(_Fields):
    """One JSON object per line, UTF-8 (Chinese stays readable in journalctl)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


class TextFormatter(_Fields):
    """``time LEVEL logger [request id] message key=value …`` and the traceback below, for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        line = self.fields(record)
        head = [line.pop("time"), line.pop("level"), line.pop("logger")]
        if request_id := line.pop("request_id"):
            head.append(f"[{request_id}]")
        head.append(line.pop("message"))
        trace = [line.pop(name) for name in ("exception", "stack") if name in line]
        text = " ".join(head + [f"{name}={json.dumps(value, ensure_ascii=False, default=str)}"
                                for name, value in line.items()])
        return "\n".join([text, *trace])


class RequestContext(logging.Filter):
    """Puts the request's id and who acted on each record logged during a request (fields the caller gave with
    ``extra=`` are kept: a staff member's ballot for a household names that household)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            if getattr(record, "user_id", None) is None:
                record.user_id = _signed_in_user_id()
            if getattr(record, "household_id", None) is None:
                record.household_id = _acting_household_id()
        return True


def _row_id(row) -> int | None:
    """The primary key of a loaded row without touching the database (an expired row would be read again)."""
    state = inspect(row, raiseerr=False) if row is not None else None
    return state.identity[0] if state is not None and state.identity else None


def _signed_in_user_id() -> int | None:
    """The staff member Flask-Login loaded for this request, if it did (``g._login_user``: logging never loads one
    itself), or the service account of the API token the request carried (``g.api_user``)."""
    user = g.get("_login_user")
    if getattr(user, "is_authenticated", False):
        return _row_id(user)
    return _row_id(g.get("api_user"))


def _acting_household_id() -> int | None:
    """The household this request found the browser acting for, if it looked (``participation.entry.residents`` keeps it
    in ``g``: ``assisting`` for staff acting for it, ``household`` for a resident who entered with its code)."""
    assisting = g.get("assisting")
    if assisting is not None:
        return _row_id(assisting.household)
    return _row_id(g.get("household"))


# --- configuration ---------------------------------------------------------------------------------------------

def default_format() -> str:
    """JSON under gunicorn (it sets SERVER_SOFTWARE before loading the app) for the log collector; text for a
    person at a terminal: the development server, and CLI commands whose output is on the same screen."""
    return "json" if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn") else "text"


def log_level(config=None) -> str:
    """``LOG_LEVEL`` from the app's config, else the environment, else INFO."""
    return _setting("LOG_LEVEL", "INFO", LEVELS, config).upper()


def log_format(config=None, *, default: str | None = None) -> str:
    """``LOG_FORMAT`` (json or text) from the app's config, else the environment, else ``default`` (gunicorn's
    configuration file knows it is gunicorn's), else ``default_format()``."""
    return _setting("LOG_FORMAT", default or default_format(), FORMATS, config).lower()


def _setting(name: str, default: str, choices: tuple[str, ...], config) -> str:
    """A value outside ``choices`` stops the start with a message, rather than logging in a way nobody meant."""
    value = str((config or {}).get(name) or os.environ.get(name) or default).strip()
    if value.upper() not in choices and value.lower() not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} (it is {value!r}).")
    return value


def logging_config(level: str, fmt: str) -> dict:
    """The ``dictConfig`` of this app's logging: everything through the root logger, at ``level``, to stderr.
    The stream is the process's own (fd 2), not whatever ``sys.stderr`` a test runner swapped in."""
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,   # loggers made at import time (every module's) keep working
        "formatters": {"app": {"()": formatter}},
        "filters": {"request": {"()": RequestContext}},
        "handlers": {HANDLER: {"class": "logging.StreamHandler", "stream": "ext://sys.__stderr__",
                               "formatter": "app", "filters": ["request"]}},
        "root": {"level": level, "handlers": [HANDLER]},
        # alembic's plugin set-up says nothing to an operator, at every start; ``flask db upgrade`` sets its own.
        "loggers": {"alembic": {"level": "WARNING"}},
    }


def configure(level: str, fmt: str) -> None:
    """Apply ``logging_config``; handlers others put on the root logger stay, this module's is replaced."""
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if handler.get_name() == HANDLER]
    if ours and root.level == logging.getLevelName(level) \
            and isinstance(ours[0].formatter, JsonFormatter if fmt == "json" else TextFormatter):
        return   # already so: another app of this process (the test suite makes many)
    others = [handler for handler in root.handlers if handler.get_name() != HANDLER]
    logging.config.dictConfig(logging_config(level, fmt))
    for handler in others:
        root.addHandler(handler)


def init_app(app: Flask) -> None:
    """Configure logging from the app's settings, give every request an id, and log every download."""
    configure(log_level(app.config), log_format(app.config))
    app.before_request(_start_request)
    app.after_request(_finish_request)


# --- each request ------------------------------------------------------------------------------------------------

def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if SANE_REQUEST_ID.fullmatch(offered) else secrets.token_hex(16)


def _finish_request(response: Response) -> Response:
    if request_id := g.get("request_id"):
        response.headers[REQUEST_ID_HEADER] = request_id
    _log_download(response)
    return response


def _log_download(response: Response) -> None:
    """An attachment sent (a spreadsheet, CSV or JSON file): who took which file of what (the URL's community code,
    survey or vote id), and its size. Audited exports also have their audit row, with row counts."""
    disposition, options = parse_options_header(response.headers.get("Content-Disposition"))
    if disposition != "attachment" or response.status_code != 200:
        return
    logger.info("download %s", options.get("filename", "-"), extra={
        "event": "export", "endpoint": request.endpoint, "file": options.get("filename"),
        "bytes": response.content_length,
        **{name: value for name, value in (request.view_args or {}).items() if name not in RECORD_FIELDS}})


def logs_refusals(kind: str, *refusals: type[Exception]) -> Callable:
    """Decorate an import: a file it refuses is logged at INFO (``import.refused``, the kind, how many problems),
    then the refusal goes on to its caller. Accepted imports are logged by the audit mirror; the problems' words are
    never logged, since they quote the rows (names, rooms, phones)."""
    def decorate(operation: Callable) -> Callable:
        @wraps(operation)
        def run(*args, **kwargs):
            try:
                return operation(*args, **kwargs)
            except refusals as refusal:
                logger.info("%s import refused", kind, extra={
                    "event": "import.refused", "kind": kind, "problems": len(getattr(refusal, "errors", ()) or ())})
                raise
        return run
    return decorate
