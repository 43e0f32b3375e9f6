"""``flask --app app surveys …``: XLSForm import and paper/ODK response import."""
from importlib import import_module

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import User
from participation.permissions import can_manage_community

surveys_cli = AppGroup("surveys", help="Needs surveys: XLSForm and response imports.")

# Modules that add commands to ``surveys_cli`` (with ``@surveys_cli.command``) when imported.
COMMAND_MODULES: list[str] = ["surveys.cli_responses", "surveys.cli_lifecycle", "surveys.cli_xlsform",
                               "surveys.cli_benchdata"]   # (this one: bench-data's needs surveys, by signal)


def acting_staff(username: str | None, survey, refusal: str) -> User | None:
    """The active staff account ``--as-user`` names, if it may manage ``survey``'s community (else exit 1 with
    ``refusal``, which may use %(name)s); None without ``--as-user``."""
    if not username:
        return None
    actor = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if actor is None:
        raise click.ClickException(_("No staff account is called %(name)s.", name=username))
    if survey.community is None or not can_manage_community(actor, survey.community):
        raise click.ClickException(refusal % {"name": username})
    return actor


def init_app(app: Flask) -> None:
    for module in COMMAND_MODULES:
        import_module(module)
    app.cli.add_command(surveys_cli)
