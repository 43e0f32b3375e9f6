"""Archiving the audit log, and purging what was archived once it is older than the retention.

网络安全法 Art. 21 asks for logs kept at least six months, untampered: ``RETENTION_DAYS`` is 180, and nothing younger
is ever purged. ``write_events`` streams the rows of a period as JSON lines in id order, read in batches so that
millions of rows never sit in memory, and returns the SHA-256 of what it wrote; ``export_events`` writes them to a
file with that digest beside it (FILE.sha256, in ``sha256sum`` format, so ``sha256sum -c FILE.sha256`` checks the
archive years later). ``purge_events`` deletes rows from before a day only when an intact archive holds every one
of them, inside the single maintenance transaction ``append_only_lifted`` allows — on PostgreSQL only the table's
owner can open it, never the application's role.
"""
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import DBAPIError

from participation.audit import record
from participation.extensions import db
from participation.formatting import beijing_midnight, beijing_today
from participation.handlers import Refused
from participation.models import AuditEvent, Community, User
from participation.models.audit import append_only_lifted

RETENTION_DAYS = 180
BATCH = 1000           # rows fetched at a time
INSUFFICIENT_PRIVILEGE = "42501"


class ArchiveRefused(Refused):
    """An export or purge that cannot be done; the message says why and nothing changed."""


@dataclass(frozen=True)
class Archive:
    path: Path
    rows: int
    sha256: str


def checksum_path(archive: Path) -> Path:
    """Where the archive's SHA-256 is kept: beside it, FILE.sha256."""
    return archive.with_name(archive.name + ".sha256")


def _period(since: date | None, until: date | None) -> Select:
    """Every event from ``since`` (included) to ``until`` (not included), oldest id first, with the actor's
    username and the community's code, so the archive reads without the database."""
    query = (select(AuditEvent.id, AuditEvent.created_at, AuditEvent.actor_id, User.username, AuditEvent.action,
                    AuditEvent.object_type, AuditEvent.object_id, AuditEvent.community_id, Community.code,
                    AuditEvent.channel, AuditEvent.detail)
             .outerjoin(User, User.id == AuditEvent.actor_id)
             .outerjoin(Community, Community.id == AuditEvent.community_id))
    if since is not None:
        query = query.where(AuditEvent.created_at >= beijing_midnight(since))
    if until is not None:
        query = query.where(AuditEvent.created_at < beijing_midnight(until))
    return query.order_by(AuditEvent.id)


