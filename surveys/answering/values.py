"""One answer by its question's type: a raw answer (a form field, a spreadsheet cell, an ODK value) parsed to the
value stored, or ``Invalid`` with the message shown next to the question. The settings read are those listed in
surveys.answering.checks, which checks the answers together."""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from participation.formatting import plain_number
from participation.handlers import Refused
from participation.uploads import UploadError, store_photo
from surveys.models import Question

TEXT_LIMITS = {"text": 500, "long_text": 5000, "phone": 40}
# Anything longer is not something a person typed into one of our fields: refused before any parsing.
RAW_LIMIT = 10_000
NUMBER_LIMIT = Decimal("1e12")          # Answer.number is NUMERIC(16, 4)
YES_NO = ("yes", "no")
DEFAULT_TOP_N = 5
# Mainland mobiles (11 digits from 13x to 19x) and landlines with their area code (010, 0431 …), typed with or
# without spaces, dashes or +86.
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Invalid(Refused):
    """One answer that cannot be accepted; the message is shown next to the question."""


def parse_value(question: Question, raw):
    """The typed value of one raw answer, None when empty; raises Invalid with a message for the resident."""
    if question.type in ("select_multiple", "rank"):
        picks = _as_list(raw)
        return _picks(question, picks) if picks else None
    text = _single(raw)
    if text is None or text == "":
        return None
    parser = PARSERS[question.type]
    return parser(question, text)


def _as_list(raw) -> list[str]:
    """Picks from a form (a list), a CSV cell or ODK export (space-separated names); blanks left out."""
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    picks: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise Invalid(_("This answer is not in the list."))
        picks.extend(item.split())
    if len(picks) > 200 or any(len(pick) > 60 for pick in picks):
        raise Invalid(_("This answer is not in the list."))
    return picks


def _single(raw) -> str | None:
    if isinstance(raw, (list, tuple)):
        filled = [item for item in raw if item not in (None, "")]
        if len(filled) > 1:
            raise Invalid(_("Please give only one answer."))
        raw = filled[0] if filled else None
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise Invalid(_("This answer could not be read."))
    text = str(raw)
    if len(text) > RAW_LIMIT:
        raise Invalid(_("This answer is far too long."))
    return text.strip()


def _choice_names(question: Question) -> list[str]:
    return [choice.name for choice in question.choices]


def _select_one(question: Question, text: str) -> str:
    if text not in _choice_names(question):
        raise Invalid(_("This answer is not in the list."))
    return text


def _yes_no(question: Question, text: str) -> str:
    allowed = _choice_names(question) or list(YES_NO)
    if text not in allowed:
        raise Invalid(_("Please answer yes or no."))
    return text


def _picks(question: Question, picks: list[str]) -> list[str]:
    allowed = _choice_names(question)
    if any(pick not in allowed for pick in picks):
        raise Invalid(_("This answer is not in the list."))
    settings = question.settings or {}
    if question.type == "rank":
        if len(set(picks)) != len(picks):
            raise Invalid(_("Each item can be ranked only once."))
        limit = _setting_int(settings, "top_n", DEFAULT_TOP_N)
        if len(picks) > limit:
            raise Invalid(_("Please rank at most %(n)d items.", n=limit))
    else:
        picks = list(dict.fromkeys(picks))   # a doubled checkbox is the same pick
    least, most = _setting_int(settings, "min_picks", 0), _setting_int(settings, "max_picks", len(allowed))
    if len(picks) < least:
        raise Invalid(_("Please choose at least %(n)d.", n=least))
    if len(picks) > most:
        raise Invalid(_("Please choose at most %(n)d.", n=most))
    return picks


def _setting_int(settings: dict, key: str, default: int) -> int:
    try:
        return int(settings.get(key, default))
    except (TypeError, ValueError):
        return default


