"""The plan pages through HTTP: who reads and who changes, the budget form, adopting and editing versions, works,
and the printable notice, which hides what fewer than 5 households said.

The community has no real survey: the survey facts' ``community_needs`` (the seam plan_inputs reads residents'
answers through, ``participation.survey_facts``) is replaced by a fixed answer, so the expected figures are the ones
written here.
"""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from participation import survey_facts
from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, CommunityBudget, FieldFinding, Plan, PlanVersion, PlanWork
from participation.plans.operations import today
from tests.conftest import csrf_token
from tests.plan_steps import comment_round, review_done

# 12 of 20 eligible households answered; 12 said about B01, only 3 about I01 (a small cell on a public page).
NEEDS = {
    "survey": {"id": 1, "title": "需求调查", "status": "closed", "confidential": False},
    "participation": {"households": 24, "vacant": 4, "eligible": 20, "responded": 12, "responded_vacant": 0,
                      "drafts": 0, "rate": 0.6, "rate_all": 0.5, "area_rate": 0.55, "area_total": Decimal("1452.00"),
                      "buildings": []},
    "items": {
        "B01": {"code": "B01", "respondents": 12, "need_count": 9, "neutral_count": 1, "no_count": 2,
                "need_share": 0.75, "need_share_area": 0.7, "priority_points": 31, "first_choice": 4,
                "share_willing": None, "share_rate": None},
        "I01": {"code": "I01", "respondents": 3, "need_count": 3, "neutral_count": 0, "no_count": 0,
                "need_share": 1.0, "need_share_area": 1.0, "priority_points": 12, "first_choice": 2,
                "share_willing": 2, "share_rate": 0.6667},
    },
    "elevator_item": None, "comments": [{"question": "意见", "text": "楼道太暗", "submitted_at": None,
                                         "building": "1栋", "unit": "1单元"}],
}


@pytest.fixture
def community(app, monkeypatch, reference_data, make_community, make_user):
    monkeypatch.setattr(app.extensions[survey_facts.EXTENSION], "community_needs",
                        lambda community: NEEDS if community.code == "PV1" else None)
    community = make_community("PV1")
    make_community("PV2")
    admin = make_user("admin", username="setup-admin")
    b01 = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    db.session.add(FieldFinding(community=community, item=b01, condition="needs_repair", quantity=Decimal(100),
                                recorded_by=admin))
    db.session.commit()
    return community


def post(client, url, data=None, page=None):
    token = csrf_token(client.get(page or url).text)
    return client.post(url, data={"csrf_token": token} | (data or {}))


def adopt(client, code="PV1"):
    return post(client, f"/c/{code}/plan/adopt-suggestions", page=f"/c/{code}/plan")


def versions() -> list[PlanVersion]:
    return db.session.scalars(select(PlanVersion).order_by(PlanVersion.number)).all()


# --- reading ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "organiser", "owner_rep", "grid", "hotline"])
def test_readers_see_the_plan_inputs(client, community, login_as, role):
    login_as(role, community)
    page = client.get("/c/PV1/plan")
    assert page.status_code == 200
    row = re.search(r'<tr id="item-B01">(.*?)</tr>', page.text, re.S).group(1)
    assert "3,000.00" in row          # 100 m² × 30 yuan
    assert "75%" in row and "70%" in row and "31" in row   # need by headcount and area, Borda points
    assert 'id="funding-elevator_subsidy"' in page.text
    assert ("adopt-suggestions" in page.text) == (role in ("admin", "organiser"))


def test_a_missing_elevator_rule_shows_not_configured(client, community, login_as):
    from participation.plans.inputs import plan_inputs
    expected = plan_inputs(community)["budget"]["elevator_subsidy_rule"]   # the locality's words for "none"
    login_as("organiser", community)
    page = client.get("/c/PV1/plan")
    cell = re.search(r'<tr id="funding-elevator_subsidy">(.*?)</tr>', page.text, re.S).group(1)
    assert plan_inputs(community)["budget"]["elevator_subsidy_configured"] is False
    assert expected in cell


def test_agencies_get_403_and_other_communities_404(client, community, login_as):
    login_as("agency", community)
    assert client.get("/c/PV1/plan").status_code == 403
    assert client.get("/c/PV1/plan/notice").status_code == 403
    assert client.get("/c/PV1/plan.xlsx").status_code == 403


@pytest.mark.parametrize("url", ["/c/PV2/plan", "/c/PV2/plan/notice", "/c/NOPE/plan", "/c/PV1/plan/versions/1"])
def test_out_of_scope_or_missing_is_404(client, community, login_as, url):
    login_as("organiser", community)
    assert client.get(url).status_code == 404


