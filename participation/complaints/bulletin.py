"""The 每周通报 (weekly complaints and quality/safety bulletin) for one ISO week in Beijing time, Monday 00:00 to the
next Monday 00:00: new, closed and overdue tickets by community and by agency (the community's contractor or
supervisor the ticket is with), the week's patrol findings, the quality and safety tickets (categories marked
``quality_or_safety``), and the three rates of ``participation.complaints.rates``.

- new: received in the week;  closed: closed (after the call-back, or 回访未接通) in the week;
- overdue: due in the week and not answered (回复) by the deadline, counted once the deadline has passed — the
  complement of the response rate's numerator, so the page's numbers add up.
Patrol findings are listed apart and never counted in the ticket figures or the rates, each with its state now
(open / rectified / verified); ``findings_rectified`` and ``findings_verified`` count the findings (of any week)
the contractor marked rectified, and the supervisor or an owner representative verified, during the week. No caller,
phone or household appears: the bulletin is handed on as it is.
"""
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, and_, case, func, or_, select

from participation.complaints.rates import NOT_DUE, Period, _scope, complaint_rates, iso_week
from participation.extensions import db
from participation.formatting import beijing_naive
from participation.models import (Building, Community, ComplaintCategory, Organisation, PatrolFinding,
                                  PatrolFindingEvent, Ticket, User)
from participation.models.types import utcnow
from participation.spreadsheets import workbook_bytes

COUNTS = ("new", "closed", "overdue")