def _number(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise Invalid(_("Please write a number, for example 3 or 2.5.")) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise Invalid(_("This number is too large."))
    return number


def _bounds(question: Question, number: Decimal, default: tuple | None = None) -> None:
    settings = question.settings or {}
    low = settings.get("min", default[0] if default else None)
    high = settings.get("max", default[1] if default else None)
    try:
        low = None if low in (None, "") else Decimal(str(low))
        high = None if high in (None, "") else Decimal(str(high))
    except InvalidOperation:
        return   # malformed settings were the builder's to refuse; no bound then
    if low is not None and high is not None and not low <= number <= high:
        raise Invalid(_("Please give a number from %(low)s to %(high)s.", low=plain_number(low), high=plain_number(high)))
    if low is not None and number < low:
        raise Invalid(_("Please give a number of at least %(low)s.", low=plain_number(low)))
    if high is not None and number > high:
        raise Invalid(_("Please give a number of at most %(high)s.", high=plain_number(high)))


def _integer(question: Question, text: str) -> int:
    number = _number(text)
    if number != number.to_integral_value():
        raise Invalid(_("Please give a whole number."))
    _bounds(question, number)
    return int(number)


def _decimal(question: Question, text: str) -> Decimal:
    number = _number(text)
    places = min(_setting_int(question.settings or {}, "decimal_places", 2), 4)
    if number.as_tuple().exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(_("Please give at most %(n)d digits after the decimal point.", n=places))
    _bounds(question, number)
    return number


def _rating(question: Question, text: str) -> int:
    number = _number(text)
    if number != number.to_integral_value():
        raise Invalid(_("Please choose one of the marks."))
    _bounds(question, number, default=(1, 5))
    return int(number)


def _text(question: Question, text: str) -> str:
    limit = _setting_int(question.settings or {}, "max_length", TEXT_LIMITS.get(question.type, 500))
    text = CONTROL.sub("", text.replace("\r\n", "\n"))
    if question.type != "long_text":
        text = " ".join(text.split())
    if len(text) > limit:
        raise Invalid(_("Please write at most %(n)d characters (now %(length)d).", n=limit, length=len(text)))
    return text


def _phone(question: Question, text: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = digits.removeprefix("+86")
    if not (MOBILE.fullmatch(digits) or LANDLINE.fullmatch(digits)):
        raise Invalid(_("Please give a mobile number of 11 digits or a landline with its area code, for example "
                        "0431-88881234."))
    return digits


def _date(question: Question, text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise Invalid(_("Please give a date such as 2024-05-01.")) from None
    settings = question.settings or {}
    for key, too_far in (("min", lambda bound: value < bound), ("max", lambda bound: value > bound)):
        try:
            bound = date.fromisoformat(str(settings[key])) if settings.get(key) else None
        except ValueError:
            bound = None
        if bound is not None and too_far(bound):
            raise Invalid(_("Please give a date from %(low)s to %(high)s.", low=settings.get("min") or "…",
                            high=settings.get("max") or "…"))
    return value


PARSERS = {
    "select_one": _select_one, "yes_no": _yes_no, "integer": _integer, "decimal": _decimal, "rating": _rating,
    "text": _text, "long_text": _text, "phone": _phone, "date": _date,
}


def photo_value(question: Question, raw, kept: str | None, *, remove: bool, stored: list) -> str | None:
    """A new upload is checked, cleaned of metadata and stored; text sent in a photo's place is never trusted as a
    file path (it could name another household's photo), so without an upload the saved photo stays."""
    upload = raw[-1] if isinstance(raw, list) and raw else raw
    if isinstance(upload, FileStorage) and upload.filename:
        try:
            path = store_photo(upload.stream, f"surveys/{question.survey_id}")
        except UploadError as error:
            raise Invalid(str(error)) from None
        stored.append(path)
        return path
    return None if remove else kept


def jsonable(values: dict) -> dict:
    """Values as a revision stores them: dates as ISO text, numbers as exact decimal text."""
    def one(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, list):
            return [one(item) for item in value]
        return value
    return {name: one(value) for name, value in values.items()}