def test_readers_may_not_change(client, community, login_as):
    login_as("owner_rep", community)
    assert client.get("/c/PV1/plan/budget").status_code == 403
    assert client.get("/c/PV1/plan/edit").status_code == 403
    response = client.post("/c/PV1/plan/adopt-suggestions",
                           data={"csrf_token": csrf_token(client.get("/c/PV1/plan/notice").text)})
    assert response.status_code == 403 and not db.session.scalar(select(func.count()).select_from(Plan))


def test_anonymous_visitors_sign_in_first(client, community):
    response = client.get("/c/PV1/plan")
    assert response.status_code == 302 and "/login" in response.location


# --- the budget -------------------------------------------------------------------------------------------------

def test_budget_form_shows_errors_and_saves(client, community, login_as):
    login_as("organiser", community)
    refused = post(client, "/c/PV1/plan/budget", {"plan_year": "1999", "envelope": "-1", "central_subsidy": "x"})
    assert refused.status_code == 400
    for name in ("plan_year", "envelope", "central_subsidy"):
        assert f'id="{name}-error"' in refused.text
    assert not db.session.scalar(select(func.count()).select_from(CommunityBudget))
    saved = post(client, "/c/PV1/plan/budget", {"plan_year": "2025", "envelope": "800000", "central_subsidy": ""})
    assert saved.status_code == 302 and saved.location.endswith("/c/PV1/plan")
    budget = db.session.scalar(select(CommunityBudget))
    assert (budget.plan_year, budget.envelope, budget.central_subsidy) == (2025, Decimal("800000.00"), None)
    assert 'value="800000.00"' in client.get("/c/PV1/plan/budget").text


# --- versions ---------------------------------------------------------------------------------------------------

def edit_form(client) -> dict:
    """What the edit page's form would post untouched."""
    page = client.get("/c/PV1/plan/edit").text
    data = {"csrf_token": csrf_token(page)}
    fields = r'<input[^>]*name="(items-\d+-(?:code|quantity|unit_cost|reason))"[^>]*value="([^"]*)"'
    for name, value in re.findall(fields, page):
        data[name] = value
    for name in re.findall(r'<input[^>]*checked[^>]*name="(items-\d+-included)"', page) + \
            re.findall(r'<input[^>]*name="(items-\d+-included)"[^>]*checked', page):
        data[name] = "y"
    return data


def index_of(data: dict, code: str) -> str:
    return next(name.split("-")[1] for name, value in data.items() if name.endswith("-code") and value == code)


def test_adopt_edit_and_adopt_versions(client, community, login_as):
    login_as("organiser", community)
    adopted = adopt(client)
    assert adopted.status_code == 302 and adopted.location.endswith("/c/PV1/plan/versions/1")
    first = versions()[0]
    included = {row.item.code for row in first.items if row.included}
    assert {"B01", "I01"} <= included   # I01: 100% need (over 50%) → include
    assert adopt(client).status_code == 302 and len(versions()) == 1   # refused: a plan exists
    comment_round(None, first)          # the adoption gate: version 1 shown for comment, the period closed
    db.session.commit()

    data = edit_form(client)
    b01 = index_of(data, "B01")
    assert data[f"items-{b01}-quantity"] == "100.00" and f"items-{b01}-included" in data
    data[f"items-{b01}-quantity"] = "150"
    data["reason"] = "复测"
    missing = client.post("/c/PV1/plan/edit", data=data)
    assert missing.status_code == 400 and f'id="items-{b01}-reason-error"' in missing.text
    assert len(versions()) == 1

    data[f"items-{b01}-reason"] = "屋面面积复测为150平方米"
    made = client.post("/c/PV1/plan/edit", data=data)
    assert made.status_code == 302 and made.location.endswith("/c/PV1/plan/versions/2")
    page = client.get("/c/PV1/plan/versions/2").text
    change = re.search(r'<tr id="change-B01">(.*?)</tr>', page, re.S).group(1)
    assert "3,000.00" in change and "4,500.00" in change and "屋面面积复测为150平方米" in change  # 150 × 30
    assert 'id="change-I01"' not in page

    comment_round(None, versions()[1])  # and version 2's own comment period
    db.session.commit()
    assert post(client, "/c/PV1/plan/versions/2/adopt", page="/c/PV1/plan/versions/2").status_code == 302
    assert [v.status for v in versions()] == ["draft", "adopted"]
    assert post(client, "/c/PV1/plan/versions/1/adopt", page="/c/PV1/plan/versions/1").status_code == 302
    assert [v.status for v in versions()] == ["adopted", "superseded"]
    assert client.get("/c/PV1/plan/versions/3").status_code == 404
    untouched = client.post("/c/PV1/plan/edit", data=edit_form(client) | {"reason": "无"})
    assert untouched.status_code == 400 and len(versions()) == 2


