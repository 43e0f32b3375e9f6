"""The city / district overview and the 年度改造清单: figures worked out here from the fixture's own numbers.

The city (all in 长春市, whose seeded programme targets run 2021–2025):
- CA (南关区, annual_plan, plan year 2025): 2 buildings × 2 单元 × 3 floors × 2 = 24 households of 60.50 m²
  (1,452.00 m²), 4 单元; two households vacant. Every basic item surveyed; needing work:
    B01 屋面 needs_repair, no quantity → per m² of area: 1,452.00 × 30      =  43,560.00
    B03 楼宇门 missing, no quantity   → per 单元: 4 × 15,000                 =  60,000.00
    B06 供水 needs_repair, quantity 10 (the finding's) × 2,500             =  25,000.00
    B13 消防 needs_repair → per building: 2 × 30,000                        =  60,000.00
    B14 安防 needs_repair → lump sum: 1 × 80,000                            =  80,000.00
    I04 适老化 missing → per 单元: 4 × 5,000                                =  20,000.00
    (all other basic items "good": nothing)                           total 288,560.00
  A closed needs survey: 10 occupied households and 1 vacant one submitted, 2 drafts → 10 responded of 22
  occupied; no plan → preparatory work misses the plan.
- CB (南关区, planning, no budget → this year): 1 × 1 × 2 × 2 = 4 households of 50 m²; a finding B01 (would be
  200 × 30 = 6,000) but a plan: v1 superseded, v2 adopted (included 100,000 + 50,000, excluded 30,000), v3 draft
  (included 999,000) → the adopted v2: 150,000.00.
- CC (朝阳区, reserve): 2 × 1 × 1 × 1 = 2 households; nothing else → no investment.
"""
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.dashboards.city import city_overview
from participation.extensions import db
from participation.models import (CatalogueItem, CommunityBudget, FieldFinding, Household, Plan, PlanItem, PlanVersion,
                                  Unit)
from participation.models.types import utcnow
from participation.reference.locality import current_year
from surveys.models import Choice, Question, Response, Section, Survey

AREA_A = Decimal("60.50") * 24
A_FINDINGS = {   # code: (condition, quantity)
    "B01": ("needs_repair", None), "B03": ("missing", None), "B06": ("needs_repair", Decimal("10")),
    "B13": ("needs_repair", None), "B14": ("needs_repair", None), "I04": ("missing", None)}


def _items() -> dict:
    return {item.code: item for item in db.session.scalars(select(CatalogueItem))}


def _households(community) -> list[Household]:
    return [h for b in community.buildings for u in b.units for h in u.households]


def _needs_survey(community, *, closed: bool) -> Survey:
    item = _items()["B01"]
    survey = Survey(community=community, status="closed" if closed else "open", title={"zh": "需求调查"},
                    opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(days=1) if closed else None)
    section = Section(name="p1", position=1, label={"zh": "第1页"})
    survey.sections.append(section)
    survey.questions.append(Question(
        section=section, name="need_b01", type="select_one", role="item_need", item_id=item.id, position=1,
        label={"zh": "屋面"}, choices=[Choice(name=n, position=i, label={"zh": n})
                                       for i, n in enumerate(("need", "neutral", "no"), 1)]))
    db.session.add(survey)
    db.session.flush()
    return survey


def _respond(survey, households, status="submitted"):
    for household in households:
        db.session.add(Response(survey_id=survey.id, household_id=household.id, status=status,
                                receipt=f"R{survey.id:03d}{household.id:06d}",
                                submitted_at=utcnow() if status == "submitted" else None))


@pytest.fixture
def city(app, reference_data, make_community, make_user):
    items = _items()
    organiser = make_user("admin", username="recorder")
    a = make_community("CA", status="annual_plan")
    homes = _households(a)
    for household in homes[:2]:
        household.occupancy = "vacant"
    for item in items.values():
        if item.category == "basic" or item.code in A_FINDINGS:
            condition, quantity = A_FINDINGS.get(item.code, ("good", None))
            db.session.add(FieldFinding(community_id=a.id, item_id=item.id, condition=condition, quantity=quantity,
                                        recorded_by_id=organiser.id))
    db.session.add(CommunityBudget(community_id=a.id, plan_year=2025, central_subsidy=Decimal("1000000"),
                                   local_funds=Decimal("500000")))
    survey = _needs_survey(a, closed=True)
    _respond(survey, homes[1:12])        # homes[1] is vacant: 10 occupied households count
    _respond(survey, homes[12:14], status="draft")

    b = make_community("CB", status="planning", buildings=1, units=1, floors=2, area=Decimal("50"))
    db.session.add(FieldFinding(community_id=b.id, item_id=items["B01"].id, condition="needs_repair",
                                recorded_by_id=organiser.id))
    plan = Plan(community_id=b.id)
    db.session.add(plan)
    db.session.flush()
    for number, status, costs in ((1, "superseded", [(True, "70000")]),
                                  (2, "adopted", [(True, "100000"), (True, "50000"), (False, "30000")]),
                                  (3, "draft", [(True, "999000")])):
        version = PlanVersion(plan_id=plan.id, number=number, status=status,
                              adopted_at=None if status == "draft" else utcnow())
        db.session.add(version)
        db.session.flush()
        for position, ((included, cost), code) in enumerate(zip(costs, ("B01", "B02", "B03")), 1):
            db.session.add(PlanItem(version_id=version.id, item_id=items[code].id, position=position,
                                    included=included, quantity=Decimal(1), unit_cost=Decimal(cost),
                                    cost=Decimal(cost)))
    c = make_community("CC", status="reserve", district="朝阳区", buildings=2, units=1, floors=1, per_floor=1)
    db.session.commit()
    return {"a": a, "b": b, "c": c, "items": items}


