"""The field survey (实地调查): each catalogue item's condition and quantity in a community, found on site.

Its "needs work" findings (needs repair / missing) are what later makes basic items 应改尽改 in the plan.
"""
import logging
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.audit import record
from participation.extensions import db
from participation.formatting import beijing_naive
from participation.handlers import Refused
from participation.labels import label
from participation.models import (CATEGORIES, CONDITIONS, Building, CatalogueItem, Community, FieldFinding, Household,
                                  Unit, User)
from participation.models.fieldsurvey import NEEDS_WORK
from participation.reference.locality import rules_for_year
from participation.spreadsheets import workbook_bytes
from participation.uploads import UploadError, discard, store_photo

logger = logging.getLogger(__name__)

PHOTO_FOLDER = "fieldsurvey"
MAX_QUANTITY = Decimal("9999999999.99")  # Numeric(12, 2)
MAX_NOTE = 2000


class FieldSurveyError(Refused):
    """A refused finding; the message is shown to the user and nothing was saved."""


def active_item(code: str) -> CatalogueItem | None:
    return db.session.scalar(select(CatalogueItem).where(CatalogueItem.code == code,
                                                         CatalogueItem.retired_at.is_(None)))


def finding_for(community: Community, item: CatalogueItem) -> FieldFinding | None:
    return db.session.scalar(select(FieldFinding).where(FieldFinding.community_id == community.id,
                                                        FieldFinding.item_id == item.id))


def _category_order(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)


def roster_totals(community: Community) -> dict:
    """Buildings, units (单元), households and registered area: what an item's quantity is usually counted in."""
    buildings = db.session.scalar(select(func.count(Building.id)).where(Building.community_id == community.id))
    units = db.session.scalar(select(func.count(Unit.id)).join(Building)
                              .where(Building.community_id == community.id))
    households, area = db.session.execute(
        select(func.count(Household.id), func.coalesce(func.sum(Household.area), 0))
        .join(Unit).join(Building).where(Building.community_id == community.id)).one()
    return {"buildings": buildings or 0, "units": units or 0, "households": households or 0,
            "area": Decimal(area or 0).quantize(Decimal("0.01"))}


def roster_quantity(item: CatalogueItem, totals: dict) -> Decimal | None:
    """The item's quantity if the whole community needed it, from the roster (a hint for the surveyor)."""
    by_unit = {"per_m2_area": totals["area"], "per_household": totals["households"], "per_unit": totals["units"],
               "per_building": totals["buildings"], "lump_sum": 1}
    value = by_unit.get(item.quantity_unit)
    return None if value is None else Decimal(value)


def survey_overview(community: Community) -> dict:
    """Every active item grouped by category with its finding, the counts by condition and the "needs work" list."""
    items = db.session.scalars(select(CatalogueItem).where(CatalogueItem.retired_at.is_(None))
                               .order_by(CatalogueItem.code)).all()
    findings = {finding.item_id: finding for finding in db.session.scalars(
        select(FieldFinding).where(FieldFinding.community_id == community.id))}
    counts = {condition: 0 for condition in CONDITIONS}
    groups: dict[str, list] = {}
    needs_work = []
    for item in sorted(items, key=lambda i: (_category_order(i.category), i.code)):
        finding = findings.get(item.id)
        groups.setdefault(item.category, []).append({"item": item, "finding": finding})
        if finding is not None:
            counts[finding.condition] += 1
            if finding.condition in NEEDS_WORK:
                needs_work.append({"item": item, "finding": finding})
    surveyed = sum(counts.values())
    return {
        "groups": list(groups.items()), "counts": counts, "total": len(items), "surveyed": surveyed,
        "not_surveyed": len(items) - surveyed, "needs_work": needs_work, "slogans": category_slogans(community),
    }


def category_slogans(community: Community) -> dict[str, str]:
    """The locality's slogan per category this year (吉林: 基础类 应改尽改 …); none configured → no slogan."""
    locality = community.district.locality
    rules = rules_for_year(locality, "category_slogan", date.today().year) if locality is not None else {}
    return {key: rule.text_value for key, rule in rules.items() if rule.text_value}


def _snapshot(finding: FieldFinding | None) -> dict | None:
    if finding is None:
        return None
    return {"condition": finding.condition,
            "quantity": None if finding.quantity is None else str(Decimal(finding.quantity).quantize(Decimal("0.01"))),
            "note": finding.note, "photo": finding.photo_path}


