"""Survey lifecycle: draft → open → closed through the model's state methods, the automatic close, the CLI."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent
from participation.models.types import utcnow
from surveys.builder.operations import close_due_surveys, close_survey, create_survey, open_survey
from surveys.builder.questions import add_question
from surveys.models import Survey, SurveyStateError


def blank_survey(actor, community, title="测试问卷", **fields) -> Survey:
    survey = create_survey(actor, community, {"title": {"zh": title}, **fields})
    add_question(actor, survey, survey.sections[0], {"name": "q1", "type": "text", "label": {"zh": "您的意见"}})
    return survey


@pytest.fixture
def organiser(make_user, make_community):
    community = make_community(floors=1)
    return make_user("organiser", communities=[community]), community


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_open_then_close_records_times_and_audits(organiser):
    user, community = organiser
    survey = blank_survey(user, community)
    now = utcnow()
    open_survey(user, survey, now)
    assert survey.status == "open" and survey.opens_at == now and survey.is_accepting(now)
    close_survey(user, survey, now + timedelta(hours=1))
    assert survey.status == "closed" and survey.closes_at == now + timedelta(hours=1)
    assert actions()[-2:] == ["survey.open", "survey.close"]


@pytest.mark.parametrize("prepare, message", [
    ("open", "Only a draft survey can be opened."),
    ("closed", "Only a draft survey can be opened."),
    ("empty", "A survey needs at least one question before it opens."),
    ("past_close", "The closing time has already passed."),
    ("template", "A template cannot be opened; copy it to a community first."),
])
def test_opening_refuses_illegal_transitions(organiser, make_user, prepare, message):
    user, community = organiser
    if prepare == "template":
        survey = blank_survey(make_user("admin"), None)
    elif prepare == "empty":
        survey = create_survey(user, community, {"title": {"zh": "空问卷"}})
    else:
        survey = blank_survey(user, community)
    if prepare in ("open", "closed"):
        open_survey(user, survey)
    if prepare == "closed":
        close_survey(user, survey)
    if prepare == "past_close":
        survey.closes_at = utcnow() - timedelta(minutes=1)
    before = survey.status
    with pytest.raises(SurveyStateError, match=message):
        open_survey(user, survey)
    assert survey.status == before


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_closing_refuses_anything_but_open(organiser, state):
    user, community = organiser
    survey = blank_survey(user, community)
    if state == "closed":
        open_survey(user, survey)
        close_survey(user, survey)
    with pytest.raises(SurveyStateError, match="Only an open survey can be closed."):
        close_survey(user, survey)
    assert survey.status == state


def test_effective_status_follows_the_dates(organiser):
    user, community = organiser
    start = utcnow() + timedelta(days=1)
    survey = blank_survey(user, community, opens_at=start, closes_at=start + timedelta(days=7))
    open_survey(user, survey, utcnow())
    assert survey.effective_status(start - timedelta(hours=1)) == "draft"   # not yet open to residents
    assert survey.effective_status(start + timedelta(days=1)) == "open"
    assert survey.effective_status(start + timedelta(days=7)) == "closed"
    assert survey.status == "open"   # nothing written until the close is recorded


def test_close_due_closes_only_past_surveys_once(organiser, make_community):
    user, community = organiser
    now = utcnow()
    due = blank_survey(user, community, title="到期", closes_at=now + timedelta(days=2))
    later = blank_survey(user, community, title="未到期", closes_at=now + timedelta(days=20))
    open_survey(user, due, now)
    open_survey(user, later, now)
    db.session.commit()
    assert close_due_surveys(now + timedelta(days=1)) == []
    closed = close_due_surveys(now + timedelta(days=3))   # time travel: three days later
    assert [survey.id for survey in closed] == [due.id]
    assert due.status == "closed" and later.status == "open"
    assert close_due_surveys(now + timedelta(days=3)) == []   # idempotent
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.auto_close"))
    assert event.actor_id is None and event.object_id == str(due.id) and event.community_id == community.id


def test_cli_close_due_is_idempotent(organiser, runner):
    user, community = organiser
    survey = blank_survey(user, community, closes_at=utcnow() + timedelta(days=1))
    open_survey(user, survey, utcnow() - timedelta(days=2))   # opened two days ago …
    survey.closes_at = utcnow() - timedelta(seconds=1)         # … and due a moment ago
    db.session.commit()
    first = runner.invoke(args=["surveys", "close-due"])
    assert first.exit_code == 0, first.output
    assert f"closed {survey.id} 测试问卷" in first.output and "1 closed" in first.output
    second = runner.invoke(args=["surveys", "close-due"])
    assert second.exit_code == 0 and "0 closed" in second.output
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "closed"
    assert actions().count("survey.auto_close") == 1
