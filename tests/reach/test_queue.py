"""The task queue (issue 16 point 1): Huey built from the configuration, the outbox's hand-over after commit that
never raises, idempotent hand-overs, the periodic jobs (sweep, escalation, closing due surveys) run in the app's
context under a lock."""
import time
from datetime import datetime, timedelta

import pytest
from huey import MemoryHuey, SqliteHuey

from app import create_app
from participation.complaints.operations import file_ticket
from participation.extensions import db
from participation.models import ComplaintCategory, Delivery, Ticket
from participation.models.types import utcnow
from participation.reach.outbox import HAND_OVER
from participation.reach.queue import (JOB_LOCK_SECONDS, JOBS, TASKS, acquire_job_lock, in_app_context, queue,
                                       release_job_lock, run_waiting)
from surveys.builder.operations import create_survey, open_survey
from surveys.builder.questions import add_question
from surveys.models import Survey
from tests.reach.conftest_engine import DAY, homes, lines, message, sms_file  # noqa: F401 (fixtures)


def make_app(tmp_path, **config):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'q.db'}",
                       "SECRET_KEY": "test-secret", "HOUSEHOLD_CODE_KEY": "test-code-key", **config})


def test_the_queue_is_built_from_the_configuration(tmp_path):
    assert isinstance(queue(make_app(tmp_path, QUEUE_BACKEND="memory")), MemoryHuey)
    path = tmp_path / "sub" / "queue.db"
    huey = queue(make_app(tmp_path, QUEUE_BACKEND="sqlite", QUEUE_FILE=str(path)))
    assert isinstance(huey, SqliteHuey) and path.exists()
    with pytest.raises(ValueError, match="REDIS_URL"):
        make_app(tmp_path, QUEUE_BACKEND="redis", REDIS_URL=None)
    with pytest.raises(ValueError, match="QUEUE_BACKEND"):
        make_app(tmp_path, QUEUE_BACKEND="rabbit")


def test_new_deliveries_are_queued_after_the_commit_and_sent_once(app, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")
    delivery = message(homes[0])
    assert len(queue(app)) == 1                        # handed over by the commit
    app.extensions[HAND_OVER]([delivery.id])           # the same ids a second time (a retried hand-over)
    counts = run_waiting(app)
    assert counts.sent == 1 and len(queue(app)) == 0
    assert len(lines(sms_file)) == 1
    job = app.extensions[JOBS]["reach.sweep"]
    job()                                              # the sweep after the hand-over finds nothing more
    assert len(lines(sms_file)) == 1
    db.session.refresh(delivery)
    assert delivery.state == "sent" and delivery.attempts == 1


def test_a_queue_that_refuses_the_hand_over_loses_nothing(app, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")

    def broken(task):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue(app), "enqueue", broken)
    delivery = message(homes[0])                       # the commit succeeds all the same
    assert len(queue(app)) == 0
    db.session.refresh(delivery)
    assert delivery.state == "pending"
    app.extensions[JOBS]["reach.sweep"]()
    db.session.refresh(delivery)
    assert delivery.state == "sent" and len(lines(sms_file)) == 1


def test_the_periodic_jobs_and_their_schedules(app):
    def names(minute, hour=3):
        return {task.name for task in queue(app).read_periodic(datetime(2030, 1, 7, hour, minute))}
    assert {"reach.sweep", "surveys.close_due", "tickets.escalate", "plans.comment_opened"} <= names(5)
    assert names(3) == {"reach.sweep"}
    assert {"tickets.due_soon", "surveys.openings"} <= names(10) and "surveys.reminders" not in names(0)
    assert {"surveys.reminders", "votes.reminders"} <= names(0, hour=2)    # 10:00 in Beijing
    assert {"reach.deliver", "reach.sweep", "surveys.close_due", "tickets.escalate"} <= set(app.extensions[TASKS])


def test_a_job_already_running_elsewhere_is_skipped(app, sms_file, homes, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "off")
    delivery = message(homes[0])
    sweep_task = app.extensions[TASKS]["reach.sweep"]
    assert acquire_job_lock(queue(app), "reach.sweep")     # another worker's scheduler runs it now
    assert sweep_task.call_local() is None
    db.session.refresh(delivery)
    assert delivery.state == "pending"
    release_job_lock(queue(app), "reach.sweep")
    assert sweep_task.call_local().sent == 1           # the lock released, the job runs
    assert acquire_job_lock(queue(app), "reach.sweep")     # … and released it again


def test_a_lock_left_by_a_killed_worker_is_taken_over(app):
    huey = queue(app)
    assert acquire_job_lock(huey, "tickets.escalate", now=time.time() - JOB_LOCK_SECONDS - 60)
    assert acquire_job_lock(huey, "tickets.escalate")
    assert not acquire_job_lock(huey, "tickets.escalate")
    release_job_lock(huey, "tickets.escalate")


def test_the_escalation_job_marks_an_overdue_ticket_and_commits(app, make_community, reference_data):
    community = make_community(floors=1)
    category = db.session.scalar(db.select(ComplaintCategory).filter_by(code="construction_quality"))
    ticket = file_ticket(None, community, category=category, description="楼道灯坏了两个月",
                         now=utcnow() - timedelta(days=60))
    db.session.commit()
    assert ticket.due_at < utcnow() and ticket.escalated_at is None
    app.extensions[TASKS]["tickets.escalate"].call_local()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).escalated_at is not None


def test_the_close_due_job_closes_a_survey_past_its_closing_time(app, make_user, make_community):
    community = make_community(floors=1)
    organiser = make_user("organiser", communities=[community])
    survey = create_survey(organiser, community, {"title": {"zh": "到期"}})
    add_question(organiser, survey, survey.sections[0], {"name": "q1", "type": "text", "label": {"zh": "意见"}})
    open_survey(organiser, survey, utcnow() - timedelta(days=2))
    survey.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.extensions[TASKS]["surveys.close_due"].call_local()
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "closed"


def test_a_failing_task_rolls_back_and_is_raised_for_huey_to_record(app, homes):
    def half_done():
        homes[0].phone = "13900000000"
        db.session.merge(homes[0])
        db.session.flush()
        raise RuntimeError("boom")
    db.session.commit()
    with pytest.raises(RuntimeError):
        in_app_context(app, "test.half_done", half_done)()
    db.session.expire_all()
    assert db.session.get(type(homes[0]), homes[0].id).phone != "13900000000"
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 0
