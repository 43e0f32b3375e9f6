"""The task queue for all background work (issue 16): Huey, kept in ``app.extensions["reach.queue"]``.

Huey was chosen because it keeps its queue in a SQLite file beside the database by default — ``make run`` needs no
server — and in Redis when ``REDIS_URL`` is set, so workers on several hosts share one queue; RQ, Dramatiq and
Celery all need a broker even for development. ``QUEUE_BACKEND`` picks ``memory`` (tests: tasks wait in the
process until ``flask worker --burst`` or ``run_waiting`` runs them), ``sqlite`` (``QUEUE_FILE``) or ``redis``.

The queue holds only what to do next, never the truth: deliveries are rows in the database, written with their
event (``participation.reach.outbox``). ``hand_over`` puts their ids on the queue after the commit and never
raises — if the queue's storage is down the rows stay pending and the periodic sweep sends them.

Every task runs inside the app's context in the default language, commits its own work, rolls back and logs on
error. Periodic jobs (``every``) replace the cron lines; each runs under a lock, so two workers' schedulers never
run the same job at once.
"""
import logging
import time
from functools import wraps
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from participation.extensions import db
from participation.reach import delivery
from participation.reach.outbox import HAND_OVER

logger = logging.getLogger(__name__)

QUEUE = "reach.queue"          # app.extensions: the app's Huey
TASKS = "reach.tasks"          # app.extensions: {name: task wrapper}, for the worker and the tests
JOBS = "reach.jobs"            # app.extensions: {name: the periodic job's function in the app's context}
BACKENDS = ("memory", "sqlite", "redis")
JOB_LOCK_SECONDS = 15 * 60     # a job's lock outlives a worker killed mid-job by this long at most


def init_app(app: Flask) -> None:
    """Build the app's queue from its configuration, register the delivery task and give the outbox its
    hand-over. The periodic jobs are registered by the features (``participation.reach.jobs``, ``surveys.jobs``)."""
    huey = _build(app)
    app.extensions[QUEUE] = huey
    app.extensions[TASKS] = {}
    app.extensions[JOBS] = {}
    deliver = huey.task(name="reach.deliver")(in_app_context(app, "reach.deliver", _deliver))
    app.extensions[TASKS]["reach.deliver"] = deliver
    app.extensions[HAND_OVER] = hand_over


def hand_over(ids) -> None:
    """Queue the delivery of ``ids`` (committed rows). Never raises: the event that wrote them has committed, and
    if the queue's storage is down the rows stay pending for the sweep."""
    try:
        current_app.extensions[TASKS]["reach.deliver"](sorted(ids))
    except Exception:   # noqa: BLE001 — the rows are committed; the sweep sends them within a minute
        logger.exception("the queue refused %d deliveries; the sweep will send them", len(ids),
                         extra={"event": "queue.refused", "count": len(ids)})


def _build(app: Flask):
    backend = app.config.get("QUEUE_BACKEND") or ("redis" if app.config.get("REDIS_URL") else "sqlite")
    name = "minhu"
    if backend == "memory":
        return MemoryHuey(name, results=False)
    if backend == "redis":
        if not app.config.get("REDIS_URL"):
            raise ValueError("QUEUE_BACKEND=redis needs REDIS_URL")
        return RedisHuey(name, results=False, url=app.config["REDIS_URL"])
    if backend == "sqlite":
        path = Path(app.config.get("QUEUE_FILE") or Path(app.instance_path) / "queue.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, results=False, filename=str(path))
    raise ValueError(f"QUEUE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")


def queue(app: Flask | None = None):
    """The app's Huey."""
    return (app or current_app).extensions[QUEUE]


def _deliver(ids):
    return delivery.deliver_due(ids=ids)


def in_app_context(app: Flask, name: str, fn):
    """``fn`` as a task: in the app's context and default language; commits after it, rolls back and logs on error
    (and re-raises, so Huey records the failure)."""
    @wraps(fn)
    def task(*args, **kwargs):
        with app.app_context(), force_locale(app.config.get("BABEL_DEFAULT_LOCALE")):
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                logger.exception("background task %s failed", name)
                raise
            finally:
                db.session.remove()
    return task


def every(app: Flask, name: str, fn, **schedule) -> None:
    """Run ``fn()`` periodically on the worker, at the times of ``huey.crontab(**schedule)`` (minute=, hour=,
    day=, month=, day_of_week=), in the app's context. Features call this from their ``init_app``."""
    huey = queue(app)
    job = in_app_context(app, name, fn)

    def locked():
        if not acquire_job_lock(huey, name):
            logger.info("periodic job %s is already running elsewhere; skipped", name)
            return None
        try:
            return job()
        finally:
            release_job_lock(huey, name)

    app.extensions[JOBS][name] = job
    app.extensions[TASKS][name] = huey.periodic_task(crontab(**schedule), name=name)(locked)


def _lock_key(huey, name: str) -> str:
    return f"{huey.name}.lock.{name}"


def acquire_job_lock(huey, name: str, now: float | None = None) -> bool:
    """Take the job's lock in the queue's storage (shared by every worker on it). A lock older than
    ``JOB_LOCK_SECONDS`` was left by a worker killed mid-job and is taken over; Huey's own ``lock_task`` would hold
    it for ever, since its SQLite storage cannot expire keys."""
    now = time.time() if now is None else now
    key = _lock_key(huey, name)
    if huey.put_if_empty(key, now):
        return True
    taken = huey.get(key, peek=True)
    if isinstance(taken, (int, float)) and now - taken <= JOB_LOCK_SECONDS:
        return False
    logger.warning("periodic job %s: a lock left by a stopped worker is taken over", name)
    huey.delete(key)
    return huey.put_if_empty(key, now)


def release_job_lock(huey, name: str) -> None:
    huey.delete(_lock_key(huey, name))


def run_waiting(app: Flask | None = None) -> delivery.Counts:
    """Execute every task waiting in the queue now (``flask worker --burst``, tests); the delivery counts added."""
    huey = queue(app)
    counts = delivery.Counts()
    while (task := huey.dequeue()) is not None:
        try:
            value = huey.execute(task)
        except Exception:   # noqa: BLE001 — logged by the task; the next task still runs
            continue
        if isinstance(value, delivery.Counts):
            counts.add(value)
    return counts
