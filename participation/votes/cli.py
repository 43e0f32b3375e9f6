"""``flask --app app votes create | import-ballots | tally`` (DESIGN §8)."""
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import Building, Unit, User, Vote
from participation.roster.communities import community_by_code
from participation.roster.files import RosterImportError, read_roster_file
from participation.votes.operations import VoteError, create_vote, tally
from participation.votes.paper import BallotImportError, import_ballots


def _fail(messages) -> None:
    db.session.rollback()
    for message in messages:
        click.echo(message, err=True)
    sys.exit(1)


def _staff(username: str | None) -> User | None:
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _fail([_("No staff account is called %(name)s.", name=username)])
    return user


def _find(names, wanted: str, label_of):
    return next((item for item in names if wanted in (item.name, label_of(item.name))), None)


def register(app: Flask) -> None:
    @app.cli.group("votes")
    def votes() -> None:
        """Owner votes under 民法典 Art. 278: create, import paper ballots, tally."""

    @votes.command("create")
    @click.option("--community", "code", required=True, help="Community code.")
    @click.option("--matter", required=True, type=click.IntRange(1, 9), help="Art. 278 item number, 1–9.")
    @click.option("--buildings", help="Comma-separated building names: the vote covers these buildings.")
    @click.option("--unit", help="BUILDING-UNIT, e.g. 3-2: the vote covers this 单元 (elevators).")
    @click.option("--title", required=True)
    @click.option("--draft", is_flag=True, help="Keep it as a draft instead of opening it at once.")
    @click.option("--as-user", "username", help="Record the vote under this staff account.")
    def create_command(code, matter, buildings, unit, title, draft, username) -> None:
        """Create a vote, open it at once unless --draft, and print its id."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            actor = _staff(username)
            community = community_by_code(code)
            if community is None:
                _fail([_("No community has the code %(code)s.", code=code)])
            if buildings and unit:
                _fail([_("Give either --buildings or --unit, not both.")])
            scope, chosen, chosen_unit = "community", [], None
            if buildings:
                scope = "buildings"
                for name in (part.strip() for part in buildings.split(",") if part.strip()):
                    building = _find(community.buildings, name, Building.label_of)
                    if building is None:
                        _fail([_("No building %(name)s in community %(code)s.", name=name, code=code)])
                    chosen.append(building)
            elif unit:
                scope = "unit"
                building_name, _dash, unit_name = unit.rpartition("-")
                building = _find(community.buildings, building_name, Building.label_of)
                chosen_unit = building and _find(building.units, unit_name, Unit.label_of)
                if chosen_unit is None:
                    _fail([_("No unit %(unit)s in community %(code)s (write BUILDING-UNIT, e.g. 3-2).", unit=unit,
                             code=code)])
            try:
                vote = create_vote(actor, community, matter, title, scope=scope, buildings=chosen,
                                   unit=chosen_unit, open_now=not draft)
            except VoteError as error:
                _fail(error.errors.values())
            db.session.commit()
            click.echo(vote.id)

    @votes.command("import-ballots")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--vote", "vote_id", required=True, type=int)
    @click.option("--as-user", "username", help="The organiser who keys the signed sheets.")
    @click.option("--double-key", "double_keying", is_flag=True,
                  help="Hold this file as the first keying until a second person (--as-user) keys the same sheets.")
    def import_command(path: Path, vote_id: int, username: str | None, double_keying: bool) -> None:
        """Paper ballots (.xlsx/.csv: 楼栋, 单元, 房号, 选择, optional 票号): all-or-nothing, errors by row, exit 1 on
        any. While a first keying is held for the vote, the file is the second keying: stored only if both agree."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            actor = _staff(username)
            vote = db.session.get(Vote, vote_id)
            if vote is None:
                _fail([_("No vote has the id %(id)d.", id=vote_id)])
            try:
                counts = import_ballots(actor, vote, read_roster_file(path), filename=path.name,
                                        double_keying=double_keying)
            except (RosterImportError, BallotImportError) as error:
                _fail(list(error.errors) + [_("Nothing was imported.")])
            db.session.commit()
            if counts["held"]:
                click.echo(_("First keying of %(rows)d paper ballots held: nothing is stored until a second person "
                             "keys the same sheets.", rows=counts["rows"]))
            else:
                click.echo(_("Imported %(rows)d paper ballots: %(new)d new, %(changed)d changed.", rows=counts["rows"],
                             new=counts["new"], changed=counts["changed"]))

    @votes.command("tally")
    @click.argument("vote_id", type=int)
    @click.option("--json", "as_json", is_flag=True, help="Print DESIGN §8's JSON.")
    def tally_command(vote_id: int, as_json: bool) -> None:
        """The vote's count by area and headcount against Art. 278's thresholds."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            vote = db.session.get(Vote, vote_id)
            if vote is None:
                _fail([_("No vote has the id %(id)d.", id=vote_id)])
            result = tally(vote)
            if as_json:
                click.echo(json.dumps(result, ensure_ascii=False))
                return
            click.echo(_("Area: %(part)s of %(total)s m² took part, %(yes)s m² yes.", part=result["area_participating"],
                         total=result["area_total"], yes=result["area_yes"]))
            click.echo(_("Owners: %(part)d of %(total)d took part, %(yes)d yes.",
                         part=result["headcount_participating"], total=result["headcount_total"],
                         yes=result["headcount_yes"]))
            click.echo(_("Passed.") if result["passed"] else _("Not passed."))
            for reason in result["reasons"]:
                click.echo(reason)