def weekly_bulletin(week: str | Period, *, communities=None, agency_id: int | None = None,
                    now: datetime | None = None) -> dict:
    """The bulletin of ``week`` ("2025-W45") for the communities given (a select or ids; None: all) and, for an
    agency's own view, only its tickets and findings. ValueError for a malformed week."""
    period = week if isinstance(week, Period) else iso_week(week)
    now = now or utcnow()
    start, end = period.start, period.end
    overdue_before = min(end, now)
    counted = (func.sum(case((and_(Ticket.received_at >= start, Ticket.received_at < end), 1), else_=0)),
               func.sum(case((and_(Ticket.state == "closed", Ticket.closed_at >= start, Ticket.closed_at < end), 1),
                             else_=0)),
               func.sum(case((and_(Ticket.due_at >= start, Ticket.due_at < overdue_before,
                                   Ticket.state.not_in(NOT_DUE),
                                   or_(Ticket.first_answered_at.is_(None), Ticket.first_answered_at > Ticket.due_at)),
                              1), else_=0)))
    touched = or_(and_(Ticket.received_at >= start, Ticket.received_at < end),
                  and_(Ticket.closed_at >= start, Ticket.closed_at < end),
                  and_(Ticket.due_at >= start, Ticket.due_at < end))

    rows = db.session.execute(_scope(select(Community.code, Community.name, *counted)
                                     .join(Community, Community.id == Ticket.community_id).where(touched),
                                     communities, agency_id).group_by(Community.code, Community.name)
                              .order_by(Community.code)).all()
    by_community = [{"code": code, "name": name, **_figures(rest)} for code, name, *rest in rows]
    rows = db.session.execute(_scope(select(Organisation.name, Organisation.kind, *counted)
                                     .outerjoin(Organisation, Organisation.id == Ticket.agency_id).where(touched),
                                     communities, agency_id).group_by(Organisation.name, Organisation.kind)).all()
    by_agency = sorted(({"name": name, "kind": kind, **_figures(rest)} for name, kind, *rest in rows),
                       key=lambda row: (row["name"] is None, row["name"] or ""))
    totals = {name: sum(row[name] for row in by_community) for name in COUNTS}

    quality = db.session.execute(_scope(
        select(Ticket.receipt, Community.code, Community.name, ComplaintCategory.name, Building.name, Ticket.place,
               Ticket.urgency, Ticket.state, Ticket.received_at, Ticket.due_at, Ticket.closed_at, Organisation.name,
               Ticket.description)
        .join(Community, Community.id == Ticket.community_id)
        .join(ComplaintCategory, ComplaintCategory.id == Ticket.category_id)
        .outerjoin(Building, Building.id == Ticket.building_id)
        .outerjoin(Organisation, Organisation.id == Ticket.agency_id)
        .where(ComplaintCategory.quality_or_safety.is_(True), Ticket.received_at >= start, Ticket.received_at < end),
        communities, agency_id).order_by(Ticket.received_at, Ticket.id)).all()
    quality_tickets = [{"receipt": receipt, "community_code": code, "community": name, "category": category,
                        "building": building, "place": place, "urgency": urgency, "state": state,
                        "received_at": received, "due_at": due, "closed_at": closed, "agency": agency,
                        "description": description}
                       for receipt, code, name, category, building, place, urgency, state, received, due, closed,
                       agency, description in quality]

    findings_query = (select(PatrolFinding.id, Community.code, Community.name, ComplaintCategory.name,
                             ComplaintCategory.quality_or_safety, Building.name, PatrolFinding.place,
                             PatrolFinding.source, PatrolFinding.description, Organisation.name,
                             PatrolFinding.found_at, PatrolFinding.rectified_at, User.display_name, User.username,
                             PatrolFinding.state, PatrolFinding.verified_at)
                      .join(Community, Community.id == PatrolFinding.community_id)
                      .join(ComplaintCategory, ComplaintCategory.id == PatrolFinding.category_id)
                      .outerjoin(Building, Building.id == PatrolFinding.building_id)
                      .outerjoin(Organisation, Organisation.id == PatrolFinding.contractor_id)
                      .join(User, User.id == PatrolFinding.recorded_by_id)
                      .where(PatrolFinding.found_at >= start, PatrolFinding.found_at < end)
                      .order_by(PatrolFinding.found_at, PatrolFinding.id))
    findings = [{"id": finding_id, "community_code": code, "community": name, "category": category,
                 "quality_or_safety": bool(quality_flag), "building": building, "place": place, "source": source,
                 "description": description, "contractor": contractor, "found_at": found, "rectified_at": rectified,
                 "recorded_by": display_name or username, "state": state, "verified_at": verified}
                for finding_id, code, name, category, quality_flag, building, place, source, description, contractor,
                found, rectified, display_name, username, state, verified
                in db.session.execute(_findings_scope(findings_query, communities, agency_id))]
    steps = dict(db.session.execute(_findings_scope(
        select(PatrolFindingEvent.action, func.count(PatrolFindingEvent.finding_id.distinct()))
        .join(PatrolFinding, PatrolFinding.id == PatrolFindingEvent.finding_id)
        .where(PatrolFindingEvent.action.in_(("rectify", "verify")), PatrolFindingEvent.at >= start,
               PatrolFindingEvent.at < end), communities, agency_id).group_by(PatrolFindingEvent.action)).all())

    rates = complaint_rates(start, end, communities=communities, agency_id=agency_id, by="community")
    listed = {row["code"] for row in by_community}
    for row in rates["rows"]:   # a call-back in the week of a ticket neither new, closed nor due in it
        if row["code"] not in listed:
            by_community.append({"code": row["code"], "name": row["label"].removeprefix(f'{row["code"]} '),
                                 **{name: 0 for name in COUNTS}})
    by_community.sort(key=lambda row: row["code"])
    return {"week": period.key, "start": start, "end": end, "first_day": period.first_day,
            "last_day": period.first_day.fromordinal(period.first_day.toordinal() + 6), "now": now,
            "totals": totals, "by_community": by_community, "by_agency": by_agency,
            "quality_tickets": quality_tickets, "findings": findings, "rates": rates,
            "findings_rectified": int(steps.get("rectify", 0)), "findings_verified": int(steps.get("verify", 0))}


