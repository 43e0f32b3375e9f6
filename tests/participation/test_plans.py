"""Plan versions without HTTP: the budget, adopting the suggestions, editing with reasons, the changed-items table,
adopting and superseding, the works, and what a notice may show residents.

The community: 2 buildings × 2 单元 × 3 floors × 2 = 24 households of 60.50 m², no needs survey. The field survey
found B01 (屋面防水, 30 yuan/m² in the catalogue) needing repair over 100 m² and B02 (外墙, 40 yuan/m²) good.
"""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, CommunityBudget, FieldFinding, Plan, PlanVersion, PlanWork
from participation.plans.inputs import plan_inputs
from participation.plans.operations import (SUPPRESSED, PlanRefused, adopt_suggestions, adopt_version, edit_version,
                                            public_items, public_participation, save_budget, set_work, today,
                                            version_changes)
from tests.plan_steps import comment_round, review_done


def item(code: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(code=code))


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def community(reference_data, make_community, make_user):
    community = make_community("PL1")
    organiser = make_user("organiser", communities=[community])
    db.session.add_all([
        FieldFinding(community=community, item=item("B01"), condition="needs_repair", quantity=Decimal(100),
                     recorded_by=organiser),
        FieldFinding(community=community, item=item("B02"), condition="good", recorded_by=organiser)])
    db.session.flush()
    community.organiser = organiser
    return community


@pytest.fixture
def plan(community):
    return adopt_suggestions(community.organiser, community, plan_inputs(community))


def row(version: PlanVersion, code: str):
    return next(entry for entry in version.items if entry.item.code == code)


def full_changes(version: PlanVersion, **overrides) -> dict:
    """Every item as the edit form posts it: unchanged unless overridden."""
    changes = {entry.item.code: {"included": entry.included, "quantity": str(entry.quantity),
                                 "unit_cost": str(entry.unit_cost), "reason": ""} for entry in version.items}
    for code, values in overrides.items():
        changes[code] |= values
    return changes


# --- adopting the suggestions -----------------------------------------------------------------------------------

def test_version_1_holds_every_active_item_as_suggested(community, plan):
    version = plan.versions[0]
    active = db.session.scalar(select(func.count()).select_from(CatalogueItem)
                               .where(CatalogueItem.retired_at.is_(None)))
    assert (version.number, version.status, len(version.items)) == (1, "draft", active)
    b01 = row(version, "B01")
    # needs repair → include; 100 m² × 30 yuan = 3,000 yuan
    assert (b01.included, b01.quantity, b01.unit_cost, b01.cost, b01.suggestion) == (
        True, Decimal("100.00"), Decimal("30.00"), Decimal("3000.00"), "include")
    assert row(version, "B02").included is False and row(version, "B02").suggestion == "exclude"
    # no needs survey: improvement and upgrade items are kept in reserve, out of the plan
    assert row(version, "I01").included is False and row(version, "I01").suggestion == "reserve"
    assert version.total_cost == Decimal("3000.00")
    assert audits("plan.adopt_suggestions") == 1


def test_suggestions_decide_inclusion(community):
    """include and needs_vote are in; "if the budget allows", reserve and exclude are out."""
    def entry(code, suggestion, if_budget=False):
        return {"code": code, "quantity": Decimal(2), "unit_cost": Decimal("10.00"),
                "estimated_cost": Decimal("20.00"), "suggestion": suggestion, "if_budget_allows": if_budget}
    result = {"items": [entry("B01", "include"), entry("U01", "needs_vote"), entry("I01", "include_if_budget", True),
                        entry("I02", "reserve"), entry("B02", "exclude")]}
    version = adopt_suggestions(None, community, result).versions[0]
    assert {e.item.code: e.included for e in version.items} == {"B01": True, "U01": True, "I01": False,
                                                                 "I02": False, "B02": False}


def test_a_second_adoption_is_refused(community, plan):
    with pytest.raises(PlanRefused) as refused:
        adopt_suggestions(community.organiser, community, plan_inputs(community))
    assert "" in refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1


# --- editing ----------------------------------------------------------------------------------------------------

def test_a_changed_item_without_its_reason_is_refused(community, plan):
    changes = full_changes(plan.versions[0], B01={"quantity": "120"})
    with pytest.raises(PlanRefused) as refused:
        edit_version(community.organiser, plan, changes, None, "重新测量")
    assert list(refused.value.errors) == ["B01.reason"]
    assert item("B01").name in refused.value.errors["B01.reason"]
    assert len(plan.versions) == 1 and audits("plan_version.create") == 0


