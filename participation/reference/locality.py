"""Locality rules: reading them for a year, showing them (未配置 when absent), and the admin's edits.

A year without a rule answers None, which pages show as 未配置 — never 0 or a guess. Every rule a committee
member might ask about (what a kind's value must look like, which spans may coexist) is checked here, once.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import or_, select

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.formatting import beijing_today, plain_number, yuan
from participation.handlers import Refused
from participation.labels import NOT_CONFIGURED, RULE_KIND_LABELS
from participation.models import CATEGORIES, RULE_KINDS, Locality, LocalityRule, User

FIRST_YEAR, LAST_YEAR = 2000, 2100
COMPLAINT_CLASSES = ("emergency", "utility", "general", "complex")
# Keys every locality is expected to configure; the year table lists them even when no rule exists.
EXPECTED_KEYS = {
    "category_slogan": CATEGORIES,
    "elevator_subsidy": ("per_elevator",),
    "complaint_limit": COMPLAINT_CLASSES,
}
UNITS_BY_KIND = {
    "category_slogan": (), "extra_category": (), "elevator_subsidy": ("yuan",),
    "elevator_cost_share": ("coefficient",), "complaint_limit": ("hours", "calendar_days", "working_days"),
    "plan_threshold": ("fraction", "yuan"),
    "programme_target": ("count", "yuan"), "acceptance_pass": ("fraction",), "elevator_consent": ("fraction",),
}
ELEVATOR_CONSENT_KEYS = ("share_of_all", "share_of_participating")   # yes ≥ share of all / participating owners
PROGRAMME_TARGETS = ("communities", "buildings", "households", "investment")
TEXT_KINDS = ("category_slogan", "extra_category")
ASCII_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ASCII_LETTERS = re.compile(r"^[A-Za-z]{1,30}$")
RULE_FIELDS = ("key", "text_value", "number_value", "unit", "valid_from", "valid_to", "source", "note")


class RuleInvalid(Refused):
    """A refused rule; ``errors`` maps a field name (or "" for the whole rule) to the message shown."""


def current_year() -> int:
    return beijing_today().year


def rule_for(locality: Locality, kind: str, key: str, year: int) -> LocalityRule | None:
    """The rule of ``kind``/``key`` in force in ``year``; the most recently started one wins if spans overlap."""
    return db.session.scalar(
        select(LocalityRule)
        .where(LocalityRule.locality_id == locality.id, LocalityRule.kind == kind, LocalityRule.key == key,
               LocalityRule.valid_from <= year, or_(LocalityRule.valid_to.is_(None), LocalityRule.valid_to >= year))
        .order_by(LocalityRule.valid_from.desc(), LocalityRule.id.desc())
        .limit(1))


def rules_for_year(locality: Locality, kind: str, year: int) -> dict[str, LocalityRule]:
    """Every key of ``kind`` in force in ``year``, as {key: rule}."""
    rules = db.session.scalars(
        select(LocalityRule)
        .where(LocalityRule.locality_id == locality.id, LocalityRule.kind == kind, LocalityRule.valid_from <= year,
               or_(LocalityRule.valid_to.is_(None), LocalityRule.valid_to >= year))
        .order_by(LocalityRule.valid_from, LocalityRule.id))
    return {rule.key: rule for rule in rules}


# --- showing a value -------------------------------------------------------------------------------------------

def describe(rule: LocalityRule | None) -> str:
    """A rule's value as people read it; 未配置 when there is no rule — never 0."""
    if rule is None:
        return str(NOT_CONFIGURED)
    if rule.number_value is None:
        return rule.text_value or ""
    number = Decimal(rule.number_value)
    if rule.unit == "yuan":
        return yuan(number)
    if rule.unit == "fraction":
        return f"{plain_number(number * 100)}%"
    if rule.unit == "hours":
        return _("%(n)s hours", n=plain_number(number))
    if rule.unit == "calendar_days":
        return _("%(n)s calendar days", n=plain_number(number))
    if rule.unit == "working_days":
        return _("%(n)s working days", n=plain_number(number))
    return plain_number(number)


# --- listing ---------------------------------------------------------------------------------------------------

def _key_order(kind: str, key: str):
    if kind == "elevator_cost_share" and key.isdigit():
        return (0, int(key), "")
    expected = EXPECTED_KEYS.get(kind, ())
    return (0, expected.index(key), "") if key in expected else (1, 0, key)


def rules_by_kind(locality: Locality) -> list[tuple[str, list[LocalityRule]]]:
    """Every rule of the locality as [(kind, rules)] in the kinds' order, each list by key then start year."""
    rules = db.session.scalars(select(LocalityRule).where(LocalityRule.locality_id == locality.id)).all()
    grouped = []
    for kind in RULE_KINDS:
        of_kind = [rule for rule in rules if rule.kind == kind]
        of_kind.sort(key=lambda rule: (_key_order(kind, rule.key), rule.valid_from, rule.id))
        grouped.append((kind, of_kind))
    return grouped


