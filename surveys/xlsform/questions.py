"""One XLSForm question (an element of pyxform's dict) → the spec of a Question, or problems named by row."""
import json
import re

from flask_babel import gettext as _

from surveys.models import QUESTION_ROLES
from surveys.xlsform.common import NEED_LEVELS, RATING_MAX, RATING_MIN, YES_NO, at_row, yes_no_value

NAME_LENGTH = 60
TYPES = {"text": "text", "string": "text", "integer": "integer", "int": "integer", "decimal": "decimal",
         "date": "date", "note": "note", "photo": "photo", "image": "photo", "phone number": "phone",
         "select one": "select_one", "select all that apply": "select_multiple", "rank": "rank", "range": "rating"}
CHOICE_TYPES = ("select_one", "select_multiple", "rank")
# Keys of pyxform's element dict that we read; any other key is a column we do not use (left out with a warning).
KNOWN_KEYS = {"type", "name", "label", "hint", "bind", "control", "parameters", "itemset", "list_name", "choices",
              "item", "sensitive", "role", "top_n", "settings"}
# Columns whose meaning we cannot honour: refusing is better than silently answering a different questionnaire.
REFUSED_KEYS = {"choice_filter": "choice_filter", "default": "default", "trigger": "trigger",
                "media": "image/audio/video", "instance": "instance::", "body": "body::", "calculation": "calculation"}
REFUSED_CONTROL = {"jr:count": "repeat_count"}
KNOWN_BIND = {"required", "relevant", "constraint", "jr:constraintMsg", "jr:requiredMsg", "orx:max-pixels"}
FILE_LISTS = (".csv", ".xml", ".geojson")
_OR_OTHER_RELEVANT = re.compile(r"^selected\(\.\./([\w.-]+), 'other'\)$")


def read_question(builder, element: dict, row: int | None, generated: bool) -> dict | None:
    """The question's spec; None (with ``builder.errors`` extended) when the row cannot be imported."""
    problems: list[str] = []
    name = str(element.get("name", ""))
    kind = TYPES[element["type"]]
    bind, control = element.get("bind") or {}, element.get("control") or {}
    cells = builder.raw.cells_at.get(row, []) if row else []
    _check_columns(builder, element, bind, control, problems)
    if len(name) > NAME_LENGTH:
        problems.append(_("the name %(name)s is longer than %(n)d characters.", name=name, n=NAME_LENGTH))

    settings: dict = {}
    appearance = str(control.get("appearance") or "").strip()
    if "search(" in appearance:
        problems.append(_("search() appearances are not supported."))
    parameters = _parameters(element.get("parameters"))
    if kind == "text" and appearance == "multiline":
        kind, appearance = "long_text", ""
    elif kind == "rating":
        appearance = _rating(parameters, appearance, settings, problems)
        parameters = {}
    if appearance:
        settings["appearance"] = appearance
    if parameters:
        settings["parameters"] = parameters

    choices = _choices(builder, element, kind, problems) if kind in CHOICE_TYPES else []
    if kind == "select_one" and sorted(choice for choice, _label in choices) == sorted(YES_NO):
        kind = "yes_no"
    or_other = "or_other" in _raw_type(builder, row) or "or specify other" in _raw_type(builder, row)
    if or_other and kind in ("select_one", "select_multiple"):
        choices = [(choice, label if choice != "other" else {"zh": "其他", "en": "Other"})
                   for choice, label in choices]

    label = builder.texts(element.get("label"), cells)
    relevant = bind.get("relevant") or None
    if generated and kind == "text" and name.endswith("_other"):   # or_other's "specify" question
        label = {"zh": "请说明其他", "en": "Specify other."}
        match = _OR_OTHER_RELEVANT.match(relevant or "")
        relevant = f"selected(${{{match.group(1)}}}, 'other')" if match else relevant
    if not label:
        problems.append(_("the question has no label in Chinese or English."))
    hint = builder.texts(element.get("hint"), cells)
    if any("${" in text for text in [*label.values(), *hint.values()]):
        problems.append(_("labels that show answers (${…}) are not supported."))

    required = yes_no_value(bind.get("required"))
    if required is None:
        problems.append(_("required must be yes or no; a condition is not supported."))
    sensitive = yes_no_value(element.get("sensitive"))
    if sensitive is None:
        problems.append(_("sensitive must be yes or no."))
    required_message = builder.texts(bind.get("jr:requiredMsg"), cells)
    if required_message:
        settings["required_message"] = required_message
    _our_settings(element, kind, settings, problems)
    role, item = _role_and_item(builder, element, kind, choices, problems)

    if problems:
        builder.errors.extend(at_row(row, problem) for problem in problems)
        return None
    return {"row": row, "name": name, "type": kind, "role": role, "item": item, "label": label, "hint": hint,
            "required": required, "relevant": relevant, "constraint": bind.get("constraint") or None,
            "constraint_message": builder.texts(bind.get("jr:constraintMsg"), cells), "sensitive": sensitive,
            "settings": settings, "choices": choices}


def _raw_type(builder, row) -> str:
    return builder.raw.type_at.get(row, "").lower() if row else ""


