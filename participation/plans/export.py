"""Plan inputs as files (DESIGN §6, §8): the JSON other programs read and the workbook a 街道 office hands upward.

Both render the one result of ``plan_inputs(community)`` and compute nothing of their own, so the page, the JSON
and the five sheets (概况 / 需求汇总 / 分楼栋 / 资金测算 / 意见与投诉) never disagree. The JSON keeps every key
plan_inputs gives, with money and areas as numbers (yuan, m²; two decimals), shares as fractions 0–1 and times
in ISO 8601; docs/plan-inputs.schema.json describes it. In the workbook a funding line nobody knows yet is an
empty cell, never 0, and residents' text is stored as text, never as a formula.
"""
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from participation.audit import record
from participation.formatting import beijing_naive, number
from participation.labels import (AFTERCARE_MODE_LABELS, FUNDING_LABELS, NOT_CONFIGURED, QUANTITY_SOURCE_LABELS,
                                  SUGGESTION_LABELS, label)
from participation.models import FUNDING_LINES, Community, User
from participation.plans.figures import KINDS, community_estimates, estimates_for_code
from participation.plans.inputs import CENT, plan_inputs
from participation.votes.words import stored_rule_words

# The sheet names are part of the interface (DESIGN §6): the same in every language.
SHEETS = ("概况", "需求汇总", "分楼栋", "资金测算", "意见与投诉")
YUAN, SHARE, AREA, COUNT, MOMENT = "#,##0.00", "0.0%", "#,##0.00", "0", "yyyy-mm-dd hh:mm"
FORMULA_STARTS = ("=", "+", "-", "@")
WIDEST, WRAPPED = 60, 48            # column widths in characters; longer text wraps
BOLD = Font(bold=True)
# The same words as the plan pages' (participation/plans/forms.py).


# --- JSON -----------------------------------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return float(value.quantize(CENT))
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)   # lazy strings


