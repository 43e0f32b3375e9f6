"""The city / district overview (DESIGN §2, issue 4): every community the viewer sees, by lifecycle status, with its
preparatory work against the end-of-March deadline of its plan year, households covered, participation, estimated
investment, and the programme targets (locality rules ``programme_target``) against what is achieved.

Plain dicts out. Every figure comes from a handful of SQL GROUP BYs over all the listed communities at once, never
a query or a Python loop over rows per community, so 1,339 communities cost what one does a few times over.

Residents' answers come from the survey engine through ``participation.survey_facts`` (participation never imports
the survey package), in set-based SQL over all the listed communities too: each community's needs survey (its newest
survey with a need question, a closed one before an open one), the submitted answers of occupied households, and
the elevator item of each needs survey. Without a survey engine the overview has no survey figures.

Estimated investment: the figures of ``participation.plans.figures`` (one set-based call for all the listed
communities), each row carrying the three with their labels; the row and the total show one, named by its label:
after the owner votes (the version in force, else the newest draft, less the items whose vote failed) where a plan
version exists, else the field-survey estimate (the items found needing work at quantity × unit cost).
"""
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Integer, case, cast, false, func, null, select

from participation.extensions import db
from participation.formatting import beijing_today
from participation.models import (COMMUNITY_STATUSES, FUNDING_LINES, Building, CatalogueItem, Community,
                                  CommunityBudget, District, FieldFinding, Household, Locality, Unit, User)
from participation.permissions import visible_communities
from participation.plans.figures import estimates_of, headline, participation_counts
from participation.reference.locality import PROGRAMME_TARGETS, current_year, describe, rules_for_year
from participation.spreadsheets import workbook_bytes
from participation.survey_facts import facts as survey_facts

CENT = Decimal("0.01")
DEADLINE_MONTH, DEADLINE_DAY = 3, 31          # preparatory work for a year's projects: due by the end of March
PREPARATORY = ("field_survey", "needs_survey_closed", "plan")


def _run(statement):
    """Core execution on the session's connection: plain rows, without the ORM's per-row loading."""
    return db.session.connection().execute(statement)


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def deadline_for(year: int) -> date:
    return date(year, DEADLINE_MONTH, DEADLINE_DAY)


def city_overview(viewer: User, *, district: int | None = None, year: int | None = None,
                  status: str | None = None, today: date | None = None) -> dict:
    """The overview of the communities ``viewer`` may see; ``district`` (an id) and ``status`` narrow it, ``year``
    keeps the communities whose plan year it is (their budget's, else this year) and picks the targets' year."""
    today = today or beijing_today()
    this_year = current_year()
    listed = visible_communities(viewer).with_only_columns(Community.id).order_by(None)
    if district is not None:
        listed = listed.where(Community.district_id == district)
    if status is not None:
        listed = listed.where(Community.status == status)
    plan_year = func.coalesce(CommunityBudget.plan_year, this_year)
    if year is not None:
        listed = listed.where(Community.id.in_(
            select(Community.id).outerjoin(CommunityBudget, CommunityBudget.community_id == Community.id)
            .where(plan_year == year)))
    in_scope = select(listed.subquery().c.id)

    base = _run(
        select(Community.id, Community.code, Community.name, Community.status, Community.year_built,
               District.id, District.name, District.locality_id, plan_year, CommunityBudget.envelope,
               *(getattr(CommunityBudget, line) for line in FUNDING_LINES))
        .join(District, District.id == Community.district_id)
        .outerjoin(CommunityBudget, CommunityBudget.community_id == Community.id)
        .where(Community.id.in_(in_scope)).order_by(Community.code)).all()
    answers = survey_facts()
    surveys = answers.needs_surveys(in_scope) if answers is not None else {}
    survey_ids = [survey_id for survey_id, _closed in surveys.values()]
    responded = answers.responded(survey_ids) if answers is not None and survey_ids else {}
    roster = _roster(in_scope, responded)
    elevator = answers.elevator_items(survey_ids) if answers is not None else _no_elevator_items()
    estimates = estimates_of(in_scope, elevator=elevator, roster={
        cid: {"households": h, "area": _money(a), "units": u, "elevator_units": e, "buildings": b}
        for cid, (h, _v, a, u, e, b, _r) in roster.items()})
    findings, basic_surveyed = _surveyed(in_scope)
    basic_items = db.session.scalar(select(func.count(CatalogueItem.id)).where(
        CatalogueItem.category == "basic", CatalogueItem.retired_at.is_(None)))

    rows = []
    for (cid, code, name, state, year_built, district_id, district_name, locality_id, row_year, envelope,
         *funding) in base:
        households, vacant, area, units, elevator_units, buildings, answered = roster.get(
            cid, (0, 0, Decimal(0), 0, 0, 0, 0))
        survey_id, survey_closed = surveys.get(cid, (None, False))
        counts = participation_counts(households, vacant, answered, surveyed=survey_id is not None)
        figures = estimates[cid]
        investment, kind = headline(figures)
        if figures["version"] is not None:
            source = "plan"
        elif cid in findings:
            source = "field_survey"
        else:
            investment, source, kind = None, None, None
        known = [value for value in funding if value is not None]
        # the field survey is done when every basic item (应改尽改) has a finding
        work = {"field_survey": cid in findings and basic_surveyed.get(cid, 0) >= basic_items,
                "needs_survey_closed": bool(survey_closed), "plan": figures["version"] is not None}
        deadline = deadline_for(int(row_year))
        missing = [step for step in PREPARATORY if not work[step]]
        rows.append({
            "id": cid, "code": code, "name": name, "district": district_name, "district_id": district_id,
            "locality_id": locality_id, "status": state, "year_built": year_built, "plan_year": int(row_year),
            "households": households, "vacant": vacant, "buildings": buildings, "units": units,
            "elevator_units": elevator_units, "area": _money(area),
            "survey_id": survey_id, "responded": answered,
            "response_rate": counts["rate"],
            "investment": investment, "investment_source": source, "investment_kind": kind, "estimates": figures,
            "plan_version": figures["version"], "plan_adopted": figures["adopted"],
            "envelope": None if envelope is None else _money(envelope),
            "funding_known": _money(sum(known)) if known else None,
            "preparatory": {**work, "missing": missing, "deadline": deadline,
                            "deadline_passed": today > deadline,
                            # a reserve community has no project this year: nothing of it is due yet
                            "overdue": state != "reserve" and today > deadline and bool(missing)},
        })
    return {"communities": rows, "totals": _totals(rows), "by_status": _by_status(rows),
            "targets": _targets(rows, year or this_year), "year": year, "district": district, "status": status,
            "today": today}


