"""The organiser dashboard of a community (issue 4, point 6): its figures, its chart specs and who may open it.

Every expected figure is worked out here from the fixture's own answers (``build_world`` returns what it stored) and
the findings and plan rows this file writes, not read back from the code under test.
"""
import json
import re
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation import charts
from participation.dashboards.community import community_dashboard, works_progress
from participation.extensions import db
from participation.models import CatalogueItem, FieldFinding, Plan, PlanItem, PlanVersion, PlanWork
from tests.surveys.results_support import build_world

ADOPTED = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
# field survey: two basic items that need work (with measured quantities), one found good, and an improvement
# item measured too, so its cost does not depend on the roster
FINDINGS = {"B01": ("needs_repair", Decimal("120")), "B02": ("good", None), "B04": ("missing", Decimal("30")),
            "I01": ("needs_repair", Decimal("10"))}


def _items() -> dict:
    return {item.code: item for item in db.session.scalars(select(CatalogueItem))}


@pytest.fixture
def world(reference_data, make_user):
    world = build_world("DB01")
    surveyor = make_user("organiser", communities=[world.community])
    items = _items()
    for code, (condition, quantity) in FINDINGS.items():
        db.session.add(FieldFinding(community=world.community, item=items[code], condition=condition,
                                    quantity=quantity, recorded_by=surveyor))
    db.session.commit()
    return world


def _answered(world) -> list:
    return [household for household in world.households if household.id in world.values]


# --- the figures --------------------------------------------------------------------------------------------------

def test_summary_and_heatmap_count_households_with_vacant_units_apart(world):
    dashboard = community_dashboard(world.community)
    households = world.households
    vacant = [h for h in households if h.occupancy == "vacant"]
    responded = [h for h in _answered(world) if h.occupancy != "vacant"]
    summary = dashboard["summary"]
    assert (summary["households"], summary["vacant"], summary["eligible"]) == (48, len(vacant), 48 - len(vacant))
    assert summary["responded"] == len(responded)
    assert summary["rate"] == pytest.approx(len(responded) / (48 - len(vacant)), abs=1e-4)
    assert dashboard["survey"]["id"] == world.survey.id

    by_unit = defaultdict(lambda: {"households": 0, "vacant": 0, "responded": 0})
    for household in households:
        cell = by_unit[(household.unit.building.label, household.unit.label)]
        cell["households"] += 1
        cell["vacant"] += household.occupancy == "vacant"
        cell["responded"] += household.occupancy != "vacant" and household.id in world.values
    heatmap = dashboard["heatmap"]
    assert [building["label"] for building in heatmap] == ["1号楼", "2号楼", "3号楼"]
    for building in heatmap:
        assert [unit["label"] for unit in building["units"]] == ["1单元", "2单元"]
        for unit in building["units"]:
            expected = by_unit[(building["label"], unit["label"])]
            assert {key: unit[key] for key in expected} == expected
            assert unit["eligible"] == expected["households"] - expected["vacant"]
            assert unit["rate"] == pytest.approx(expected["responded"] / unit["eligible"], abs=1e-4)


def test_need_priority_and_willingness_follow_the_answers(world):
    dashboard = community_dashboard(world.community)
    answers = list(world.values.values())
    needs = {row["code"]: row for row in dashboard["needs"]}
    assert set(needs) == {"B01", "I01", "U01"}
    for code in ("B01", "I01", "U01"):
        said = [values[f"need_{code}"] for values in answers]
        assert needs[code]["respondents"] == len(said)
        assert needs[code]["need_count"] == said.count("need")
        assert needs[code]["need_share"] == pytest.approx(said.count("need") / len(said), abs=1e-4)
    assert [needs[code]["category"] for code in ("B01", "I01", "U01")] == ["basic", "improvement", "upgrade"]

    # Borda over the top-5 picks: 5 points for the first, 4 for the second, 3 for the third
    points, first = defaultdict(int), defaultdict(int)
    for values in answers:
        for position, code in enumerate(values["priorities"], start=1):
            points[code] += 6 - position
            first[code] += position == 1
    ranking = dashboard["priority"]
    assert [(row["code"], row["points"], row["first_choice"]) for row in ranking] == sorted(
        ((code, points[code], first[code]) for code in points), key=lambda row: (-row[1], -row[2], row[0]))
    assert ranking[0]["points"] >= ranking[-1]["points"]

    willing = {row["code"]: row for row in dashboard["willingness"]}
    assert set(willing) == {"I01", "U01"}   # basic items are not asked to share the cost
    supporters = [values for values in answers if values["need_I01"] == "need"]
    yes = sum(values.get("share_I01") == "yes" for values in supporters)
    assert (willing["I01"]["need_count"], willing["I01"]["share_willing"]) == (len(supporters), yes)
    assert willing["I01"]["share_rate"] == pytest.approx(yes / len(supporters), abs=1e-4)
    assert (willing["U01"]["need_count"], willing["U01"]["share_willing"], willing["U01"]["share_rate"]) == (3, 3, 1.0)