def test_an_edit_makes_the_next_version_with_recomputed_costs(community, plan):
    first = plan.versions[0]
    changes = full_changes(first, B01={"quantity": "120", "reason": "复测面积"},
                           I01={"included": True, "unit_cost": "60000", "reason": "居民强烈要求"})
    second = edit_version(community.organiser, plan, changes, "居民分担10%", "征求意见后修改")
    assert (second.number, second.status, second.measures, second.reason) == (2, "draft", "居民分担10%", "征求意见后修改")
    b01, i01 = row(second, "B01"), row(second, "I01")
    assert (b01.quantity, b01.cost, b01.change_reason) == (Decimal("120.00"), Decimal("3600.00"), "复测面积")  # 120 × 30
    assert (i01.included, i01.cost) == (True, Decimal("60000.00"))   # lump sum: 1 × 60,000
    assert row(second, "B02").change_reason is None and row(second, "B02").included is False
    assert second.total_cost == Decimal("63600.00")
    assert row(first, "B01").quantity == Decimal("100.00")   # the earlier version is kept as it was
    assert audits("plan_version.create") == 1

    table = version_changes(first, second)
    assert [change["code"] for change in table] == ["B01", "I01"]
    b01_change = table[0]
    assert b01_change["quantity"] == (Decimal("100.00"), Decimal("120.00"))
    assert b01_change["cost"] == (Decimal("3000.00"), Decimal("3600.00"))
    assert b01_change["reason"] == "复测面积"
    assert table[1]["included"] == (False, True) and table[1]["unit_cost"] == (Decimal("80000.00"), Decimal("60000.00"))
    assert version_changes(None, first) == []


def test_nothing_changed_is_refused_and_measures_alone_are_a_change(community, plan):
    unchanged = full_changes(plan.versions[0])
    with pytest.raises(PlanRefused) as refused:
        edit_version(community.organiser, plan, unchanged, None, "没有修改")
    assert "" in refused.value.errors
    second = edit_version(community.organiser, plan, unchanged, "维修资金分担", "补充政策措施")
    assert second.number == 2 and version_changes(plan.versions[0], second) == []


@pytest.mark.parametrize("value", ["-1", "abc", "1e20", "1.234"])
def test_bad_amounts_name_the_item(community, plan, value):
    changes = full_changes(plan.versions[0], B01={"quantity": value, "reason": "试试"})
    with pytest.raises(PlanRefused) as refused:
        edit_version(community.organiser, plan, changes, None, "试试")
    assert "B01.quantity" in refused.value.errors and len(plan.versions) == 1


def test_a_version_needs_its_reason(community, plan):
    changes = full_changes(plan.versions[0], B01={"quantity": "120", "reason": "复测"})
    with pytest.raises(PlanRefused) as refused:
        edit_version(community.organiser, plan, changes, None, "  ")
    assert list(refused.value.errors) == ["reason"]


# --- adopting, superseding, works -------------------------------------------------------------------------------

def test_adopting_supersedes_and_keeps_the_works(community, plan):
    organiser = community.organiser
    comment_round(organiser, plan.versions[0])            # the gates: shown for comment, the period closed
    first = adopt_version(organiser, plan.versions[0])
    assert first.status == "adopted" and first.adopted_at is not None
    works = {work.item.code: work.status for work in plan.works}
    assert works == {"B01": "not_started"}
    review_done(first)                                    # works start after the joint review
    set_work(organiser, plan, item("B01"), "in_progress", started_on=today())
    second = edit_version(organiser, plan, full_changes(first, I01={"included": True, "reason": "加入"}), None, "加入I01")
    comment_round(organiser, second)
    adopt_version(organiser, second)
    assert (first.status, second.status) == ("superseded", "adopted")
    works = {work.item.code: work.status for work in plan.works}
    assert works == {"B01": "in_progress", "I01": "not_started"}   # B01's progress survives the new version
    assert db.session.scalar(select(func.count()).select_from(PlanWork)) == 2
    for done in (first, second):
        with pytest.raises(PlanRefused):
            adopt_version(organiser, done)
    assert audits("plan_version.adopt") == 2


