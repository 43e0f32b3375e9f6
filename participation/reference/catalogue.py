"""The item catalogue: exporting it, showing it by category with the locality's slogans, and admins' edits.

Items are never deleted: surveys, field findings and plans refer to them by code, so an item that should no
longer be offered is retired (kept, flagged, left out of the export and of new surveys).
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import CATEGORY_LABELS
from participation.models import CATEGORIES, QUANTITY_UNITS, CatalogueItem, Locality, User
from participation.models.types import utcnow
from participation.reference.locality import describe, extra_categories, rule_for

CODE = re.compile(r"^[A-Z][0-9]{1,9}$")
EDITABLE = ("name", "category", "group", "quantity_unit", "unit_cost", "owner_matter", "note")


class ItemInvalid(Refused):
    """A refused item; ``errors`` maps a field name (or "" for the whole item) to the message shown."""


def catalogue_as_dicts(include_retired: bool = False) -> list[dict]:
    """The catalogue as other programs read it (``catalogue export --json`` and the admin download)."""
    query = select(CatalogueItem).order_by(CatalogueItem.code)
    if not include_retired:
        query = query.where(CatalogueItem.retired_at.is_(None))
    return [{"code": item.code, "name": item.name, "category": item.category, "group": item.group,
             "quantity_unit": item.quantity_unit, "unit_cost": float(item.unit_cost),
             "owner_matter": item.owner_matter, "retired": item.retired}
            for item in db.session.scalars(query)]


def category_names(locality: Locality | None, year: int | None = None) -> dict[str, str]:
    """{code: name} of the categories an item may be in: the three national ones, then the locality's extras."""
    names = {code: str(CATEGORY_LABELS[code]) for code in CATEGORIES}
    names.update(extra_categories(locality, year))
    return names


def catalogue_sections(locality: Locality | None, year: int) -> list[dict]:
    """The catalogue by category, each with its name and the locality's slogan for ``year`` (未配置 if none)."""
    names = category_names(locality, None)
    items = db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.code)).all()
    order = list(names) + sorted({item.category for item in items} - set(names))
    sections = []
    for code in order:
        in_category = [item for item in items if item.category == code]
        if not in_category and code not in CATEGORIES:
            continue
        slogan = rule_for(locality, "category_slogan", code, year) if locality is not None else None
        sections.append({"category": code, "name": names.get(code, code), "slogan": describe(slogan),
                         "entries": in_category})
    return sections


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def validate_item(raw: dict, *, allowed_categories, item: CatalogueItem | None = None) -> dict:
    """Check an item as typed by an admin; return its clean fields or raise ``ItemInvalid``."""
    errors: dict[str, str] = {}
    clean: dict = {}
    if item is None:
        code = _text(raw.get("code")).upper()
        if not CODE.match(code):
            errors["code"] = _("A code is one Latin letter followed by digits, such as B17.")
        elif db.session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == code)) is not None:
            errors["code"] = _("The code %(code)s is already used by another item.", code=code)
        clean["code"] = code
    clean["name"] = _text(raw.get("name"))
    if not clean["name"]:
        errors["name"] = _("Enter the item's name.")
    elif len(clean["name"]) > 100:
        errors["name"] = _("At most 100 characters.")
    clean["category"] = _text(raw.get("category"))
    if clean["category"] not in allowed_categories:
        errors["category"] = _("Choose one of the categories listed.")
    clean["group"] = _text(raw.get("group")) or None
    if clean["group"] and len(clean["group"]) > 30:
        errors["group"] = _("At most 30 characters.")
    clean["quantity_unit"] = _text(raw.get("quantity_unit"))
    if clean["quantity_unit"] not in QUANTITY_UNITS:
        errors["quantity_unit"] = _("Choose how the quantity is counted.")
    clean["unit_cost"] = _unit_cost(raw.get("unit_cost"), errors)
    matter = _text(raw.get("owner_matter"))
    clean["owner_matter"] = None
    if matter:
        if matter.isdigit() and 1 <= int(matter) <= 9:
            clean["owner_matter"] = int(matter)
        else:
            errors["owner_matter"] = _("The matter is an item number of Civil Code Art. 278, from 1 to 9, or empty.")
    clean["note"] = _text(raw.get("note")) or None
    if errors:
        raise ItemInvalid(errors)
    return clean


def _unit_cost(value, errors: dict) -> Decimal | None:
    text = _text(value).replace(",", "").replace("，", "")
    try:
        cost = Decimal(text) if text else None
    except InvalidOperation:
        cost = None
    if cost is None or not cost.is_finite():
        errors["unit_cost"] = _("Enter the unit cost in yuan, such as 15000 or 35.5.")
    elif cost < 0:
        errors["unit_cost"] = _("A cost cannot be negative.")
    elif cost.as_tuple().exponent < -2 or cost >= Decimal("1e10"):
        errors["unit_cost"] = _("Use at most 2 decimal places (fen) and fewer than 11 digits.")
    else:
        return cost
    return None


def _snapshot(item: CatalogueItem) -> dict:
    return {name: getattr(item, name) for name in EDITABLE}


def create_item(actor: User, raw: dict, *, allowed_categories) -> CatalogueItem:
    clean = validate_item(raw, allowed_categories=allowed_categories)
    item = CatalogueItem(**clean)
    db.session.add(item)
    db.session.flush()
    record(actor, "catalogue_item.create", item, code=item.code, **_snapshot(item))
    return item


def update_item(actor: User, item: CatalogueItem, raw: dict, *, allowed_categories) -> CatalogueItem:
    # An item may keep a category that is no longer offered (an extra class that has expired).
    clean = validate_item(raw, allowed_categories=set(allowed_categories) | {item.category}, item=item)
    changes = apply_changes(item, clean, EDITABLE)
    record(actor, "catalogue_item.update", item, code=item.code, changes=changes)
    return item


def retire_item(actor: User, item: CatalogueItem) -> None:
    if item.retired_at is None:
        item.retired_at = utcnow()
        db.session.flush()
        record(actor, "catalogue_item.retire", item, code=item.code)


def restore_item(actor: User, item: CatalogueItem) -> None:
    if item.retired_at is not None:
        item.retired_at = None
        db.session.flush()
        record(actor, "catalogue_item.restore", item, code=item.code)
