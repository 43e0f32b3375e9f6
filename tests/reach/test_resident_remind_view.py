"""The organiser's button "提醒未填写的住户" on a survey's follow-up page, and the periodic jobs of surveys and votes.
Both are wired by the lead (notes/resident_events.md); until then these tests skip, and run once they are."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Notification
from participation.models.types import utcnow
from participation.reach.queue import JOBS
from surveys.builder.operations import close_survey, open_survey
from tests.conftest import csrf_token
from tests.reach.test_resident_events import households_of, make_survey


@pytest.fixture(autouse=True)
def _wired(app):
    if "survey_results.remind" not in app.view_functions:
        pytest.skip("the follow-up page's reminder button is not wired yet (notes/resident_events.md)")


@pytest.fixture
def page(make_community, login_as):
    community = make_community("RV01", buildings=1, units=1, floors=2, per_floor=2)
    return community, login_as("organiser", community)


def reminders_written() -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "survey.reminder"))


def test_the_button_reminds_the_silent_households_once_a_day(client, page):
    community, organiser = page
    survey = make_survey(organiser, community)
    open_survey(organiser, survey)
    db.session.commit()
    url = f"/surveys/{survey.id}/follow-up"
    shown = client.get(url)
    assert shown.status_code == 200 and f"/surveys/{survey.id}/remind" in shown.text
    response = client.post(f"/surveys/{survey.id}/remind", data={"csrf_token": csrf_token(shown.text)})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert reminders_written() == len(households_of(community))
    again = client.post(f"/surveys/{survey.id}/remind", data={"csrf_token": csrf_token(client.get(url).text)},
                        follow_redirects=True)
    assert again.status_code == 200 and reminders_written() == len(households_of(community))
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "survey.remind")) == 2


def test_no_button_and_nothing_sent_once_the_survey_is_closed(client, page):
    community, organiser = page
    survey = make_survey(organiser, community)
    open_survey(organiser, survey)
    close_survey(organiser, survey)
    db.session.commit()
    shown = client.get(f"/surveys/{survey.id}/follow-up")
    assert f"/surveys/{survey.id}/remind" not in shown.text
    response = client.post(f"/surveys/{survey.id}/remind", data={"csrf_token": csrf_token(shown.text)},
                           follow_redirects=True)
    assert response.status_code == 200 and reminders_written() == 0


def test_a_post_without_its_token_changes_nothing(client, page):
    community, organiser = page
    survey = make_survey(organiser, community)
    open_survey(organiser, survey)
    db.session.commit()
    assert client.post(f"/surveys/{survey.id}/remind").status_code == 400
    assert reminders_written() == 0


def test_the_jobs_run_on_the_worker(app, page):
    community, organiser = page
    survey = make_survey(organiser, community, closes_in=timedelta(days=2))
    open_survey(organiser, survey)
    db.session.commit()
    jobs = app.extensions[JOBS]
    assert {"surveys.openings", "surveys.reminders", "votes.reminders"} <= set(jobs)
    jobs["surveys.reminders"]()                       # in the app's context; commits its own work
    assert reminders_written() == len(households_of(community))
    assert survey.closes_at > utcnow()
