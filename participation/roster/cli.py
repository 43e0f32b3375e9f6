"""``flask --app app roster import FILE`` and ``roster export CODE --out F``."""
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import User
from participation.roster.communities import CommunityError, community_by_code, roster_tree
from participation.roster.export import export_roster
from participation.roster.files import RosterImportError, read_roster_file
from participation.roster.imports import import_roster


class _Progress:
    """One click progress bar per stage (validation, then writing), on stderr so stdout carries the summary."""

    def __init__(self, total: int):
        self.total, self.bars, self.labels = total, {}, {"validate": _("Checking rows"), "write": _("Writing")}

    def __call__(self, stage: str, advance: int) -> None:
        if stage not in self.bars:
            self.finish()
            self.bars[stage] = click.progressbar(length=self.total, label=self.labels[stage], file=sys.stderr)
        self.bars[stage].update(advance)

    def finish(self) -> None:
        for bar in self.bars.values():
            if not bar.finished:
                bar.render_finish()
                bar.finished = True


def summary_lines(counts: dict) -> list[str]:
    c, b, u, h = (counts[level] for level in ("communities", "buildings", "units", "households"))
    return [
        _("Communities: %(created)d added, %(updated)d changed, %(unchanged)d unchanged", **c),
        _("Buildings: %(created)d added, %(unchanged)d unchanged", **b),
        _("Units: %(created)d added, %(unchanged)d unchanged", **u),
        _("Households: %(created)d added, %(updated)d changed, %(unchanged)d unchanged, %(not_in_file)d not in "
          "the file (kept)", **h),
    ]


def register(app: Flask) -> None:
    @app.cli.group("roster")
    def roster() -> None:
        """The roster (调查摸底): import and export."""

    @roster.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--district", help="District for new communities (created if missing); default: the only/first.")
    @click.option("--as-user", "username", help="Record the import under this staff account, within its scope.")
    def import_command(path: Path, district: str | None, username: str | None) -> None:
        """Import an .xlsx/.xls/.csv roster: all-or-nothing, errors by row, exit 1 on any error."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            actor = None
            if username:
                actor = db.session.scalar(select(User).where(User.username == username))
                if actor is None:
                    raise click.ClickException(_("No staff account is called %(name)s.", name=username))
            started = time.perf_counter()
            progress = None
            try:
                table = read_roster_file(path)
                progress = _Progress(len(table.rows))
                counts = import_roster(actor, table, filename=path.name, district=district, channel="cli",
                                       progress=progress)
            except (RosterImportError, CommunityError) as error:
                if progress:
                    progress.finish()
                db.session.rollback()
                messages = error.errors if isinstance(error, RosterImportError) else list(error.errors.values())
                for message in messages:
                    click.echo(message, err=True)
                click.echo(_("Nothing was imported."), err=True)
                sys.exit(1)
            progress.finish()
            db.session.commit()
            for line in summary_lines(counts):
                click.echo(line)
            click.echo(_("Imported %(rows)d rows in %(seconds).2f s.", rows=len(table.rows),
                         seconds=time.perf_counter() - started))

    @roster.command("export")
    @click.argument("code")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
    @click.option("--mask-phones", is_flag=True, help="Write masked phone numbers (138****5678).")
    def export_command(code: str, out: Path, mask_phones: bool) -> None:
        """Write a community's roster as .xlsx in the import's columns (the export is audited)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            community = community_by_code(code)
            if community is None:
                raise click.ClickException(_("No community has the code %(code)s.", code=code))
            data = export_roster(None, community, roster_tree(None, community), reveal_phones=not mask_phones,
                                 channel="cli")
            out.write_bytes(data)
            db.session.commit()
            click.echo(_("Wrote %(path)s.", path=str(out)))
