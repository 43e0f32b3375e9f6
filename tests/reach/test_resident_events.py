"""What residents are told about surveys (issue 16 point 4): the opening to every household of the community, by
the web button, the CLI and a scheduled opening; reminders to the follow-up list's households, at most N, never to
those who answered, never twice for one window; one pass for a whole community. Votes and elevators:
tests/reach/test_resident_votes.py."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from participation.extensions import db
from participation.models import Delivery, Household, Notification
from participation.models.types import utcnow
from participation.reach.words import closing_day, short_title
from surveys import reminders
from surveys.builder.operations import create_survey, open_survey
from surveys.builder.questions import add_question
from surveys.models import Response, SurveyStateError

PARAMS = {"community", "title", "deadline"}


def make_survey(actor, community, *, title="小区改造需求调查：楼道、屋面、管网和加装电梯", closes_in=timedelta(days=10),
                opens_at=None):
    survey = create_survey(actor, community, {"title": {"zh": title}, "closes_at": utcnow() + closes_in,
                                              "opens_at": opens_at})
    add_question(actor, survey, survey.sections[0], {"name": "q1", "type": "text", "label": {"zh": "您的意见"}})
    return survey


def messages(kind, **where):
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.household_id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query).all()


def households_of(community) -> list[Household]:
    return [h for building in community.buildings for unit in building.units for h in unit.households]


def answer(survey, household, status="submitted"):
    db.session.add(Response(survey=survey, household=household, status=status, receipt=f"T{survey.id}-{household.id}",
                            channel="web", submitted_at=utcnow() if status == "submitted" else None))
    db.session.flush()


@pytest.fixture
def world(make_community, make_user):
    community = make_community("NS01", buildings=2, units=1, floors=2, per_floor=2)
    other = make_community("NS02", buildings=1, units=1, floors=1, per_floor=2)
    organiser = make_user("organiser", communities=[community, other])
    households_of(community)[0].phone = None          # one household without a phone: in-app only
    db.session.commit()
    return community, other, organiser


# --- the opening -------------------------------------------------------------------------------------------------

def test_opening_tells_every_household_of_the_community_and_nobody_else(world):
    community, other, organiser = world
    survey = make_survey(organiser, community)
    open_survey(organiser, survey)
    db.session.commit()
    told = messages("survey.opened")
    assert sorted(m.household_id for m in told) == sorted(h.id for h in households_of(community))
    assert all(m.community_id == community.id for m in told)
    for message in told:
        assert set(message.params) == PARAMS
        assert message.params["community"] == community.name
        assert message.params["title"] == short_title(survey.label("zh")) and len(message.params["title"]) <= 20
        assert message.params["deadline"] == closing_day(survey.closes_at)
        assert message.link == f"/s/{survey.id}"
        assert survey.label("zh") in message.text                  # the in-app text has the whole title
    phones = {h.id: h.phone for h in households_of(community)}
    for message in told:
        phone = phones[message.household_id]
        assert not phone or all(phone not in value for value in message.params.values())
        sms = [d for d in message.deliveries if d.channel == "sms"]
        assert len(sms) == (1 if phones[message.household_id] else 0)
        assert all(d.state == "pending" and d.community_id == community.id for d in sms)


def test_opening_twice_is_refused_and_writes_nothing_new(world):
    community, _other, organiser = world
    survey = make_survey(organiser, community)
    open_survey(organiser, survey)
    db.session.commit()
    count = len(messages("survey.opened"))
    with pytest.raises(SurveyStateError):
        open_survey(organiser, survey)
    db.session.rollback()
    assert reminders.tell_due_openings() == 0                       # the job sees it was told
    db.session.commit()
    assert len(messages("survey.opened")) == count == len(households_of(community))


def test_the_cli_open_command_tells_the_households(world, runner):
    community, _other, organiser = world
    survey = make_survey(organiser, community)
    db.session.commit()
    result = runner.invoke(args=["surveys", "open", str(survey.id)])
    assert result.exit_code == 0, result.output
    assert len(messages("survey.opened")) == len(households_of(community))


def test_a_scheduled_opening_is_told_when_it_comes_and_once(world):
    community, _other, organiser = world
    now = utcnow()
    survey = make_survey(organiser, community, opens_at=now + timedelta(hours=5))
    open_survey(organiser, survey, now)
    db.session.commit()
    assert messages("survey.opened") == []                          # open, but not before its opening time
    assert reminders.tell_due_openings(now + timedelta(hours=1)) == 0
    assert reminders.tell_due_openings(now + timedelta(hours=6)) == len(households_of(community))
    db.session.commit()
    assert reminders.tell_due_openings(now + timedelta(hours=7)) == 0
    assert len(messages("survey.opened")) == len(households_of(community))


def test_an_old_open_survey_is_not_announced_out_of_the_blue(world):
    community, _other, organiser = world
    survey = make_survey(organiser, community)
    survey.open(utcnow() - timedelta(days=5))                        # opened before messages existed
    db.session.commit()
    assert reminders.tell_due_openings() == 0


def test_the_deadline_is_the_last_day_in_beijing():
    beijing_midnight = datetime(2026, 12, 20, 16, 0, tzinfo=timezone.utc)      # 12-21 00:00 in Beijing
    assert closing_day(beijing_midnight) == "12月20日"
    assert closing_day(datetime(2026, 12, 20, 15, 0, tzinfo=timezone.utc)) == "12月20日"   # 23:00 Beijing
    assert closing_day(datetime(2026, 12, 20, 17, 0, tzinfo=timezone.utc)) == "12月21日"   # 01:00 Beijing
    assert short_title("一" * 25) == "一" * 19 + "…" and short_title("短") == "短"


# --- reminders ---------------------------------------------------------------------------------------------------

@pytest.fixture
def running(world):
    """An open survey closing in 5 days: the first household answered, the second has a draft, the third is
    vacant; the other community's households are not in it."""
    community, other, organiser = world
    survey = make_survey(organiser, community, closes_in=timedelta(days=5))
    open_survey(organiser, survey)
    first, second, third, *_rest = households_of(community)
    answer(survey, first)
    answer(survey, second, status="draft")
    third.occupancy = "vacant"
    db.session.commit()
    return survey, community, organiser, [h for h in households_of(community) if h not in (first, third)]


