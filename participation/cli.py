"""``flask --app app …`` commands. Each command commits once, at its end, and exits non-zero on refusal."""
from flask import Flask

from participation.accounts import cli as accounts
from participation.api import cli as api
from participation import backup
from participation.demo import benchdata
from participation.reference import cli as catalogue
from participation.demo import cli as demo
from participation.api import open311_cli as open311
from participation.plans import cli as plan
from participation.roster import cli as roster
from participation.complaints import cli as tickets
from participation.accounts import audit_cli as audit
from participation.accounts import keys_cli as keys
from participation.votes import cli as votes


def init_app(app: Flask) -> None:
    for module in (accounts, api, catalogue, roster, demo, plan, benchdata, tickets, open311, votes, backup,
                   audit, keys):
        module.register(app)