def _findings_scope(query, communities, agency_id: int | None):
    """Patrol findings of the communities given and, for an agency, of its works (contractor or supervisor)."""
    if communities is not None:
        query = query.where(PatrolFinding.community_id.in_(_ids(communities)))
    if agency_id is not None:
        supervised = select(Community.id).where(Community.supervisor_id == agency_id)
        query = query.where(or_(PatrolFinding.contractor_id == agency_id, PatrolFinding.community_id.in_(supervised)))
    return query


def _ids(communities):
    if isinstance(communities, Select):
        return communities.with_only_columns(Community.id).order_by(None)
    return list(communities)


def _figures(values) -> dict:
    return {name: int(value or 0) for name, value in zip(COUNTS, values)}


# --- the workbook -------------------------------------------------------------------------------------------------

STATE_ZH = {"received": "已受理", "dispatched": "已派单", "returned": "已退单", "handling": "办理中", "replied": "已回复",
            "completed": "已办结", "closed": "已回访关闭", "duplicate": "重复件", "rejected": "不予受理"}
URGENCY_ZH = {"normal": "一般", "urgent": "紧急", "emergency": "特急"}
SOURCE_ZH = {"supervisor": "监理巡查", "resident_supervisor": "居民监督员"}
FINDING_STATE_ZH = {"open": "未整改", "rectified": "已整改待核验", "verified": "已核验"}
KIND_ZH = {"contractor": "施工单位", "supervisor": "监理单位", "property": "物业", "pipeline": "管线单位"}
PERCENT, COUNT, WHEN = "0.0%", "#,##0", "yyyy-mm-dd hh:mm"
DEFINITIONS = (
    ("响应率", "期内到期工单中，在办理时限内（不晚于到期时间）首次回复的件数 ÷ 期内到期工单数（重复件、不予受理件不计）"),
    ("解决率", "期内回访接通的次数中，回访认为已解决的次数 ÷ 期内回访接通次数"),
    ("满意率", "期内回访接通的次数中，评价为满意或基本满意的次数 ÷ 期内回访接通次数"),
    ("说明", "监理巡查和居民监督员的巡查发现单独列出，不计入上述比率；分母为0时比率记为“—”。时间均为北京时间。"),
    ("巡查整改", "本周整改：施工单位在本周标记为已整改的巡查发现数（不论发现于哪一周）；本周核验：监理或业主代表在本周核验通过的"
             "巡查发现数。“巡查发现”表中的整改状态为导出时的状态。"),
)


def _sheet(book: Workbook, title: str, headers: tuple, rows: list, widths: tuple, formats: dict, *, first=False,
           above: list | None = None):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    for line in above or []:
        sheet.append(line)
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    return sheet


def _rate_cells(row: dict) -> tuple:
    return (row["due"], row["answered_in_time"], row["response_rate"], row["callbacks"], row["solved"],
            row["resolution_rate"], row["satisfied"], row["satisfaction_rate"])


RATE_HEADERS = ("期内到期工单", "按时首次回复", "响应率", "回访接通", "回访已解决", "解决率", "满意及基本满意", "满意率")


