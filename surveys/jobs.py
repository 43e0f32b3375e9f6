"""The survey engine's periodic job: surveys past their closing time are closed every five minutes by the worker,
through the function ``flask --app app surveys close-due`` calls (the command stays, for cron and drills)."""
from flask import Flask

from participation.reach.queue import every
from surveys.builder.operations import close_due_surveys


def init_app(app: Flask) -> None:
    every(app, "surveys.close_due", close_due_surveys, minute="*/5")
