"""``flask --app app surveys import-responses FILE --survey ID``: paper or ODK/Kobo answers from .xlsx/.csv."""
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale, gettext as _

from participation.extensions import db
from surveys.answering.imports import ImportResult, ResponseImportError, import_responses
from surveys.cli import acting_staff, surveys_cli
from surveys.models import Survey


def summary_lines(result: ImportResult) -> list[str]:
    """What the import did, as told on the command line and on the upload page."""
    lines = [_("Rows: %(rows)d. New responses saved: %(imported)d.", rows=result.rows, imported=result.imported)]
    if result.already_answered:
        lines.append(_("%(n)d households had answered already; their answers were kept as they were and these rows "
                       "were not imported:", n=len(result.already_answered)))
        for entry in result.already_answered:
            lines.append("  " + already_answered_line(entry))
    if result.ignored_columns:
        lines.append(_("Columns ignored (ODK/Kobo metadata and notes): %(columns)s",
                       columns="、".join(result.ignored_columns)))
    if result.warnings:
        lines.append(_("Warning: %(n)d answers were imported as the residents wrote them but look inconsistent; "
                       "please check them:", n=len(result.warnings)))
        for entry in result.warnings:
            lines.append("  " + warning_line(entry))
    return lines


def warning_line(entry: dict) -> str:
    return _("Row %(row)d: %(column)s: %(message)s", **entry)


def already_answered_line(entry: dict) -> str:
    if entry["status"] == "draft":
        return _("Row %(row)d: %(building)s-%(unit)s-%(room)s has started answering online (a draft).", **entry)
    return _("Row %(row)d: %(building)s-%(unit)s-%(room)s has already answered.", **entry)


@surveys_cli.command("import-responses")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--survey", "survey_id", required=True, type=int, help="The survey's id.")
@click.option("--as-user", "username",
              help="Record the answers as paper forms entered by this staff account (within its scope); without "
                   "it the channel is 'import' and no staff member.")
def import_responses_command(path: Path, survey_id: int, username: str | None) -> None:
    """Import answers (columns 楼栋, 单元, 房号 and one per question): all-or-nothing, exit 1 on any error."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        survey = db.session.get(Survey, survey_id)
        if survey is None:
            raise click.ClickException(_("There is no survey %(id)d.", id=survey_id))
        actor = acting_staff(username, survey, _("%(name)s may not import answers for this survey."))
        started = time.perf_counter()
        try:
            result = import_responses(actor, survey, path, filename=path.name,
                                      lang=current_app.config["BABEL_DEFAULT_LOCALE"][:2])
        except ResponseImportError as error:
            db.session.rollback()
            for message in error.errors:
                click.echo(message, err=True)
            click.echo(_("Nothing was imported."), err=True)
            sys.exit(1)
        db.session.commit()
        for line in summary_lines(result):
            click.echo(line)
        click.echo(_("Done in %(seconds).2f s.", seconds=time.perf_counter() - started))