def _expected_a_cost(items) -> Decimal:
    units, buildings = 4, 2
    by_unit = {"per_m2_area": AREA_A, "per_household": 24, "per_unit": units, "per_building": buildings,
               "lump_sum": 1}
    total = Decimal("0")
    for code, (condition, quantity) in A_FINDINGS.items():
        item = items[code]
        total += (quantity if quantity is not None else by_unit[item.quantity_unit]) * item.unit_cost
    return total


def _by_code(result) -> dict:
    return {row["code"]: row for row in result["communities"]}


def test_figures_per_community(city, make_user):
    admin = make_user("admin")
    result = city_overview(admin, today=date(2025, 4, 2))
    rows = _by_code(result)
    assert list(rows) == ["CA", "CB", "CC"]
    a, b, c = rows["CA"], rows["CB"], rows["CC"]
    assert (a["households"], a["vacant"], a["buildings"], a["units"], a["area"]) == (24, 2, 2, 4, AREA_A)
    assert a["investment"] == _expected_a_cost(city["items"]) == Decimal("288560.00")
    assert a["investment_source"] == "field_survey"
    assert a["responded"] == 10 and a["response_rate"] == round(10 / 22, 4)
    assert a["funding_known"] == Decimal("1500000.00") and a["plan_year"] == 2025
    assert b["investment"] == Decimal("150000.00") and b["investment_source"] == "plan"
    assert b["plan_version"] == 2 and b["plan_adopted"] is True
    assert b["responded"] == 0 and b["response_rate"] is None and b["plan_year"] == current_year()
    assert c["investment"] is None and c["district"] == "朝阳区"
    assert result["totals"]["households"] == 24 + 4 + 2
    assert result["totals"]["investment"] == Decimal("438560.00")
    counts = {row["status"]: row["communities"] for row in result["by_status"]}
    assert (counts["annual_plan"], counts["planning"], counts["reserve"], counts["works"]) == (1, 1, 1, 0)


def test_newest_draft_is_used_when_nothing_is_adopted(city, make_user):
    version = db.session.scalar(select(PlanVersion).where(PlanVersion.number == 2))
    version.status = "superseded"
    db.session.commit()
    row = _by_code(city_overview(make_user("admin")))["CB"]
    assert (row["plan_version"], row["plan_adopted"], row["investment"]) == (3, False, Decimal("999000.00"))


def test_elevator_item_counts_the_units_that_can_take_one(city, make_user):
    """With a needs survey naming I14 as its elevator item, a finding without quantity counts the 单元 marked
    elevator_possible (1 of CA's 4), as plan_inputs does: 1 × 600,000."""
    a, items = city["a"], city["items"]
    survey = db.session.scalar(select(Survey).where(Survey.community_id == a.id))
    survey.questions.append(Question(section=survey.sections[0], name="elevator", type="select_one",
                                     role="elevator", item_id=items["I14"].id, position=2, label={"zh": "电梯"}))
    db.session.scalar(select(Unit).where(Unit.building_id == a.buildings[0].id)).elevator_possible = True
    db.session.add(FieldFinding(community_id=a.id, item_id=items["I14"].id, condition="missing",
                                recorded_by_id=db.session.scalar(select(FieldFinding.recorded_by_id).limit(1))))
    db.session.commit()
    row = _by_code(city_overview(make_user("admin")))["CA"]
    assert row["investment"] == _expected_a_cost(items) + 1 * items["I14"].unit_cost


def test_preparatory_work_and_the_end_of_march_deadline(city, make_user):
    admin = make_user("admin")
    before = _by_code(city_overview(admin, today=date(2025, 3, 31)))["CA"]["preparatory"]
    assert (before["field_survey"], before["needs_survey_closed"], before["plan"]) == (True, True, False)
    assert before["missing"] == ["plan"] and before["deadline"] == date(2025, 3, 31)
    assert before["deadline_passed"] is False and before["overdue"] is False
    after = city_overview(admin, today=date(2025, 4, 1))
    assert _by_code(after)["CA"]["preparatory"]["overdue"] is True
    assert after["totals"]["overdue"] == 1    # CB's deadline (31 March of this year) is still ahead in 2025
    b = _by_code(after)["CB"]["preparatory"]
    assert (b["field_survey"], b["needs_survey_closed"], b["plan"]) == (False, False, True)
    assert _by_code(after)["CC"]["preparatory"]["overdue"] is False    # reserve: nothing due


