"""``flask --app app surveys close-due``: record the automatic close of surveys past their closing time.

Residents already meet such a survey as closed (``Survey.effective_status``); this writes the status and an audit
row, so exports and lists agree. Run it from cron; running it twice changes nothing the second time.
"""
import click

from participation.extensions import db
from surveys.builder import close_due_surveys
from surveys.cli import surveys_cli


@surveys_cli.command("close-due")
def close_due() -> None:
    """Close every open survey whose closing time has passed."""
    closed = close_due_surveys()
    db.session.commit()
    for survey in closed:
        click.echo(f"closed {survey.id} {survey.label('zh')}")
    click.echo(f"{len(closed)} closed")
