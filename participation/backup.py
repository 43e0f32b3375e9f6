"""``flask --app app backup --out FILE``: a consistent copy of a SQLite database while the app keeps writing.

SQLite's online backup API (``sqlite3.Connection.backup``) copies page by page and restarts when a writer changes a
copied page, so the copy is one consistent state. PostgreSQL is refused: pg_dump is its backup tool (docs/deploy.md).
"""
import sqlite3
import sys
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _
from sqlalchemy.engine import make_url

from participation.extensions import db


def backup_sqlite(source: str, out: Path) -> None:
    """Copy the SQLite database at ``source`` to ``out`` with the online backup API."""
    with sqlite3.connect(source, timeout=30) as reader, sqlite3.connect(out) as writer:
        reader.backup(writer, pages=256)
    writer.close()
    reader.close()


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The file to write the copy to (must not exist).")
    def backup_command(out: Path) -> None:
        """Back up the SQLite database, consistently, while the app runs."""
        url = make_url(str(db.engine.url))
        if url.get_backend_name() != "sqlite":
            click.echo(_("The database is %(kind)s, not SQLite: back it up with pg_dump, e.g. pg_dump "
                         "--format=custom --file=minhu.dump \"$DATABASE_URL\" (see docs/deploy.md).",
                         kind=url.get_backend_name()), err=True)
            sys.exit(1)
        if not url.database or url.database == ":memory:":
            click.echo(_("An in-memory SQLite database cannot be backed up."), err=True)
            sys.exit(1)
        if out.exists():
            click.echo(_("%(file)s exists already; choose a new file.", file=str(out)), err=True)
            sys.exit(1)
        backup_sqlite(url.database, out)
        click.echo(_("Backed up %(source)s to %(file)s.", source=url.database, file=str(out)))