def test_an_open_survey_is_not_a_closed_one(city, make_user):
    survey = db.session.scalar(select(Survey).where(Survey.community_id == city["a"].id))
    survey.status, survey.closes_at = "open", utcnow() + timedelta(days=3)
    db.session.commit()
    row = _by_code(city_overview(make_user("admin")))["CA"]
    assert row["preparatory"]["needs_survey_closed"] is False and row["responded"] == 10


def test_targets_of_the_year_against_the_communities_in_the_programme(city, make_user):
    result = city_overview(make_user("admin"), year=2025)
    assert [row["code"] for row in result["communities"]] == ["CA"]   # CB's plan year is this year
    targets = {row["key"]: row for row in result["targets"]}
    assert targets["communities"]["target"] == Decimal("1339") and targets["communities"]["achieved"] == 1
    assert targets["buildings"]["target"] == Decimal("7273") and targets["buildings"]["achieved"] == 2
    assert targets["households"]["achieved"] == 24
    assert targets["investment"]["target"] == Decimal("12600000000")
    assert targets["investment"]["achieved"] == Decimal("288560.00")
    assert targets["households"]["share"] == pytest.approx(24 / 430000)


def test_a_year_without_targets_shows_them_not_configured(city, make_user):
    budget = db.session.scalar(select(CommunityBudget).where(CommunityBudget.community_id == city["a"].id))
    budget.plan_year = 2030                     # the seeded targets run 2021–2025
    db.session.commit()
    result = city_overview(make_user("admin"), year=2030)
    assert [row["code"] for row in result["communities"]] == ["CA"]
    assert all(row["configured"] is False and row["target"] is None for row in result["targets"])
    assert {row["key"]: row["achieved"] for row in result["targets"]}["households"] == 24


def test_filters_by_district_and_status(city, make_user):
    admin = make_user("admin")
    nanguan = city["a"].district_id
    assert [r["code"] for r in city_overview(admin, district=nanguan)["communities"]] == ["CA", "CB"]
    assert [r["code"] for r in city_overview(admin, status="reserve")["communities"]] == ["CC"]


def test_each_role_sees_its_own_communities(city, make_user):
    a, c = city["a"], city["c"]
    organiser = make_user("organiser", district=a.district)
    owner_rep = make_user("owner_rep", communities=[a])
    district_admin = make_user("admin", district=c.district)
    assert [r["code"] for r in city_overview(organiser)["communities"]] == ["CA", "CB"]
    assert [r["code"] for r in city_overview(owner_rep)["communities"]] == ["CA"]
    assert [r["code"] for r in city_overview(district_admin)["communities"]] == ["CC"]


def test_page_for_an_organiser_lists_only_their_communities(city, client, login_as):
    login_as("organiser", city["b"])
    page = client.get("/city").get_data(as_text=True)
    assert "CB" in page and "CA小区" not in page and "CC小区" not in page
    assert 'data-chart="chart-status-data"' in page and "<script>" not in page


@pytest.mark.parametrize("role", ["grid", "hotline", "agency"])
def test_page_is_refused_to_other_staff(city, client, login_as, role):
    login_as(role, city["a"])
    assert client.get("/city").status_code == 403
    assert client.get("/city/annual-list.xlsx").status_code == 403


def test_bad_filters_are_dropped_with_a_message(city, client, login_as):
    login_as("admin")
    response = client.get("/city?district=abc&status=nonsense&year=99999")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CA小区" in page and "CC小区" in page


def test_annual_list_workbook(city, client, login_as):
    login_as("admin")
    response = client.get("/city/annual-list.xlsx?year=2025")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:9] == ["区", "小区编码", "小区名称", "建成年份", "楼栋数", "户数", "建筑面积（㎡）", "改造阶段",
                           "计划投资（元）"]
    assert sheet.freeze_panes == "A2"
    row = {header: cell.value for header, cell in zip(headers, sheet[2])}
    assert row["小区编码"] == "CA" and row["户数"] == 24 and row["楼栋数"] == 2
    assert Decimal(str(row["计划投资（元）"])) == Decimal("288560")
    assert Decimal(str(row["已落实资金（元）"])) == Decimal("1500000")
    assert row["改造方案"] == "未编制"
    assert sheet.cell(3, 1).value == "合计" and sheet.max_row == 3
    assert sheet.cell(2, 9).number_format == "#,##0.00"


def test_annual_list_leaves_out_reserve_communities(city, client, login_as):
    """This year's list: CB (no budget: this year) is in it; CC, also this year's, is in reserve and is not."""
    login_as("admin")
    sheet = load_workbook(BytesIO(client.get(f"/city/annual-list.xlsx?year={current_year()}").data)).active
    codes = [sheet.cell(row, 2).value for row in range(2, sheet.max_row + 1)]
    assert codes == ["CB", None]
    assert sheet.cell(3, 6).value == 4     # the total row counts CB's 4 households only
