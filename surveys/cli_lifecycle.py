"""``flask --app app surveys open ID``, ``surveys close-due`` and ``surveys recount``.

open opens a draft (one made by import-xlsform, say) now, through the operation the web's open button uses, so
import-xlsform → open → import-responses runs without the web (DESIGN §8).

close-due records the automatic close of surveys past their closing time.

Residents already meet such a survey as closed (``Survey.effective_status``); this writes the status and an audit
row, so exports and lists agree. Run it from cron; running it twice changes nothing the second time.
"""
import click
from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from participation.extensions import db
from surveys.builder.operations import close_due_surveys, open_survey
from surveys.cli import acting_staff, surveys_cli
from surveys.models import Survey, SurveyStateError
from surveys.results.tallies import rebuild


@surveys_cli.command("open")
@click.argument("survey_id", type=int)
@click.option("--as-user", "username", help="Record the opening under this staff account (within its scope).")
def open_command(survey_id: int, username: str | None) -> None:
    """Open a draft survey now; a survey that is not a draft is refused (exit 1)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        survey = db.session.get(Survey, survey_id)
        if survey is None:
            raise click.ClickException(_("No survey has the id %(id)d.", id=survey_id))
        actor = acting_staff(username, survey, _("%(name)s may not open this survey."))
        if survey.effective_status() == "closed":
            raise click.ClickException(_("Survey %(id)d is closed; a closed survey does not open again.",
                                         id=survey.id))
        if survey.status == "open":
            raise click.ClickException(_("Survey %(id)d is already open.", id=survey.id))
        try:
            open_survey(actor, survey, channel="cli")
        except SurveyStateError as error:
            db.session.rollback()
            raise click.ClickException(_(str(error))) from None
        db.session.commit()
        click.echo(_("Survey %(id)d is open: households can answer now.", id=survey.id))


@surveys_cli.command("close-due")
def close_due() -> None:
    """Close every open survey whose closing time has passed."""
    closed = close_due_surveys()
    db.session.commit()
    for survey in closed:
        click.echo(f"closed {survey.id} {survey.label('zh')}")
    click.echo(f"{len(closed)} closed")


@surveys_cli.command("recount")
@click.argument("survey_ids", nargs=-1, type=int)
def recount(survey_ids: tuple[int, ...]) -> None:
    """Recount the tallies of the given surveys (all open and closed ones without ids) from their answers.

    Saves keep the tallies exact; this is for answers written another way (a restored backup, a bulk load)."""
    query = select(Survey).where(Survey.status.in_(("open", "closed"))).order_by(Survey.id)
    if survey_ids:
        query = select(Survey).where(Survey.id.in_(survey_ids)).order_by(Survey.id)
    surveys = db.session.scalars(query).all()
    missing = sorted(set(survey_ids) - {survey.id for survey in surveys})
    if missing:
        raise click.ClickException(f"no survey {', '.join(map(str, missing))}; nothing was recounted")
    for survey in surveys:
        click.echo(f"recounted {survey.id}: {rebuild(survey)} tallies")
    db.session.commit()
