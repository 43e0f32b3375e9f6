"""Archiving the audit log (``flask --app app audit export``) and purging what was archived past the 180 days'
retention (``audit purge``): the export's lines, order, period and digest; every refusal of a purge."""
import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from participation.accounts.audit_archive import (BATCH, RETENTION_DAYS, ArchiveRefused, export_events,
                                                  latest_purge_day, purge_events)
from participation.audit import record
from participation.extensions import db
from participation.formatting import BEIJING, beijing_today
from participation.models import AuditEvent

# 2026-03-01 23:59 and 2026-03-02 00:00 in Beijing: the two sides of a day's boundary; then 3 March, 10:00
LATE_MARCH_1 = datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc)
EARLY_MARCH_2 = datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)
MARCH_3 = datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 12, 6)


@pytest.fixture(autouse=True)
def _english():
    """Refusals are matched by their English words; the commands speak the deployment's language (Chinese), so
    their tests look for the dates, numbers and file names in what they print."""
    with force_locale("en"):
        yield


def add_event(action: str, when: datetime, **fields) -> AuditEvent:
    event = record(None, action, object_type="x", **fields)
    event.created_at = when
    return event


@pytest.fixture
def history(make_user, make_community):
    """Five events: the account made (now), one each on 1, 2 (by a staff member in a community) and 3 March
    (Beijing), and one now."""
    community = make_community("NG1")
    user = make_user("organiser", username="ng_org", communities=[community])
    add_event("early", LATE_MARCH_1, object_id=1)
    record(user, "household_code.issue", community.buildings[0], community=community, room="101室").created_at = \
        EARLY_MARCH_2
    add_event("later", MARCH_3)
    add_event("recent", datetime.now(timezone.utc))
    db.session.commit()
    return {"user": user, "community": community}


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def actions() -> list[str]:
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_export_writes_the_period_oldest_first_with_its_digest(runner, history, tmp_path):
    out = tmp_path / "audit-2026-03.jsonl"
    result = runner.invoke(args=["audit", "export", "--since", "2026-03-02", "--until", "2026-03-04",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = lines(out)
    assert [row["action"] for row in rows] == ["household_code.issue", "later"]   # 1 March and today left out
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    issued = rows[0]
    assert issued["actor"] == "ng_org" and issued["actor_id"] == history["user"].id
    assert issued["community"] == "NG1" and issued["object_type"] == "buildings"
    assert issued["detail"] == {"room": "101室"} and "101室" in out.read_text(encoding="utf-8")  # Chinese as is
    assert datetime.fromisoformat(issued["created_at"]).astimezone(BEIJING).isoformat() == "2026-03-02T00:00:00+08:00"

    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert (tmp_path / "audit-2026-03.jsonl.sha256").read_text() == f"{digest}  audit-2026-03.jsonl\n"
    assert digest in result.output
    exported = db.session.scalar(select(AuditEvent).filter_by(action="audit.export"))
    assert exported.channel == "cli" and exported.detail == {"rows": 2, "sha256": digest, "since": "2026-03-02",
                                                             "until": "2026-03-04"}


def test_the_same_rows_give_the_same_file(history, tmp_path):
    first = export_events(tmp_path / "a.jsonl", until=date(2026, 3, 10))
    second = export_events(tmp_path / "b.jsonl", until=date(2026, 3, 10))
    assert (first.rows, first.sha256) == (second.rows, second.sha256) == (3, first.sha256)


def test_export_reads_in_batches_and_keeps_every_row(app, tmp_path):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.execute(AuditEvent.__table__.insert(), [
        {"action": "test.bulk", "object_type": "x", "object_id": str(n), "channel": "web", "detail": {"n": n},
         "created_at": start + timedelta(seconds=n)} for n in range(BATCH * 2 + 17)])
    db.session.commit()
    archive = export_events(tmp_path / "all.jsonl", since=date(2026, 1, 1))
    rows = lines(archive.path)
    assert archive.rows == len(rows) == BATCH * 2 + 17
    assert [row["detail"]["n"] for row in rows] == list(range(BATCH * 2 + 17))


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-03-05", "--until", "2026-03-04"], "2026-03-05"),
    (["--since", "2026-02-30"], "2026-02-30"),
])
def test_export_refuses_a_bad_period(runner, history, tmp_path, args, message):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(args=["audit", "export", *args, "--out", str(out)])
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_export_never_overwrites_a_file(runner, history, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text("an older archive")
    result = runner.invoke(args=["audit", "export", "--out", str(out)])
    assert result.exit_code != 0 and str(out) in result.output
    assert out.read_text() == "an older archive" and not (tmp_path / "a.jsonl.sha256").exists()


# --- purge --------------------------------------------------------------------------------------------------------

def test_purge_deletes_archived_rows_past_retention_and_records_it(history, tmp_path):
    archive = export_events(tmp_path / "a.jsonl", until=date(2026, 3, 4))
    purged = purge_events(date(2026, 3, 4), archive.path, today=TODAY)
    assert purged == 3
    assert actions() == ["user.create", "recent", "audit.export", "audit.purge"]
    purge = db.session.scalar(select(AuditEvent).filter_by(action="audit.purge"))
    assert purge.detail == {"before": "2026-03-04", "rows": 3, "archive": "a.jsonl", "sha256": archive.sha256}
    with pytest.raises(IntegrityError, match="append-only"):   # the guard is back
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_purge_refuses_anything_younger_than_the_retention(history, tmp_path):
    archive = export_events(tmp_path / "a.jsonl")
    db.session.commit()
    latest = latest_purge_day(TODAY)
    assert (TODAY - latest).days == RETENTION_DAYS == 180
    with pytest.raises(ArchiveRefused, match=latest.isoformat()):
        purge_events(latest + timedelta(days=1), archive.path, today=TODAY)
    assert purge_events(latest, archive.path, today=TODAY) == 3      # the day itself is allowed


def test_purge_by_the_command_line_refuses_a_day_inside_the_retention(runner, history, tmp_path):
    archive = export_events(tmp_path / "a.jsonl")
    db.session.commit()
    too_recent = beijing_today() - timedelta(days=RETENTION_DAYS - 1)
    result = runner.invoke(args=["audit", "purge", "--before", too_recent.isoformat(), "--archive", str(archive.path)])
    assert result.exit_code != 0 and "180" in result.output
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 6   # the history and the export


def test_purge_refuses_an_archive_without_its_digest_or_changed_since(history, tmp_path):
    archive = export_events(tmp_path / "a.jsonl", until=date(2026, 3, 3))
    db.session.commit()
    sidecar = tmp_path / "a.jsonl.sha256"
    kept = sidecar.read_text()
    sidecar.unlink()
    with pytest.raises(ArchiveRefused, match="missing"):
        purge_events(date(2026, 3, 3), archive.path, today=TODAY)
    sidecar.write_text(kept)
    archive.path.write_bytes(archive.path.read_bytes().replace(b'"early"', b'"EARLY"'))
    with pytest.raises(ArchiveRefused, match="does not match"):
        purge_events(date(2026, 3, 3), archive.path, today=TODAY)
    assert "early" in actions()


def test_purge_refuses_rows_the_archive_does_not_hold(history, tmp_path):
    """An archive of 2 March only cannot vouch for 1 March: nothing is deleted, the guard stays."""
    archive = export_events(tmp_path / "a.jsonl", since=date(2026, 3, 2), until=date(2026, 3, 3))
    db.session.commit()
    before = actions()
    with pytest.raises(ArchiveRefused, match="is not in"):
        purge_events(date(2026, 3, 3), archive.path, today=TODAY)
    assert actions() == before
    with pytest.raises(IntegrityError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_purge_refuses_a_file_that_is_not_an_export(history, tmp_path):
    archive = tmp_path / "a.jsonl"
    archive.write_text('{"id": 2}\n{"id": 1}\n')
    (tmp_path / "a.jsonl.sha256").write_text(hashlib.sha256(archive.read_bytes()).hexdigest() + "  a.jsonl\n")
    with pytest.raises(ArchiveRefused, match="out of order"):
        purge_events(date(2026, 3, 3), archive, today=TODAY)
    assert len(actions()) == 5
