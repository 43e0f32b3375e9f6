"""What XLSForm import and export share: the refusal, languages, our own columns, and expression checks.

Decisions (DESIGN §8 and issue #3 item 4), kept here so import and export agree:

- Languages: a ``label::<language>`` column is Chinese when the language is ``zh``/``zh-…``, "Chinese (zh)",
  "chinese", "中文" …, English when it is ``en``/``en-…``, "English (en)", "english", "英文" …; other languages are
  left out with a warning. Untranslated columns (``label``) are in the settings' ``default_language`` when that is
  Chinese or English; otherwise they are English only when the form has no English column and none of its
  untranslated texts holds a Chinese character, else Chinese.
- Phone numbers: XLSForm's own ``phone number`` type (pyxform knows it) is our ``phone``; ``text`` with the
  ``numbers`` appearance stays a text (it is used for ID numbers too).
- ``range`` with the ``rating`` appearance is our rating scale; any other range is refused.
- A ``select_one`` whose choice names are exactly ``yes`` and ``no`` is our yes/no question.
- Metadata rows (start, end, today, deviceid …) are not questions: they are left out with a warning (we do not
  collect device data). ``or_other`` is accepted as pyxform expands it: an "other" choice and a text question.
- Our columns: ``item`` (a catalogue code), ``sensitive`` (yes/no), ``role`` (a question role, e.g. for the
  co-funding band), ``top_n`` (ranking: how many to rank) and ``settings`` (a JSON object of the engine's settings,
  so an export imports back unchanged). Settings sheet: ``form_title``, ``form_title_en``, ``description_zh``,
  ``description_en``, ``default_language``; ``form_id`` and ``version`` go to the audit row.
"""
import re

from flask_babel import gettext as _

from participation.handlers import Refused
from surveys.answering import expressions

ZH_COLUMN, EN_COLUMN = "Chinese (zh)", "English (en)"
LANGUAGE_COLUMNS = {"zh": ZH_COLUMN, "en": EN_COLUMN}
TRANSLATED = ("label", "hint", "required_message", "constraint_message")
OUR_COLUMNS = ("item", "sensitive", "role", "top_n", "settings")
# Settings keys that have an XLSForm column of their own; the rest travel in the ``settings`` column.
SETTINGS_IN_COLUMNS = ("appearance", "parameters", "required_message")
# How a rating scale's ends are stored in Question.settings (and written as the range's start/end).
RATING_MIN, RATING_MAX, RATING_DEFAULT = "min", "max", (1, 5)
YES_NO = ("yes", "no")
YES_NO_LABELS = {"yes": {"zh": "是", "en": "Yes"}, "no": {"zh": "否", "en": "No"}}
NEED_LEVELS = ("need", "neutral", "no")
MAX_ERRORS = 100

_ZH_NAMES = {"zh", "chinese", "中文", "汉语", "漢語", "简体中文", "簡體中文", "普通话", "chinese simplified",
             "simplified chinese", "mandarin"}
_EN_NAMES = {"en", "english", "英文", "英语", "英語"}
_CODE_IN_PARENS = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\)\s*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class XLSFormError(Refused):
    """The form was refused and nothing was created; ``errors`` are the messages to show, a list row by row rather
    than ``Refused``'s dict by field: the import page and the CLI list them one per line."""

    def __init__(self, errors: list[str]):
        shown = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:
            shown.append(_("… and %(n)d more problems.", n=len(errors) - MAX_ERRORS))
        super().__init__("\n".join(shown))
        self.errors = shown


def language_code(language: str) -> str | None:
    """"Chinese (zh)", "中文", "zh-CN" → "zh"; "English (en)", "english" → "en"; anything else → None."""
    text = language.strip()
    match = _CODE_IN_PARENS.search(text)
    if match:
        text = match.group(1)
    lowered = text.lower()
    base = re.split(r"[-_]", lowered)[0]
    if lowered in _ZH_NAMES or base == "zh":
        return "zh"
    if lowered in _EN_NAMES or base == "en":
        return "en"
    return None


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def at_row(row: int | None, problem: str) -> str:
    if row is None:
        return _("Survey sheet: %(problem)s", problem=problem)
    return _("Survey sheet, row %(row)d: %(problem)s", row=row, problem=problem)


