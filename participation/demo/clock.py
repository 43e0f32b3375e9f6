"""The demo's calendar: every demo event is placed relative to the day the demo is seeded ("demo today", Beijing),
so a fresh demo shows a living queue — tickets of the last weeks, votes and a comment period open now, works under
way — instead of a year-old one. Deterministic given that day: the times of day are fixed, and nothing is placed
later than the start of demo today except what must be open now (votes, the comment period, a rating round close
in the days ahead).

Demo today is, in order: ``set_today`` (``flask seed-demo --today YYYY-MM-DD``), the ``DEMO_TODAY`` environment
variable (YYYY-MM-DD), or the real Beijing today. Tests pass a fixed day for reproducible figures.

Operations that read their module's clock (``module.utcnow``, ``module.today``) run under ``fixed_clock``, which sets
those clocks to each step's demo time and restores them afterwards.
"""
import os
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

from participation.formatting import BEIJING, beijing_today

ENV = "DEMO_TODAY"
_override: dict = {"today": None}


def set_today(day: date | None) -> None:
    """Seed as if today were ``day`` (None: back to the environment or the real today)."""
    _override["today"] = day


def today() -> date:
    if _override["today"] is not None:
        return _override["today"]
    text = os.environ.get(ENV, "").strip()
    return date.fromisoformat(text) if text else beijing_today()


def day(days: int) -> date:
    """The Beijing date ``days`` after demo today (negative: before)."""
    return today() + timedelta(days=days)


def at(days: float, hour: int = 0, minute: int = 0) -> datetime:
    """UTC time of ``hour:minute`` Beijing on the day ``days`` after demo today (fractions of a day are added)."""
    whole = int(days // 1)
    local = datetime.combine(day(whole), time(hour, minute), tzinfo=BEIJING) + timedelta(days=days - whole)
    return local.astimezone(timezone.utc)


class FixedClock:
    """What ``module.utcnow`` (a datetime) and ``module.today`` (its Beijing date) return while the clock is
    fixed; set ``now`` before each step."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def today(self) -> date:
        return self.now.astimezone(BEIJING).date()


@contextmanager
def fixed_clock(*modules, now: datetime):
    """Run the operations of ``modules`` at fixed times: each module's ``utcnow`` and ``today`` (where it has
    them) read the clock; they are restored after."""
    clock, saved = FixedClock(now), []
    for module in modules:
        for name, value in (("utcnow", clock), ("today", clock.today)):
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, value)
    try:
        yield clock
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)
