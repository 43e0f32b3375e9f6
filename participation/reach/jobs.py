"""The periodic jobs of participation's features, run by the worker instead of cron lines (issue 16).

The commands stay (``flask --app app tickets escalate`` …) for drills and hosts without a worker; the jobs call
the same functions. The delivery sweep runs every minute, so a hand-over the queue lost costs at most a minute.
Reminders run at 10:00 Beijing (02:00 UTC), inside SMS hours.
"""
from flask import Flask

from participation.complaints.operations import escalate_overdue
from participation.complaints.reminders import due_soon
from participation.plans.messages import tell_opened_periods
from participation.reach.delivery import sweep
from participation.reach.queue import every
from participation.votes import reminders as vote_reminders


def init_app(app: Flask) -> None:
    every(app, "reach.sweep", sweep, minute="*")
    every(app, "tickets.escalate", escalate_overdue, minute="*/5")
    every(app, "tickets.due_soon", due_soon, minute="*/10")
    every(app, "plans.comment_opened", tell_opened_periods, minute="5")
    vote_reminders.init_app(app)
