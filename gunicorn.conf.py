"""gunicorn's own settings, read from ./gunicorn.conf.py by gunicorn itself (``make serve``; options given on the
command line win). Only logging here: gunicorn's lines (workers booting, timeouts, crashes) go out as the app's do —
JSON objects on stderr at ``LOG_LEVEL`` (``LOG_FORMAT=text`` for plain lines) — instead of a second format.
"""
from participation.logs import log_format, log_level, logging_config

loglevel = log_level().lower()
logconfig_dict = logging_config(log_level(), log_format(default="json"))
logconfig_dict["loggers"].update({
    # gunicorn's loggers keep no handler of their own and pass their lines to the root logger's (the app's).
    "gunicorn.error": {"level": log_level(), "handlers": [], "propagate": True},
    # No access lines: nginx writes one per request, with the $request_id the app logs its lines under (docs/deploy.md,
    # "Logs"). Set this to INFO where no proxy keeps them: they then come out as JSON too.
    "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
})
