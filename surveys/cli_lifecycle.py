"""``flask --app app surveys close-due`` and ``surveys recount``.

close-due records the automatic close of surveys past their closing time.

Residents already meet such a survey as closed (``Survey.effective_status``); this writes the status and an audit
row, so exports and lists agree. Run it from cron; running it twice changes nothing the second time.
"""
import click
from sqlalchemy import select

from participation.extensions import db
from surveys.builder import close_due_surveys
from surveys.cli import surveys_cli
from surveys.models import Survey
from surveys.tallies import rebuild


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
