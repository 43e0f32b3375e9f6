"""Field survey operations without HTTP: one finding per item, audited changes, the overview and the export."""
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.extensions import db
from participation.fieldsurvey.operations import (FieldSurveyError, export_workbook, record_finding, roster_quantity,
                                                  roster_totals, survey_overview)
from participation.models import AuditEvent, CatalogueItem, FieldFinding
from participation.models.types import utcnow


@pytest.fixture
def in_request(app):
    """Refusals carry translated messages, which need a request (the user's language)."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def site(reference_data, make_user, make_community):
    community = make_community("FS1", area=Decimal("50.25"))   # 24 households, 1206.00 m² in all
    organiser = make_user("organiser", username="fs-organiser", communities=[community])
    return community, organiser


def item(code: str) -> CatalogueItem:
    return db.session.scalar(select(CatalogueItem).filter_by(code=code))


def audits(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).all()


def test_create_then_update_keeps_one_finding_and_audits_old_and_new(site):
    community, organiser = site
    roof = item("B01")
    record_finding(organiser, community, roof, condition="needs_repair", quantity=Decimal("1200.5"),
                   note="顶层漏水")
    db.session.commit()
    created = audits("field_finding.create")
    assert len(created) == 1
    assert created[0].actor_id == organiser.id and created[0].community_id == community.id
    assert created[0].detail["old"] is None
    assert created[0].detail["new"] == {"condition": "needs_repair", "quantity": "1200.50", "note": "顶层漏水",
                                        "photo": None}

    record_finding(organiser, community, roof, condition="missing", quantity=None, note="  ")
    db.session.commit()
    findings = db.session.scalars(select(FieldFinding)).all()
    assert len(findings) == 1
    assert (findings[0].condition, findings[0].quantity, findings[0].note) == ("missing", None, None)
    updated = audits("field_finding.update")
    assert len(updated) == 1
    assert updated[0].detail["old"]["condition"] == "needs_repair"
    assert updated[0].detail["new"] == {"condition": "missing", "quantity": None, "note": None, "photo": None}
    assert updated[0].detail["item"] == "B01"


def test_saving_the_same_values_again_writes_no_audit_row(site):
    community, organiser = site
    for _ in range(2):
        record_finding(organiser, community, item("B02"), condition="good", quantity=Decimal("3"), note="ok")
        db.session.commit()
    assert len(audits("field_finding.create")) == 1
    assert audits("field_finding.update") == []


def test_database_allows_one_finding_per_community_and_item(site):
    community, organiser = site
    roof = item("B01")
    db.session.add(FieldFinding(community_id=community.id, item_id=roof.id, condition="good",
                                recorded_by_id=organiser.id))
    db.session.flush()
    db.session.add(FieldFinding(community_id=community.id, item_id=roof.id, condition="missing",
                                recorded_by_id=organiser.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("fields", [{"condition": "broken"}, {"condition": "good", "quantity": Decimal("-1")}])
def test_database_refuses_bad_condition_or_negative_quantity(site, fields):
    community, organiser = site
    db.session.add(FieldFinding(community_id=community.id, item_id=item("B03").id, recorded_by_id=organiser.id,
                                **fields))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("kwargs", [
    {"condition": "excellent", "quantity": None},
    {"condition": "good", "quantity": Decimal("-2")},
])
def test_operation_refuses_bad_values_and_changes_nothing(site, kwargs, in_request):
    community, organiser = site
    with pytest.raises(FieldSurveyError, match="请选择这一项的现状|数量必须是不小于0的数字"):
        record_finding(organiser, community, item("B04"), note=None, **kwargs)
    db.session.rollback()
    assert db.session.scalars(select(FieldFinding)).all() == []
    assert audits("field_finding.create") == []


def test_retired_item_is_refused(site, in_request):
    community, organiser = site
    retired = item("U09")
    retired.retired_at = utcnow()
    db.session.flush()
    with pytest.raises(FieldSurveyError, match="停用"):
        record_finding(organiser, community, retired, condition="good", quantity=None, note=None)


def test_overview_counts_by_condition_and_lists_what_needs_work(site):
    community, organiser = site
    for code, condition in (("B01", "needs_repair"), ("B02", "missing"), ("B03", "good"), ("I14", "not_applicable")):
        record_finding(organiser, community, item(code), condition=condition, quantity=None, note=None)
    db.session.commit()
    overview = survey_overview(community)
    assert overview["total"] == 41
    assert overview["counts"] == {"good": 1, "needs_repair": 1, "missing": 1, "not_applicable": 1}
    assert overview["not_surveyed"] == 37
    assert [row["item"].code for row in overview["needs_work"]] == ["B01", "B02"]
    assert [category for category, _ in overview["groups"]] == ["basic", "improvement", "upgrade"]
    assert overview["slogans"]["basic"] == "应改尽改"


def test_roster_quantity_follows_the_item_unit(site):
    community, _ = site
    totals = roster_totals(community)
    assert totals == {"buildings": 2, "units": 4, "households": 24, "area": Decimal("1206.00")}
    assert roster_quantity(item("B06"), totals) == 24          # per household
    assert roster_quantity(item("B03"), totals) == 4           # per 单元
    assert roster_quantity(item("B13"), totals) == 2           # per building
    assert roster_quantity(item("B01"), totals) == Decimal("1206.00")
    assert roster_quantity(item("B14"), totals) == 1           # lump sum


def test_export_opens_in_excel_with_one_row_per_item_and_formulas_kept_as_text(app, site):
    community, organiser = site
    record_finding(organiser, community, item("B01"), condition="needs_repair", quantity=Decimal("88.5"),
                   note="=HYPERLINK(\"http://x\")\x07")
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        data = export_workbook(community)
    book = load_workbook(io.BytesIO(data))
    sheet = book["实地调查"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("类别", "编码", "项目", "现状")
    assert len(rows) == 1 + 41
    roof = next(row for row in rows if row[1] == "B01")
    assert roof[3] == "需维修" and roof[4] == 88.5
    assert roof[6] == "=HYPERLINK(\"http://x\")"  # control character dropped, not a formula
    assert sheet.cell(2, 7).data_type != "f"
    assert any(row[1] == "B02" and row[3] == "尚未调查" for row in rows)
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["需维修"] == 1 and summary["尚未调查"] == 40
