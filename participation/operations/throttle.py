"""Back-off after failed guesses (household codes, staff passwords).

Each key — one browser, one address, one username — gets a few free failures, then waits twice as long after each
further one, up to a cap. A success clears its key. Nothing is keyed on a community, so no amount of failures from
one place can shut a whole community out, and successful entries (a grid worker going door to door) never count.
"""
from datetime import timedelta

from participation.extensions import db
from participation.models import Throttle
from participation.models.types import utcnow

FORGET_AFTER = timedelta(hours=24)


def wait_seconds(key: str) -> int:
    """Seconds until ``key`` may try again (0 when it may try now)."""
    throttle = db.session.get(Throttle, key)
    if throttle is None or throttle.blocked_until is None:
        return 0
    remaining = (throttle.blocked_until - utcnow()).total_seconds()
    return max(0, int(remaining + 0.999))


def record_failure(key: str, *, free: int = 5, cap_seconds: int = 900) -> int:
    """Count a failure under ``key`` and return the wait it now has, in seconds."""
    now = utcnow()
    throttle = db.session.get(Throttle, key)
    if throttle is None:
        throttle = Throttle(key=key, failures=0)
        db.session.add(throttle)
    elif throttle.updated_at is not None and now - throttle.updated_at > FORGET_AFTER:
        throttle.failures = 0
    throttle.failures += 1
    throttle.updated_at = now
    over = throttle.failures - free
    wait = 0 if over < 0 else min(cap_seconds, 2 ** (over + 1))
    throttle.blocked_until = now + timedelta(seconds=wait) if wait else None
    db.session.flush()
    return wait


def record_success(key: str) -> None:
    throttle = db.session.get(Throttle, key)
    if throttle is not None:
        db.session.delete(throttle)
        db.session.flush()
