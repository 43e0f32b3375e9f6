"""Values in the XLSForm expressions of surveys.answering.expressions: the XPath 1.0 conversions (string, number,
boolean, with a date as days since 1970-01-01), comparison, arithmetic, and the closed set of functions."""
import datetime
import math
import re
from decimal import Decimal

from participation.formatting import beijing_today

EPOCH = datetime.date(1970, 1, 1)

_NUMERIC = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_ISO_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def normalise(value):
    """A Python answer value as one of the XPath types used here: str, float, bool, date, list[str]."""
    if value is None:
        return ""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    if isinstance(value, (int, float, Decimal)):
        try:
            return float(value)
        except OverflowError:    # an int beyond a float's range
            return math.inf if value > 0 else -math.inf
        except ValueError:       # Decimal("sNaN")
            return math.nan
    return str(value)


def number_text(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return str(int(number)) if number == int(number) else repr(number)


def to_string(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(value)
    return value


def to_number(value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, datetime.date):
        return float((value - EPOCH).days)
    text = to_string(value)
    if _NUMERIC.fullmatch(text):
        return float(text)
    if _ISO_DATE.fullmatch(text):
        try:
            return float((datetime.date.fromisoformat(text.strip()) - EPOCH).days)
        except ValueError:
            return math.nan
    return math.nan


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, datetime.date):
        return True
    return len(value) > 0


def _picks(value) -> list[str]:
    return value if isinstance(value, list) else to_string(value).split()


def _equal(left, right) -> bool:
    if isinstance(left, list):
        left = to_string(left)
    if isinstance(right, list):
        right = to_string(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return to_bool(left) == to_bool(right)
    if isinstance(left, (float, datetime.date)) or isinstance(right, (float, datetime.date)):
        return to_number(left) == to_number(right)
    return left == right


def compare(operator: str, left, right) -> bool:
    if operator == "=":
        return _equal(left, right)
    if operator == "!=":
        if isinstance(left, (float, datetime.date)) or isinstance(right, (float, datetime.date)):
            return to_number(left) != to_number(right)   # NaN != anything is true in XPath
        return not _equal(left, right)
    left, right = to_number(left), to_number(right)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def arithmetic(operator: str, left, right) -> float:
    left, right = to_number(left), to_number(right)
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "div":
        if right == 0:   # XPath follows IEEE 754 here where Python raises
            if left == 0 or math.isnan(left):
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return left / right
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return math.fmod(left, right)


def _int(value) -> float:
    number = to_number(value)
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


def _coalesce(first, second):
    return first if to_string(first) != "" else second


# name: (least arguments, most arguments or None, implementation over evaluated arguments)
FUNCTIONS = {
    "selected": (2, 2, lambda value, choice: to_string(choice).strip() in _picks(value)),
    "count-selected": (1, 1, lambda value: float(len(_picks(value)))),
    "not": (1, 1, lambda value: not to_bool(value)),
    "string-length": (1, 1, lambda value: float(len(to_string(value)))),
    "if": (3, 3, None),   # lazy, handled by the evaluator
    "number": (1, 1, to_number),
    "int": (1, 1, _int),
    "string": (1, 1, to_string),
    "boolean": (1, 1, to_bool),
    "concat": (1, None, lambda *values: "".join(to_string(value) for value in values)),
    "contains": (2, 2, lambda text, part: to_string(part) in to_string(text)),
    "starts-with": (2, 2, lambda text, part: to_string(text).startswith(to_string(part))),
    "ends-with": (2, 2, lambda text, part: to_string(text).endswith(to_string(part))),
    "coalesce": (2, 2, _coalesce),
    "regex": (2, 2, None),  # compiled at parse time
    "today": (0, 0, beijing_today),
    "true": (0, 0, lambda: True),
    "false": (0, 0, lambda: False),
}
