"""``flask --app app api create-token NAME --role ROLE [--community CODE …]`` / ``revoke-token NAME``: tokens of the
staff JSON API at /api/v1. The token is printed once; only its keyed hash is stored
(``participation.api.tokens.hash_token``)."""
import click
from flask import Flask, current_app
from flask_babel import force_locale

from participation.api.tokens import TokenError, communities_by_codes, create_token, revoke_token, token_by_name
from participation.extensions import db
from participation.models import ROLES


def register(app: Flask) -> None:
    @app.cli.group("api")
    def api() -> None:
        """Tokens of the staff JSON API (/api/v1)."""

    @api.command("create-token")
    @click.argument("name")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--community", "communities", multiple=True, help="a community code; repeat for more")
    def create_token_command(name: str, role: str, communities: tuple[str, ...]) -> None:
        """Create a token NAME acting as ROLE on the given communities and print it (once)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                _row, token = create_token(None, name, role, communities=communities_by_codes(communities),
                                           channel="cli")
            except TokenError as refused:
                raise click.ClickException(str(refused)) from refused
        db.session.commit()
        click.echo(token)

    @api.command("revoke-token")
    @click.argument("name")
    def revoke_token_command(name: str) -> None:
        """Revoke the token NAME: requests with it answer 401 from now on."""
        row = token_by_name(name)
        if row is None:
            raise click.ClickException(f"no token named {name}")
        revoke_token(None, row, channel="cli")
        db.session.commit()
        click.echo(f"revoked {row.name}")