def year_table(locality: Locality, year: int) -> list[dict]:
    """Every kind/key the locality knows (or is expected to know) with the rule in force in ``year`` or None."""
    known = {(kind, key) for kind, keys in EXPECTED_KEYS.items() for key in keys}
    known |= set(tuple(row) for row in db.session.execute(select(LocalityRule.kind, LocalityRule.key)
                                    .where(LocalityRule.locality_id == locality.id)).all())
    rows = []
    for kind in RULE_KINDS:
        in_force = rules_for_year(locality, kind, year)
        for key in sorted((key for k, key in known if k == kind), key=lambda key: _key_order(kind, key)):
            rule = in_force.get(key)
            rows.append({"kind": kind, "key": key, "rule": rule, "value": describe(rule)})
    return rows


def extra_categories(locality: Locality | None, year: int | None = None) -> dict[str, str]:
    """A locality's extra classes {code: name}: those in force in ``year``, or of any year when None."""
    if locality is None:
        return {}
    if year is not None:
        return {key: rule.text_value for key, rule in rules_for_year(locality, "extra_category", year).items()}
    rules = db.session.scalars(select(LocalityRule).where(LocalityRule.locality_id == locality.id,
                                                          LocalityRule.kind == "extra_category")
                               .order_by(LocalityRule.valid_from))
    return {rule.key: rule.text_value for rule in rules}


# --- validating and saving -------------------------------------------------------------------------------------