def test_findings_are_counted_per_category_and_condition(world):
    findings = community_dashboard(world.community)["findings"]
    catalogue = [item for item in _items().values() if item.retired_at is None]
    per_category = defaultdict(int)
    for item in catalogue:
        per_category[item.category] += 1
    assert findings["by_category"]["basic"] == {"good": 1, "needs_repair": 1, "missing": 1, "not_applicable": 0,
                                                "not_surveyed": per_category["basic"] - 3}
    assert findings["by_category"]["improvement"]["needs_repair"] == 1
    assert findings["by_category"]["improvement"]["not_surveyed"] == per_category["improvement"] - 1
    assert findings["by_category"]["upgrade"]["not_surveyed"] == per_category["upgrade"]
    assert findings["total"] == len(FINDINGS)
    assert findings["totals"]["not_surveyed"] == len(catalogue) - len(FINDINGS)
    assert [row["code"] for row in findings["needs_work"]] == ["B01", "B04", "I01"]


def test_estimated_cost_and_cost_per_household(world):
    """B01 and B04 are basic items the field survey found needing work: included (应改尽改). I01 is needed by more
    than half the households that answered, by headcount and by area: included. U01 has 3 supporters: reserve.
    Their quantities are the field survey's, so the cost is quantity × unit cost."""
    items = _items()
    answered = [(household, world.values[household.id]) for household in _answered(world)]
    need_i01 = [household for household, values in answered if values["need_I01"] == "need"]
    assert len(need_i01) / len(answered) > 0.5
    assert sum(h.area for h in need_i01) / sum(h.area for h, _values in answered) > Decimal("0.5")
    expected = sum(FINDINGS[code][1] * items[code].unit_cost for code in ("B01", "B04", "I01"))
    summary = community_dashboard(world.community)["summary"]
    assert summary["estimated_cost"] == expected.quantize(Decimal("0.01"))
    assert summary["cost_per_household"] == (expected / 48).quantize(Decimal("0.01"))
    assert summary["envelope"] is None
    assert summary["flags"] == len(community_dashboard(world.community)["flags"]) >= 1   # 13 basic items unsurveyed


def test_a_community_without_a_survey_or_plan(reference_data, make_community):
    community = make_community("DB02")
    db.session.commit()
    dashboard = community_dashboard(community)
    assert dashboard["survey"] is None and dashboard["heatmap"] == [] and dashboard["needs"] == []
    assert dashboard["priority"] == [] and dashboard["willingness"] == [] and dashboard["works"] is None
    assert dashboard["summary"]["households"] == 2 * 2 * 3 * 2 and dashboard["summary"]["rate"] is None
    assert "no_survey" in [flag["kind"] for flag in dashboard["flags"]]
    assert charts.participation_heatmap(dashboard["heatmap"]) is None
    assert charts.findings_chart(dashboard["findings"]) is None


# --- works progress ----------------------------------------------------------------------------------------------

def _plan(community, *, adopted=True):
    items = _items()
    plan = Plan(community=community)
    version = PlanVersion(number=1, status="adopted" if adopted else "draft", adopted_at=ADOPTED if adopted else None)
    plan.versions.append(version)
    for position, (code, included) in enumerate((("B01", True), ("B02", False), ("I01", True), ("I02", True)), 1):
        version.items.append(PlanItem(item=items[code], position=position, included=included, quantity=Decimal("1"),
                                      unit_cost=items[code].unit_cost, cost=items[code].unit_cost))
    db.session.add(plan)
    db.session.flush()
    return plan, items


