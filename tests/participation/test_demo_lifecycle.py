"""The living demo (issue 15, point 9): placed relative to its day, deterministic given that day; communities at
different stages; the joint review's parties, agency accounts, a completed and an open review, a pipeline conflict."""
import json
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from participation.demo import clock
from participation.demo.jointreview import ACCOUNTS
from participation.extensions import db
from participation.formatting import beijing_today
from participation.models import AuditEvent, Community, PlanCommentPeriod, Ticket, User, Vote
from participation.models.jointreview import SPECIALITIES, JointReview, PipelineWork, ReviewParty
from participation.models.lifecycle import STAGES
from tests.conftest import empty_every_table

DAY = date(2026, 11, 20)


def seed(runner, day: date) -> dict:
    result = runner.invoke(args=["seed-demo", "--json", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return json.loads(result.stdout)


def timeline() -> dict:
    return {
        "tickets": sorted((t.description, t.received_at, t.state, t.due_at)
                          for t in db.session.scalars(select(Ticket))),
        "votes": sorted((v.title, v.opened_at, v.closes_at, v.status) for v in db.session.scalars(select(Vote))),
        "periods": sorted((p.opens_on, p.closes_on) for p in db.session.scalars(select(PlanCommentPeriod))),
    }


def test_the_demo_is_the_same_on_the_same_day_and_moves_with_the_day(runner):
    first = seed(runner, DAY)
    before = timeline()
    empty_every_table()
    assert seed(runner, DAY) == first
    assert timeline() == before
    empty_every_table()
    seed(runner, DAY + timedelta(days=7))
    later = timeline()
    week = timedelta(days=7)
    assert [(d, at + week) for d, at, _s, _due in before["tickets"]] == \
        [(d, at) for d, at, _s, _due in later["tickets"]]
    assert [(t, o + week, c + week) for t, o, c, _s in before["votes"]] == [(t, o, c) for t, o, c, _s in later["votes"]]
    assert [(o + week, c + week) for o, c in before["periods"]] == later["periods"]
    assert clock.today() == beijing_today()     # the command put the real today back after seeding


def test_demo_communities_are_at_different_stages_reached_through_the_gates(runner):
    """No gate was overridden to make the demo; the 维修资金 line came after its passed vote, through the gate."""
    from participation.models import AuditEvent, CommunityBudget
    from participation.models.lifecycle import GateOverride
    seed(runner, DAY)
    stages = {c.code: c.status for c in db.session.scalars(select(Community))}
    assert stages == {"NG001": "works", "NG002": "needs", "NG003": "joint_review", "NG004": "reserve"}
    assert set(stages.values()) <= set(STAGES)
    assert db.session.scalars(select(GateOverride)).all() == []
    funds = {b.community.code: b.maintenance_fund for b in db.session.scalars(select(CommunityBudget))}
    assert funds["NG001"] > 0 and funds["NG003"] is None
    fund_vote = db.session.scalar(select(Vote).where(Vote.matter == 5))
    entered = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "community_budget.update"))
    assert fund_vote.result_passed and entered is not None


def test_demo_joint_review_parties_accounts_reviews_and_a_conflict(runner):
    data = seed(runner, DAY)
    parties = db.session.scalars(select(ReviewParty)).all()
    organisations = [party.organisation for party in parties]
    assert Counter(o.kind for o in organisations) == {"department": 3, "pipeline": 5}
    assert {o.speciality for o in organisations} == set(SPECIALITIES)
    assert len({party.locality_id for party in parties}) == 1

    printed = {u["username"]: u for u in data["users"]}
    for speciality, (username, password, _name) in ACCOUNTS.items():
        assert printed[username] == {"role": "agency", "username": username, "password": password}
        user = db.session.scalar(select(User).filter_by(username=username))
        assert user.organisation.speciality == speciality and user.organisation in organisations

    reviews = {r.version.plan.community.code: r for r in db.session.scalars(select(JointReview))}
    assert set(reviews) == {"NG001", "NG003"}
    done, running = reviews["NG001"], reviews["NG003"]
    assert done.closed_at is not None and running.closed_at is None
    # through the operations: each party signed with its own agency account, the close passed the works gate
    assert all(s.by.role == "agency" and s.by.organisation_id == s.organisation_id
               for s in done.signoffs + running.signoffs)
    closing = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "joint_review.close"))
    assert closing is not None and closing.detail["overridden"] is False
    assert len(done.parties) == len(running.parties) == len(parties)
    included = [item for item in running.version.items if item.included]
    returned = [s for s in running.signoffs if s.decision == "returned"]
    assert len(returned) == 1 and returned[0].comment and returned[0].organisation.speciality == "heating"
    signed = Counter(s.organisation_id for s in running.signoffs)
    assert any(count == len(included) for count in signed.values())     # some parties signed every item
    assert len(signed) < len(running.parties)                           # some have not answered yet
    assert all(s.at <= clock_eve() for s in running.signoffs)
    assert running.version.status == "adopted" and running.opened_at > running.version.adopted_at

    works = db.session.scalars(select(PipelineWork)).all()
    conflicts = [(a, b) for a in works for b in works if a.id < b.id and a.community_id == b.community_id
                 and (a.building_id, a.place) == (b.building_id, b.place)
                 and a.starts_on <= b.ends_on and b.starts_on <= a.ends_on]
    assert len(conflicts) == 1 and conflicts[0][0].community.code == "NG003"
    assert {w.organisation.kind for w in works} == {"pipeline"}


def clock_eve():
    clock.set_today(DAY)
    try:
        return clock.at(0, 0)
    finally:
        clock.set_today(None)


def test_the_demo_clock_reads_option_then_environment_then_today(monkeypatch):
    from datetime import datetime, timezone
    from types import SimpleNamespace
    monkeypatch.setenv(clock.ENV, "2026-03-01")
    assert clock.today() == date(2026, 3, 1) and clock.day(-1) == date(2026, 2, 28)
    assert clock.at(-1, 18) == datetime(2026, 2, 28, 10, tzinfo=timezone.utc)      # 18:00 in Beijing
    clock.set_today(DAY)
    try:
        assert clock.today() == DAY
    finally:
        clock.set_today(None)
    assert clock.today() == date(2026, 3, 1)
    monkeypatch.delenv(clock.ENV)
    assert clock.today() == beijing_today()
    module = SimpleNamespace(utcnow=lambda: "real", today=lambda: "real today")
    with clock.fixed_clock(module, now=datetime(2026, 3, 1, 17, tzinfo=timezone.utc)) as now:
        assert module.utcnow() == now.now and module.today() == date(2026, 3, 2)     # 01:00 the next day there
    assert (module.utcnow(), module.today()) == ("real", "real today")
