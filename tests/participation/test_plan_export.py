"""Plan inputs as files: the workbook's five sheets (order, frozen headers, number formats, costs, empty unknown
funding, text never a formula), the JSON against docs/plan-inputs.schema.json, and ``flask plan export``."""
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.extensions import db
from participation.labels import FUNDING_LABELS, NOT_CONFIGURED
from participation.models import AuditEvent, CatalogueItem, CommunityBudget, FieldFinding
from participation.plans.export import (building_headers, elevator_note, export_plan_inputs, item_headers, plan_json,
                                        plan_workbook)
from participation.plans.inputs import plan_inputs
from tests.surveys.results_support import build_world

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "plan-inputs.schema.json").read_text(encoding="utf-8"))
SHEETS = ["概况", "需求汇总", "分楼栋", "资金测算", "意见与投诉"]
B01_QUANTITY = Decimal("1234.50")


@pytest.fixture
def world(reference_data, make_user):
    world = build_world("P001")
    staff = make_user("admin")
    items = {item.code: item for item in db.session.scalars(select(CatalogueItem))}
    db.session.add_all([
        FieldFinding(community=world.community, item=items["B01"], condition="needs_repair", quantity=B01_QUANTITY,
                     note="=SUM(A1:A9) 屋面渗漏", recorded_by=staff),
        FieldFinding(community=world.community, item=items["B02"], condition="good", recorded_by=staff),
        CommunityBudget(community=world.community, plan_year=2026, envelope=Decimal("2000000.00"),
                        central_subsidy=Decimal("600000.00"), local_funds=Decimal("150000.50")),
    ])
    db.session.commit()
    world.items = items
    return world


def _book(result):
    return load_workbook(io.BytesIO(plan_workbook(result)))


def _row_of(sheet, column: int, value) -> int:
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row, column).value == value)


def test_workbook_has_the_five_sheets_frozen_headers_and_yuan_and_share_formats(world):
    book = _book(plan_inputs(world.community))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.b for cell in sheet[1] if cell.value is not None), sheet.title
        assert all(sheet.column_dimensions[cell.column_letter].width >= 8 for cell in sheet[1])
    items = book["需求汇总"]
    assert [cell.value for cell in items[1]] == item_headers()
    assert [cell.value for cell in book["分楼栋"][1]] == building_headers()


def test_item_row_cost_is_quantity_times_unit_cost_and_need_counts_come_from_the_answers(world):
    items = _book(plan_inputs(world.community))["需求汇总"]
    row = _row_of(items, 2, "B01")
    unit_cost = world.items["B01"].unit_cost
    expected = (B01_QUANTITY * unit_cost).quantize(Decimal("0.01"))
    assert Decimal(str(items.cell(row, 7).value)) == B01_QUANTITY
    assert Decimal(str(items.cell(row, 10).value)) == unit_cost
    assert Decimal(str(items.cell(row, 11).value)) == expected
    assert items.cell(row, 11).number_format == "#,##0.00"
    assert items.cell(row, 10).number_format == "#,##0.00"
    answers = list(world.values.values())
    needing = sum(values["need_B01"] == "need" for values in answers)
    assert items.cell(row, 12).value == len(answers)
    assert items.cell(row, 13).value == needing
    assert items.cell(row, 16).value == pytest.approx(needing / len(answers), abs=1e-4)
    assert items.cell(row, 16).number_format == items.cell(row, 17).number_format == "0.0%"
    # the field survey's note starts with "=": text, never a formula
    assert items.cell(row, 6).value == "=SUM(A1:A9) 屋面渗漏" and items.cell(row, 6).data_type == "s"
    # an item the field survey has not measured: its quantity from the roster
    per_household = next(code for code, item in world.items.items()
                         if item.quantity_unit == "per_household" and item.retired_at is None)
    assert items.cell(_row_of(items, 2, per_household), 7).value == len(world.households)


def test_buildings_sheet_counts_every_household_with_vacant_apart(world):
    sheet = _book(plan_inputs(world.community))["分楼栋"]
    total = sheet.max_row
    assert sheet.cell(total, 3).value == len(world.households)
    vacant = sum(household.occupancy == "vacant" for household in world.households)
    assert sheet.cell(total, 4).value == vacant and vacant > 0
    assert sheet.cell(total, 5).value == len(world.households) - vacant
    units = sum(len(building.units) for building in world.community.buildings)
    assert total - 1 == len(world.community.buildings) + units + 1
    assert sheet.cell(2, 9).number_format == "0.0%"
    assert sum(sheet.cell(row, 3).value for row in range(2, total) if sheet.cell(row, 1).font.b) \
        == len(world.households)


