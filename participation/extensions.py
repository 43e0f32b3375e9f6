"""Flask extensions, created unbound; ``create_app`` binds them. Imports no feature module."""
from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Reads anyone may make without an account or token (Open311's GETs, /api/v1 without a token, its OpenAPI document):
# per client address; ANONYMOUS_READ_LIMIT in the config overrides it (a limits string such as "60/minute").
ANONYMOUS_READ_LIMIT = "60/minute"


def anonymous_read_limit() -> str:
    return current_app.config.get("ANONYMOUS_READ_LIMIT", ANONYMOUS_READ_LIMIT)
compress = Compress()


def select_locale() -> str:
    """Chinese unless the visitor chose English (the switch) or their browser prefers it; Chinese in the CLI."""
    if not has_request_context():
        return "zh_Hans_CN"
    chosen = session.get("lang") if session else None
    if chosen in ("zh_Hans_CN", "en"):
        return chosen
    best = request.accept_languages.best_match(["zh_Hans_CN", "zh_CN", "zh", "en"], default="zh_Hans_CN")
    return "en" if best == "en" else "zh_Hans_CN"


babel = Babel()
