"""``flask --app app …`` commands. Each command commits once, at its end, and exits non-zero on refusal."""
from flask import Flask

from participation.cli import accounts, benchdata, catalogue, demo, plan, roster


def init_app(app: Flask) -> None:
    for module in (accounts, catalogue, roster, demo, plan, benchdata):
        module.register(app)
