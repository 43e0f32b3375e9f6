"""The survey engine's periodic jobs on the worker: surveys past their closing time are closed every five minutes
through the function ``flask --app app surveys close-due`` calls (the command stays, for cron and drills); openings
and reminders are told by ``surveys.reminders``."""
from flask import Flask

from participation.reach.queue import every
from surveys import reminders
from surveys.builder.operations import close_due_surveys


def init_app(app: Flask) -> None:
    every(app, "surveys.close_due", close_due_surveys, minute="*/5")
    reminders.init_app(app)