def _roster(in_scope, answered: dict[int, int]) -> dict:
    """{community id: (households, vacant, area, units, elevator units, buildings, responded)} in two GROUP BYs,
    households and 单元 and buildings, with ``answered`` (the submitted responses to each community's needs survey
    less those of vacant households) beside them."""
    homes = _run(
        select(Building.community_id, func.count(Household.id),
               func.coalesce(func.sum(case((Household.occupancy == "vacant", 1), else_=0)), 0),
               func.coalesce(func.sum(Household.area), 0))
        .join(Unit, Unit.building_id == Building.id).join(Household, Household.unit_id == Unit.id)
        .where(Building.community_id.in_(in_scope)).group_by(Building.community_id)).all()
    parts = _run(
        select(Building.community_id, func.count(Unit.id),
               func.coalesce(func.sum(case((Unit.elevator_possible, 1), else_=0)), 0),
               func.count(Building.id.distinct()))
        .outerjoin(Unit, Unit.building_id == Building.id)
        .where(Building.community_id.in_(in_scope)).group_by(Building.community_id)).all()
    figures = {cid: [int(h), int(v), Decimal(str(a)), 0, 0, 0, int(answered.get(cid, 0))] for cid, h, v, a in homes}
    for cid, units, elevator_units, buildings in parts:
        figures.setdefault(cid, [0, 0, Decimal(0), 0, 0, 0, 0])[3:6] = [int(units), int(elevator_units),
                                                                       int(buildings)]
    return {cid: tuple(values) for cid, values in figures.items()}


def _no_elevator_items():
    """The elevator items' subquery (cid, item_id) when there is no survey engine: empty."""
    return select(cast(null(), Integer).label("cid"), cast(null(), Integer).label("item_id")).where(false()).subquery()


def _surveyed(in_scope) -> tuple[set, dict]:
    """(the communities with a field-survey finding, {community id: basic items surveyed}) in one GROUP BY."""
    rows = _run(
        select(FieldFinding.community_id, func.count(FieldFinding.id).filter(CatalogueItem.category == "basic"))
        .join(CatalogueItem, CatalogueItem.id == FieldFinding.item_id)
        .where(FieldFinding.community_id.in_(in_scope), CatalogueItem.retired_at.is_(None))
        .group_by(FieldFinding.community_id)).all()
    return {cid for cid, _basic in rows}, {cid: int(basic) for cid, basic in rows}


def _totals(rows: list[dict]) -> dict:
    eligible = sum(row["households"] - row["vacant"] for row in rows if row["survey_id"] is not None)
    responded = sum(row["responded"] for row in rows)
    return {
        "communities": len(rows), "buildings": sum(row["buildings"] for row in rows),
        "households": sum(row["households"] for row in rows), "area": _money(sum(row["area"] for row in rows)),
        "responded": responded, "response_rate": round(responded / eligible, 4) if eligible else None,
        "investment": _money(sum(row["investment"] or 0 for row in rows)),
        # what the investment total adds up: the figure of each kind, and how many communities gave it
        "investment_parts": [{"kind": kind, "investment": _money(sum(row["investment"] for row in rows
                                                                    if row["investment_kind"] == kind)),
                              "communities": sum(1 for row in rows if row["investment_kind"] == kind)}
                             for kind in ("after_votes", "field_survey")],
        "funding_known": _money(sum(row["funding_known"] or 0 for row in rows)),
        "overdue": sum(1 for row in rows if row["preparatory"]["overdue"]),
        "preparatory_done": sum(1 for row in rows if not row["preparatory"]["missing"]),
    }