def _check(condition: str, quantity: Decimal | None, note: str | None) -> None:
    if condition not in CONDITIONS:
        raise FieldSurveyError(_("Choose the condition of the item."))
    if quantity is not None and not (0 <= quantity <= MAX_QUANTITY):
        raise FieldSurveyError(_("The quantity must be a number of at least 0."))
    if note is not None and len(note) > MAX_NOTE:
        raise FieldSurveyError(_("The note is too long (at most %(n)d characters).", n=MAX_NOTE))


def record_finding(actor: User, community: Community, item: CatalogueItem, *, condition: str,
                   quantity: Decimal | None, note: str | None, photo=None, remove_photo: bool = False,
                   channel: str = "web") -> FieldFinding:
    """Create or update the one finding of ``item`` in ``community``; audit the old and new values.

    ``photo`` is an uploaded file (anything with ``read``); it is checked and cleaned before anything changes.
    Saving the same values again changes nothing and writes no audit row.
    """
    note = (note or "").strip() or None
    quantity = None if quantity is None else Decimal(quantity).quantize(Decimal("0.01"))
    _check(condition, quantity, note)
    if item.retired:
        raise FieldSurveyError(_("This item is retired from the catalogue."))
    try:
        new_photo = store_photo(photo, PHOTO_FOLDER) if photo is not None else None
    except UploadError as error:
        raise FieldSurveyError(str(error)) from error

    finding = finding_for(community, item)
    before = _snapshot(finding)
    if finding is None:
        finding = FieldFinding(community_id=community.id, item_id=item.id, recorded_by_id=actor.id,
                               condition=condition)
        db.session.add(finding)
    finding.condition, finding.quantity, finding.note = condition, quantity, note
    if new_photo is not None:
        finding.photo_path = new_photo
    elif remove_photo:
        finding.photo_path = None  # the file stays: the audit trail still names it
    after = _snapshot(finding)
    if before == after:
        return finding
    finding.recorded_by_id = actor.id
    try:
        db.session.flush()
    except IntegrityError as error:
        # Two people saved the first finding of this item at the same moment; the other one won.
        discard(new_photo)
        raise FieldSurveyError(_("Someone else saved this item just now. Please look at it again and save.")) \
            from error
    record(actor, "field_finding.create" if before is None else "field_finding.update", finding,
           community=community, channel=channel, item=item.code, old=before, new=after)
    return finding


# --- Export for the 社区 worker who lives in Excel -------------------------------------------------------------

def _text(value) -> str | None:
    """Cell text without control characters openpyxl refuses; never a formula, whatever it starts with."""
    if value is None:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _append(sheet, values) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":  # a note such as "=1+1" is text, not a formula
            cell.data_type = "s"


def export_workbook(community: Community) -> bytes:
    """The community's field survey as an .xlsx: one row per active item, and a summary sheet."""
    overview = survey_overview(community)
    book = Workbook()
    sheet = book.active
    sheet.title = _text(_("Field survey"))[:31]
    headers = [_("Category"), _("Code"), _("Item"), _("Condition"), _("Quantity"), _("Quantity unit"), _("Note"),
               _("Photo"), _("Recorded by"), _("Updated")]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for category, rows in overview["groups"]:
        for row in rows:
            item, finding = row["item"], row["finding"]
            values = [label("category", category), item.code, item.name,
                      label("condition", finding.condition) if finding else _("Not yet surveyed"),
                      finding.quantity if finding else None, label("quantity_unit", item.quantity_unit),
                      finding.note if finding else None,
                      _("With photo") if finding and finding.photo_path else None,
                      finding.recorded_by.display_name if finding else None,
                      beijing_naive(finding.updated_at) if finding else None]
            _append(sheet, [_text(v) if isinstance(v, str) else v for v in values])
            if finding is not None:
                sheet.cell(sheet.max_row, 10).number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column, width in zip("ABCDEFGHIJ", (10, 7, 34, 10, 12, 16, 40, 7, 14, 17)):
        sheet.column_dimensions[column].width = width

    summary = book.create_sheet(_text(_("Summary"))[:31])
    _append(summary, [_("Community"), _text(f"{community.name} ({community.code})")])
    for condition in CONDITIONS:
        _append(summary, [label("condition", condition), overview["counts"][condition]])
    _append(summary, [_("Not yet surveyed"), overview["not_surveyed"]])
    _append(summary, [_("Items in the catalogue"), overview["total"]])
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 36

    return workbook_bytes(book)
