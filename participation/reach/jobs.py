"""The periodic jobs of participation's features, run by the worker instead of cron lines (issue 16).

The commands stay (``flask --app app tickets escalate`` …) for drills and hosts without a worker; the jobs call
the same functions. The delivery sweep runs every minute, so a hand-over the queue lost costs at most a minute.
"""
from flask import Flask

from participation.complaints.operations import escalate_overdue
from participation.reach.delivery import sweep
from participation.reach.queue import every


def init_app(app: Flask) -> None:
    every(app, "reach.sweep", sweep, minute="*")
    every(app, "tickets.escalate", escalate_overdue, minute="*/5")
