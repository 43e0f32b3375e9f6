"""Paper ballots from a file (楼栋, 单元, 房号, 选择 同意/反对/弃权; optional 票号, the signed sheet's number), entered
by an organiser or admin of the community (or the CLI's operator) from the sheets the owners signed.

All or nothing: every row is checked first and the errors name their row; only a clean file is written, each row
through ``ballots.cast_ballot`` (so one ballot per owner holds; a ballot the owner cast with their ID tail, online or in
person, is never replaced by a sheet — such rows are refused).

Double keying (optional): the first person's file is checked and held as the vote's ``PaperKeying``; nothing is cast.
A second person (another staff account) keys the same sheets; the differences are listed and nothing is stored until
the two agree, then the ballots are cast once. The held keying may be discarded (audited).
"""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.logs import logs_refusals
from participation.models import Ballot, Building, Household, Unit, User, Vote
from participation.models.votes import PaperKeying
from participation.permissions import COMMUNITY_MANAGERS
from participation.roster.files import RosterTable, cell_text
from participation.votes.ballots import OWNER_CHECKED_CHANNELS, cast_ballot
from participation.votes.operations import CHOICE_WORDS, VoteError, households_in_scope, register_owner

COLUMNS = ("楼栋", "单元", "房号", "选择")
SHEET_COLUMN = "票号"          # optional: the number printed on the signed sheet
MAX_SHEET_NO = 40
CHOICE_OF = {code: word for word, code in CHOICE_WORDS.items()}


class BallotImportError(Refused):
    """The file was refused; nothing was written. Unlike other refusals, ``errors`` is a list: the row-numbered
    messages, in row order, which the paper page lists under the file (so a view rolls back with
    ``refuse_onto(form, {})`` and shows ``errors`` itself)."""

    def __init__(self, errors: list[str]):
        super().__init__({"file": "\n".join(errors)})
        self.errors = list(errors)


def check_ballots(actor: User | None, vote: Vote, table: RosterTable) -> list[dict]:
    """Every row checked against the vote; returns [{"row", "household_id", "choice", "sheet_no"}] or raises
    ``BallotImportError`` with every problem, by row."""
    missing = [column for column in COLUMNS if column not in table.headers]
    if missing:
        raise BallotImportError([_("Missing columns: %(columns)s.", columns="、".join(missing))])
    if vote.status != "open":
        raise BallotImportError([_("This vote is not open for voting.")])
    if actor is not None and actor.role not in COMMUNITY_MANAGERS:
        raise BallotImportError([_("Paper ballots are entered by organiser staff of the community, from sheets the "
                                   "owners signed.")])
    index = {column: table.headers.index(column) for column in COLUMNS}
    if SHEET_COLUMN in table.headers:
        index[SHEET_COLUMN] = table.headers.index(SHEET_COLUMN)
    households = {}
    for household in db.session.scalars(households_in_scope(vote).options(
            joinedload(Household.unit).joinedload(Unit.building))):
        unit_name, building_name = household.unit.name, household.unit.building.name
        for b in {building_name, Building.label_of(building_name)}:
            for u in {unit_name, Unit.label_of(unit_name)}:
                households[(b, u, household.room)] = household
    checked_by_owner = dict(db.session.execute(
        select(Ballot.owner, Ballot.channel).where(Ballot.vote_id == vote.id,
                                                   Ballot.channel.in_(OWNER_CHECKED_CHANNELS))).all())
    errors, rows, owners_seen, sheets_seen = [], [], {}, {}
    for number, values in table.rows:
        cells = {column: cell_text(values[i]) if i < len(values) else "" for column, i in index.items()}
        household = households.get((cells["楼栋"], cells["单元"], cells["房号"]))
        choice = CHOICE_WORDS.get(cells["选择"])
        sheet_no = cells.get(SHEET_COLUMN) or None
        if household is None:
            errors.append(_("Row %(row)d: no unit %(building)s-%(unit)s-%(room)s in this vote's scope.", row=number,
                            building=cells["楼栋"], unit=cells["单元"], room=cells["房号"]))
        if choice is None:
            errors.append(_("Row %(row)d: the choice must be 同意, 反对 or 弃权, not \"%(value)s\".", row=number,
                            value=cells["选择"]))
        if sheet_no is not None:
            if len(sheet_no) > MAX_SHEET_NO or not sheet_no.isprintable():
                errors.append(_("Row %(row)d: a sheet number (票号) has at most 40 letters and digits.", row=number))
                sheet_no = None
            elif sheet_no in sheets_seen:
                errors.append(_("Row %(row)d: sheet number %(sheet)s is already in row %(first)d.", row=number,
                                sheet=sheet_no, first=sheets_seen[sheet_no]))
            else:
                sheets_seen[sheet_no] = number
        if household is None or choice is None:
            continue
        owner = register_owner(vote, household)
        if owner in owners_seen:
            errors.append(_("Row %(row)d: the same owner already voted in row %(first)d (one ballot per owner).",
                            row=number, first=owners_seen[owner]))
            continue
        owners_seen[owner] = number
        if owner in checked_by_owner:
            errors.append(_("Row %(row)d: the owner of %(address)s voted themselves, checked with their ID number; "
                            "a paper sheet does not replace that ballot.", row=number, address=household.address))
            continue
        rows.append({"row": number, "household_id": household.id, "choice": choice, "sheet_no": sheet_no})
    if not table.rows:
        errors.append(_("The file has no ballots."))
    if errors:
        raise BallotImportError(errors)
    return rows