def reminded_ids(survey):
    return sorted(m.household_id for m in messages("survey.reminder"))


def test_reminders_go_at_3_and_1_days_left_to_the_silent_households_only(running):
    survey, community, _organiser, silent = running
    now = utcnow()
    assert reminders.send_reminders(now) == 0                         # 5 days left: nothing yet
    assert reminders.send_reminders(now + timedelta(days=2, hours=1)) == len(silent)
    db.session.commit()
    assert reminded_ids(survey) == sorted(h.id for h in silent)       # the draft is not an answer; vacant skipped
    assert reminders.send_reminders(now + timedelta(days=3)) == 0     # the same window again: nothing new
    assert reminders.send_reminders(now + timedelta(days=4, hours=1)) == len(silent)
    db.session.commit()
    assert reminders.send_reminders(now + timedelta(days=4, hours=2)) == 0
    keys = {m.dedupe_key for m in messages("survey.reminder")}
    assert keys == {f"survey.reminder:{survey.id}:{h.id}:{n}" for h in silent for n in (1, 2)}
    for message in messages("survey.reminder"):
        assert set(message.params) == PARAMS and message.community_id == community.id


def test_a_household_that_answers_is_not_reminded_again(running):
    survey, _community, _organiser, silent = running
    now = utcnow()
    reminders.send_reminders(now + timedelta(days=2, hours=1))
    answer(survey, silent[-1])
    db.session.commit()
    reminders.send_reminders(now + timedelta(days=4, hours=1))
    db.session.commit()
    counts = dict(db.session.execute(select(Notification.household_id, func.count()).where(
        Notification.kind == "survey.reminder").group_by(Notification.household_id)).all())
    assert counts[silent[-1].id] == 1 and counts[silent[0].id] == 2


def test_at_most_n_reminders_whoever_sends_them(app, running):
    survey, _community, organiser, silent = running
    app.config["SURVEY_REMINDERS_MAX"] = 1
    try:
        assert reminders.remind_now(organiser, survey) == len(silent)          # the organiser's button
        db.session.commit()
        assert reminders.remind_now(organiser, survey) == 0
        assert reminders.send_reminders(utcnow() + timedelta(days=4, hours=1)) == 0   # the maximum is reached
    finally:
        app.config.pop("SURVEY_REMINDERS_MAX")
    assert reminded_ids(survey) == sorted(h.id for h in silent)


def test_the_button_waits_a_day_and_counts_against_the_maximum(running):
    survey, _community, organiser, silent = running
    now = utcnow()
    assert reminders.remind_now(organiser, survey, now) == len(silent)
    db.session.commit()
    assert reminders.remind_now(organiser, survey, now + timedelta(hours=3)) == 0       # not twice in a day
    assert reminders.send_reminders(now + timedelta(days=2, hours=1)) == len(silent)    # the second of two
    db.session.commit()
    assert reminders.send_reminders(now + timedelta(days=4, hours=1)) == 0             # N = 2 reached


def test_the_job_does_not_follow_the_button_within_hours(running):
    survey, _community, organiser, silent = running
    now = utcnow()
    survey.closes_at = now + timedelta(days=2)                        # inside the 3-day window already
    reminders.remind_now(organiser, survey, now)
    db.session.commit()
    assert reminders.send_reminders(now + timedelta(hours=1)) == 0
    assert reminders.send_reminders(now + timedelta(hours=13)) == len(silent)


def test_the_button_refuses_a_survey_that_is_not_open(world):
    community, _other, organiser = world
    survey = make_survey(organiser, community)
    with pytest.raises(SurveyStateError):
        reminders.remind_now(organiser, survey)


# --- one pass ----------------------------------------------------------------------------------------------------

def statements_to_open(app, make_user, community) -> list[str]:
    organiser = make_user("organiser", communities=[community])
    survey = make_survey(organiser, community)
    db.session.commit()
    seen = []

    def count(_connection, _cursor, statement, *_args):
        seen.append(statement.split("(")[0][:60])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        open_survey(organiser, survey)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_opening_for_many_households_costs_no_query_per_household(app, make_community, make_user):
    """The reads and updates do not grow with the households; the INSERTs are the ORM's flush of the outbox's rows
    (one per row on SQLite, batched on PostgreSQL)."""
    small = statements_to_open(app, make_user, make_community("NS10", buildings=1, units=1, floors=2, per_floor=2))
    large = statements_to_open(app, make_user, make_community("NS11", buildings=4, units=2, floors=6, per_floor=2))
    assert db.session.scalar(select(func.count(Notification.id))) == 4 + 96
    assert db.session.scalar(select(func.count(Delivery.id))) == 4 + 96
    reads = [[statement for statement in seen if not statement.startswith("INSERT")] for seen in (small, large)]
    assert len(reads[1]) == len(reads[0]) and len(reads[0]) < 12
