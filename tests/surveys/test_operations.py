"""save_response and response_values: drafts, submissions, edits with history, receipts, closed surveys, consent,
assisted channels, and one response per household when requests race."""
import os
import re
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from participation.models.types import utcnow
from surveys.answering import operations
from surveys.answering.operations import ResponseConflict, response_values, revisions, save_response
from surveys.answering.structure import structure
from surveys.models import Answer, Response, ResponseRevision, SurveyStateError
from tests.surveys.test_answers import make_survey

ALL_TYPES = [
    ("p1", "one", "select_one", {"choices": [("a", "甲"), ("b", "乙")]}),
    ("p1", "many", "select_multiple", {"choices": [("a", "甲"), ("b", "乙"), ("c", "丙")]}),
    ("p1", "order", "rank", {"choices": [("a", "甲"), ("b", "乙"), ("c", "丙")]}),
    ("p1", "stars", "rating", {}),
    ("p2", "ok", "yes_no", {}),
    ("p2", "people", "integer", {}),
    ("p2", "area", "decimal", {}),
    ("p2", "words", "long_text", {}),
    ("p2", "tel", "phone", {}),
    ("p2", "when", "date", {}),
    ("p2", "health", "yes_no", {"sensitive": True}),
]
VALUES = {"one": "b", "many": ["a", "c"], "order": ["c", "a", "b"], "stars": 4, "ok": "yes", "people": 3,
          "area": Decimal("62.5"), "words": "楼道灯坏了\n请修", "tel": "13804311234", "when": date(2024, 5, 1)}


@pytest.fixture
def site(make_community):
    community = make_community("220102001", buildings=1, units=1, floors=2)
    survey = make_survey(community, ALL_TYPES)
    return community, survey, community.buildings[0].units[0].households[0]


def test_a_draft_gets_a_receipt_and_a_first_revision(site):
    _, survey, household = site
    response = save_response(None, survey, household, VALUES, channel="web", submit=False)
    assert re.fullmatch(r"R[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", response.receipt)
    assert (response.status, response.version, response.submitted_at, response.channel) == ("draft", 1, None, "web")
    assert response_values(response) == VALUES
    [revision] = revisions(response)
    assert revision.values["area"] == "62.5" and revision.values["when"] == "2024-05-01"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0   # a resident's own save: no staff


def test_answers_are_one_row_per_value(site):
    _, survey, household = site
    response = save_response(None, survey, household, VALUES, channel="web", submit=True)
    ranks = db.session.execute(select(Answer.choice, Answer.rank).join(Answer.question)
                               .where(Answer.response_id == response.id, Answer.rank.is_not(None))
                               .order_by(Answer.rank)).all()
    assert [tuple(row) for row in ranks] == [("c", 1), ("a", 2), ("b", 3)]
    assert len(response.answers) == 13   # 1 + 2 picks + 3 ranks + 7 single values


def test_submitting_then_editing_until_close_keeps_every_version(site):
    _, survey, household = site
    first = save_response(None, survey, household, VALUES, channel="web", submit=True)
    receipt, submitted_at = first.receipt, first.submitted_at
    assert first.status == "submitted" and submitted_at is not None
    edited = save_response(None, survey, household, {"one": "a"}, channel="web", submit=False)
    assert edited.id == first.id and edited.receipt == receipt
    assert (edited.status, edited.version, edited.submitted_at) == ("submitted", 2, submitted_at)
    assert response_values(edited) == {"one": "a"}
    assert next((r.version, r.values) for r in revisions(edited)) == (2, {"one": "a"})
    assert len(revisions(edited)) == 2
    survey.close()
    with pytest.raises(SurveyStateError):
        save_response(None, survey, household, VALUES, channel="web", submit=True)
    assert response_values(edited) == {"one": "a"}


def test_a_survey_past_its_closing_time_refuses_answers(site):
    _, survey, household = site
    survey.closes_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(SurveyStateError):
        save_response(None, survey, household, VALUES, channel="web", submit=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_drafts_and_other_communities_surveys_refuse_answers(site, make_community):
    community, survey, household = site
    draft = make_survey(community, ALL_TYPES, status="draft")
    with pytest.raises(SurveyStateError):
        save_response(None, draft, household, VALUES, channel="web", submit=False)
    stranger = make_community("220102002").buildings[0].units[0].households[0]
    with pytest.raises(SurveyStateError):
        save_response(None, survey, stranger, VALUES, channel="web", submit=False)


def test_assisted_entry_records_channel_staff_and_an_audit_row(site, make_user):
    community, survey, household = site
    grid = make_user("grid", buildings=[community.buildings[0]])
    save_response(None, survey, household, VALUES, channel="web", submit=False)
    response = save_response(grid, survey, household, VALUES, channel="paper", staff=grid, submit=True)
    assert (response.channel, response.staff_id, response.version) == ("paper", grid.id, 2)
    assert [(r.channel, r.staff_id) for r in revisions(response)] == [("paper", grid.id), ("web", None)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("survey_response.%")))
    assert (event.action, event.actor_id, event.channel) == ("survey_response.submit", grid.id, "paper")
    with pytest.raises(ValueError):
        save_response(grid, survey, household, VALUES, channel="hotline", submit=True)


