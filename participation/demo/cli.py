import json
import time

import click
from flask import Flask
from sqlalchemy import select

from participation.demo import clock
from participation.demo.seed import DISTRICT, DemoRefused, seed_demo
from participation.extensions import db
from participation.formatting import number
from participation.models import Community
from participation.plans.inputs import plan_inputs
from participation.survey_facts import facts as survey_facts


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--json", "as_json", is_flag=True,
                  help='Print {"users": [{"role", "username", "password"}], "households": [{"community", '
                       '"building", "unit", "room", "code", "owner_id_tail"}]} (codes as 9 plain characters, no '
                       'dashes; the demo owner\'s fake ID tail for voting).')
    @click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Seed as if today (Beijing) were this day, YYYY-MM-DD (default: $DEMO_TODAY, or the real "
                       "today): the demo's activity is placed relative to it.")
    def seed_demo_command(as_json: bool, today) -> None:
        """Add the demo (长春市南关区, four communities, one login per role), its activity placed relative to today;
        running it again changes nothing.

        Refuses to run on a database that holds communities or accounts that are not the demo's.
        """
        started = time.perf_counter()
        clock.set_today(None if today is None else today.date())
        try:
            result = seed_demo()
            answers = survey_facts()   # the survey engine adds its part of the demo (on the same calendar), if any
            surveys = answers.seed_demo() if answers is not None else None
        except DemoRefused as refusal:
            db.session.rollback()
            raise click.ClickException(refusal.message) from refusal
        finally:
            clock.set_today(None)
        db.session.commit()
        for place in result.omitted_codes:
            click.echo(f"note: the code of {place} was changed since the demo issued it; not printed", err=True)
        for username in result.omitted_users:
            click.echo(f"note: the password of {username} was changed since the demo set it; not printed", err=True)
        if as_json:
            click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
            return
        _summary(result, surveys, time.perf_counter() - started)


def _plan_line(code: str) -> None:
    """The first community's plan inputs in one line: what the demo's plan costs per household (DESIGN §3's anchor:
    长春 2021–2025 about 2.1万–2.9万元)."""
    community = db.session.scalar(select(Community).filter_by(code=code))
    budget = plan_inputs(community)["budget"]
    click.echo(f"Plan inputs of {code} ({budget['plan_year']}): estimated cost {number(budget['estimated_cost'])} yuan, "
               f"{number(budget['cost_per_household'])} yuan per household; funding known "
               f"{number(budget['funding_total'])}, gap {number(budget['gap'])} — /c/{code}/plan")


def _summary(result, surveys: dict | None, seconds: float) -> None:
    added = result.added
    households = sum(c["households"] for c in result.communities)
    click.echo(f"Demo: 长春市{DISTRICT}, {len(result.communities)} communities, {households} households "
               f"(added now: {added['households']} households, {added['codes']} codes, {added['users']} accounts, "
               f"{added['findings']} field-survey findings; {seconds:.1f} s)")
    for community in result.communities:
        if not community["households"]:
            click.echo(f"  {community['code']}  {community['name']}: in reserve (储备), no roster yet")
            continue
        click.echo(f"  {community['code']}  {community['name']}: {community['buildings']} buildings, "
                   f"{community['households']} households — residents enter at /r/{community['code']}")
    if surveys is not None:
        click.echo(f"Surveys: NG001's needs survey closed before its plan and a closed opinion survey, NG002's needs "
                   f"survey open about 60 % answered, drafts in NG001 and NG003, a template (added now: "
                   f"{surveys['surveys']} surveys, {surveys['responses']} responses)")
    _plan_line(result.communities[0]["code"])
    click.echo("Staff logins at /login (username / password):")
    for user in result.users:
        click.echo(f"  {user['role']:<10} {user['username']} / {user['password']}")
    if result.households:
        first = result.households[0]
        click.echo(f"Example household: {first['community']} building {first['building']} unit {first['unit']} "
                   f"room {first['room']}, code {first['code']}")
    click.echo("Every household code: flask --app app seed-demo --json")
