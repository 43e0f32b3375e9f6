import click
from flask import Flask, current_app
from flask_babel import force_locale

from participation.accounts.operations import AccountError, check_password_strength, create_user
from participation.complaints.deadlines import seed_holidays
from participation.extensions import db
from participation.reference.seed import seed_catalogue, seed_localities


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option(help="Asked twice when not given.")
    def create_admin(username: str, password: str) -> None:
        """Create a city-wide administrator account."""
        # No request here to choose a language from: refusals are worded in the default (Chinese).
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                check_password_strength(password, (username,))
                create_user(None, username=username, password=password, role="admin", display_name=username)
            except AccountError as error:
                raise click.ClickException(str(error)) from error
        db.session.commit()
        click.echo(f"created admin {username}")

    @app.cli.command("seed-reference")
    def seed_reference() -> None:
        """Add the item catalogue, the 吉林省/长春市 locality rules and the holiday table (chinese-calendar's years)
        where missing (safe to run again)."""
        items, rules, days = seed_catalogue(), seed_localities(), seed_holidays()
        db.session.commit()
        click.echo(f"catalogue items added: {items}; locality rules added: {rules}; holidays and 调休 days added: {days}")