def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _year(value, field: str, errors: dict, *, required: bool) -> int | None:
    text = _text(value)
    if not text:
        if required:
            errors[field] = _("Enter a year.")
        return None
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        errors[field] = _("A year is a whole number from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        return None
    return int(text)


def _number(value, errors: dict) -> Decimal | None:
    text = _text(value).replace(",", "").replace("，", "")
    if not text:
        errors["number_value"] = _("Enter a number.")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors["number_value"] = _("Enter a number, such as 150000 or 0.5.")
        return None
    if number.as_tuple().exponent < -4 or abs(number) >= Decimal("1e14"):
        errors["number_value"] = _("Use at most 4 decimal places and fewer than 15 digits before the point.")
        return None
    return number


def _check_value(kind: str, clean: dict, raw: dict, errors: dict) -> None:
    """The per-kind rules for the key, the value and its unit; fills ``clean`` and ``errors``."""
    key = clean["key"]
    if kind in TEXT_KINDS:
        if kind == "extra_category":
            if not ASCII_LETTERS.match(key):
                errors["key"] = _("A class code is 1 to 30 Latin letters, such as safety.")
            elif key.lower() in CATEGORIES:
                errors["key"] = _("This code is already a national category.")
            clean["key"] = key.lower()  # catalogue items and slogans refer to the class by this code
        elif not ASCII_KEY.match(key):
            errors["key"] = _("Enter the category code, such as basic, improvement or upgrade.")
        text = _text(raw.get("text_value"))
        if not text:
            errors["text_value"] = _("Enter the text.") if kind == "category_slogan" else _("Enter the class name.")
        elif len(text) > 200:
            errors["text_value"] = _("At most 200 characters.")
        clean.update(text_value=text, number_value=None, unit=None)
        return
    if kind == "elevator_cost_share":
        if not key.isdigit() or not 1 <= int(key) <= 60:
            errors["key"] = _("The key is a floor number from 1 to 60.")
        else:
            clean["key"] = str(int(key))
    elif not ASCII_KEY.match(key):
        errors["key"] = _("A key is lower-case Latin letters, digits and _, such as per_elevator.")
    number = _number(raw.get("number_value"), errors)
    unit = _text(raw.get("unit"))
    allowed = UNITS_BY_KIND[kind]
    if kind == "plan_threshold":
        # Money thresholds are named cost_per_household_*; every other threshold is a share of households.
        allowed = ("yuan",) if key.startswith("cost_per_household") else ("fraction",)
    elif kind == "programme_target":
        if key not in PROGRAMME_TARGETS:
            errors["key"] = _("The key is one of: %(keys)s.", keys=", ".join(PROGRAMME_TARGETS))
        allowed = ("yuan",) if key == "investment" else ("count",)
    elif kind == "elevator_consent" and key not in ELEVATOR_CONSENT_KEYS:
        errors["key"] = _("The key is one of: %(keys)s.", keys=", ".join(ELEVATOR_CONSENT_KEYS))
    if not unit and len(allowed) == 1:
        unit = allowed[0]
    if unit not in allowed:
        errors["unit"] = _("Choose the unit: %(units)s.", units=", ".join(allowed))
    if number is not None and "number_value" not in errors:
        if kind in ("elevator_subsidy", "complaint_limit") and number <= 0:
            errors["number_value"] = _("The number must be greater than 0.")
        elif kind == "elevator_cost_share" and number < 0:
            errors["number_value"] = _("A coefficient cannot be negative.")
        elif kind == "plan_threshold" and unit == "fraction" and not 0 <= number <= 1:
            errors["number_value"] = _("A share is a fraction from 0 to 1, such as 0.5 for half.")
        elif kind == "plan_threshold" and unit == "yuan" and number < 0:
            errors["number_value"] = _("An amount cannot be negative.")
        elif kind == "elevator_consent" and not 0 < number <= 1:
            errors["number_value"] = _("A share is a fraction from 0 to 1, such as 0.5 for half.")
        elif kind == "programme_target" and number <= 0:
            errors["number_value"] = _("The number must be greater than 0.")
    clean.update(text_value=None, number_value=number, unit=unit or None)


def _overlapping(locality: Locality, kind: str, key: str, valid_from: int, valid_to: int | None,
                 exclude_id: int | None) -> LocalityRule | None:
    query = select(LocalityRule).where(
        LocalityRule.locality_id == locality.id, LocalityRule.kind == kind, LocalityRule.key == key,
        or_(LocalityRule.valid_to.is_(None), LocalityRule.valid_to >= valid_from))
    if valid_to is not None:
        query = query.where(LocalityRule.valid_from <= valid_to)
    if exclude_id is not None:
        query = query.where(LocalityRule.id != exclude_id)
    return db.session.scalar(query.order_by(LocalityRule.valid_from).limit(1))


def validate_rule(locality: Locality, kind: str, raw: dict, *, rule: LocalityRule | None = None) -> dict:
    """Check a rule as typed by an admin; return its clean fields or raise ``RuleInvalid``."""
    errors: dict[str, str] = {}
    if kind not in RULE_KINDS:
        raise RuleInvalid({"": _("Unknown kind of rule.")})
    clean = {"key": _text(raw.get("key"))}
    if not clean["key"] and kind == "elevator_subsidy":
        clean["key"] = "per_elevator"
    if not clean["key"]:
        errors["key"] = _("Enter the key.")
    else:
        _check_value(kind, clean, raw, errors)
    clean["valid_from"] = _year(raw.get("valid_from"), "valid_from", errors, required=True)
    clean["valid_to"] = _year(raw.get("valid_to"), "valid_to", errors, required=False)
    if clean["valid_from"] and clean["valid_to"] and clean["valid_to"] < clean["valid_from"]:
        errors["valid_to"] = _("The last year cannot be before the first year.")
    clean["source"] = _text(raw.get("source"))
    if not clean["source"]:
        errors["source"] = _("Name the source: the document, article or decision this rule comes from.")
    clean["note"] = _text(raw.get("note")) or None
    if not errors:
        other = _overlapping(locality, kind, clean["key"], clean["valid_from"], clean["valid_to"],
                             rule.id if rule is not None else None)
        if other is not None:
            errors[""] = _("These years overlap another rule for %(kind)s “%(key)s”: %(years)s, %(value)s "
                           "(source: %(source)s). Change that rule's years first, or choose other years.",
                           kind=RULE_KIND_LABELS[kind], key=other.key, years=other.years_label,
                           value=describe(other), source=other.source)
    if errors:
        raise RuleInvalid(errors)
    return clean


def _snapshot(rule: LocalityRule) -> dict:
    return {"kind": rule.kind, **{name: getattr(rule, name) for name in RULE_FIELDS}}


def create_rule(actor: User, locality: Locality, kind: str, raw: dict) -> LocalityRule:
    clean = validate_rule(locality, kind, raw)
    rule = LocalityRule(locality=locality, kind=kind, **clean)
    db.session.add(rule)
    db.session.flush()
    record(actor, "locality_rule.create", rule, locality=locality.name, **_snapshot(rule))
    return rule


def update_rule(actor: User, rule: LocalityRule, raw: dict) -> LocalityRule:
    clean = validate_rule(rule.locality, rule.kind, raw, rule=rule)
    changes = apply_changes(rule, clean, RULE_FIELDS)
    record(actor, "locality_rule.update", rule, locality=rule.locality.name, kind=rule.kind, key=rule.key,
           changes=changes)
    return rule


def delete_rule(actor: User, rule: LocalityRule) -> None:
    record(actor, "locality_rule.delete", rule, locality=rule.locality.name, **_snapshot(rule))
    db.session.delete(rule)
    db.session.flush()