def test_sensitive_consent_is_recorded_and_withdrawn(site):
    _, survey, household = site
    response = save_response(None, survey, household, {**VALUES, "health": "yes"}, channel="web", submit=True,
                             sensitive_consent=True)
    consent = response.sensitive_consent_at
    assert consent is not None and response_values(response)["health"] == "yes"
    again = save_response(None, survey, household, {**VALUES, "health": "no"}, channel="web", submit=True,
                          sensitive_consent=True)
    assert again.sensitive_consent_at == consent
    withdrawn = save_response(None, survey, household, VALUES, channel="web", submit=True)
    assert withdrawn.sensitive_consent_at is None and "health" not in response_values(withdrawn)


def test_losing_the_race_to_create_raises_a_conflict_and_leaves_the_session_usable(site, monkeypatch):
    _, survey, household = site
    winner = save_response(None, survey, household, VALUES, channel="web", submit=True)
    real_find = operations.find_response
    monkeypatch.setattr(operations, "find_response", lambda *args, **kwargs: None)   # as if it came in between
    with pytest.raises(ResponseConflict):
        save_response(None, survey, household, {"one": "a"}, channel="web", submit=True)
    monkeypatch.setattr(operations, "find_response", real_find)
    retried = save_response(None, survey, household, {"one": "a"}, channel="web", submit=True)
    db.session.commit()
    assert retried.id == winner.id and retried.version == 2
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_household_surveys_lists_open_and_closed_with_the_response(site):
    community, survey, household = site
    closed = make_survey(community, ALL_TYPES, status="closed")
    make_survey(community, ALL_TYPES, status="draft")
    response = save_response(None, survey, household, VALUES, channel="web", submit=True)
    listed = operations.household_surveys(household)
    assert {(s.id, r.id if r else None) for s, r in listed} == {(survey.id, response.id), (closed.id, None)}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="row-level concurrency is exercised on PostgreSQL (TEST_DATABASE_URL)")
def test_fifty_web_and_paper_submissions_racing_yield_one_response(app, site, make_user):
    community, survey, household = site
    grid = make_user("grid", buildings=[community.buildings[0]])
    db.session.commit()
    ids = survey.id, household.id, grid.id
    barrier = threading.Barrier(50)
    outcomes, failures = [], []

    def submit(n: int) -> None:
        from participation.models import Household, User
        from surveys.models import Survey
        barrier.wait()
        try:
            with app.app_context():
                survey_row, household_row = db.session.get(Survey, ids[0]), db.session.get(Household, ids[1])
                staff = db.session.get(User, ids[2]) if n % 2 else None
                channel = "paper" if n % 2 else "web"
                values = {"one": "a" if n % 2 else "b", "people": n}
                for last in (False, True):
                    try:
                        response = save_response(staff, survey_row, household_row, values, channel=channel,
                                                 staff=staff, submit=True)
                        break
                    except ResponseConflict:
                        if last:
                            raise
                db.session.commit()
                outcomes.append(response.id)
        except Exception as error:  # noqa: BLE001  (the assertion below shows what went wrong)
            failures.append(repr(error))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(set(outcomes)) == 1 and len(outcomes) == 50
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    response = db.session.scalar(select(Response))
    assert response.version == 50
    assert db.session.scalar(select(func.count()).select_from(ResponseRevision)) == 50
    assert len(response_values(response)) == 2


def test_an_open_surveys_structure_is_read_once_and_a_drafts_every_time(site, make_community):
    _community, survey, _household = site
    shape = structure(survey)
    assert shape is structure(survey) and shape is not survey
    assert [q.name for q in shape.questions] == [name for _page, name, _type, _fields in ALL_TYPES]
    assert [c.name for c in next(q for q in shape.questions if q.name == "order").choices] == ["a", "b", "c"]
    with pytest.raises(TypeError):
        shape.questions[0].settings["top_n"] = 1   # shared between requests: read-only
    draft = make_survey(make_community("220102002"), ALL_TYPES, status="draft")
    assert structure(draft) is draft   # the builder may still change it
    survey.updated_at = utcnow() + timedelta(seconds=1)
    db.session.flush()
    assert structure(survey) is not shape   # another version of the row is read again


def test_a_save_that_fails_after_its_response_row_keeps_nothing(site, monkeypatch):
    """The first save of a household inserts its response, then its answers, in one transaction: when the answers
    fail, rolling back leaves no response behind (with a savepoint, SQLite's driver committed the row alone)."""
    _, survey, household = site
    db.session.commit()          # the fixture's rows are in; the save starts a transaction of its own

    def broken(*args, **kwargs):
        raise RuntimeError("the answers could not be written")
    monkeypatch.setattr(operations, "_replace_answers", broken)
    with pytest.raises(RuntimeError):
        save_response(None, survey, household, VALUES, channel="web", submit=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