def test_works_progress_counts_each_status_and_adopted_items_without_works(world):
    plan, items = _plan(world.community)
    plan.works.extend([PlanWork(item=items["B01"], status="finished", started_on=date(2025, 4, 1),
                                finished_on=date(2025, 6, 30)),
                       PlanWork(item=items["I01"], status="in_progress", started_on=date(2025, 5, 1))])
    db.session.commit()
    works = community_dashboard(world.community)["works"]
    # B01 finished, I01 under way, I02 adopted but without a works row: not started; B02 is left out of the plan
    assert (works["not_started"], works["in_progress"], works["finished"], works["total"]) == (1, 1, 1, 3)
    assert works["adopted_version"] == 1
    assert [(row["code"], row["status"]) for row in works["items"]] == [
        ("B01", "finished"), ("I01", "in_progress"), ("I02", "not_started")]
    figure = charts.figure_payload(charts.works_chart(works))
    assert figure["data"][0]["x"] == [1, 1, 1]
    assert len(figure["data"][0]["y"]) == 3


def test_a_draft_plan_has_no_works_yet(world):
    _plan(world.community, adopted=False)
    db.session.commit()
    works = works_progress(world.community)
    assert works["total"] == 0 and works["adopted_version"] is None
    assert charts.works_chart(works) is None


# --- chart specs -------------------------------------------------------------------------------------------------

def test_heat_colours_run_from_pale_to_the_accent():
    assert charts.heat_colour(0) == "#fdecea"
    assert charts.heat_colour(1) == charts.ACCENT
    assert charts.heat_colour(None) == charts.HEAT_EMPTY
    # halfway: (253+163)/2 = 208, (236+21)/2 = 128.5 and (234+21)/2 = 127.5, both rounded (half to even) to 128
    assert charts.heat_colour(0.5) == "#d08080"


def test_chart_specs_carry_the_figures(world):
    dashboard = community_dashboard(world.community)
    heat = charts.figure_payload(charts.participation_heatmap(dashboard["heatmap"]))
    assert len(heat["data"]) == 2                                   # one trace per 单元 position
    assert heat["layout"]["barmode"] == "stack"
    for position, trace in enumerate(heat["data"]):
        assert trace["y"] == ["1号楼", "2号楼", "3号楼"] and trace["x"] == [1, 1, 1]
        rates = [building["units"][position]["rate"] for building in dashboard["heatmap"]]
        assert trace["marker"]["color"] == [charts.heat_colour(rate) for rate in rates]
        assert [text.split("<br>")[1] for text in trace["text"]] == [f"{rate * 100:.0f}%" for rate in rates]

    needs = charts.figure_payload(charts.need_by_category_chart(dashboard["needs"]))
    assert [trace["y"][0][:3] for trace in needs["data"]] == ["B01", "I01", "U01"]   # one trace per category
    by_code = {row["code"]: row["need_share"] for row in dashboard["needs"]}
    assert [trace["x"][0] for trace in needs["data"]] == [by_code["B01"], by_code["I01"], by_code["U01"]]

    priority = charts.figure_payload(charts.priority_chart(dashboard["priority"]))
    assert priority["data"][0]["x"] == [row["points"] for row in dashboard["priority"]]
    assert priority["data"][0]["orientation"] == "h"
    assert priority["layout"]["template"]["layout"]["yaxis"]["autorange"] == "reversed"     # the most points on top
    assert priority["data"][0]["x"] == sorted(priority["data"][0]["x"], reverse=True)

    willing = charts.figure_payload(charts.willingness_chart(dashboard["willingness"]))
    assert willing["data"][0]["x"] == [row["share_rate"] for row in dashboard["willingness"]]

    findings = charts.figure_payload(charts.findings_chart(dashboard["findings"]))
    assert len(findings["data"]) == 5                                # four conditions and "not surveyed"
    assert findings["data"][1]["x"] == [1, 1, 0]                     # needs repair: B01; I01; none of the upgrades
    assert findings["data"][2]["x"] == [1, 0, 0]                     # missing: B04


# --- the page ----------------------------------------------------------------------------------------------------

def _chart(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script type="application/json" id="{chart_id}-data" class="chart-data">(.*?)</script>',
                      html, re.S)
    assert match, f"no data block for {chart_id}"
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", ["admin", "organiser", "owner_rep"])
def test_readers_see_cards_charts_and_tables(client, login_as, world, role):
    login_as(role, world.community)
    response = client.get("/c/DB01/dashboard")
    assert response.status_code == 200
    html = response.text
    for name in ("participation", "needs", "priority", "willingness", "findings"):
        assert _chart(html, f"chart-{name}")["data"]
        assert f'id="table-{name}"' in html
    assert "chart-works-data" not in html                            # no plan yet
    assert _chart(html, "chart-priority")["data"][0]["x"] == [
        row["points"] for row in community_dashboard(world.community)["priority"]]
    responded = sum(1 for h in _answered(world) if h.occupancy != "vacant")
    assert f"{responded} / 44" in html
    assert "plotly-basic-" in html and "/static/js/charts.js" in html
    for tag in re.findall(r"<script\b[^>]*>", html):                 # the CSP: no inline scripts
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html


