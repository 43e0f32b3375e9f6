"""``flask --app app tickets escalate`` (cron: overdue tickets marked, organisers told) and
``flask --app app tickets seed-holidays [YEAR …]`` (the holiday table from chinese-calendar)."""
import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _

from participation.complaints.deadlines import seed_holidays
from participation.complaints.operations import escalate_overdue
from participation.extensions import db


def register(app: Flask) -> None:
    @app.cli.group("tickets")
    def tickets() -> None:
        """Complaint tickets (接诉即办): escalation and the holiday table."""

    @tickets.command("escalate")
    def escalate_command() -> None:
        """Mark open tickets past their deadline and tell the organisers; a second run finds nothing new."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            overdue = escalate_overdue()
            db.session.commit()
            click.echo(_("Escalated %(count)d overdue tickets.", count=len(overdue)))

    @tickets.command("seed-holidays")
    @click.argument("years", nargs=-1, type=int)
    def seed_command(years: tuple[int, ...]) -> None:
        """Fill the holiday table for YEARS (default: every year chinese-calendar knows); edited years are kept."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            added = seed_holidays(list(years) or None)
            db.session.commit()
            click.echo(_("Added %(count)d days to the holiday table.", count=added))