def plan_json(result: dict) -> dict:
    """The plan inputs, JSON-ready: DESIGN §8's keys and every other key plan_inputs gives, with the community's
    labelled investment figures (``estimates``, participation.plans.figures) as the pages show them."""
    estimates = result["estimates"] if "estimates" in result else estimates_for_code(result["community"]["code"])
    return {**_jsonable(result), "estimates": _jsonable(estimates),
            "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}


def plan_json_bytes(result: dict) -> bytes:
    return json.dumps(plan_json(result), ensure_ascii=False, indent=1).encode("utf-8")


# --- the workbook ---------------------------------------------------------------------------------------------------

def _text(value) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _put(sheet, row: int, column: int, value, number_format: str | None = None):
    """One cell; text is always stored as text: openpyxl would take "=…" for a formula, and Excel would run "+…",
    "-…" or "@…" once someone edits the cell, so such text also gets Excel's own quote prefix."""
    if isinstance(value, datetime):
        value = beijing_naive(value) if value.tzinfo else value
        number_format = number_format or MOMENT
    cell = sheet.cell(row=row, column=column)
    if value is None or isinstance(value, (bool, int, float, Decimal, date)):
        cell.value = value
    else:
        text = _text(value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def _row(sheet, values, formats=(), *, bold=False, row: int | None = None) -> int:
    """Write ``values`` as the next row (or ``row``); a blank row stays blank."""
    row = row or sheet.max_row + 1
    for column, value in enumerate(values or [None], start=1):
        cell = _put(sheet, row, column, value, formats[column - 1] if column <= len(formats) else None)
        if bold:
            cell.font = BOLD
    return row


def _header(sheet, headers) -> None:
    row = _row(sheet, [str(header) for header in headers], bold=True, row=1)
    sheet.freeze_panes = f"A{row + 1}"


def _display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (float, Decimal)):
        return len(number(value)) + 1
    text = str(value)
    return max((sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.splitlines() or [""]), default=0)


def _fit(sheet) -> None:
    """Widths from the content (a Chinese character is two wide); text wider than ``WIDEST`` wraps."""
    for column_cells in sheet.iter_cols(min_row=1, max_row=sheet.max_row):
        width = max((_display_width(cell.value) for cell in column_cells), default=0)
        letter = get_column_letter(column_cells[0].column)
        if width > WIDEST:
            sheet.column_dimensions[letter].width = WRAPPED
            for cell in column_cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            sheet.column_dimensions[letter].width = max(width + 2, 8)


def _overview(sheet, result: dict) -> None:
    community, roster, taking = result["community"], result["roster"], result["participation"]
    budget, survey = result["budget"], result["survey"]
    _header(sheet, [_("Item"), _("Content")])
    rows = [
        (_("Community code"), community["code"], None), (_("Community name"), community["name"], None),
        (_("District"), community["district"], None), (_("Year built"), community["year_built"], None),
        (_("Stage"), label("status", community["status"]), None), (_("Plan year"), community["plan_year"], None),
        (_("Needs survey"), survey["title"] if survey else _("None yet"), None),
        (_("Number of buildings"), roster["buildings"], COUNT), (_("Units (stairwells)"), roster["units"], COUNT),
        (_("Units that can take an elevator"), roster["elevator_units"], COUNT),
        (_("Households"), roster["households"], COUNT), (_("of which vacant"), roster["vacant"], COUNT),
        (_("Registered area (m²)"), roster["area"], AREA),
        (_("Households that answered (vacant apart)"), taking["responded"], COUNT),
        (_("Vacant households that answered"), taking["responded_vacant"], COUNT),
        (_("Response rate (households not vacant)"), taking["rate"], SHARE),
        (_("Response rate (all households)"), taking["rate_all"], SHARE),
        (_("Response rate by area"), taking["area_rate"], SHARE),
        *_estimate_rows(result.get("estimates")),
        (_("Estimated cost of the planned items (yuan)"), budget["estimated_cost"], YUAN),
        (_("Cost of the items to include if the budget allows (yuan)"), budget["optional_cost"], YUAN),
        (_("Budget envelope (yuan)"), budget["envelope"], YUAN),
        (_("Funding known (yuan)"), budget["funding_total"], YUAN), (_("Gap (yuan)"), budget["gap"], YUAN),
        (_("Cost per household (yuan)"), budget["cost_per_household"], YUAN),
        *_aftercare_rows(result.get("aftercare") or {}),
    ]
    for name, value, number_format in rows:
        _row(sheet, [name, value], (None, number_format))
    for flag in result["flags"]:
        _row(sheet, [_("Flag"), flag.get("message") or flag.get("kind")])
    if not result["flags"]:
        _row(sheet, [_("Flag"), _("None")])
    _row(sheet, [_("Exported at"), datetime.now(timezone.utc).replace(microsecond=0)])


def _estimate_rows(estimates: dict | None) -> list[tuple]:
    """The labelled investment figures (participation.plans.figures), as the pages show them."""
    if estimates is None:
        return []
    return [(_("%(figure)s (yuan)", figure=estimates["labels"][kind]), estimates[kind], YUAN) for kind in KINDS]


def _aftercare_rows(aftercare: dict) -> list[tuple]:
    """长效管理 in the overview: the mode and fee the owners decided, or "not decided yet"."""
    if not aftercare.get("decided"):
        latest = aftercare.get("vote")
        why = _("Not decided yet") if latest is None else _("Not decided yet: the latest vote did not pass")
        return [(_("Property management after the works (长效管理)"), why, None)]
    return [(_("Property management after the works (长效管理)"),
             str(AFTERCARE_MODE_LABELS.get(aftercare["property_mode"], aftercare["property_mode"])), None),
            (_("Property fee standard (yuan per m² per month)"), aftercare["property_fee"], YUAN)]


def vote_words(vote: dict | None) -> str | None:
    """An item's final owner vote in words for the workbook; None when it has none."""
    if vote is None:
        return None
    if vote["passed"]:
        return _("Passed: %(title)s", title=vote["title"])
    return _("Did not pass: %(title)s (%(why)s)", title=vote["title"], why="; ".join(vote["reasons"]))


ITEM_FORMATS = (None, None, None, None, None, None, AREA, None, None, YUAN, YUAN, COUNT, COUNT, COUNT, COUNT,
                SHARE, SHARE, COUNT, COUNT, COUNT, SHARE, None, None, None, None, None)


def item_headers() -> list[str]:
    return [_("Category"), _("Code"), _("Item"), _("Group"), _("Field survey finding"), _("Field survey note"),
            _("Quantity"), _("Quantity unit"), _("Quantity from"), _("Unit cost (yuan)"), _("Estimated cost (yuan)"),
            _("Households that answered"), _("Need it"), _("Indifferent"), _("Do not need it"),
            _("Need share by households"), _("Need share by area"), _("Priority points (Borda)"),
            _("First choice"), _("Willing to share the cost"), _("Share of supporters willing"),
            _("Owner vote (民法典 Art. 278 item)"), _("Suggestion"), _("Reason"), _("Owner vote status"),
            _("Owner vote result")]


def _items(sheet, result: dict) -> None:
    _header(sheet, item_headers())
    for item in result["items"]:
        finding = item["finding"] or {}
        _row(sheet, [
            label("category", item["category"]), item["code"], item["name"], item["group"],
            label("condition", finding.get("condition")) or _("Not surveyed"), finding.get("note"),
            item["quantity"], label("quantity_unit", item["quantity_unit"]),
            str(QUANTITY_SOURCE_LABELS.get(item["quantity_source"], item["quantity_source"])), item["unit_cost"],
            item["estimated_cost"], item["respondents"], item["need_count"], item["neutral_count"], item["no_count"],
            item["need_share"], item["need_share_area"], item["priority_points"], item["first_choice"],
            item["share_willing"], item["share_rate"], item["owner_matter"],
            str(SUGGESTION_LABELS.get(item["suggestion"], item["suggestion"])), item["reason"],
            item.get("vote_status_label"), vote_words(item.get("vote"))], ITEM_FORMATS)


BUILDING_FORMATS = (None, None, COUNT, COUNT, COUNT, COUNT, COUNT, COUNT, SHARE, SHARE, AREA, AREA, AREA, SHARE)


def building_headers() -> list[str]:
    return [_("Building"), _("Unit (stairwell)"), _("Households"), _("Vacant"), _("Households not vacant"),
            _("Answered"), _("Vacant that answered"), _("Drafts"), _("Response rate (not vacant)"), _("Response rate (all)"),
            _("Area (m²)"), _("Vacant area (m²)"), _("Area that answered (m²)"), _("Response rate by area")]


def _figures(stats: dict) -> list:
    return [stats["households"], stats["vacant"], stats["eligible"], stats["responded"], stats["responded_vacant"],
            stats["drafts"], stats["rate"], stats["rate_all"], stats.get("area_total"), stats.get("area_vacant"),
            stats.get("area_responded"), stats.get("area_rate")]


def _buildings(sheet, result: dict) -> None:
    _header(sheet, building_headers())
    taking = result["participation"]
    for building in taking["buildings"]:
        _row(sheet, [building["label"], _("All units"), *_figures(building)], BUILDING_FORMATS, bold=True)
        for unit in building["units"]:
            _row(sheet, [building["label"], unit["label"], *_figures(unit)], BUILDING_FORMATS)
    if result["survey"] is None:
        _row(sheet, [_("No needs survey yet: nobody has answered.")])
    _row(sheet, [_("Community"), "", *_figures(taking)], BUILDING_FORMATS, bold=True)


def elevator_note(budget: dict) -> str:
    if not budget["elevator_subsidy_configured"]:
        return str(NOT_CONFIGURED)
    return _("%(rule)s per elevator × %(count)d elevators in the plan", rule=budget["elevator_subsidy_rule"],
             count=budget["elevators"])


def _funding(sheet, result: dict) -> None:
    budget, households = result["budget"], result["roster"]["households"]
    _header(sheet, [_("Item"), _("Amount (yuan)"), _("Note")])
    formats = (None, YUAN)
    _row(sheet, [_("Plan year"), budget["plan_year"]], (None, COUNT))
    _row(sheet, [_("Budget envelope"), budget["envelope"], None if budget["envelope"] is not None
                 else _("Not entered yet")], formats)
    _row(sheet, [_("Estimated cost of the planned items"), budget["estimated_cost"],
                 _("Items suggested for inclusion or an owner vote")], formats, bold=True)
    _row(sheet, [_("Items to include if the budget allows"), budget["optional_cost"]], formats)
    _row(sheet, [_("Envelope left after the planned items"), budget["envelope_left"]], formats)
    _row(sheet, [_("Funding lines"), None, _("An empty amount is not known yet (not 0)")], bold=True)
    for line in (*FUNDING_LINES, "elevator_subsidy"):
        note = elevator_note(budget) if line == "elevator_subsidy" else None
        _row(sheet, [str(FUNDING_LABELS[line]), budget["funding"].get(line), note], formats)
    _row(sheet, [_("Funding total"), budget["funding_total"]], formats, bold=True)
    _row(sheet, [_("Gap (cost minus funding)"), budget["gap"]], formats, bold=True)
    _row(sheet, [_("Households"), households], (None, COUNT))
    _row(sheet, [_("Cost per household"), budget["cost_per_household"]], formats, bold=True)
    _elevators(sheet, result.get("elevators") or [], formats)


def elevator_words(row: dict) -> str:
    """One 单元's elevator in words: request, consent vote, shaft owners, cost and subsidy (未配置 when none)."""
    words = [label("elevator_status", row["status"]) if row["status"] else _("No request yet")]
    vote = row.get("vote")
    if vote is not None:
        outcome = _("under way") if vote["passed"] is None else (_("passed") if vote["passed"] else _("did not pass"))
        words.append(_("consent vote %(outcome)s (rule %(rule)s, %(source)s)", outcome=outcome, rule=stored_rule_words(vote["rule"]),
                       source=vote["rule_source"]))
    shaft = row.get("shaft")
    if shaft and shaft["marked"]:
        words.append(_("shaft owners: %(yes)d of %(marked)d agreed", yes=shaft["yes"], marked=shaft["marked"]))
    if row["cost"] is not None:
        words.append(_("cost %(cost)s yuan", cost=number(row['cost'])))
    words.append(_("subsidy %(subsidy)s", subsidy=number(row['subsidy']) if row["subsidy"] is not None
                   else str(NOT_CONFIGURED)))
    return "; ".join(words)


def _elevators(sheet, rows: list[dict], formats) -> None:
    """Per 单元: the owners' part in the amount column (empty while the subsidy is 未配置), the rest in words."""
    if not rows:
        return
    _row(sheet, [])
    _row(sheet, [_("Elevators per 单元 (owners' part)"), None, _("Status, consent vote, shaft owners, cost, subsidy")],
         bold=True)
    for row in rows:
        _row(sheet, [_("Elevator, %(unit)s", unit=row["unit"]), row["owners_part"], elevator_words(row)], formats)


def _comments(sheet, result: dict) -> None:
    _header(sheet, [_("Building"), _("Unit (stairwell)"), _("Question"), _("Comment"), _("Submitted at")])
    for comment in result["comments"]:
        _row(sheet, [comment["building"], comment["unit"], comment["question"], comment["text"],
                     comment["submitted_at"]])
    if not result["comments"]:
        _row(sheet, [_("No comments yet.")])
    hotspots = [flag for flag in result["flags"] if flag.get("kind") == "complaint_hotspot"]
    complaints = result.get("complaints") or []
    if hotspots or complaints:
        _row(sheet, [])
        _row(sheet, [_("Complaints")], bold=True)
    for flag in hotspots:
        _row(sheet, [flag.get("building"), flag.get("unit"), _("Complaint hot spot"), flag.get("message")])
    if complaints:   # a complaints module's rows, as it gives them
        columns = list(complaints[0])
        _row(sheet, columns, bold=True)
        for complaint in complaints:
            _row(sheet, [complaint.get(column) for column in columns])


def plan_workbook(result: dict) -> bytes:
    """The five sheets, Chinese headers in the default locale, yuan and share formats, frozen header rows."""
    book = Workbook()
    book.active.title = SHEETS[0]
    for name in SHEETS[1:]:
        book.create_sheet(name)
    for name, render in zip(SHEETS, (_overview, _items, _buildings, _funding, _comments)):
        render(book[name], result)
        _fit(book[name])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- for the download views and the CLI -----------------------------------------------------------------------------

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "json": "application/json"}


def export_plan_inputs(actor: User | None, community: Community, kind: str, *,
                       channel: str = "web") -> tuple[bytes, str, str, dict]:
    """(file bytes, file name, MIME type, the plan inputs) for ``kind`` "xlsx" or "json"; audited, not committed."""
    if kind not in FORMATS:
        raise ValueError(kind)
    result = {**plan_inputs(community), "estimates": community_estimates(community)}
    data = plan_workbook(result) if kind == "xlsx" else plan_json_bytes(result)
    record(actor, "plan_inputs.export", community, community=community, channel=channel, format=kind)
    filename = f"{community.code}-plan-inputs-{result['community']['plan_year']}.{kind}"
    return data, filename, FORMATS[kind], result
