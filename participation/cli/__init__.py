"""``flask --app app …`` commands. Each command commits once, at its end, and exits non-zero on refusal."""
from flask import Flask

from participation.cli import accounts, api, backup, benchdata, catalogue, demo, open311, plan, roster, tickets
from participation.cli import audit, keys, votes


def init_app(app: Flask) -> None:
    for module in (accounts, api, catalogue, roster, demo, plan, benchdata, tickets, open311, votes, backup,
                   audit, keys):
        module.register(app)
