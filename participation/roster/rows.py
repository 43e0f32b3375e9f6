"""Reading a roster file's rows (调查摸底, DESIGN §8): each row checked on its own and against the rows before it in
the file, the whole file's problems collected by row. ``participation.roster.imports`` checks the rows against what
is stored and writes them.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from participation.roster.files import (COLUMNS, FIELD_OF, HEADERS, OCCUPANCY_WORDS, RosterTable, cell_text,
                                        normalise_phone)

MAX_AREA = Decimal("100000")
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
ID_TAIL_PATTERN = re.compile(r"[0-9]{5}[0-9X]")
MASKED_PHONE_PATTERN = re.compile(r"[0-9]*\*+[0-9]*")


@dataclass(slots=True)
class RosterRow:
    row: int
    community_code: str
    community_name: str
    building: str
    unit: str
    room: str
    floor: int | None = None
    area: Decimal | None = None
    owner_key: str | None = None
    id_tail: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    phone_masked: bool = False
    occupancy: str | None = None


class Problems(list):
    """(row, message) pairs; row 0 is the file as a whole, so those come first when sorted."""

    def at(self, row: int, message: str) -> None:
        self.append((row, message))

    def messages(self) -> list[str]:
        return [message for _row, message in sorted(self, key=lambda problem: problem[0])]


def check_headers(table: RosterTable, errors: Problems) -> None:
    seen = set()
    for header in table.headers:
        if not header:
            continue
        if header not in FIELD_OF:
            errors.at(0, _("Unknown column %(name)s. The columns allowed are: %(allowed)s.", name=header,
                           allowed="、".join(HEADERS)))
        elif header in seen:
            errors.at(0, _("The column %(name)s appears twice.", name=header))
        seen.add(header)
    for header, _field, required, _length in COLUMNS:
        if required and header not in seen:
            errors.at(0, _("The column %(name)s is missing.", name=header))
    width = max((len(values) for _n, values in table.rows), default=0)
    for position in range(width):
        header = table.headers[position] if position < len(table.headers) else ""
        if not header and any(position < len(values) and cell_text(values[position]) for _n, values in table.rows):
            errors.at(0, _("Column %(number)d has values but no header.", number=position + 1))
    if not errors and not table.rows:
        errors.at(0, _("The file has a header row but no households."))


def _parse_row(number: int, cells: dict[str, str], errors: Problems) -> RosterRow | None:
    """One row on its own: None (with its errors added) when anything in it is wrong."""
    before = len(errors)
    for header, name, required, longest in COLUMNS:
        value = cells.get(name, "")
        if required and not value:
            errors.at(number, _("Row %(row)d: %(column)s is empty.", row=number, column=header))
        elif longest and len(value) > longest:
            errors.at(number, _("Row %(row)d: %(column)s is too long (at most %(max)d characters).",
                                row=number, column=header, max=longest))
    code = cells.get("community_code", "")
    if code and not CODE_PATTERN.fullmatch(code):
        errors.at(number, _("Row %(row)d: the community code may contain only letters, digits, - and _.",
                            row=number))
    row = RosterRow(number, code, cells.get("community_name", ""), cells.get("building", ""),
                    cells.get("unit", ""), cells.get("room", ""))
    if cells.get("floor"):
        if not re.fullmatch(r"-?[0-9]+", cells["floor"]):
            errors.at(number, _("Row %(row)d: the floor must be a whole number.", row=number))
        elif not -5 <= int(cells["floor"]) <= 200:
            errors.at(number, _("Row %(row)d: the floor must be between -5 and 200.", row=number))
        else:
            row.floor = int(cells["floor"])
    if cells.get("area"):
        row.area = _parse_area(number, cells["area"], errors)
    row.owner_key = cells.get("owner_key") or None
    row.contact_name = cells.get("contact_name") or None
    tail = cells.get("id_tail", "").upper()
    if tail and ID_TAIL_PATTERN.fullmatch(tail):
        row.id_tail = tail
    elif tail:
        errors.at(number, _("Row %(row)d: the owner's ID tail must be 6 characters: digits, the last one may be "
                            "X.", row=number))
    phone = cells.get("phone", "")
    if phone and MASKED_PHONE_PATTERN.fullmatch(phone):
        row.phone, row.phone_masked = phone, True   # as exported; checked against the stored number later
    elif phone and (normalised := normalise_phone(phone)) is not None:
        row.phone = normalised
    elif phone:
        errors.at(number, _("Row %(row)d: the phone number %(phone)s is not valid.", row=number, phone=phone))
    occupancy = cells.get("occupancy", "")
    if occupancy in OCCUPANCY_WORDS:
        row.occupancy = OCCUPANCY_WORDS[occupancy]
    elif occupancy:
        errors.at(number, _("Row %(row)d: the occupancy must be 自住, 出租 or 空置.", row=number))
    return row if len(errors) == before else None


def _parse_area(number: int, text: str, errors: Problems) -> Decimal | None:
    try:
        area = Decimal(text)
    except InvalidOperation:
        area = None
    if area is None or not area.is_finite():
        errors.at(number, _("Row %(row)d: the area must be a number of square metres, such as 56.78.", row=number))
    elif area <= 0:
        errors.at(number, _("Row %(row)d: the area must be a positive number.", row=number))
    elif area >= MAX_AREA:   # before quantize, which raises InvalidOperation on an area such as 1e30
        errors.at(number, _("Row %(row)d: the area is too large for one household.", row=number))
    elif area != area.quantize(Decimal("0.01")):
        errors.at(number, _("Row %(row)d: the area may have at most 2 decimals.", row=number))
    else:
        return area.quantize(Decimal("0.01"))
    return None


def parse_rows(table: RosterTable, errors: Problems, progress) -> list[RosterRow]:
    """Every row checked on its own and against the rows before it in the file."""
    positions = [(FIELD_OF[h], i) for i, h in enumerate(table.headers) if h in FIELD_OF]
    parsed, rooms, names, owner_tails = [], {}, {}, {}
    for count, (number, values) in enumerate(table.rows, 1):
        cells = {name: cell_text(values[i]) if i < len(values) else "" for name, i in positions}
        row = _parse_row(number, cells, errors)
        if count % 100 == 0 and progress:
            progress("validate", 100)
        if row is None:
            continue
        first = names.setdefault(row.community_code, (row.community_name, number))
        if first[0] != row.community_name:
            errors.at(number, _("Row %(row)d: community %(code)s is named %(name)s on row %(first)d.",
                                row=number, code=row.community_code, name=first[0], first=first[1]))
        first_room = rooms.setdefault((row.community_code, row.building, row.unit, row.room), number)
        if first_room != number:
            errors.at(number, _("Row %(row)d: room %(room)s of building %(building)s, unit %(unit)s is already on "
                                "row %(first)d.", row=number, room=row.room, building=row.building,
                                unit=row.unit, first=first_room))
        if row.owner_key and row.id_tail:
            first_tail = owner_tails.setdefault((row.community_code, row.owner_key), (row.id_tail, number))
            if first_tail[0] != row.id_tail:
                errors.at(number, _("Row %(row)d: owner %(owner)s has a different ID tail on row %(first)d.",
                                    row=number, owner=row.owner_key, first=first_tail[1]))
        parsed.append(row)
    if progress:
        progress("validate", len(table.rows) % 100)
    return parsed
