"""How messages say things, whichever feature writes them: in the default language (a message is read by a
resident or a staff group, not by the person at the keyboard), and with days and times in Beijing as people write
them. An SMS template's variable is short, so titles are cut to ``TITLE_LENGTH`` there; the in-app text has it all.
"""
from datetime import datetime, timedelta
from functools import wraps

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import force_locale, get_locale, gettext as _

from participation.formatting import BEIJING

TITLE_LENGTH = 20   # 阿里云 caps a template variable's length; 20 characters read whole on a phone's SMS screen


def default_language():
    """A context in which ``gettext`` words the message in the deployment's default language (Chinese)."""
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))


def in_default_language(fn):
    """Word ``fn``'s messages in the default language."""
    @wraps(fn)
    def worded(*args, **kwargs):
        with default_language():
            return fn(*args, **kwargs)
    return worded


def short_title(title: str) -> str:
    """A title cut to what a template variable takes."""
    title = (title or "").strip()
    return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1] + "…"


def closing_day(closes_at: datetime | None) -> str:
    """The last day to take part, as an SMS says it ("12月20日", Beijing): a close at midnight is the day before's
    end. Without a closing time: 另行通知 (the template's variable must hold something)."""
    if closes_at is None:
        return _("to be announced")
    day = (closes_at - timedelta(seconds=1)).astimezone(BEIJING).date()
    return f"{day.month}月{day.day}日"


def day_words(moment: datetime) -> str:
    """The Beijing day of ``moment`` as people write it: "12月7日" (Chinese), "Dec 7" (English)."""
    return format_skeleton("MMMd", moment.astimezone(BEIJING).date(), locale=get_locale())


def moment_words(moment: datetime) -> str:
    """The Beijing day and time of ``moment``: "12月7日 17:00"."""
    return f"{day_words(moment)} {moment.astimezone(BEIJING):%H:%M}"
