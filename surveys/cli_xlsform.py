"""``flask --app app surveys import-xlsform FILE --community CODE`` (DESIGN §8) and ``export-xlsform ID --out F``."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import User
from participation.roster.communities import community_by_code
from surveys.cli import surveys_cli
from surveys.models import Survey
from surveys.xlsform.common import XLSFormError
from surveys.xlsform.export import export_xlsform
from surveys.xlsform.imports import import_xlsform


@surveys_cli.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "code", required=True, help="The community's code; the survey is created as a draft.")
@click.option("--as-user", "username", help="Record the import under this staff account.")
def import_command(path: Path, code: str, username: str | None) -> None:
    """Import an XLSForm as a draft survey; prints only the new survey's id (messages go to stderr)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        community = community_by_code(code)
        if community is None:
            _fail([_("No community has the code %(code)s.", code=code)])
        actor = None
        if username:
            actor = db.session.scalar(select(User).where(User.username == username))
            if actor is None:
                _fail([_("No staff account is called %(name)s.", name=username)])
        try:
            result = import_xlsform(actor, community, path.read_bytes(), path.name, channel="cli")
        except XLSFormError as error:
            db.session.rollback()
            _fail([*error.errors, _("Nothing was imported.")])
        db.session.commit()
        for warning in result.warnings:
            click.echo(warning, err=True)
        click.echo(result.survey.id)


@surveys_cli.command("export-xlsform")
@click.argument("survey_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(survey_id: int, out: Path) -> None:
    """Write a survey as an XLSForm workbook (.xlsx) that imports back to the same survey."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        survey = db.session.get(Survey, survey_id)
        if survey is None:
            _fail([_("No survey has the id %(id)d.", id=survey_id)])
        out.write_bytes(export_xlsform(survey))
        click.echo(_("Wrote %(path)s.", path=str(out)), err=True)


def _fail(messages: list[str]) -> None:
    for message in messages:
        click.echo(message, err=True)
    sys.exit(1)
