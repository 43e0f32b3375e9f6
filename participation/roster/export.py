"""Roster workbooks: the blank template with its notes sheet, and a community's roster in the import's own columns,
so an exported file can be edited and imported again."""

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from participation.audit import record
from participation.labels import mask_phone
from participation.models import Building, Community, User
from participation.roster.files import COLUMNS, HEADERS, OCCUPANCY_WORDS, WORD_OF_OCCUPANCY
from participation.spreadsheets import workbook_bytes

EXAMPLE_ROW = ("NG001", "幸福里小区", "3", "2", "502", 5, 78.65, "王建国", "12345X", "王建国", "13812345678", "自住")
TEXT_COLUMNS = ("小区编码", "楼栋", "单元", "房号", "业主证件后六位", "电话")  # Excel must not turn 0501 into 501
WIDTHS = {"小区名称": 16, "业主证件后六位": 16, "电话": 15, "业主标识": 12}
TEMPLATE_ROWS = 5000
REQUIRED_FILL = PatternFill("solid", fgColor="FFF1D6")


def _column_notes() -> dict[str, str]:
    return {
        "小区编码": _("The community's code: letters, digits, - and _ (for example NG001). Rows with the same code "
                  "belong to one community; a code not yet in the system creates a new community."),
        "小区名称": _("The community's name, the same on every row of that community."),
        "楼栋": _("The building as it is known locally, such as 3 or 3号楼."),
        "单元": _("The unit (stairwell), such as 1 or 2."),
        "房号": _("The room number, such as 502. A room appears only once in a building's unit."),
        "楼层": _("The floor, a whole number (floors below ground are negative)."),
        "面积": _("The registered area in square metres, as on the property register, with at most 2 decimals, "
                "such as 78.65."),
        "业主标识": _("Any label for the owner, such as a name with a number. Rows with the same label belong to one "
                  "owner, who counts once in owner votes."),
        "业主证件后六位": _("The last 6 characters of the owner's ID card number (digits; the last one may be X), used "
                     "to verify the owner before a vote. It is stored scrambled and never shown again; leave it "
                     "empty to keep what is stored."),
        "联系人": _("The name of the person to contact."),
        "电话": _("A mobile number (11 digits) or a landline such as 0431-88888888. A masked number from an export "
                "(138****5678) keeps the stored number."),
        "居住状态": _("自住, 出租 or 空置. Empty keeps the stored value; new households are 自住."),
    }


def _general_notes() -> list[str]:
    return [
        _("Keep the first row (the column names) exactly as it is, and delete the example row before importing."),
        _("The whole file is checked first. If any row has a mistake, nothing is imported and every mistake is "
          "listed with its row number."),
        _("Importing again updates households found by community code, building, unit and room, and adds new ones. "
          "Households missing from the file are kept."),
        _("An empty owner label, contact or phone clears the stored value; a column left out of the file keeps the "
          "stored values."),
    ]


def _roster_sheet(workbook: Workbook):
    sheet = workbook.active
    sheet.title = _("Roster")
    sheet.append(list(HEADERS))
    for index, (header, _field, required, _length) in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        if required:
            cell.fill = REQUIRED_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(header, 10)
        if header in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    return sheet


def template_workbook() -> bytes:
    """The blank roster: headers, one example row, a drop-down for 居住状态, and a 说明 sheet on every column."""
    workbook = Workbook()
    sheet = _roster_sheet(workbook)
    sheet.append(list(EXAMPLE_ROW))
    for index, header in enumerate(HEADERS, 1):
        if header in TEXT_COLUMNS:
            sheet.cell(row=2, column=index).number_format = "@"
    occupancy = get_column_letter(HEADERS.index("居住状态") + 1)
    choices = DataValidation(type="list", formula1='"' + ",".join(OCCUPANCY_WORDS) + '"', allow_blank=True,
                             showErrorMessage=True, errorTitle=_("Occupancy"),
                             error=_("Choose 自住, 出租 or 空置."))
    choices.add(f"{occupancy}2:{occupancy}{TEMPLATE_ROWS}")
    sheet.add_data_validation(choices)

    notes = workbook.create_sheet(_("Notes"))
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    explanations = _column_notes()
    for header, _field, required, _length in COLUMNS:
        notes.append([header, _("Yes") if required else _("No"), explanations[header]])
    notes.append([])
    for line in _general_notes():
        notes.append([line])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    return _save(workbook)


def export_roster(actor: User | None, community: Community, buildings: list[Building], *, reveal_phones: bool,
                  channel: str = "web") -> bytes:
    """``community``'s roster as the import reads it. ``buildings`` are those the actor may see, units and households
    loaded. Phones are masked unless ``reveal_phones``; the export is audited, and says whether it revealed them."""
    workbook = Workbook()
    sheet = _roster_sheet(workbook)
    count, area_column = 0, HEADERS.index("面积") + 1
    for building in buildings:
        for unit in building.units:
            for household in unit.households:
                phone = household.phone if reveal_phones else (mask_phone(household.phone) or None)
                sheet.append([community.code, community.name, building.name, unit.name, household.room,
                              household.floor, household.area, household.owner_key, None, household.contact_name,
                              phone, WORD_OF_OCCUPANCY.get(household.occupancy)])
                count += 1
                sheet.cell(row=count + 1, column=area_column).number_format = "0.00"
    record(actor, "roster.export", community, community=community, channel=channel, households=count,
           phones_revealed=reveal_phones)
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    return workbook_bytes(workbook)
