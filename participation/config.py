"""Configuration read from the environment; secrets live outside the code.

``instance/`` holds what one deployment owns: the SQLite database, the generated secret keys and uploads.
"""
import os
import secrets
from pathlib import Path


def _instance_secret(instance_path: str, name: str) -> str:
    """Return the secret kept in ``instance/<name>``, generating it once with owner-only permissions."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping for ``create_app``."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'participation.db'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    redis_url = os.environ.get("REDIS_URL")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        # Household codes are hashed with a key kept outside the database: a leaked database alone
        # does not let anyone try all codes offline.
        "HOUSEHOLD_CODE_KEY": os.environ.get("HOUSEHOLD_CODE_KEY")
        or _instance_secret(instance_path, "household_code_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "scrypt",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("COOKIE_SECURE", "0") == "1",
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto: behind one, the client's
        # address is the proxy's unless trusted, and every per-address throttle would be shared by all users.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0") or 0),
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 12,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "application/javascript", "application/json",
                               "image/svg+xml", "text/csv"],
        "COMPRESS_ALGORITHM": ["gzip"],
        "COMPRESS_MIN_SIZE": 500,
        # Flask-Compress re-wraps streamed bodies without closing the file behind them (static files leak a
        # handle per request), so only buffered responses — our pages — are compressed; static assets are small.
        "COMPRESS_STREAMS": False,
        "SEND_FILE_MAX_AGE_DEFAULT": 60 * 60 * 24 * 7,
    }
