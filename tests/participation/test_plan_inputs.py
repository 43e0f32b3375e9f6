"""Plan inputs for a small community whose every figure is worked out by hand below.

The community: 2 buildings × 1 单元 × 2 floors × 2 rooms = 8 households, areas set by hand (540.00 m² in all);
household 7 (building 2, room 202) is vacant and household 6 did not answer. Building 1's 单元 can take an elevator.
Six households answer a needs survey through save_response (so the tallies are the ones a live survey keeps).

    h   building room floor area   B01     I01     I04     I06     U01     U05     shares (of items needed)
    0   1        101  1     50.00  need    need    need    need    need    no      I01 y, I04 y, I06 n, U01 y
    1   1        102  1     60.00  need    need    neutral need    need    need    I01 y, I06 y, U01 y, U05 y
    2   1        201  2     70.00  neutral no      need    need    need    no      I04 n, I06 y, U01 n
    3   1        202  2     80.00  need    need    need    no      no      no      I01 n, I04 y
    4   2        101  1     55.00  need    no      no      need    need    need    I06 y, U01 y, U05 n
    5   2        102  1     65.00  no      need    need    neutral need    neutral I01 y, I04 y, U01 n
    6   2        201  2     75.00  (no answer)
    7   2        202  2     85.00  (vacant, no answer)

Respondents of every need question: h0–h5 = 6, their area 50+60+70+80+55+65 = 380.00.
The elevator question goes to floors above the ground in building 1 (h2, h3): both "support".
Priorities (top 5; Borda 5-4-3-2-1):
    h0 [I04, I01, B01]   h1 [I01, I04]   h2 [I14, I04, I06]   h3 [B01, I04, I01, I06, U01]   h4 [I06]
    h5 [I01, I04, I06]
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem, CommunityBudget, FieldFinding, User
from participation.models.types import utcnow
from participation.plans.inputs import plan_inputs
from surveys.answering.operations import save_response
from surveys.models import Section, Survey
from tests.surveys.results_support import NEED_CHOICES, _question

AREAS = ["50.00", "60.00", "70.00", "80.00", "55.00", "65.00", "75.00", "85.00"]
NEEDS = {   # household → need level per item
    0: {"B01": "need", "I01": "need", "I04": "need", "I06": "need", "U01": "need", "U05": "no"},
    1: {"B01": "need", "I01": "need", "I04": "neutral", "I06": "need", "U01": "need", "U05": "need"},
    2: {"B01": "neutral", "I01": "no", "I04": "need", "I06": "need", "U01": "need", "U05": "no"},
    3: {"B01": "need", "I01": "need", "I04": "need", "I06": "no", "U01": "no", "U05": "no"},
    4: {"B01": "need", "I01": "no", "I04": "no", "I06": "need", "U01": "need", "U05": "need"},
    5: {"B01": "no", "I01": "need", "I04": "need", "I06": "neutral", "U01": "need", "U05": "neutral"},
}
SHARES = {
    0: {"I01": "yes", "I04": "yes", "I06": "no", "U01": "yes"},
    1: {"I01": "yes", "I06": "yes", "U01": "yes", "U05": "yes"},
    2: {"I04": "no", "I06": "yes", "U01": "no"},
    3: {"I01": "no", "I04": "yes"},
    4: {"I06": "yes", "U01": "yes", "U05": "no"},
    5: {"I01": "yes", "I04": "yes", "U01": "no"},
}
PRIORITIES = {0: ["I04", "I01", "B01"], 1: ["I01", "I04"], 2: ["I14", "I04", "I06"],
              3: ["B01", "I04", "I01", "I06", "U01"], 4: ["I06"], 5: ["I01", "I04", "I06"]}
ASKED = ("B01", "I01", "I04", "I06", "U01", "U05")


@pytest.fixture
def site(make_community, reference_data):
    community = make_community("PI001", buildings=2, units=1, floors=2, per_floor=2)
    households = [h for b in community.buildings for u in b.units for h in u.households]
    for household, area in zip(households, AREAS):
        household.area = Decimal(area)
    households[7].occupancy = "vacant"
    community.buildings[0].units[0].elevator_possible = True
    organiser = User(username="pi-organiser", display_name="组织者", role="organiser")
    organiser.set_password("x" * 12)
    db.session.add(organiser)
    items = {item.code: item for item in db.session.scalars(select(CatalogueItem))}
    # The field survey: B01 and B03 need work (quantities from the roster), B13 was counted on site (3 sets),
    # B06 was found good. Every other basic item is not surveyed yet.
    for code, condition, quantity in (("B01", "needs_repair", None), ("B03", "missing", None),
                                      ("B13", "needs_repair", Decimal("3")), ("B06", "good", None)):
        db.session.add(FieldFinding(community=community, item=items[code], condition=condition, quantity=quantity,
                                    recorded_by=organiser))
    survey = Survey(community=community, title={"zh": "需求调查"}, status="open",
                    opens_at=utcnow() - timedelta(days=1))
    section = Section(survey=survey, position=1, name="main", label={"zh": "问卷"})
    db.session.add_all([survey, section])
    for code in ASKED:
        _question(survey, section, f"need_{code}", "select_one", role="item_need", item=items[code],
                  choices=NEED_CHOICES)
        if code != "B01":
            _question(survey, section, f"share_{code}", "yes_no", role="item_share", item=items[code])
    _question(survey, section, "priorities", "rank", role="item_priority", settings={"top_n": 5},
              choices=[(code, code) for code in ("B01", "I01", "I04", "I06", "I14", "U01", "U05")])
    _question(survey, section, "elevator", "select_one", role="elevator", item=items["I14"],
              choices=(("support", "同意"), ("neutral", "无所谓"), ("oppose", "不同意")),
              settings={"audience": "elevator_units_above_ground"})
    db.session.flush()
    for index in range(6):
        values = {f"need_{code}": level for code, level in NEEDS[index].items()}
        values.update({f"share_{code}": answer for code, answer in SHARES[index].items()})
        values["priorities"] = PRIORITIES[index]
        if index in (2, 3):
            values["elevator"] = "support"
        save_response(None, survey, households[index], values, channel="web", submit=True)
    db.session.add(CommunityBudget(
        community=community, plan_year=2023, envelope=Decimal("1100000"), central_subsidy=Decimal("400000"),
        local_funds=Decimal("300000"), pipeline_units=Decimal("100000"), residents_direct=Decimal("50000")))
    db.session.flush()
    return community


def _rows(result):
    return {row["code"]: row for row in result["items"]}


def test_participation_counts_headcount_and_area_with_vacant_units_apart(site):
    participation = plan_inputs(site)["participation"]
    # 8 households, 1 vacant → 7 eligible; 6 answered → 6/7 = 0.8571
    assert (participation["households"], participation["vacant"], participation["eligible"]) == (8, 1, 7)
    assert participation["responded"] == 6 and participation["rate"] == 0.8571
    # area: 540.00 in all, 85.00 vacant → 455.00 eligible; answered 380.00 → 380/455 = 0.8352
    assert participation["area_rate"] == 0.8352
    # building 1: 4 of 4; building 2: h4, h5 of 3 eligible = 0.6667
    assert [(b["label"], b["responded"], b["eligible"], b["rate"]) for b in participation["buildings"]] == [
        ("1号楼", 4, 4, 1.0), ("2号楼", 2, 3, 0.6667)]


def test_need_shares_by_headcount_and_area_borda_points_and_willingness(site):
    rows = _rows(plan_inputs(site))
    # B01: need h0 h1 h3 h4 = 4 of 6 = 0.6667; area 50+60+80+55 = 245 of 380 = 0.6447
    assert (rows["B01"]["need_count"], rows["B01"]["need_share"], rows["B01"]["need_share_area"]) == (4, 0.6667, 0.6447)
    # I01: need h0 h1 h3 h5 = 4 (area 255 → 0.6711), no h2 h4 = 2 → no share 2/6 = 0.3333
    assert (rows["I01"]["need_count"], rows["I01"]["need_share_area"], rows["I01"]["no_count"],
            rows["I01"]["no_share"]) == (4, 0.6711, 2, 0.3333)
    # I04: need h0 h2 h3 h5 = 4, area 50+70+80+65 = 265 → 0.6974
    assert (rows["I04"]["need_count"], rows["I04"]["need_share_area"]) == (4, 0.6974)
    # I06: need h0 h1 h2 h4 = 4, area 235 → 0.6184; U01: need 5 of 6 = 0.8333, area 300 → 0.7895
    assert (rows["I06"]["need_share"], rows["I06"]["need_share_area"]) == (0.6667, 0.6184)
    assert (rows["U01"]["need_count"], rows["U01"]["need_share"], rows["U01"]["need_share_area"]) == (5, 0.8333, 0.7895)
    # U05: need h1 h4 = 2 of 6 = 0.3333, area 115 → 0.3026
    assert (rows["U05"]["need_share"], rows["U05"]["need_share_area"]) == (0.3333, 0.3026)
    # Borda: I04 5+4+4+4+4 = 21 (h0 1st, h1 2nd, h2 2nd, h3 2nd, h5 2nd); I01 4+5+3+5 = 17; I06 3+2+5+3 = 13;
    # B01 3+5 = 8; I14 5 (h2 1st); U01 1 (h3 5th); U05 0
    assert {code: rows[code]["priority_points"] for code in ("I04", "I01", "I06", "B01", "I14", "U01", "U05")} == {
        "I04": 21, "I01": 17, "I06": 13, "B01": 8, "I14": 5, "U01": 1, "U05": 0}
    # first picks: I01 h1 h5 = 2; I04 h0, I14 h2, B01 h3, I06 h4 = 1 each
    assert {code: rows[code]["first_choice"] for code in ("I01", "I04", "I14", "B01", "I06")} == {
        "I01": 2, "I04": 1, "I14": 1, "B01": 1, "I06": 1}
    # willing to share among those who need it: I01 h0 h1 h5 of 4 = 0.75; U01 h0 h1 h4 of 5 = 0.6; U05 h1 of 2
    assert (rows["I01"]["share_willing"], rows["I01"]["share_rate"]) == (3, 0.75)
    assert (rows["U01"]["share_willing"], rows["U01"]["share_rate"]) == (3, 0.6)
    assert (rows["U05"]["share_willing"], rows["U05"]["share_rate"]) == (1, 0.5)
    # the elevator question stands for I14's need: 2 asked (h2, h3), both in favour, area 150 of 150
    assert (rows["I14"]["respondents"], rows["I14"]["need_count"], rows["I14"]["need_share"],
            rows["I14"]["need_share_area"]) == (2, 2, 1.0, 1.0)


def test_quantities_and_costs_per_unit_kind(site):
    rows = _rows(plan_inputs(site))
    # per m² of registered area: 540.00 m² × 30 = 16,200.00 (roster; the finding has no quantity)
    assert (rows["B01"]["quantity"], rows["B01"]["quantity_source"], rows["B01"]["estimated_cost"]) == (
        Decimal("540.00"), "roster", Decimal("16200.00"))
    # per 单元: 2 单元 × 15,000 = 30,000.00
    assert (rows["B03"]["quantity"], rows["B03"]["estimated_cost"]) == (Decimal("2"), Decimal("30000.00"))
    # per household: 8 households × 2,500 = 20,000.00 (shown even though the item is excluded)
    assert (rows["B06"]["quantity"], rows["B06"]["estimated_cost"]) == (Decimal("8"), Decimal("20000.00"))
    # per building, counted on site: 3 × 30,000 = 90,000.00 (the field survey's quantity, not the 2 buildings)
    assert (rows["B13"]["quantity"], rows["B13"]["quantity_source"], rows["B13"]["estimated_cost"]) == (
        Decimal("3"), "field_survey", Decimal("90000.00"))
    # once for the community: I01 80,000.00, U01 500,000.00
    assert (rows["I01"]["quantity"], rows["I01"]["estimated_cost"]) == (Decimal("1"), Decimal("80000.00"))
    assert rows["U01"]["estimated_cost"] == Decimal("500000.00")
    # per 单元 for I04: 2 × 5,000 = 10,000.00; the elevator: the 1 单元 that can take one × 600,000
    assert rows["I04"]["estimated_cost"] == Decimal("10000.00")
    assert (rows["I14"]["quantity"], rows["I14"]["quantity_source"], rows["I14"]["estimated_cost"]) == (
        Decimal("1"), "roster_elevator_units", Decimal("600000.00"))


def test_suggestions_and_their_reasons(site):
    rows = _rows(plan_inputs(site))
    suggestions = {code: rows[code]["suggestion"] for code in
                   ("B01", "B03", "B06", "B13", "B14", "I01", "I04", "I06", "I14", "U01", "U05", "I02")}
    assert suggestions == {
        "B01": "include", "B03": "include", "B13": "include",   # basic, found needing work: 应改尽改
        "B06": "exclude",                                        # basic, found good
        "B14": "reserve",                                        # basic, not surveyed yet
        # improvement, both shares above 50 %: included in Borda order within the envelope of 1,100,000:
        # basic 16,200 + 30,000 + 90,000 = 136,200; + I04 10,000 = 146,200; + I01 80,000 = 226,200;
        # + I06 200,000 = 426,200; + I14 600,000 = 1,026,200 (fits); + U01 500,000 = 1,526,200 (does not)
        "I04": "include", "I01": "include",
        "I06": "needs_vote", "I14": "needs_vote",                # Art. 278 items 8 and 7: an owner vote first
        "U01": "include_if_budget",                              # upgrade: 83 % need, 60 % willing, over budget
        "U05": "reserve",                                        # upgrade: 33 % need, not above 50 %
        "I02": "reserve",                                        # improvement nobody was asked about
    }
    assert rows["U01"]["if_budget_allows"] and not rows["I14"]["if_budget_allows"]
    assert rows["B01"]["reason"] == "基础类项目，实地调查结果为“需维修”：应改尽改，建议纳入；居民意见决定先后顺序，不作否决。"
    assert rows["B06"]["reason"] == "基础类项目，实地调查结果为“完好”。"
    assert rows["I01"]["reason"] == ("67%的作答住户需要（按面积67%）。按户数和面积均超过50%：建议纳入，"
                                     "在资金范围内按优先顺序实施。")
    assert rows["U05"]["reason"] == "33%的作答住户需要（按面积30%）。未超过50%：暂列储备。"
    assert rows["U01"]["reason"].endswith("1,100,000元的资金盘子已被优先级更高的项目用完：资金允许时实施。")
    assert rows["I06"]["reason"].endswith("涉及业主共有部分（《民法典》第二百七十八条第8项）：须经业主表决通过。")


def test_funding_split_with_the_years_elevator_subsidy(site):
    budget = plan_inputs(site)["budget"]
    # planned: 136,200 basic + I04 10,000 + I01 80,000 + I06 200,000 + I14 600,000 = 1,026,200.00
    assert budget["estimated_cost"] == Decimal("1026200.00")
    assert budget["optional_cost"] == Decimal("500000.00")          # U01, if the budget allows
    # 2023: 长春 15万元 per elevator × 1 planned elevator
    assert (budget["elevators"], budget["funding"]["elevator_subsidy"], budget["elevator_subsidy_rule"]) == (
        1, Decimal("150000.00"), "15万元")
    # 400,000 + 300,000 + 100,000 + 50,000 + 150,000 = 1,000,000.00; unknown lines stay None, not 0
    assert budget["funding_total"] == Decimal("1000000.00")
    assert budget["funding"]["social_capital"] is None and budget["funding"]["central_subsidy"] == Decimal("400000.00")
    assert budget["gap"] == Decimal("26200.00")                    # 1,026,200 − 1,000,000
    assert budget["cost_per_household"] == Decimal("128275.00")    # 1,026,200 / 8 households
    assert budget["envelope_left"] == Decimal("73800.00")          # 1,100,000 − 1,026,200


def test_a_year_without_an_elevator_subsidy_shows_not_configured(site):
    budget = db.session.scalar(select(CommunityBudget).where(CommunityBudget.community_id == site.id))
    budget.plan_year = 2026   # 长春's rule runs 2021–2025
    db.session.flush()
    result = plan_inputs(site)["budget"]
    assert result["funding"]["elevator_subsidy"] is None and result["elevator_subsidy_rule"] == "未配置"
    assert result["funding_total"] == Decimal("850000.00")         # the four known lines only
    assert result["gap"] == Decimal("176200.00")
    # 2024 (10万元) applies the later rule
    budget.plan_year = 2024
    db.session.flush()
    assert plan_inputs(site)["budget"]["funding"]["elevator_subsidy"] == Decimal("100000.00")


def test_flags(site):
    flags = {flag["kind"]: flag for flag in plan_inputs(site)["flags"]}
    # I01 is planned but 2 of 6 (0.3333) do not want it: at the ⅓ threshold
    assert flags["strong_objection"]["item"] == "I01"
    # 16 basic items, 4 surveyed (B01 B03 B06 B13)
    assert flags["not_surveyed"]["items"] == [f"B{n:02d}" for n in (2, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15, 16)]
    # 128,275 yuan per household is outside 10,000–40,000
    assert "128,275" in flags["cost_per_household"]["message"]
    assert "low_response" not in flags and "low_building_response" not in flags   # 86 %, buildings 100 % / 67 %


def test_without_a_needs_survey_the_field_survey_alone_decides(make_community, reference_data):
    community = make_community("PI002", buildings=1, units=1, floors=1, per_floor=2)
    result = plan_inputs(community)
    assert result["survey"] is None and result["participation"]["responded"] == 0
    assert {flag["kind"] for flag in result["flags"]} >= {"no_survey", "not_surveyed"}
    assert {row["suggestion"] for row in result["items"] if row["category"] != "basic"} == {"reserve"}
    assert result["budget"]["estimated_cost"] == Decimal("0.00")