def test_two_organisers_saving_a_version_at_once_lose_nothing_and_see_why(client, community, login_as,
                                                                         monkeypatch):
    """Another organiser's version 2 is written in the same moment: the UNIQUE (plan, number) refuses one of them,
    nothing of the refused save is kept, and the page says so instead of failing."""
    from participation.plans import operations, views
    login_as("organiser", community)
    adopt(client)
    data = edit_form(client)
    b01 = index_of(data, "B01")
    data.update({f"items-{b01}-quantity": "150", f"items-{b01}-reason": "复测", "reason": "复测"})
    real = operations.edit_version

    def raced(actor, plan, *args, **kwargs):
        made = real(actor, plan, *args, **kwargs)
        db.session.execute(insert(PlanVersion.__table__).values(   # the same number, as the other request wrote it
            plan_id=plan.id, number=made.number, status="draft", created_at=made.created_at))
        return made

    monkeypatch.setattr(views, "edit_version", raced)
    response = client.post("/c/PV1/plan/edit", data=data)
    assert response.status_code == 302 and response.location.endswith("/c/PV1/plan")
    assert [v.number for v in versions()] == [1]
    assert "您的修改未保存" in client.get("/c/PV1/plan").text


def test_edit_without_a_plan_goes_back_to_the_plan_page(client, community, login_as):
    login_as("organiser", community)
    response = client.get("/c/PV1/plan/edit")
    assert response.status_code == 302 and response.location.endswith("/c/PV1/plan")


# --- works ------------------------------------------------------------------------------------------------------

def test_works_progress(client, community, login_as):
    login_as("organiser", community)
    adopt(client)
    comment_round(None, versions()[0])  # the gates: the comment period before adopting, the joint review before works
    db.session.commit()
    post(client, "/c/PV1/plan/versions/1/adopt", page="/c/PV1/plan/versions/1")
    review_done(versions()[0])
    db.session.commit()
    page = client.get("/c/PV1/plan/works")
    assert page.status_code == 200 and 'id="work-B01"' in page.text and 'id="work-B02"' not in page.text
    future = (today() + timedelta(days=2)).isoformat()
    refused = post(client, "/c/PV1/plan/works", {"item": "B01", "status": "finished", "finished_on": future})
    assert refused.status_code == 400 and 'id="finished_on-B01-error"' in refused.text
    bad_date = post(client, "/c/PV1/plan/works", {"item": "B01", "status": "finished", "finished_on": "2024-13-45"})
    assert bad_date.status_code == 400
    not_in_plan = post(client, "/c/PV1/plan/works", {"item": "B02", "status": "in_progress"})
    assert not_in_plan.status_code == 400
    assert {w.status for w in db.session.scalars(select(PlanWork))} == {"not_started"}
    done = (today() - timedelta(days=1)).isoformat()
    saved = post(client, "/c/PV1/plan/works", {"item": "B01", "status": "finished", "finished_on": done})
    assert saved.status_code == 302
    work = db.session.scalar(select(PlanWork).join(CatalogueItem).where(CatalogueItem.code == "B01"))
    assert (work.status, work.finished_on.isoformat()) == ("finished", done)


def test_readers_follow_works_but_do_not_post(client, community, login_as, make_user):
    login_as("grid", community)
    assert client.get("/c/PV1/plan/works").status_code == 200
    token = csrf_token(client.get("/c/PV1/plan/notice").text)
    assert client.post("/c/PV1/plan/works", data={"csrf_token": token, "item": "B01",
                                                  "status": "in_progress"}).status_code == 403


# --- the notice -------------------------------------------------------------------------------------------------

def test_notice_suppresses_small_cells(client, community, login_as):
    login_as("organiser", community)
    empty = client.get("/c/PV1/plan/notice")
    assert empty.status_code == 200 and "<svg" in empty.text and "/r/PV1" in empty.text
    adopt(client)
    page = client.get("/c/PV1/plan/notice").text
    b01 = re.search(r'<tr id="notice-B01">(.*?)</tr>', page, re.S).group(1)
    i01 = re.search(r'<tr id="notice-I01">(.*?)</tr>', page, re.S).group(1)
    assert ">12<" in b01 and "75%" in b01                           # 12 households: shown
    assert "&lt;5" in i01 and "100%" not in i01 and ">3<" not in i01  # 3 households: hidden
    assert "楼道太暗" not in page                                     # comments stay on staff pages
    assert 'id="notice-B02"' not in page                             # only the items in the plan


# --- the downloads ------------------------------------------------------------------------------------------------

def test_downloads_render_the_same_inputs_and_are_audited(client, community, login_as):
    login_as("owner_rep", community)
    workbook = client.get("/c/PV1/plan.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert "attachment" in workbook.headers["Content-Disposition"]
    document = client.get("/c/PV1/plan.json")
    assert document.status_code == 200
    data = json.loads(document.data)
    assert data["community"]["code"] == "PV1"
    b01 = next(row for row in data["items"] if row["code"] == "B01")
    assert (b01["need_share"], b01["estimated_cost"]) == (0.75, 3000.0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "plan_inputs.export")) == 2