def test_work_statuses_and_dates(community, plan):
    organiser = community.organiser
    b01 = item("B01")
    with pytest.raises(PlanRefused):                      # no adopted version yet
        set_work(organiser, plan, b01, "in_progress")
    comment_round(organiser, plan.versions[0])            # the gates: comment period, then the joint review
    adopt_version(organiser, plan.versions[0])
    review_done(plan.versions[0])
    with pytest.raises(PlanRefused) as refused:
        set_work(organiser, plan, b01, "finished")
    assert list(refused.value.errors) == ["finished_on"]
    with pytest.raises(PlanRefused) as refused:
        set_work(organiser, plan, b01, "finished", finished_on=today() + timedelta(days=1))
    assert list(refused.value.errors) == ["finished_on"]
    with pytest.raises(PlanRefused) as refused:
        set_work(organiser, plan, b01, "finished", started_on=today() - timedelta(days=1),
                 finished_on=today() - timedelta(days=3))
    assert list(refused.value.errors) == ["finished_on"]
    with pytest.raises(PlanRefused) as refused:
        set_work(organiser, plan, b01, "paused")
    assert "status" in refused.value.errors
    with pytest.raises(PlanRefused):                      # excluded from the adopted version
        set_work(organiser, plan, item("B02"), "in_progress")
    finished = today() - timedelta(days=1)
    work = set_work(organiser, plan, b01, "finished", started_on=date(2020, 5, 1), finished_on=finished, note="验收")
    assert (work.status, work.started_on, work.finished_on, work.note) == ("finished", date(2020, 5, 1), finished, "验收")
    assert audits("plan_work.update") == 1
    back = set_work(organiser, plan, b01, "in_progress", started_on=date(2020, 5, 1), finished_on=finished)
    assert back.finished_on is None   # only finished works carry a finish date


# --- the budget -------------------------------------------------------------------------------------------------

def test_budget_saves_unknown_lines_as_none(community):
    budget = save_budget(community.organiser, community, {
        "plan_year": "２０２５", "envelope": "1,200,000", "central_subsidy": "500000.5", "local_funds": "",
        "residents_direct": "0"})
    assert (budget.plan_year, budget.envelope, budget.central_subsidy) == (2025, Decimal("1200000.00"),
                                                                           Decimal("500000.50"))
    assert budget.local_funds is None and budget.residents_direct == Decimal("0.00")
    result = plan_inputs(community)
    assert result["budget"]["funding"]["local_funds"] is None
    # the gap: 3,000 yuan of B01 against 500,000.50 + 0 known
    assert result["budget"]["gap"] == Decimal("3000.00") - Decimal("500000.50")
    save_budget(community.organiser, community, {"plan_year": "2026", "envelope": "1200000"})
    assert audits("community_budget.create") == 1 and audits("community_budget.update") == 1
    assert db.session.scalar(select(CommunityBudget.plan_year)) == 2026


@pytest.mark.parametrize("field, value", [
    ("plan_year", ""), ("plan_year", "1999"), ("plan_year", "2101"), ("plan_year", "20x5"),
    ("envelope", "-5"), ("envelope", "many"), ("central_subsidy", "1234567890123"), ("housing_fund", "1.005"),
])
def test_budget_refuses_bad_values_per_field(community, field, value):
    fields = {"plan_year": "2025", "envelope": "100"} | {field: value}
    with pytest.raises(PlanRefused) as refused:
        save_budget(community.organiser, community, fields)
    assert list(refused.value.errors) == [field]
    assert db.session.scalar(select(func.count()).select_from(CommunityBudget)) == 0


# --- what residents see -----------------------------------------------------------------------------------------

def test_public_items_suppress_small_cells():
    def entry(code, respondents):
        return {"code": code, "name": code, "category": "improvement", "respondents": respondents,
                "need_share": 0.5, "need_share_area": 0.4, "priority_points": 7}
    rows = {r["code"]: r for r in public_items({"items": [entry("A", 4), entry("B", 5), entry("C", 0)]})}
    assert rows["A"]["respondents"] == SUPPRESSED and rows["A"]["need_share"] == SUPPRESSED
    assert rows["A"]["priority_points"] == SUPPRESSED
    assert (rows["B"]["respondents"], rows["B"]["need_share"]) == (5, 0.5)
    assert rows["C"]["respondents"] == 0 and not rows["C"]["suppressed"]
    few = public_participation({"participation": {"eligible": 20, "responded": 3, "rate": 0.15}})
    assert few["responded"] == SUPPRESSED and few["rate"] is None
    many = public_participation({"participation": {"eligible": 20, "responded": 8, "rate": 0.4}})
    assert (many["responded"], many["rate"]) == (8, 0.4)
