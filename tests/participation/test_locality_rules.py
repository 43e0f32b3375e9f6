"""Locality rules as data: lookups by year, 未配置 for missing years, per-kind validation, the overlap check, audit.

Operations only, no HTTP.
"""
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, Locality, LocalityRule
from participation.reference.locality import (RuleInvalid, create_rule, delete_rule, describe, rule_for, update_rule,
                                              year_table)


@pytest.fixture(autouse=True)
def _chinese_request(app):
    """Messages and 万元 formatting follow the request's language; Chinese is the default."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def changchun(reference_data):
    return db.session.scalar(select(Locality).filter_by(city="长春市"))


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def _rule(**fields) -> dict:
    base = {"key": "", "text_value": "", "number_value": "", "unit": "", "valid_from": "2027", "valid_to": "",
            "source": "测试来源", "note": ""}
    base.update(fields)
    return base


@pytest.mark.parametrize("year, expected", [(2019, "未配置"), (2021, "20万元"), (2022, "20万元"), (2023, "15万元"),
                                            (2024, "10万元"), (2025, "10万元"), (2026, "未配置")])
def test_elevator_subsidy_by_year(changchun, year, expected):
    rule = rule_for(changchun, "elevator_subsidy", "per_elevator", year)
    assert describe(rule) == expected
    if expected == "未配置":
        assert rule is None  # no rule: never a 0 that a budget would add up


def test_describe_never_shows_zero_for_a_missing_rule(app):
    assert describe(None) == "未配置"
    assert "0" not in describe(None)


def test_describe_formats_each_unit(changchun):
    assert describe(rule_for(changchun, "complaint_limit", "emergency", 2024)) == "2小时"
    assert describe(rule_for(changchun, "complaint_limit", "general", 2024)) == "7个自然日"
    assert describe(rule_for(changchun, "complaint_limit", "complex", 2024)) == "15个工作日"
    assert describe(rule_for(changchun, "elevator_cost_share", "4", 2024)) == "1.5"
    assert describe(rule_for(changchun, "plan_threshold", "improvement_need_share", 2024)) == "50%"
    assert describe(rule_for(changchun, "plan_threshold", "cost_per_household_max", 2024)) == "4万元"
    assert describe(rule_for(changchun, "category_slogan", "basic", 2024)) == "应改尽改"


def test_year_table_lists_expected_keys_with_not_configured(changchun):
    rows = {(row["kind"], row["key"]): row["value"] for row in year_table(changchun, 2026)}
    assert rows[("elevator_subsidy", "per_elevator")] == "未配置"
    assert rows[("category_slogan", "improvement")] == "能改则改"
    assert rows[("complaint_limit", "utility")] == "24小时"
    rows_2023 = {(row["kind"], row["key"]): row["value"] for row in year_table(changchun, 2023)}
    assert rows_2023[("elevator_subsidy", "per_elevator")] == "15万元"
    rows_2019 = {(row["kind"], row["key"]): row["value"] for row in year_table(changchun, 2019)}
    assert rows_2019[("complaint_limit", "emergency")] == "未配置"
    floors = [row["key"] for row in year_table(changchun, 2024) if row["kind"] == "elevator_cost_share"]
    assert floors == ["1", "2", "3", "4", "5", "6", "7"]


def test_create_a_subsidy_rule_is_audited_and_fills_the_unit(changchun, admin):
    rule = create_rule(admin, changchun, "elevator_subsidy", _rule(number_value="80000", valid_from="2026",
                                                                   valid_to="2026"))
    assert (rule.key, rule.unit, rule.number_value) == ("per_elevator", "yuan", Decimal("80000"))
    assert describe(rule_for(changchun, "elevator_subsidy", "per_elevator", 2026)) == "8万元"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "locality_rule.create"))
    assert event.actor_id == admin.id and event.detail["number_value"] == "80000"


@pytest.mark.parametrize("kind, fields, field, message", [
    ("category_slogan", {"key": "basic"}, "text_value", "请填写内容"),
    ("extra_category", {"key": "安全", "text_value": "安全类"}, "key", "英文字母"),
    ("extra_category", {"key": "basic", "text_value": "基础"}, "key", "全国统一"),
    ("extra_category", {"key": "safety"}, "text_value", "类别名称"),
    ("elevator_subsidy", {"number_value": "0"}, "number_value", "大于0"),
    ("elevator_subsidy", {"number_value": "-5"}, "number_value", "大于0"),
    ("elevator_subsidy", {"number_value": "十万"}, "number_value", "数字"),
    ("elevator_subsidy", {"number_value": "100000", "unit": "hours"}, "unit", "单位"),
    ("elevator_cost_share", {"key": "61", "number_value": "1"}, "key", "1到60"),
    ("elevator_cost_share", {"key": "3楼", "number_value": "1"}, "key", "1到60"),
    ("elevator_cost_share", {"key": "3", "number_value": "-1"}, "number_value", "负数"),
    ("complaint_limit", {"key": "urgent", "number_value": "3"}, "unit", "单位"),
    ("complaint_limit", {"key": "general", "number_value": "0", "unit": "calendar_days"}, "number_value", "大于0"),
    ("complaint_limit", {"key": "水电", "number_value": "3", "unit": "hours"}, "key", "小写"),
    ("plan_threshold", {"key": "upgrade_need_share", "number_value": "1.5"}, "number_value", "0到1"),
    ("plan_threshold", {"key": "upgrade_need_share", "number_value": "50", "unit": "yuan"}, "unit", "单位"),
    ("plan_threshold", {"key": "cost_per_household_min", "number_value": "-1"}, "number_value", "负数"),
    ("elevator_subsidy", {"number_value": "1", "valid_from": "1999"}, "valid_from", "2000"),
    ("elevator_subsidy", {"number_value": "1", "valid_from": "2101"}, "valid_from", "2100"),
    ("elevator_subsidy", {"number_value": "1", "valid_from": ""}, "valid_from", "年份"),
    ("elevator_subsidy", {"number_value": "1", "valid_from": "2030", "valid_to": "2029"}, "valid_to", "早于"),
    ("elevator_subsidy", {"number_value": "1", "source": "  "}, "source", "来源"),
    ("elevator_subsidy", {"number_value": "1.00001"}, "number_value", "4位小数"),
])
def test_each_kind_refuses_bad_values_with_a_message(changchun, admin, kind, fields, field, message):
    before = db.session.query(LocalityRule).count()
    with pytest.raises(RuleInvalid) as refused:
        create_rule(admin, changchun, kind, _rule(**fields))
    assert field in refused.value.errors
    assert message in refused.value.errors[field]
    assert db.session.query(LocalityRule).count() == before


def test_valid_rules_of_every_kind(changchun, admin):
    create_rule(admin, changchun, "extra_category", _rule(key="Safety", text_value="安全类"))
    create_rule(admin, changchun, "category_slogan", _rule(key="safety", text_value="应改必改"))
    create_rule(admin, changchun, "elevator_cost_share", _rule(key="08", number_value="3.5"))
    create_rule(admin, changchun, "complaint_limit", _rule(key="heating", number_value="12", unit="hours"))
    create_rule(admin, changchun, "plan_threshold", _rule(key="budget_share", number_value="0"))
    create_rule(admin, changchun, "plan_threshold", _rule(key="cost_per_household_cap", number_value="50000"))
    assert describe(rule_for(changchun, "extra_category", "safety", 2027)) == "安全类"
    assert describe(rule_for(changchun, "elevator_cost_share", "8", 2030)) == "3.5"
    assert rule_for(changchun, "plan_threshold", "cost_per_household_cap", 2027).unit == "yuan"
    assert rule_for(changchun, "plan_threshold", "budget_share", 2027).unit == "fraction"


def test_overlapping_years_are_refused_naming_the_other_rule(changchun, admin):
    with pytest.raises(RuleInvalid) as refused:
        create_rule(admin, changchun, "elevator_subsidy", _rule(number_value="120000", valid_from="2025",
                                                                valid_to="2026"))
    message = refused.value.errors[""]
    assert "2024–2025" in message and "10万元" in message and "加装电梯政策问答" in message
    # an open-ended rule overlaps every later span
    with pytest.raises(RuleInvalid):
        create_rule(admin, changchun, "complaint_limit", _rule(key="general", number_value="5",
                                                               unit="working_days", valid_from="2030"))
    # adjacent spans are fine, and other keys never clash
    create_rule(admin, changchun, "elevator_subsidy", _rule(number_value="120000", valid_from="2026",
                                                            valid_to="2026"))
    create_rule(admin, changchun, "complaint_limit", _rule(key="other", number_value="5", unit="working_days"))


def test_an_open_ended_new_rule_overlaps_an_older_bounded_one(changchun, admin):
    with pytest.raises(RuleInvalid) as refused:
        create_rule(admin, changchun, "elevator_subsidy", _rule(number_value="50000", valid_from="2020"))
    assert "2021–2022" in refused.value.errors[""]


def test_update_checks_overlap_against_others_only_and_records_changes(changchun, admin):
    rule = rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)
    update_rule(admin, rule, _rule(number_value="160000", valid_from="2023", valid_to="2023", source=rule.source))
    assert describe(rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)) == "16万元"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "locality_rule.update"))
    assert event.detail["changes"]["number_value"] == ["150000.0000", "160000"]
    with pytest.raises(RuleInvalid):
        update_rule(admin, rule, _rule(number_value="160000", valid_from="2023", valid_to="2024",
                                       source=rule.source))


def test_delete_leaves_the_year_not_configured_and_is_audited(changchun, admin):
    rule = rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)
    delete_rule(admin, rule)
    assert describe(rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)) == "未配置"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "locality_rule.delete"))
    assert event.detail["valid_from"] == 2023 and event.detail["source"]


def test_values_read_naturally_in_english(app, changchun):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert describe(rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)) == "150,000 yuan"
        assert describe(rule_for(changchun, "complaint_limit", "emergency", 2023)) == "2 hours"
        assert describe(None) == "Not configured"
