"""Reference data every deployment starts with: the item catalogue and the 吉林省/长春市 locality rules.

Both seeders are idempotent: they add what is missing and never overwrite what admins have edited since.
"""
import csv
from decimal import Decimal
from importlib import resources

from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem, ComplaintCategory, Locality, LocalityRule


def _rows(name: str) -> list[dict]:
    with resources.files("participation.data").joinpath(name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_catalogue() -> int:
    """Add the catalogue items of ``data/catalogue.csv`` (a copy of shared/catalogue.csv) that are missing."""
    existing = set(db.session.scalars(select(CatalogueItem.code)))
    added = 0
    for row in _rows("catalogue.csv"):
        if row["code"] in existing:
            continue
        db.session.add(CatalogueItem(
            code=row["code"], name=row["name"], category=row["category"], group=row["group"] or None,
            quantity_unit=row["quantity_unit"], unit_cost=Decimal(row["reference_unit_cost_yuan"]),
            owner_matter=int(row["owner_matter"]) if row["owner_matter"] else None, note=row["note"] or None))
        added += 1
    db.session.flush()
    return added


def seed_localities() -> int:
    """Add the localities and rules of ``data/locality_rules.csv`` that are missing (matched on kind, key, years)."""
    added = 0
    localities: dict[tuple[str, str], Locality] = {}
    for row in _rows("locality_rules.csv"):
        place = (row["province"], row["city"])
        if place not in localities:
            locality = db.session.scalar(select(Locality).filter_by(province=place[0], city=place[1]))
            if locality is None:
                locality = Locality(province=place[0], city=place[1])
                db.session.add(locality)
                db.session.flush()
            localities[place] = locality
        locality = localities[place]
        valid_to = int(row["valid_to"]) if row["valid_to"] else None
        exists = db.session.scalar(select(LocalityRule.id).filter_by(
            locality_id=locality.id, kind=row["kind"], key=row["key"], valid_from=int(row["valid_from"]),
            valid_to=valid_to))
        if exists is not None:
            continue
        db.session.add(LocalityRule(
            locality=locality, kind=row["kind"], key=row["key"], text_value=row["text_value"] or None,
            number_value=Decimal(row["number_value"]) if row["number_value"] else None, unit=row["unit"] or None,
            valid_from=int(row["valid_from"]), valid_to=valid_to, source=row["source"]))
        added += 1
    db.session.flush()
    _seed_complaint_categories(localities)
    return added


def _seed_complaint_categories(localities: dict) -> None:
    """The complaint categories of ``data/complaint_categories.csv`` that a locality lacks (matched on code)."""
    for position, row in enumerate(_rows("complaint_categories.csv"), start=1):
        locality = localities.get((row["province"], row["city"])) or db.session.scalar(
            select(Locality).filter_by(province=row["province"], city=row["city"]))
        if locality is None or db.session.scalar(select(ComplaintCategory.id).filter_by(
                locality_id=locality.id, code=row["code"])) is not None:
            continue
        db.session.add(ComplaintCategory(locality_id=locality.id, code=row["code"], name=row["name"],
                                         limit_class=row["limit_class"], quality_or_safety=row["quality_or_safety"] == "1",
                                         position=position))
    db.session.flush()


def default_locality() -> Locality | None:
    return db.session.scalar(select(Locality).order_by(Locality.id))
