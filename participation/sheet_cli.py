"""``flask --app app fieldsurvey import FILE --community CODE --as-user NAME`` and ``works import …``: the field
survey's and the works' Excel imports from the command line, as the pages run them (all or nothing, errors by row,
exit 1 on any error). The account named is the one recorded, and must be allowed to do it on the page."""
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.fieldsurvey.sheet import import_findings
from participation.models import User
from participation.permissions import can_manage_community, can_record_field_survey
from participation.plans.works_sheet import import_works
from participation.roster.communities import community_by_code
from participation.sheet_imports import SheetImportError


def _run(operation, may, path: Path, code: str, username: str, **options) -> None:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        actor = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if actor is None:
            raise click.ClickException(_("No staff account is called %(name)s.", name=username))
        community = community_by_code(code)
        if community is None:
            raise click.ClickException(_("No community has the code %(code)s.", code=code))
        if not may(actor, community):
            raise click.ClickException(_("%(name)s may not do this in %(community)s.", name=username,
                                         community=community.name))
        try:
            counts = operation(actor, community, path.read_bytes(), filename=path.name, channel="cli", **options)
        except SheetImportError as refusal:
            db.session.rollback()
            for message in refusal.errors:
                click.echo(message, err=True)
            click.echo(_("Nothing was imported."), err=True)
            sys.exit(1)
        db.session.commit()
        click.echo(_("%(new)d new, %(changed)d changed, %(unchanged)d unchanged, %(skipped)d rows left as they "
                     "were.", **counts))


_FILE = click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_COMMUNITY = click.option("--community", "code", required=True, help="The community's code.")
_USER = click.option("--as-user", "username", required=True, help="The staff account recorded as doing it.")


def register(app: Flask) -> None:
    @app.cli.group("fieldsurvey")
    def fieldsurvey() -> None:
        """The field survey (实地调查) in Excel."""

    @fieldsurvey.command("import")
    @_FILE
    @_COMMUNITY
    @_USER
    def import_fieldsurvey(path: Path, code: str, username: str) -> None:
        """Import a filled field survey template (.xlsx/.xls/.csv)."""
        _run(import_findings, can_record_field_survey, path, code, username)

    @app.cli.group("works")
    def works() -> None:
        """Works progress (施工进度) in Excel."""

    @works.command("import")
    @_FILE
    @_COMMUNITY
    @_USER
    @click.option("--override-reason", default=None, help="An administrator's reason to start works before the "
                                                          "joint review is complete (audited).")
    def import_works_command(path: Path, code: str, username: str, override_reason: str | None) -> None:
        """Import a filled works template (.xlsx/.xls/.csv)."""
        _run(import_works, can_manage_community, path, code, username, override_reason=override_reason)