def _by_status(rows: list[dict]) -> list[dict]:
    counts = Counter(row["status"] for row in rows)
    return [{"status": state, "communities": counts.get(state, 0)} for state in COMMUNITY_STATUSES]


def _targets(rows: list[dict], year: int) -> list[dict]:
    """Each programme target of the year (summed over the localities of the listed communities; None — 未配置 —
    unless every one of them has it) against the communities in the programme (past 储备)."""
    in_programme = [row for row in rows if row["status"] != "reserve"]
    achieved = {"communities": Decimal(len(in_programme)),
                "buildings": Decimal(sum(row["buildings"] for row in in_programme)),
                "households": Decimal(sum(row["households"] for row in in_programme)),
                "investment": _money(sum(row["investment"] or 0 for row in in_programme))}
    localities = sorted({row["locality_id"] for row in rows})
    rules = {locality_id: rules_for_year(db.session.get(Locality, locality_id), "programme_target", year)
             for locality_id in localities}
    targets = []
    for key in PROGRAMME_TARGETS:
        found = [rules[locality_id].get(key) for locality_id in localities]
        configured = bool(found) and all(rule is not None and rule.number_value is not None for rule in found)
        target = sum((Decimal(rule.number_value) for rule in found), Decimal(0)) if configured else None
        targets.append({
            "key": key, "target": target, "achieved": achieved[key], "configured": configured,
            "share": float(achieved[key] / target) if configured and target else None,
            "unit": found[0].unit if configured else None,
            "rules": [describe(rule) for rule in found if rule is not None],
        })
    return targets


def overview_districts(viewer: User) -> list[dict]:
    """The districts of the communities the viewer sees, for the filter."""
    listed = visible_communities(viewer).with_only_columns(Community.district_id).order_by(None)
    rows = _run(select(District.id, District.name).where(District.id.in_(listed))
                              .order_by(District.name)).all()
    return [{"id": district_id, "name": name} for district_id, name in rows]


# --- 年度改造清单: the year's list a city hands upward ------------------------------------------------------------

# 计划投资 is the row's headline figure and 投资来源 says which one it is; the three figures follow at the end.
ANNUAL_HEADERS = ("区", "小区编码", "小区名称", "建成年份", "楼栋数", "户数", "建筑面积（㎡）", "改造阶段",
                  "计划投资（元）", "投资来源", "已落实资金（元）", "实地调查", "需求调查已结束", "改造方案",
                  "前期工作截止", "逾期未完成", "摸底测算（元）", "现行方案（元）", "表决后（元）")
ANNUAL_WIDTHS = (10, 12, 24, 9, 8, 8, 14, 12, 16, 10, 16, 9, 12, 9, 12, 10, 16, 16, 16)
STATUS_ZH = {"reserve": "储备", "annual_plan": "年度计划", "census": "调查摸底", "needs": "问需",
             "planning": "方案编制", "plan_notice": "方案公示", "owner_vote": "业主表决", "joint_review": "联合审查",
             "works": "实施", "acceptance": "验收", "aftercare": "建后管理"}
# The figures' labels as the sheet prints them whatever the page's language (participation.plans.figures.LABELS).
KIND_ZH = {"field_survey": "摸底测算", "version_in_force": "现行方案", "after_votes": "表决后", None: ""}


def annual_list_xlsx(overview: dict) -> bytes:
    """The 年度改造清单 of an overview made for one plan year: one row per community in that year's programme
    (储备 communities are not), Chinese headers (the sheet is handed upward as it is, whatever language the page
    was in), a total row, a frozen header, widths and number formats."""
    listed = [row for row in overview["communities"] if row["status"] != "reserve"]
    book = Workbook()
    sheet = book.active
    sheet.title = f"{overview['year']}年度改造清单" if overview["year"] else "年度改造清单"
    sheet.append(ANNUAL_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    yes = {True: "是", False: "否"}
    for row in listed:
        work = row["preparatory"]
        sheet.append((row["district"], row["code"], row["name"], row["year_built"], row["buildings"],
                      row["households"], row["area"], STATUS_ZH.get(row["status"], row["status"]), row["investment"],
                      KIND_ZH[row["investment_kind"]], row["funding_known"],
                      "已完成" if work["field_survey"] else "未完成", yes[work["needs_survey_closed"]],
                      "已编制" if work["plan"] else "未编制", work["deadline"], yes[work["overdue"]],
                      *(row["estimates"][kind] for kind in ("field_survey", "version_in_force", "after_votes"))))
    totals = _totals(listed)
    if listed:
        sheet.append(("合计", None, f"{totals['communities']}个小区", None, totals["buildings"], totals["households"],
                      totals["area"], None, totals["investment"], None, totals["funding_known"]))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    formats = {5: "#,##0", 6: "#,##0", 7: "#,##0.00", 9: "#,##0.00", 11: "#,##0.00", 15: "yyyy-mm-dd",
               17: "#,##0.00", 18: "#,##0.00", 19: "#,##0.00"}
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, width in enumerate(ANNUAL_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return workbook_bytes(book)
