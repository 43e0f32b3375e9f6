"""Residents see a closed survey's results only when organisers chose "after close", aggregated, under 5 hidden."""
import pytest

from participation.extensions import db
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from surveys.results.summaries import survey_summaries
from surveys.views.resident_results import SHOWN_TYPES
from tests.conftest import csrf_token
from tests.surveys.results_support import build_world


@pytest.fixture
def world(app, reference_data):
    world = build_world("RR01")
    household = world.households[0]
    household.notice_accepted_at = utcnow()
    world.code = issue_code(None, household)
    world.household = household
    world.survey.status = "closed"
    world.survey.results_visibility = "after_close"
    db.session.commit()
    return world


@pytest.fixture
def resident(client, world):
    page = client.get("/r/RR01")
    client.post("/r/RR01", data={"code": world.code, "csrf_token": csrf_token(page.text)})
    return client


def test_results_after_close_are_aggregated_and_suppressed(resident, world):
    response = resident.get(f"/s/{world.survey.id}/results")
    assert response.status_code == 200
    html = response.text
    assert "调查结果" in html or "结果" in html
    assert "<progress" in html
    assert "plotly" not in html                      # resident pages stay light
    staff_view = [s for s in survey_summaries(world.survey, suppress=False) if s["type"] in SHOWN_TYPES]
    small = [count for summary in staff_view for count in summary["absolute"] if 0 < count < 5]
    assert small, "the fixture should hold some small cells"
    assert "&lt;5" in html                           # every count under 5 is hidden from residents
    for summary in staff_view:
        assert summary["title"] in html
    home = resident.get("/home").text
    assert f"/s/{world.survey.id}/results" in home


@pytest.mark.parametrize("change", ["never", "open"])
def test_results_hidden_unless_closed_and_chosen(resident, world, change):
    if change == "never":
        world.survey.results_visibility = "never"
    else:
        world.survey.status = "open"
        world.survey.closes_at = None
    db.session.commit()
    assert resident.get(f"/s/{world.survey.id}/results").status_code == 404


def test_other_communities_and_visitors_see_nothing(client, world, make_community):
    assert client.get(f"/s/{world.survey.id}/results").status_code == 302   # nobody entered: to the start page
    other = make_community("RR02")
    household = other.buildings[0].units[0].households[0]
    household.notice_accepted_at = utcnow()
    code = issue_code(None, household)
    db.session.commit()
    page = client.get("/r/RR02")
    client.post("/r/RR02", data={"code": code, "csrf_token": csrf_token(page.text)})
    assert client.get(f"/s/{world.survey.id}/results").status_code == 404
