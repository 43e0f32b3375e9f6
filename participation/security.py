"""Response headers every page gets, the SQLite pragmas, the staff user loader, and the input guards every request
passes: no NUL character in any text sent (PostgreSQL cannot store or compare it), whole numbers in bounds."""
import unicodedata
from urllib.parse import urlsplit

from flask import Flask, Request, request
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.extensions import db, login_manager
from participation.models import User

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL with synchronous=FULL: an acknowledged answer survives a power cut; foreign keys enforced."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in account, from the "<id>:<session version>" the session holds (``User.get_id``): a session of an
    older version (signed out, password changed or reset since) or of a deactivated account is no session."""
    user_key, _sep, version = user_id.partition(":")
    if not (user_key.isascii() and user_key.isdigit() and version.isascii() and version.isdigit()) \
            or int(user_key) > MAX_ID:
        return None
    user = db.session.get(User, int(user_key))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def safe_next(target: str | None, default: str) -> str:
    r"""``target`` when it is a path on this site, else ``default``: where to go after signing in or a display switch.

    Control and invisible format characters are removed first (browsers drop tabs and newlines inside URLs, so
    ``/\t/evil.example`` is ``//evil.example`` to them, and a newline in a Location header is a 500). Then only a
    single-slash path with no backslash (browsers read ``\`` as ``/``), no scheme or host, and no compatibility
    look-alike (a full-width ／ or ＼ that a normalising parser turns into a slash) is kept.
    """
    if not target:
        return default
    target = "".join(char for char in target if unicodedata.category(char) not in ("Cc", "Cf"))
    if (not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000
            or unicodedata.normalize("NFKC", target) != target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _set_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=()")
    return response


# The largest id a database key holds (PostgreSQL's integer): larger ones are unknown, never a query that fails.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class BadInput(BadRequest):
    """A 400 whose message is shown to the user as it is (the HTML page, /api/v1's and Open311's error shapes)."""

    shown = True


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul():
    raise BadInput(_("The request contains a NUL character (\\0), which no field accepts. Remove it and send "
                     "again."))


class GuardedRequest(Request):
    """Form fields and file names are checked for NUL characters when the body is parsed, whenever a view parses it
    and under that view's own size limit (the complaint form allows three photos, more than the app's default)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if _has_nul([*self.form.lists(), *(upload.filename for upload in self.files.values())]):
            _refuse_nul()


def guard_input() -> None:
    """Before every request: an <int:…> path id past the key range is a 404; a NUL character anywhere in the path,
    the query or a JSON body is refused as bad input (form bodies: ``GuardedRequest``, when parsed). PostgreSQL
    refuses NUL in text (a 500 at the first query), and no person types one."""
    if any(isinstance(value, int) and not -MAX_ID <= value <= MAX_ID for value in (request.view_args or {}).values()):
        # /…/<int:id> with an id past the key range: nothing has it (the database would refuse the comparison).
        raise NotFound()
    sent = [request.path, *request.args.lists(), *(request.view_args or {}).values()]
    if request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sent.append(request.get_json(silent=True))
    if _has_nul(sent):
        _refuse_nul()


def int_arg(value, *, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number typed in a query argument or a field, within ``low``..``high``: ``default`` when empty,
    BadInput (400) when not a whole number or out of bounds. Ids use the default bounds (1 to the key range)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise BadInput(_("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
    return int(text)


def id_or_none(value) -> int | None:
    """An id typed or linked (``?household=12``): None for anything that cannot be one, so the page treats it as
    unknown (never a query with a number the key range cannot hold)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)) or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_COUNT"):
        # Trust exactly that many proxies' X-Forwarded-For/-Proto/-Host: the client address the throttles and
        # rate limits key on, and https for secure cookies and URLs. Never more: a client could forge the header.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.request_class = GuardedRequest
    app.before_request(guard_input)
    app.after_request(_set_headers)
