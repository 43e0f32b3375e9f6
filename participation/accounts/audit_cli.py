"""``flask --app app audit export|purge``: archiving the audit log, and removing archived rows past retention.

``audit export --since DAY --until DAY --out FILE`` writes the period's events as JSON lines and FILE.sha256 beside
it. ``audit purge --before DAY --archive FILE`` deletes the events from before DAY when DAY is at least 180 days ago
and FILE (checked against its SHA-256) holds every one of them; on PostgreSQL only the role that owns the table can
run it (docs/deploy.md, "Audit log").
"""
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _

from participation.accounts.audit_archive import ArchiveRefused, checksum_path, export_events, purge_events
from participation.extensions import db

DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value):
    return value.date() if value is not None else None


def register(app: Flask) -> None:
    @app.cli.group("audit")
    def audit() -> None:
        """The audit log: archive it, and purge what was archived once past retention."""

    @audit.command("export")
    @click.option("--since", type=DAY, help="First day exported (Beijing time, YYYY-MM-DD); default: the oldest "
                                            "event.")
    @click.option("--until", type=DAY, help="The day the export stops at, not included: --since 2026-01-01 --until "
                                            "2026-07-01 is the first half of 2026. Default: up to now.")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The new file to write (JSON lines); FILE.sha256 is written beside it.")
    def export_command(since, until, out: Path) -> None:
        """Write the audit events of a period as JSON lines, oldest first, with the file's SHA-256 beside it."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                archive = export_events(out, None, _day(since), _day(until), channel="cli")
            except ArchiveRefused as refusal:
                db.session.rollback()
                raise click.ClickException(str(refusal)) from refusal
            db.session.commit()
            click.echo(_("Wrote %(rows)d audit events to %(file)s. SHA-256 %(sha256)s (also in %(sidecar)s).",
                         rows=archive.rows, file=str(out), sha256=archive.sha256, sidecar=str(checksum_path(out))))

    @audit.command("purge")
    @click.option("--before", required=True, type=DAY,
                  help="Delete the events from before this day (Beijing time); it must be at least 180 days ago.")
    @click.option("--archive", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The file audit export wrote for those events, with its .sha256 beside it.")
    def purge_command(before, archive: Path) -> None:
        """Delete archived audit events older than the retention (run by the database role that owns the table)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                purged = purge_events(_day(before), archive)
            except ArchiveRefused as refusal:
                raise click.ClickException(str(refusal)) from refusal
            click.echo(_("Purged %(rows)d audit events from before %(date)s; %(file)s holds them.",
                         rows=purged, date=_day(before).isoformat(), file=str(archive)))
