import json

import click
from flask import Flask

from participation.reference.catalogue import catalogue_as_dicts


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
