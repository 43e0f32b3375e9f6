"""``flask --app app open311 create-key NAME`` / ``revoke-key NAME``: keys for POSTing Open311 service requests.

The key is printed once and only its keyed hash is stored (``participation.api.open311_keys.hash_key``): a random
256-bit key needs no salt; the key ring's versions let HOUSEHOLD_CODE_KEY be rotated (``flask keys``).
"""
import click
from flask import Flask, current_app
from flask_babel import force_locale

from participation.api.open311_keys import create_key, revoke_key
from participation.extensions import db


def register(app: Flask) -> None:
    @app.cli.group("open311")
    def open311() -> None:
        """Open311 GeoReport v2 keys."""

    @open311.command("create-key")
    @click.argument("name")
    def create_key_command(name: str) -> None:
        """Create a key named NAME and print it (once; only its hash is kept)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                _row, key = create_key(name)
            except ValueError as refused:
                raise click.ClickException(str(refused)) from refused
        db.session.commit()
        click.echo(key)

    @open311.command("revoke-key")
    @click.argument("name")
    def revoke_key_command(name: str) -> None:
        """Revoke the key named NAME: POSTs with it answer 403 from now on."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                row = revoke_key(name)
            except ValueError as refused:
                raise click.ClickException(str(refused)) from refused
        db.session.commit()
        click.echo(f"revoked {row.name}")