def bulletin_xlsx(result: dict) -> bytes:
    """The bulletin as a workbook with Chinese headers (it is handed upward as it is), one sheet per table: frozen
    header rows, column widths, counts, percentages and Beijing times formatted."""
    book = Workbook()
    period = f"{result['first_day']:%Y-%m-%d} 至 {result['last_day']:%Y-%m-%d}"
    year, _sep, week = result["week"].partition("-W")     # the ISO key stays, as in the file's name
    title = [f"每周通报 {year}年第{int(week)}周（{period}，{result['week']}）"]
    rates = result["rates"]
    summary = [("新增工单", result["totals"]["new"]), ("办结关闭工单", result["totals"]["closed"]),
               ("超期工单", result["totals"]["overdue"]), ("巡查发现", len(result["findings"])),
               ("质量安全类工单", len(result["quality_tickets"])),
               ("本周整改巡查发现", result["findings_rectified"]), ("本周核验巡查发现", result["findings_verified"])]
    overview = _sheet(book, "概况", ("项目", "数值"), summary, (24, 16), {2: COUNT}, first=True, above=[title])
    overview["A1"].font = Font(bold=True, size=14)
    overview.append(())
    overview.append(("比率", *RATE_HEADERS))
    for cell in overview[overview.max_row]:
        cell.font = Font(bold=True)
    overview.append(("合计", *_rate_cells(rates["total"])))
    for column in (4, 7, 9):
        overview.cell(row=overview.max_row, column=column).number_format = PERCENT
    overview.append(())
    for name, text in DEFINITIONS:
        overview.append((name, text))
    for index, width in enumerate((24, 16, 14, 10, 12, 12, 10, 16, 10), 1):
        overview.column_dimensions[get_column_letter(index)].width = width

    _sheet(book, "按小区", ("小区编码", "小区", "新增", "办结关闭", "超期", *RATE_HEADERS),
           [(row["code"], row["name"], row["new"], row["closed"], row["overdue"],
             *_rate_cells(_rates_of(rates, row["code"]))) for row in result["by_community"]],
           (12, 20, 8, 10, 8, 12, 12, 10, 10, 12, 10, 14, 10),
           {3: COUNT, 4: COUNT, 5: COUNT, 8: PERCENT, 11: PERCENT, 13: PERCENT}, above=[title])
    _sheet(book, "按承办单位", ("承办单位", "类别", "新增", "办结关闭", "超期"),
           [(row["name"] or "未派单", KIND_ZH.get(row["kind"], ""), row["new"], row["closed"], row["overdue"])
            for row in result["by_agency"]], (30, 10, 8, 10, 8), {3: COUNT, 4: COUNT, 5: COUNT}, above=[title])
    _sheet(book, "巡查发现", ("发现时间", "小区", "楼栋", "部位", "类别", "来源", "情况", "施工单位", "记录人", "整改时间",
                          "整改状态", "核验时间"),
           [(beijing_naive(row["found_at"]), row["community"], row["building"], row["place"], row["category"],
             SOURCE_ZH.get(row["source"], row["source"]), row["description"], row["contractor"], row["recorded_by"],
             beijing_naive(row["rectified_at"]), FINDING_STATE_ZH.get(row["state"], row["state"]),
             beijing_naive(row["verified_at"])) for row in result["findings"]],
           (17, 16, 8, 14, 10, 10, 48, 26, 14, 17, 12, 17), {1: WHEN, 10: WHEN, 12: WHEN}, above=[title])
    _sheet(book, "质量安全工单", ("受理编号", "小区", "类别", "楼栋", "部位", "紧急程度", "状态", "受理时间", "办理时限",
                            "关闭时间", "承办单位", "诉求内容"),
           [(row["receipt"], row["community"], row["category"], row["building"], row["place"],
             URGENCY_ZH.get(row["urgency"], row["urgency"]), STATE_ZH.get(row["state"], row["state"]),
             beijing_naive(row["received_at"]), beijing_naive(row["due_at"]), beijing_naive(row["closed_at"]), row["agency"],
             row["description"]) for row in result["quality_tickets"]],
           (12, 16, 10, 8, 14, 8, 10, 17, 17, 17, 26, 48), {8: WHEN, 9: WHEN, 10: WHEN}, above=[title])
    for sheet in book.worksheets:
        sheet["A1"].font = Font(bold=True, size=14)
    return workbook_bytes(book)


def _rates_of(rates: dict, code: str) -> dict:
    for row in rates["rows"]:
        if row["code"] == code:
            return row
    return {"due": 0, "answered_in_time": 0, "response_rate": None, "callbacks": 0, "solved": 0,
            "resolution_rate": None, "satisfied": 0, "satisfaction_rate": None}