def yes_no_value(value) -> bool | None:
    """True/False for the spellings XLSForm authors use; None when it is something else (an expression …)."""
    text = str(value if value is not None else "").strip().lower()
    if text in ("yes", "true", "true()", "1", "是"):
        return True
    if text in ("", "no", "false", "false()", "0", "否"):
        return False
    return None


# --- expressions (relevant, constraint) ---

def expression_problem(text: str, names: set[str]) -> str | None:
    """Why ``text`` cannot be used here (outside the evaluator's subset, or naming an unknown question), or None."""
    try:
        references = expressions.parse(text).references
    except expressions.ExpressionError as error:
        return _("the expression %(expression)s cannot be used: %(reason)s", expression=text, reason=str(error))
    unknown = sorted(name for name in references if name not in names)
    if unknown:
        return _("%(expression)s refers to %(names)s, which is not a question of this form.", expression=text,
                 names=", ".join(f"${{{name}}}" for name in unknown))
    return None


# --- pyxform's own refusals, in the user's language ---

_ROW = re.compile(r"^\[row : (\d+)\]\s*")
_PYXFORM_PATTERNS = (
    (re.compile(r"Could not find the name '([^']+)'"),
     lambda m: _("it refers to ${%(name)s}, which is not a question of this form.", name=m.group(1))),
    (re.compile(r"the 'name' value '([^']+)' is invalid\. Questions, groups, and repeats must be unique"),
     lambda m: _("the name %(name)s is used twice.", name=m.group(1))),
    (re.compile(r"Duplicate column header: (.+)$", re.MULTILINE),
     lambda m: _("the column %(column)s appears twice.", column=m.group(1).strip())),
    (re.compile(r"Invalid headers provided for sheet: '([^']+)'\. Headers that are different names for the same "
                r"column were found: (.+?)\. Rename"),
     lambda m: _("the %(sheet)s sheet has two columns for the same thing: %(columns)s.", sheet=m.group(1),
                 columns=m.group(2))),
    (re.compile(r"List name not in choices sheet: ([^\s.]+)"),
     lambda m: _("the list %(list)s is not on the choices sheet.", list=m.group(1))),
    (re.compile(r"Unknown question type '([^']+)'"),
     lambda m: _("the question type %(type)s is not supported.", type=m.group(1))),
    (re.compile(r"not recognized as a supported type|does not appear to be a valid"),
     lambda m: _("the file is not an XLSForm spreadsheet (.xlsx, .xls, .csv or .md).")),
    (re.compile(r"should be a choices sheet", re.IGNORECASE),
     lambda m: _("the form uses choice lists but has no choices sheet.")),
    (re.compile(r"Missing calculation"),
     lambda m: _("calculations (calculate) are not supported.")),
    (re.compile(r"Question or group with no name"),
     lambda m: _("a question or group has no name.")),
    (re.compile(r"Unmatched begin|Unmatched end|unmatched", re.IGNORECASE),
     lambda m: _("a begin_group and its end_group do not match.")),
)


def pyxform_message(message: str, sheet: str | None = None) -> str:
    """pyxform's English error (often "[row : 3] …") as a message in the user's language, row kept; ``sheet``
    names the sheet when pyxform does not."""
    row_match = _ROW.match(message)
    row = int(row_match.group(1)) if row_match else None
    for pattern, explain in _PYXFORM_PATTERNS:
        match = pattern.search(message)
        if match:
            problem = explain(match)
            if sheet and not row:
                return _("The %(sheet)s sheet: %(problem)s", sheet=sheet, problem=problem)
            return at_row(row, problem) if row else _("The form was refused: %(problem)s", problem=problem)
    detail = _ROW.sub("", message).strip().splitlines()[0] if message.strip() else ""
    return at_row(row, detail) if row else _("The form was refused: %(problem)s", problem=detail)
