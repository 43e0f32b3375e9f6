"""The shared vocabulary of figures and times: Beijing time, percentages, numbers, yuan.

Every page, export and notice speaks of days and hours as people in the district live them (Beijing time, no
daylight saving) and of figures the same way everywhere; defining them once keeps a bulletin, a spreadsheet and a
dashboard from disagreeing by a day or a decimal. Python code imports these; templates use the same functions as
Jinja filters (registered in ``participation.templating``).
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import get_locale, gettext as _

BEIJING = ZoneInfo("Asia/Shanghai")
MISSING = "—"   # a figure that is not known, on pages (never 0, which would be a claim)


# --- time -----------------------------------------------------------------------------------------------------------

def beijing_today() -> date:
    """Today's date in Beijing: after 16:00 UTC the server's date is already yesterday's there."""
    return datetime.now(BEIJING).date()


def beijing_midnight(day: date) -> datetime:
    """The first instant of ``day`` in Beijing: days and periods begin when people there say they do."""
    return datetime.combine(day, time.min, tzinfo=BEIJING)


def beijing_naive(moment: datetime | None) -> datetime | None:
    """``moment`` as a naive Beijing wall-clock time, for spreadsheets (which cannot hold a time zone)."""
    return None if moment is None else moment.astimezone(BEIJING).replace(tzinfo=None)


def beijing(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` written in Beijing time ("" when there is none)."""
    return "" if moment is None else moment.astimezone(BEIJING).strftime(pattern)


# --- weeks and months, as people say them ----------------------------------------------------------------------------
# Keys stay ISO ("2026-W50", "2025-11") in addresses, parameters and files; pages print these words.

def _chinese() -> bool:
    return str(get_locale()).startswith("zh")


def day_range(first: date, last: date) -> str:
    """7 to 13 December 2026 as a span: 12月7日—13日; 12月29日—1月4日; the years too when they differ."""
    if _chinese():
        if first.year != last.year:
            return f"{first.year}年{first.month}月{first.day}日—{last.year}年{last.month}月{last.day}日"
        if first.month != last.month:
            return f"{first.month}月{first.day}日—{last.month}月{last.day}日"
        return f"{first.month}月{first.day}日—{last.day}日"
    locale = str(get_locale())
    if first.year != last.year:
        return f"{format_date(first, 'd MMMM y', locale=locale)} – {format_date(last, 'd MMMM y', locale=locale)}"
    if first.month != last.month:
        return f"{format_date(first, 'd MMMM', locale=locale)} – {format_date(last, 'd MMMM', locale=locale)}"
    return f"{first.day}–{format_date(last, 'd MMMM', locale=locale)}"


def week_label(key: str) -> str:
    """An ISO week "2026-W50" as people say it: 2026年第50周（12月7日—13日）. A key that is not a week is returned
    as it is."""
    year, _sep, number = (key or "").partition("-W")
    try:
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return key
    return _("Week %(week)d of %(year)d (%(days)s)", week=int(number), year=int(year),
             days=day_range(monday, monday + timedelta(days=6)))


def month_label(key: str) -> str:
    """A month "2025-11" as people say it: 2025年11月 (November 2025). Anything else is returned as it is."""
    try:
        first = date.fromisoformat(f"{key}-01")
    except ValueError:
        return key
    if _chinese():
        return f"{first.year}年{first.month}月"
    return format_date(first, "MMMM y", locale=str(get_locale()))


def period_label(key: str) -> str:
    """A week's or a month's key in words (the complaint rates' periods)."""
    return week_label(key) if "-W" in (key or "") else month_label(key)


# --- figures --------------------------------------------------------------------------------------------------------

def percent(share, digits: int = 1) -> str:
    """A share 0–1 as a percentage: 0.125 → "12.5%" ("—" when unknown). Formats like the templates' "%.1f"."""
    return MISSING if share is None else "%.*f%%" % (digits, share * 100)


def number(value, digits: int = 2) -> str:
    """A figure with thousands separators and ``digits`` decimals: 1234.5 → "1,234.50" ("—" when unknown)."""
    return MISSING if value is None else f"{value:,.{digits}f}"


def plain_number(value) -> str:
    """As a person types it: 150000.0000 → "150000", 35.50 → "35.5"; no trailing zeros, never scientific notation."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(amount: Decimal | None) -> str:
    """An amount in words: 15万元 in Chinese (how subsidies are written), "150,000 yuan" in English."""
    if amount is None:
        return MISSING
    if str(get_locale()).startswith("zh"):
        if amount >= 10000:
            return f"{plain_number(amount / 10000)}万元"
        return f"{plain_number(amount)}元"
    grouped = f"{amount:,f}"
    return _("%(amount)s yuan", amount=grouped.rstrip("0").rstrip(".") if "." in grouped else grouped)
