"""``flask --app app surveys …``: XLSForm import and paper/ODK response import."""
from importlib import import_module

from flask import Flask
from flask.cli import AppGroup

surveys_cli = AppGroup("surveys", help="Needs surveys: XLSForm and response imports.")

# Modules that add commands to ``surveys_cli`` (with ``@surveys_cli.command``) when imported.
COMMAND_MODULES: list[str] = ["surveys.cli_responses", "surveys.cli_lifecycle", "surveys.cli_xlsform",
                               "surveys.cli_benchdata"]   # (this one: bench-data's needs surveys, by signal)


def init_app(app: Flask) -> None:
    for module in COMMAND_MODULES:
        import_module(module)
    app.cli.add_command(surveys_cli)