def test_funding_sheet_leaves_unknown_lines_empty_and_says_when_no_subsidy_rule(world):
    result = plan_inputs(world.community)
    sheet = _book(result)["资金测算"]
    amounts = {sheet.cell(row, 1).value: sheet.cell(row, 2) for row in range(2, sheet.max_row + 1)}
    line = {key: amounts[str(name)] for key, name in FUNDING_LABELS.items()}
    assert line["central_subsidy"].value == 600000 and line["local_funds"].value == 150000.5
    for key in ("pipeline_units", "original_owners", "social_capital", "residents_direct", "maintenance_fund",
                "housing_fund", "public_revenue", "elevator_subsidy"):
        assert line[key].value is None, key                  # nobody entered it: empty, not 0
    elevator_row = next(row for row in range(2, sheet.max_row + 1)
                        if sheet.cell(row, 1).value == str(FUNDING_LABELS["elevator_subsidy"]))
    assert sheet.cell(elevator_row, 3).value == str(NOT_CONFIGURED)   # 2026: 长春 has no elevator subsidy rule
    assert elevator_note(result["budget"]) == str(NOT_CONFIGURED)
    gap = Decimal(result["budget"]["estimated_cost"]) - Decimal("750000.50")
    assert any(cell.value is not None and Decimal(str(cell.value)) == gap for cell in amounts.values())
    assert all(cell.number_format == "#,##0.00" for cell in amounts.values() if isinstance(cell.value, float))


def test_comments_are_text_never_formulas(world):
    result = plan_inputs(world.community)
    data = plan_workbook(result)
    sheet = load_workbook(io.BytesIO(data))["意见与投诉"]
    texts = [sheet.cell(row, 4).value for row in range(2, sheet.max_row + 1)]
    expected = [values["comment"] for values in world.values.values() if "comment" in values]
    assert sorted(texts) == sorted(expected)
    row = texts.index('=HYPERLINK("x")') + 2
    assert sheet.cell(row, 4).data_type == "s" and sheet.cell(row, 4).quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any("<f>" in archive.read(name).decode() for name in archive.namelist()
                       if name.startswith("xl/worksheets/"))


def test_json_validates_against_the_schema_and_has_design_keys(world):
    document = plan_json(plan_inputs(world.community))
    jsonschema.validate(json.loads(json.dumps(document)), SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["community"]["code"] == "P001"
    answered = len(world.values)
    participation = document["participation"]
    assert participation["households"] == len(world.households)
    assert participation["responded"] + participation["responded_vacant"] == answered
    assert 0 <= participation["rate"] <= 1
    b01 = next(item for item in document["items"] if item["code"] == "B01")
    assert b01["estimated_cost"] == float((B01_QUANTITY * world.items["B01"].unit_cost).quantize(Decimal("0.01")))
    assert b01["need_count"] == sum(values["need_B01"] == "need" for values in world.values.values())
    for item in document["items"]:
        assert {"code", "category", "need_count", "need_share", "need_share_area", "priority_points",
                "estimated_cost", "suggestion", "reason"} <= set(item)
        for key in ("need_share", "need_share_area", "share_rate"):
            assert item[key] is None or 0 <= item[key] <= 1
    budget = document["budget"]
    assert budget["funding"]["central_subsidy"] == 600000.0 and budget["funding"]["housing_fund"] is None
    assert budget["funding"]["elevator_subsidy"] is None and budget["elevator_subsidy_rule"] == str(NOT_CONFIGURED)
    assert budget["gap"] == pytest.approx(budget["estimated_cost"] - 750000.5)


def test_a_community_without_survey_or_budget_still_exports(reference_data, make_community):
    community = make_community("P002")
    db.session.commit()
    result = plan_inputs(community)
    document = plan_json(result)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["survey"] is None and document["comments"] == [] and document["budget"]["envelope"] is None
    assert document["participation"]["households"] == 2 * 2 * 3 * 2
    book = _book(result)
    assert book.sheetnames == SHEETS
    assert book["分楼栋"].cell(book["分楼栋"].max_row, 3).value == 24


def test_export_for_the_views_is_audited(world, make_user):
    organiser = make_user("organiser")
    data, filename, mimetype, _result = export_plan_inputs(organiser, world.community, "json")
    assert filename.startswith("P001") and filename.endswith(".json") and mimetype == "application/json"
    assert json.loads(data)["community"]["code"] == "P001"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan_inputs.export"))
    assert event.actor_id == organiser.id and event.detail["format"] == "json"
    with pytest.raises(ValueError):
        export_plan_inputs(organiser, world.community, "pdf")


def test_cli_writes_a_workbook_and_json(runner, world, tmp_path):
    out = tmp_path / "plan.xlsx"
    result = runner.invoke(args=["plan", "export", "P001", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout and len(result.stdout.strip().splitlines()) == 1
    assert load_workbook(out).sheetnames == SHEETS
    out_json = tmp_path / "plan.json"
    result = runner.invoke(args=["plan", "export", "P001", "--format", "json", "--out", str(out_json)])
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(out_json.read_text(encoding="utf-8")), SCHEMA,
                        cls=jsonschema.Draft202012Validator)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plan_inputs.export")
                                .order_by(AuditEvent.id)).all()
    assert [(event.channel, event.detail["format"]) for event in events] == [("cli", "xlsx"), ("cli", "json")]


def test_cli_refuses_an_unknown_community_and_a_bad_format(runner, world, tmp_path):
    out = tmp_path / "plan.json"
    result = runner.invoke(args=["plan", "export", "NOPE", "--format", "json", "--out", str(out)])
    assert result.exit_code != 0 and "NOPE" in result.stderr
    assert not out.exists()
    result = runner.invoke(args=["plan", "export", "P001", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 2 and "pdf" in result.stderr
    assert not out.exists()