def _check_columns(builder, element, bind, control, problems) -> None:
    for key, column in REFUSED_KEYS.items():
        if element.get(key) not in (None, "", {}, []):
            problems.append(_("the %(column)s column is not supported.", column=column))
    for key, column in REFUSED_CONTROL.items():
        if control.get(key):
            problems.append(_("the %(column)s column is not supported.", column=column))
    for key in bind:
        if key == "readonly":
            problems.append(_("the read_only column is not supported."))
        elif key == "calculate":
            problems.append(_("the %(column)s column is not supported.", column="calculation"))
        elif key not in KNOWN_BIND:
            problems.append(_("the %(column)s column is not supported.", column=f"bind::{key}"))
    for key in element:
        if key not in KNOWN_KEYS and key not in REFUSED_KEYS and key not in builder.ignored_columns:
            builder.ignored_columns.add(key)
            builder.warnings.append(_("The column %(column)s is not used; it was left out.", column=key))


def _parameters(value) -> dict:
    """pyxform gives a dict, or for some types the cell as written ("max-pixels=1024")."""
    if isinstance(value, dict):
        return {str(key): str(v) for key, v in value.items()}
    pairs = [part.split("=", 1) for part in str(value or "").replace(";", " ").replace(",", " ").split()]
    return {key.strip(): v.strip() for key, v in (pair for pair in pairs if len(pair) == 2)}


def _rating(parameters: dict, appearance: str, settings: dict, problems: list[str]) -> str:
    """range + appearance rating → our rating scale, its ends in settings; any other range is refused."""
    words = appearance.split()
    if "rating" not in words:
        problems.append(_("range questions are supported only as a rating scale (appearance rating)."))
        return appearance
    try:
        start, end = int(parameters.get("start", 1)), int(parameters.get("end", 5))
        step = int(parameters.get("step", 1))
    except ValueError:
        start = end = step = 0
    if step != 1 or not 0 <= start < end <= 10:
        problems.append(_("a rating scale needs whole-number start and end between 0 and 10 and step 1."))
    settings[RATING_MIN], settings[RATING_MAX] = start, end
    return " ".join(word for word in words if word != "rating")


def _choices(builder, element, kind, problems) -> list[tuple[str, dict]]:
    list_name = element.get("list_name") or element.get("itemset") or ""
    if str(list_name).lower().endswith(FILE_LISTS):
        problems.append(_("choices from a file (select_one_from_file) are not supported."))
        return []
    rows = element.get("choices") or (builder.form.get("choices") or {}).get(list_name) or []
    choices, seen = [], set()
    for row in rows:
        name = str(row.get("name", "")).strip()
        if row.get("media") and not builder.choice_media_warned:
            builder.choice_media_warned = True
            builder.warnings.append(_("Pictures of choices were left out; the choice's text or name is shown."))
        if name in seen:
            problems.append(_("the list %(list)s has the choice %(name)s twice.", list=list_name, name=name))
        elif not name or len(name) > NAME_LENGTH:
            problems.append(_("the list %(list)s has a choice without a name or with a name longer than %(n)d "
                              "characters.", list=list_name, n=NAME_LENGTH))
        elif kind != "select_one" and " " in name:
            problems.append(_("the choice %(name)s of list %(list)s has a space in its name.", name=name,
                              list=list_name))
        seen.add(name)
        choices.append((name, builder.texts(row.get("label"), builder.raw.choice_cells.get((list_name, name)))))
    if not choices:
        problems.append(_("the list %(list)s has no choices on the choices sheet.", list=list_name))
    return choices


def _our_settings(element, kind, settings, problems) -> None:
    text = str(element.get("settings") or "").strip()
    if text:
        try:
            extra = json.loads(text)
        except ValueError:
            extra = None
        if not isinstance(extra, dict):
            problems.append(_("the settings column must hold a JSON object, such as {\"top_n\": 5}."))
        else:
            settings.update(extra)
    top_n = str(element.get("top_n") or "").strip()
    if top_n:
        if kind != "rank" or not top_n.isdigit() or int(top_n) < 1:
            problems.append(_("top_n is a whole number of at least 1, for ranking questions only."))
        else:
            settings["top_n"] = int(top_n)


def _role_and_item(builder, element, kind, choices, problems):
    """The item column (a catalogue code) and the role column, or the role DESIGN §8 implies."""
    code = str(element.get("item") or "").strip()
    role = str(element.get("role") or "").strip() or None
    item = builder.catalogue.get(code) if code else None
    if code and item is None:
        problems.append(_("no catalogue item has the code %(code)s.", code=code))
    if role is not None and role not in QUESTION_ROLES:
        problems.append(_("the role %(role)s is unknown; use one of %(roles)s.", role=role,
                          roles=", ".join(QUESTION_ROLES)))
        return None, item
    names = [name for name, _label in choices]
    need_choices = sorted(names) == sorted(NEED_LEVELS)
    priority_choices = bool(names) and all(name in builder.catalogue for name in names)
    if role is None:
        if code and kind == "select_one" and need_choices:
            role = "item_need"
        elif code and kind == "yes_no":
            role = "item_share"
        elif code:
            problems.append(_("the item column fits a select_one with the choices need, neutral and no, or a "
                              "yes/no cost-sharing question."))
        elif kind == "rank" and priority_choices:
            role = "item_priority"
    elif role == "item_need" and not (code and kind == "select_one" and need_choices):
        problems.append(_("an item_need question is a select_one with the choices need, neutral and no, and an "
                          "item code."))
    elif role == "item_share" and not (code and kind == "yes_no"):
        problems.append(_("an item_share question is a yes/no question with an item code."))
    elif role == "item_priority" and not (kind == "rank" and priority_choices and not code):
        problems.append(_("an item_priority question is a rank whose choice names are catalogue codes, with an "
                          "empty item column."))
    return role, item
