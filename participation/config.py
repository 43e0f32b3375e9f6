"""Configuration read from the environment; secrets live outside the code.

``instance/`` holds what one deployment owns: the SQLite database, the generated secret keys and uploads.

Keys (``SECRET_KEY``, ``HOUSEHOLD_CODE_KEY``, both key rings: ``participation.keyring``) come from the environment,
else from the TOML file named by ``SECRETS_FILE``. Only the embedded SQLite default makes its own into
``instance/``: a deployment on PostgreSQL may run on several hosts, and a key made by one host is unknown to the
others (a slip printed there would not open here, sessions would break between hosts), so ``check_keys`` refuses
to start it without keys given from outside.
"""
import os
import secrets
import stat
import tomllib
from pathlib import Path

from flask import Flask
from flask_babel import force_locale, gettext as _

from participation.keyring import MIN_KEY_LENGTH, KeyConfigError, parse_ring, signing_keys, weak_versions

KEY_FILES = {"SECRET_KEY": "secret_key", "HOUSEHOLD_CODE_KEY": "household_code_key"}
FROM_OUTSIDE = ("environment", "secrets file")    # where an operator's keys come from (the other sources:
                                                  # "instance", generated; "application", given by create_app's caller)


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


def read_secrets_file(path: str) -> dict:
    """The keys in the secrets file (TOML: ``SECRET_KEY = "…"``). Refused when others may read it, as ssh refuses
    a private key: whoever reads the file can forge sessions and try every household code offline."""
    try:
        with open(path, "rb") as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)    # of the file read, not of a path swapped since
            if mode & 0o077:
                raise KeyConfigError(_("The secrets file %(path)s may be read or changed by other users (mode "
                                       "%(mode)s). Make it the app user's alone: chmod 600 %(path)s", path=path,
                                       mode=oct(mode)))
            values = tomllib.load(handle)
    except OSError as error:
        raise KeyConfigError(_("The secrets file %(path)s cannot be read: %(error)s", path=path,
                               error=error.strerror or error)) from error
    except tomllib.TOMLDecodeError as error:
        raise KeyConfigError(_("The secrets file %(path)s is not valid TOML: %(error)s", path=path,
                               error=error)) from error
    for name in KEY_FILES:
        if name in values and not isinstance(values[name], str):
            raise KeyConfigError(_('In %(path)s, %(name)s must be a string in quotes: %(name)s = "…"', path=path,
                                   name=name))
    return values


def is_embedded(database_url: str) -> bool:
    """SQLite: one host, so keys it makes for itself hold everywhere it runs."""
    return database_url.startswith("sqlite")


def _keys(instance_path: str, database_url: str) -> dict:
    """SECRET_KEY and HOUSEHOLD_CODE_KEY, and where each came from (``KEY_SOURCES``, for ``check_keys`` and
    ``flask keys rotate``). Missing keys are left missing on PostgreSQL: ``check_keys`` says what to do."""
    secrets_file = os.environ.get("SECRETS_FILE") or None
    from_file = read_secrets_file(secrets_file) if secrets_file else {}
    config, sources = {}, {}
    for name, file_name in KEY_FILES.items():
        if os.environ.get(name):
            config[name], sources[name] = os.environ[name], "environment"
        elif from_file.get(name):
            config[name], sources[name] = from_file[name], "secrets file"
        elif is_embedded(database_url):
            config[name], sources[name] = _instance_secret(instance_path, file_name), "instance"
        else:
            config[name], sources[name] = None, None
    config["KEY_SOURCES"] = sources
    return config


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping for ``create_app``."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'participation.db'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    redis_url = os.environ.get("REDIS_URL")
    return {
        # Household codes, ID tails and tokens are hashed with keys derived from HOUSEHOLD_CODE_KEY, kept outside
        # the database: a leaked database alone does not let anyone try all codes offline.
        **_keys(instance_path, database_url),
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
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml", "text/csv"],
        "COMPRESS_ALGORITHM": ["gzip"],
        "COMPRESS_MIN_SIZE": 500,
        # Flask-Compress re-wraps streamed bodies without closing the file behind them (static files leak a
        # handle per request), so only buffered responses are compressed: our pages, and static files, which
        # participation.assets reads into memory first.
        "COMPRESS_STREAMS": False,
        "SEND_FILE_MAX_AGE_DEFAULT": 60 * 60 * 24 * 7,
        **_reach(instance_path, redis_url),
    }