@logs_refusals("paper ballots", BallotImportError)
def import_ballots(actor: User | None, vote: Vote, table: RosterTable, *, filename: str = "",
                   double_keying: bool = False) -> dict:
    """Check every row, then cast them all as paper ballots; returns {"rows", "new", "changed", "held"}.

    With a first keying held for the vote, this file is the second keying: by another account, compared row by row,
    cast only when the two agree. ``double_keying``: hold this file as the first keying instead of casting it."""
    rows = check_ballots(actor, vote, table)
    held = db.session.scalar(select(PaperKeying).where(PaperKeying.vote_id == vote.id).with_for_update())
    if held is not None:
        if actor is None or actor.id == held.keyed_by_id:
            raise BallotImportError([_("A first keying of these sheets is waiting: a second person, signed in with "
                                       "another account, keys the same sheets (or discard the first keying).")])
        differences = keying_differences(held.rows, rows)
        if differences:
            raise BallotImportError([_("The two keyings differ, so nothing was stored; the first keying is kept. "
                                       "Check these sheets and key the file again:")] + differences)
        first_by, first_file = held.keyed_by_id, held.filename
        db.session.delete(held)
        db.session.flush()
        counts = _cast(actor, vote, rows)
        record(actor, "vote.import_ballots", vote, community=vote.community_id, channel="web", filename=filename,
               double_keying={"first_by": first_by, "first_file": first_file, "second_by": actor.id}, **counts)
        return counts | {"held": False}
    if double_keying:
        if actor is None:
            raise BallotImportError([_("Double keying needs the staff account of each person who keys the sheets "
                                       "(--as-user).")])
        held = PaperKeying(vote_id=vote.id, keyed_by_id=actor.id, filename=filename[:200], rows=rows)
        db.session.add(held)
        db.session.flush()
        record(actor, "vote.keying_held", vote, community=vote.community_id, channel="web", filename=filename,
               rows=len(rows))
        return {"rows": len(rows), "new": 0, "changed": 0, "held": True}
    counts = _cast(actor, vote, rows)
    record(actor, "vote.import_ballots", vote, community=vote.community_id, channel="cli" if actor is None else "web",
           filename=filename, **counts)
    return counts | {"held": False}


def held_keying(vote: Vote) -> PaperKeying | None:
    return db.session.scalar(select(PaperKeying).where(PaperKeying.vote_id == vote.id))


def discard_keying(actor: User, vote: Vote) -> None:
    """Drop the first keying held for ``vote`` (it was wrong, or the sheets are keyed anew)."""
    held = held_keying(vote)
    if held is None:
        raise BallotImportError([_("No keying is waiting for this vote.")])
    record(actor, "vote.keying_discarded", vote, community=vote.community_id, keyed_by=held.keyed_by_id,
           filename=held.filename, rows=len(held.rows))
    db.session.delete(held)
    db.session.flush()


def keying_differences(first: list[dict], second: list[dict]) -> list[str]:
    """What differs between two keyings of the same sheets, unit by unit, in words (empty: they agree)."""
    before = {row["household_id"]: row for row in first}
    after = {row["household_id"]: row for row in second}
    addresses = {household.id: household.address for household in db.session.scalars(
        select(Household).where(Household.id.in_(set(before) | set(after))))}
    differences = []
    for household_id in sorted(set(before) | set(after), key=lambda key: (before.get(key) or after[key])["row"]):
        one, two = before.get(household_id), after.get(household_id)
        address = addresses.get(household_id, "?")
        if two is None:
            differences.append(_("%(address)s: in the first keying (row %(row)d), not in the second.",
                                 address=address, row=one["row"]))
        elif one is None:
            differences.append(_("%(address)s: in the second keying (row %(row)d), not in the first.",
                                 address=address, row=two["row"]))
        elif (one["choice"], one["sheet_no"]) != (two["choice"], two["sheet_no"]):
            differences.append(_("%(address)s: first keying %(first)s, second keying %(second)s.", address=address,
                                 first=_keyed(one), second=_keyed(two)))
    return differences


def _keyed(row: dict) -> str:
    words = f"{CHOICE_OF[row['choice']]} ({_('row %(row)d', row=row['row'])}"
    if row["sheet_no"]:
        words += f", {_('sheet %(number)s', number=row['sheet_no'])}"
    return words + ")"


def _cast(actor: User | None, vote: Vote, rows: list[dict]) -> dict:
    counts = {"rows": len(rows), "new": 0, "changed": 0}
    households = {household.id: household for household in db.session.scalars(
        select(Household).where(Household.id.in_([row["household_id"] for row in rows])))}
    try:
        for row in rows:
            ballot = cast_ballot(vote, households[row["household_id"]], row["choice"], "paper", actor,
                                 staff_import=actor is None, sheet_no=row["sheet_no"])
            counts["new" if ballot.version == 1 else "changed"] += 1
    except VoteError as error:
        raise BallotImportError([str(error)]) from error
    return counts
