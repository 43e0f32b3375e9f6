"""Paper ballots from a file (楼栋, 单元, 房号, 选择 同意/反对/弃权), entered as verified in person by staff.

All or nothing: every row is checked first and the errors name their row; only a clean file is written, each row
through ``votes.cast_ballot`` (so one ballot per owner holds, and a paper ballot changes an earlier web one).
"""
from flask_babel import gettext as _
from participation.extensions import db
from participation.models import Building, Household, Unit, User, Vote
from participation.operations.audit import record
from participation.operations.roster_files import RosterTable, cell_text
from participation.operations.votes import CHOICE_WORDS, VoteError, cast_ballot, households_in_scope, owner_of

COLUMNS = ("楼栋", "单元", "房号", "选择")


class BallotImportError(ValueError):
    """The file was refused; ``errors`` are row-numbered messages. Nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def import_ballots(actor: User | None, vote: Vote, table: RosterTable, *, filename: str = "") -> dict:
    """Check every row, then cast them all as paper ballots; returns {"rows", "new", "changed"}."""
    missing = [column for column in COLUMNS if column not in table.headers]
    if missing:
        raise BallotImportError([_("Missing columns: %(columns)s.", columns="、".join(missing))])
    if vote.status != "open":
        raise BallotImportError([_("This vote is not open for voting.")])
    index = {column: table.headers.index(column) for column in COLUMNS}
    households = {}
    for household, unit_name, building_name in db.session.execute(
            households_in_scope(vote).with_only_columns(Household, Unit.name, Building.name)):
        for b in {building_name, Building.label_of(building_name)}:
            for u in {unit_name, Unit.label_of(unit_name)}:
                households[(b, u, household.room)] = household
    errors, rows, owners_seen = [], [], {}
    for number, values in table.rows:
        cells = {column: cell_text(values[i]) if i < len(values) else "" for column, i in index.items()}
        household = households.get((cells["楼栋"], cells["单元"], cells["房号"]))
        choice = CHOICE_WORDS.get(cells["选择"])
        if household is None:
            errors.append(_("Row %(row)d: no unit %(building)s-%(unit)s-%(room)s in this vote's scope.", row=number,
                            building=cells["楼栋"], unit=cells["单元"], room=cells["房号"]))
        if choice is None:
            errors.append(_("Row %(row)d: the choice must be 同意, 反对 or 弃权, not \"%(value)s\".", row=number,
                            value=cells["选择"]))
        if household is None or choice is None:
            continue
        owner = owner_of(household)
        if owner in owners_seen:
            errors.append(_("Row %(row)d: the same owner already voted in row %(first)d (one ballot per owner).",
                            row=number, first=owners_seen[owner]))
            continue
        owners_seen[owner] = number
        rows.append((household, choice))
    if not table.rows:
        errors.append(_("The file has no ballots."))
    if errors:
        raise BallotImportError(errors)
    counts = {"rows": len(rows), "new": 0, "changed": 0}
    try:
        for household, choice in rows:
            ballot = cast_ballot(vote, household, choice, "paper", actor, staff_import=actor is None)
            counts["new" if ballot.version == 1 else "changed"] += 1
    except VoteError as error:
        raise BallotImportError([str(error)]) from error
    record(actor, "vote.import_ballots", vote, community=vote.community_id, channel="cli" if actor is None else "web",
           filename=filename, **counts)
    return counts