def test_works_chart_appears_with_a_plan(client, login_as, world):
    plan, items = _plan(world.community)
    plan.works.append(PlanWork(item=items["B01"], status="finished", finished_on=date(2025, 6, 30)))
    db.session.commit()
    login_as("organiser", world.community)
    html = client.get("/c/DB01/dashboard").text
    figure = _chart(html, "chart-works")
    assert figure["data"][0]["x"] == [2, 0, 1]   # I01 and I02 not started, B01 finished
    assert "2025-06-30" in html


def test_a_community_without_answers_still_renders(client, login_as, reference_data, make_community):
    community = make_community("DB03")
    db.session.commit()
    login_as("organiser", community)
    response = client.get("/c/DB03/dashboard")
    assert response.status_code == 200
    assert "chart-participation-data" not in response.text and 'id="table-findings"' in response.text
    assert "plotly-basic-" not in response.text                      # nothing to draw, no plotly.js


@pytest.mark.parametrize("role", ["grid", "hotline", "agency"])
def test_other_staff_get_403(client, login_as, world, role):
    login_as(role, world.community)
    assert client.get("/c/DB01/dashboard").status_code == 403


def test_out_of_scope_and_unknown_communities_answer_404(client, login_as, world, make_community):
    other = make_community("DB04")
    login_as("organiser", other)
    assert client.get("/c/DB01/dashboard").status_code == 404
    assert client.get("/c/NOPE/dashboard").status_code == 404
    assert client.get("/c/DB04/dashboard").status_code == 200


def test_visitors_go_to_the_login_page(client, world):
    response = client.get("/c/DB01/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_dashboard_is_linked_from_the_community_and_its_results(client, login_as, world):
    login_as("owner_rep", world.community)
    assert 'href="/c/DB01/dashboard"' in client.get("/c/DB01").text
    assert 'href="/c/DB01/dashboard"' in client.get(f"/surveys/{world.survey.id}/results").text


def test_grid_workers_see_no_link_to_the_dashboard(client, login_as, world):
    login_as("grid", world.community)
    assert "/c/DB01/dashboard" not in client.get(f"/surveys/{world.survey.id}/results").text


def test_the_priority_chart_keeps_the_first_items():
    rows = [{"code": f"I{n:02d}", "name": "项目", "category": "improvement", "points": 40 - n, "first_choice": 0}
            for n in range(1, 21)]
    with_all = charts.figure_payload(charts.priority_chart(rows, top=20))
    assert with_all["data"][0]["x"] == list(range(39, 19, -1))
    first = charts.figure_payload(charts.priority_chart(rows))["data"][0]["x"]
    assert first == list(range(39, 39 - charts.PRIORITY_TOP, -1))


def test_a_confidential_survey_suppresses_small_item_counts(client, login_as, reference_data):
    world = build_world("DB05", confidential=True)
    db.session.commit()
    dashboard = community_dashboard(world.community)
    needs = {row["code"]: row for row in dashboard["needs"]}
    assert (needs["U01"]["need_count"], needs["U01"]["need_share"]) == ("<5", None)   # 3 supporters
    supporters = sum(values["need_I01"] == "need" for values in world.values.values())
    assert needs["I01"]["need_count"] == supporters >= 5
    willing = {row["code"]: row for row in dashboard["willingness"]}
    assert (willing["U01"]["share_willing"], willing["U01"]["share_rate"]) == ("<5", None)
    responded = sum(1 for h in world.households if h.id in world.values and h.occupancy != "vacant")
    assert dashboard["summary"]["responded"] == responded            # who answered stays exact for staff
    login_as("organiser", world.community)
    html = client.get("/c/DB05/dashboard").text
    figure = _chart(html, "chart-willingness")
    assert figure["data"][0]["x"][[row["code"] for row in dashboard["willingness"]].index("U01")] is None
    assert "&lt;5" in html
