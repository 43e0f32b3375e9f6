"""``flask --app app …`` commands. Each command commits once, at its end, and exits non-zero on refusal."""
from flask import Flask

from participation import backup, sheet_cli
from participation.accounts import audit_cli as audit, cli as accounts, keys_cli as keys
from participation.api import cli as api, open311_cli as open311
from participation.complaints import cli as tickets
from participation.demo import benchdata, cli as demo
from participation.plans import cli as plan
from participation.reach import cli as reach
from participation.reference import cli as catalogue
from participation.roster import cli as roster
from participation.votes import cli as votes


def init_app(app: Flask) -> None:
    for module in (accounts, api, catalogue, roster, demo, plan, benchdata, tickets, open311, votes, backup,
                   audit, keys, sheet_cli, reach):
        module.register(app)