def _reach(instance_path: str, redis_url: str | None) -> dict:
    """The task queue and the messages' channels (issue 16, DESIGN §8/§10). The admin's SMS settings row wins over
    these (``participation.reach.settings``), except the providers' secrets, which come from the environment only.
    The queue keeps its tasks in SQLite beside the database by default (no server to run) and in Redis when
    REDIS_URL is set, so workers on several hosts share one queue."""
    env = os.environ.get
    return {
        "QUEUE_BACKEND": env("QUEUE_BACKEND") or ("redis" if redis_url else "sqlite"),
        "QUEUE_FILE": env("QUEUE_FILE") or str(Path(instance_path) / "queue.db"),
        "REDIS_URL": redis_url,
        "SMS_BACKEND": env("SMS_BACKEND") or "off",
        "SMS_FILE": env("SMS_FILE") or "",
        "SMS_SIGN_NAME": env("SMS_SIGN_NAME") or "",
        "SMS_APP_ID": env("SMS_APP_ID") or "",
        "SMS_REGION": env("SMS_REGION") or "",
        "SMS_TEMPLATES": env("SMS_TEMPLATES") or "{}",     # JSON: {"survey.opened": "SMS_123456789", …}
        "SMS_DAILY_CAP": int(env("SMS_DAILY_CAP") or 5),
        "SMS_TIMEOUT": float(env("SMS_TIMEOUT") or 10),    # seconds a provider may take to answer one SMS
        "ALIYUN_ACCESS_KEY_ID": env("ALIYUN_ACCESS_KEY_ID") or "",
        "ALIYUN_ACCESS_KEY_SECRET": env("ALIYUN_ACCESS_KEY_SECRET") or "",
        "ALIYUN_SMS_ENDPOINT": env("ALIYUN_SMS_ENDPOINT") or "",
        "TENCENT_SECRET_ID": env("TENCENT_SECRET_ID") or "",
        "TENCENT_SECRET_KEY": env("TENCENT_SECRET_KEY") or "",
        "TENCENT_SMS_ENDPOINT": env("TENCENT_SMS_ENDPOINT") or "",
        "QUIET_HOURS": env("QUIET_HOURS") or "on",         # "off": tests, drills, the development server
        "DELIVERY_MAX_ATTEMPTS": int(env("DELIVERY_MAX_ATTEMPTS") or 5),
        "DELIVERY_BATCH": int(env("DELIVERY_BATCH") or 200),   # deliveries a worker claims at once
        "WECOM_ALLOWED_HOSTS": env("WECOM_ALLOWED_HOSTS") or "qyapi.weixin.qq.com",
    }


def _missing_keys_message(missing: list[str], database_url: str) -> str:
    return _("The app does not start without %(names)s: on %(database)s it may run on several hosts, and each "
             "would make keys of its own (a printed slip would open on one host only, sessions would break between "
             "hosts). Make the keys once and give every host the same ones.\n"
             "Make them with:\n"
             "    .venv/bin/python -m participation.keyring\n"
             "(the same as `flask --app app keys new`, which needs an app that starts), or one key at a time with:\n"
             "    python3 -c 'import secrets; print(secrets.token_hex(32))'\n"
             "Then either set them in the environment of every host (SECRET_KEY=…, HOUSEHOLD_CODE_KEY=…), or write "
             "them into a file only the app's user can read (chmod 600), named by SECRETS_FILE=/etc/minhu/secrets.toml:"
             "\n    SECRET_KEY = \"…\"\n    HOUSEHOLD_CODE_KEY = \"…\"\n"
             "Back HOUSEHOLD_CODE_KEY up with the database: household codes and ID tails are hashed with it. "
             "docs/deploy.md, section Keys, says more.",
             names=" and ".join(missing), database=database_url.split(":", 1)[0].split("+", 1)[0])


def _checked_keys(app: Flask, given) -> None:
    config = app.config
    embedded = is_embedded(config["SQLALCHEMY_DATABASE_URI"])
    sources = {name: "application" if name in given else (config.get("KEY_SOURCES") or {}).get(name)
               for name in KEY_FILES}
    missing = [name for name in KEY_FILES
               if not config.get(name) or (sources[name] == "instance" and not embedded)]
    if missing:
        raise KeyConfigError(_missing_keys_message(missing, config["SQLALCHEMY_DATABASE_URI"]))
    rings = {name: parse_ring(config[name], name) for name in KEY_FILES}
    for name, ring in rings.items():
        weak = weak_versions(ring)
        if weak and not embedded and sources[name] in FROM_OUTSIDE:
            raise KeyConfigError(_("%(name)s (version %(version)d) is too short to be a generated key: give at least "
                                   "%(count)d characters, e.g. from python3 -c 'import secrets; "
                                   "print(secrets.token_hex(32))'.", name=name, version=weak[0],
                                   count=MIN_KEY_LENGTH))
    config["KEY_SOURCES"] = sources
    secret = rings["SECRET_KEY"]
    config["SECRET_KEY_RING"] = secret.notation()    # for ``flask keys rotate --secret-key``
    config["SECRET_KEY"] = secret.master(secret.current)
    if len(secret.versions) > 1:
        older = [secret.master(version) for version in secret.versions[1:]]
        # Sessions signed with an older key still open (Flask tries the fallbacks, newest first); CSRF tokens of
        # forms opened before a rotation too: itsdangerous signs with the last key of a list and accepts any.
        config["SECRET_KEY_FALLBACKS"] = older
        config["WTF_CSRF_SECRET_KEY"] = signing_keys(config)


def check_keys(app: Flask, given=()) -> None:
    """Refuse to start with keys a deployment cannot rely on, judged on the final configuration (``given``: the
    mapping ``create_app`` was called with, whose keys are the caller's business, e.g. the tests'): missing keys, or
    keys generated into instance/, anywhere but on SQLite; a ring that does not parse; an operator's key too short
    to be a generated one. Then turns SECRET_KEY's ring into what Flask reads: the current key and the fallbacks."""
    if "babel" not in app.extensions:   # called before Babel is set up: the messages stay in English
        _checked_keys(app, given)
        return
    with app.app_context(), force_locale(app.config.get("BABEL_DEFAULT_LOCALE")):
        _checked_keys(app, given)


def replace_instance_secret(instance_path: str, name: str, value: str) -> None:
    """Rewrite ``instance/<name>`` (``flask keys rotate`` on the embedded default): written aside with owner-only
    permissions, then renamed over the old file, so a crash never leaves half a key ring."""
    path = Path(instance_path) / name
    aside = path.with_name(f".{name}.new")
    aside.unlink(missing_ok=True)
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(aside, path)