def _line(row) -> bytes:
    """One event as one JSON line (UTF-8, Chinese as is, keys sorted: the same row always gives the same bytes)."""
    return (json.dumps({
        "id": row.id, "created_at": row.created_at.isoformat(), "actor_id": row.actor_id, "actor": row.username,
        "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
        "community_id": row.community_id, "community": row.code, "channel": row.channel, "detail": row.detail,
    }, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def check_period(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and since >= until:
        raise ArchiveRefused(_("The first day (%(since)s) must come before the day the export stops at "
                               "(%(until)s, not included).", since=since.isoformat(), until=until.isoformat()))


def write_events(stream: BinaryIO, actor, since: date | None = None, until: date | None = None, *,
                 channel: str) -> tuple[int, str]:
    """Write the period's events to ``stream``; return (rows, SHA-256 in hex). The export is audited (the caller
    commits); its own audit row comes after the rows written."""
    check_period(since, until)
    digest = hashlib.sha256()
    rows = 0
    with db.session.execute(_period(since, until).execution_options(yield_per=BATCH)) as found:
        for row in found:
            line = _line(row)
            stream.write(line)
            digest.update(line)
            rows += 1
    record(actor, "audit.export", object_type="audit_events", channel=channel, rows=rows, sha256=digest.hexdigest(),
           since=since.isoformat() if since else None, until=until.isoformat() if until else None)
    return rows, digest.hexdigest()


def export_events(out: Path, actor=None, since: date | None = None, until: date | None = None, *,
                  channel: str = "cli") -> Archive:
    """Write the period's events to the new file ``out`` and its SHA-256 to ``out``.sha256."""
    if out.exists() or checksum_path(out).exists():
        raise ArchiveRefused(_("%(file)s exists already; choose a new file.", file=str(out)))
    try:
        with out.open("xb") as stream:
            rows, sha256 = write_events(stream, actor, since, until, channel=channel)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    checksum_path(out).write_text(f"{sha256}  {out.name}\n", encoding="utf-8")
    return Archive(out, rows, sha256)


# --- purging ------------------------------------------------------------------------------------------------------

def latest_purge_day(today: date) -> date:
    """The latest --before a purge accepts on ``today``: every row it removes is at least RETENTION_DAYS old."""
    return today - timedelta(days=RETENTION_DAYS)


def verify_archive(archive: Path) -> str:
    """The archive's SHA-256 when it matches the one written beside it at export; refused otherwise."""
    sidecar = checksum_path(archive)
    if not archive.is_file() or not sidecar.is_file():
        raise ArchiveRefused(_("%(file)s or %(sidecar)s is missing: a purge needs the archive written by audit "
                               "export, with its SHA-256 beside it.", file=str(archive), sidecar=str(sidecar)))
    expected = sidecar.read_text(encoding="utf-8").split()[:1]
    with archive.open("rb") as stream:
        actual = hashlib.file_digest(stream, "sha256").hexdigest()
    if expected != [actual]:
        raise ArchiveRefused(_("%(file)s does not match the SHA-256 in %(sidecar)s: the archive was changed or "
                               "damaged. Nothing was purged.", file=str(archive), sidecar=str(sidecar)))
    return actual


def _archived_ids(archive: Path) -> Iterator[int]:
    """The event ids the archive holds, in its (ascending) order."""
    previous = 0
    with archive.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                event_id = json.loads(line)["id"]
            except (ValueError, KeyError, TypeError):
                raise ArchiveRefused(_("Line %(line)d of %(file)s is not an audit event written by audit export. "
                                       "Nothing was purged.", line=number, file=str(archive))) from None
            if not isinstance(event_id, int) or event_id <= previous:
                raise ArchiveRefused(_("Line %(line)d of %(file)s is out of order: audit export writes events "
                                       "oldest first. Nothing was purged.", line=number, file=str(archive)))
            previous = event_id
            yield event_id


def _first_missing(wanted: Iterator[int], archived: Iterator[int]) -> int | None:
    """The first id of ``wanted`` that ``archived`` lacks; both ascending, so one pass over each suffices."""
    held = next(archived, None)
    for event_id in wanted:
        while held is not None and held < event_id:
            held = next(archived, None)
        if held != event_id:
            return event_id
    return None


def purge_events(before: date, archive: Path, *, today: date | None = None) -> int:
    """Delete the events from before the day ``before`` (Beijing time); return how many.

    Refused when ``before`` is later than ``latest_purge_day``, when the archive does not match its SHA-256, and
    when any row to delete is missing from it. The purge itself is audited, with the archive's digest, in the same
    transaction, which also commits.
    """
    today = today or beijing_today()
    if before > latest_purge_day(today):
        raise ArchiveRefused(_("Audit events are kept at least %(days)d days (Cybersecurity Law Art. 21): --before "
                               "may be %(date)s at the latest.", days=RETENTION_DAYS,
                               date=latest_purge_day(today).isoformat()))
    sha256 = verify_archive(archive)
    cutoff = beijing_midnight(before)
    try:
        with append_only_lifted(db.session):
            with db.session.scalars(select(AuditEvent.id).where(AuditEvent.created_at < cutoff)
                                    .order_by(AuditEvent.id).execution_options(yield_per=BATCH)) as wanted:
                missing = _first_missing(iter(wanted), _archived_ids(archive))
            if missing is not None:
                raise ArchiveRefused(_("Audit event %(id)d, from before %(date)s, is not in %(file)s: export that "
                                       "period first. Nothing was purged.", id=missing, date=before.isoformat(),
                                       file=str(archive)))
            purged = db.session.execute(delete(AuditEvent).where(AuditEvent.created_at < cutoff)
                                        .execution_options(synchronize_session=False)).rowcount
            record(None, "audit.purge", object_type="audit_events", channel="cli", before=before.isoformat(),
                   rows=purged, archive=archive.name, sha256=sha256)
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
            raise ArchiveRefused(_("Only the database role that owns audit_events (the one that runs the "
                                   "migrations) may purge it; this connection's role may not. See docs/deploy.md, "
                                   "section Audit log. Nothing was purged.")) from error
        raise
    return purged
