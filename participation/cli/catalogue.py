import json

import click
from flask import Flask
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem


def catalogue_as_dicts(include_retired: bool = False) -> list[dict]:
    query = select(CatalogueItem).order_by(CatalogueItem.code)
    if not include_retired:
        query = query.where(CatalogueItem.retired_at.is_(None))
    return [{"code": item.code, "name": item.name, "category": item.category, "group": item.group,
             "quantity_unit": item.quantity_unit, "unit_cost": float(item.unit_cost),
             "owner_matter": item.owner_matter, "retired": item.retired}
            for item in db.session.scalars(query)]


def register(app: Flask) -> None:
    @app.cli.group("catalogue")
    def catalogue() -> None:
        """The item catalogue."""

    @catalogue.command("export")
    @click.option("--json", "as_json", is_flag=True, required=True, help="Print the catalogue as JSON.")
    @click.option("--include-retired", is_flag=True, help="Also list retired items.")
    def export(as_json: bool, include_retired: bool) -> None:
        """Print the catalogue: [{"code", "name", "category", "group", "quantity_unit", "unit_cost"}]."""
        click.echo(json.dumps(catalogue_as_dicts(include_retired), ensure_ascii=False, indent=1))
