"""``flask --app app seed-demo``: the demo's shape, determinism, idempotency and refusal on real data."""
import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from participation.demo.complaints import SUPERVISOR_LOGIN
from participation.demo.jointreview import ACCOUNTS as REVIEW_ACCOUNTS
from participation.demo.seed import USERS
from participation.extensions import db
from participation.models import (ROLES, TICKET_STATES, AuditEvent, Building, Community, FieldFinding, Holiday,
                                  Household, HouseholdCode, Notification, Organisation, PatrolFinding, Ticket,
                                  TicketEvent, Unit, User)
from participation.roster import codes
from tests.conftest import empty_every_table

COUNTED = (Community, Building, Unit, Household, HouseholdCode, User, Organisation, FieldFinding, AuditEvent, Ticket,
           TicketEvent, PatrolFinding, Notification)



def seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    db.session.expire_all()
    return result


def seed_json(runner) -> dict:
    result = seed(runner, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def row_counts() -> dict:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_demo_on_an_empty_database_has_the_stated_shape(runner):
    data = seed_json(runner)
    assert set(data) == {"users", "households"}

    everyone = db.session.scalars(select(Community).order_by(Community.code)).all()
    assert len(everyone) == 4 and all(c.is_demo for c in everyone)
    reserve = everyone[3]           # 储备: listed, nothing surveyed yet
    assert (reserve.status, reserve.buildings, reserve.contractor) == ("reserve", [], None)
    communities = everyone[:3]
    for community in communities:
        assert community.district.name == "南关区" and community.district.locality.city == "长春市"
        assert "长春市南关区" in community.address
        assert len(community.hotlines) == 3
        assert (community.contractor.kind, community.supervisor.kind) == ("contractor", "supervisor")
        assert 8 <= len(community.buildings) <= 12
        households = [h for b in community.buildings for u in b.units for h in u.households]
        assert 270 <= len(households) <= 340
        occupancy = Counter(h.occupancy for h in households)
        assert occupancy["rented"] > 0 and occupancy["vacant"] > 0 and occupancy["owner_occupied"] > len(households) / 2
        for building in community.buildings:
            assert 2 <= len(building.units) <= 3
            for unit in building.units:
                per_floor = Counter(h.floor for h in unit.households)
                assert set(per_floor) in ({1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6, 7})
                assert set(per_floor.values()) == {2}
        for household in households:
            assert Decimal("45") <= household.area <= Decimal("95")
            assert household.area == household.area.quantize(Decimal("0.01"))
        assert len({h.area for h in households}) > 10

    # One owner holds two units: exactly one owner identifier appears on exactly two households.
    shared = db.session.execute(select(Household.owner_key, func.count()).group_by(Household.owner_key)
                                .having(func.count() > 1)).all()
    assert [count for _key, count in shared] == [2]

    # The field survey of the two communities with a plan: a mix of conditions, quantities where something needs work.
    findings = db.session.scalars(select(FieldFinding)).all()
    assert {f.community_id for f in findings} == {communities[0].id, communities[2].id}
    assert set(Counter(f.condition for f in findings)) == {"good", "needs_repair", "missing", "not_applicable"}
    assert all(f.quantity is not None and f.quantity > 0 for f in findings if f.needs_work)

    # One account per role, all demo, and more agency accounts: the supervisor (patrol findings), a department and a
    # pipeline company of the joint review; the grid worker covers some buildings, the agency is the contractor.
    assert [user["role"] for user in data["users"]] == [*ROLES, "agency", "agency", "agency"]
    # (every review party signs with its own agency account too; only two of those are printed)
    accounts = {u.role: u for u in db.session.scalars(select(User).where(User.username.in_(
        [USERS[role][0] for role in ROLES])))}
    assert set(accounts) == set(ROLES) and all(u.is_demo for u in accounts.values())
    assert 0 < len(accounts["grid"].buildings) < len(communities[0].buildings)
    assert accounts["agency"].organisation_id == communities[0].contractor_id
    supervisor = db.session.scalar(select(User).filter_by(username=SUPERVISOR_LOGIN[0]))
    assert supervisor.is_demo and supervisor.organisation_id == communities[0].supervisor_id
    for user in data["users"][:-3]:
        assert accounts[user["role"]].username == user["username"]
        assert accounts[user["role"]].check_password(user["password"])
    assert data["users"][-3]["username"] == SUPERVISOR_LOGIN[0] and supervisor.check_password(SUPERVISOR_LOGIN[1])
    for user, (speciality, login) in zip(data["users"][-2:], REVIEW_ACCOUNTS.items()):
        account = db.session.scalar(select(User).filter_by(username=user["username"]))
        assert user["username"] == login[0] and account.check_password(user["password"]) and account.is_demo
        assert account.role == "agency" and account.organisation.speciality == speciality
        assert account.organisation.kind == ("department" if speciality == "housing" else "pipeline")

    # Every printed code (plain, 9 characters) opens its own household, typed plainly or grouped.
    assert len(data["households"]) == db.session.scalar(select(func.count(Household.id)))
    for row in data["households"]:
        assert len(row["code"]) == codes.LENGTH and set(row["code"]) <= set(codes.ALPHABET)
        found = codes.find_by_code(row["community"], row["code"])
        assert found is not None
        household = found.household
        assert (household.community.code, household.unit.building.name, household.unit.name, household.room) == \
            (row["community"], row["building"], row["unit"], row["room"])
    first = data["households"][0]
    assert codes.find_by_code(first["community"], codes.display(first["code"]).lower()) is not None


def test_demo_complaints_cover_every_state(runner):
    """About 40 tickets through the real lifecycle, in every state, some overdue on the eve of the demo's today,
    some called back; patrol findings of both sources that count in no rate. Placed relative to the demo's today
    (fixed here, a day chinese-calendar knows), reaching back about five weeks, none later than that eve."""
    from datetime import timedelta

    from participation.demo import clock
    assert seed(runner, "--json", "--today", "2026-11-20").exit_code == 0
    clock.set_today(date(2026, 11, 20))
    eve = clock.at(-1, 18)
    clock.set_today(None)
    tickets = db.session.scalars(select(Ticket)).all()
    assert 35 <= len(tickets) <= 45
    assert {t.state for t in tickets} == set(TICKET_STATES)
    assert sum(1 for t in tickets if t.is_open and t.due_at < eve) >= 3
    assert sum(1 for t in tickets if t.is_open and t.due_at >= eve) >= 3     # a queue that is not all overdue
    assert all(e.at <= eve for t in tickets for e in t.events)
    assert eve - min(t.received_at for t in tickets) > timedelta(weeks=4)
    assert eve - max(t.received_at for t in tickets) < timedelta(days=1)
    called_back = [t for t in tickets if t.satisfaction is not None]
    assert len(called_back) >= 5 and {t.satisfaction for t in called_back} == {"satisfied", "basically_satisfied",
                                                                                 "dissatisfied"}
    assert any(t.reopened for t in tickets) and any(t.callback_attempts == 3 for t in tickets)
    assert all(t.received_at <= e.at for t in tickets for e in t.events)
    findings = db.session.scalars(select(PatrolFinding)).all()
    assert {f.source for f in findings} == {"supervisor", "resident_supervisor"} and len(findings) >= 5
    assert {t.channel for t in tickets} >= {"web", "hotline_12345", "community_hotline", "walk_in"}
    # the holiday table is seeded, so the demo's working-day deadlines are not estimates
    assert db.session.get(Holiday, date(2025, 10, 1)).kind == "holiday"
    assert db.session.get(Holiday, date(2025, 9, 28)).kind == "workday"      # the 调休 Sunday before 国庆
    assert not any(t.due_estimated for t in tickets)


def test_without_json_prints_a_short_summary(runner):
    result = seed(runner)
    assert result.exit_code == 0, result.output
    assert "4 communities" in result.output and "/r/NG001" in result.output and "NG004" in result.output
    assert "demo-organiser / demo-organiser-2025" in result.output


def test_the_demo_plan_costs_what_changchun_spends_per_household(runner):
    """DESIGN §3's anchor: 长春 2021–2025 invested about 2.1万–2.9万元 per household; the demo's plan inputs land in
    the 1万–4万 band the flags accept, with 2025's elevator subsidy applied."""
    from participation.plans.inputs import plan_inputs
    result = seed(runner)
    assert result.exit_code == 0, result.output
    budget = plan_inputs(db.session.scalar(select(Community).filter_by(code="NG001")))["budget"]
    assert Decimal("10000") <= budget["cost_per_household"] <= Decimal("40000")
    assert f"{budget['cost_per_household']:,.2f} yuan per household" in result.output
    assert budget["elevator_subsidy_configured"] and budget["funding"]["elevator_subsidy"] > 0


def wipe_database():
    empty_every_table()


def test_same_output_on_every_fresh_database(runner):
    first = seed_json(runner)
    wipe_database()
    assert seed_json(runner) == first


def test_second_run_changes_nothing_and_leaves_out_codes_changed_since(runner):
    first = seed_json(runner)
    counts = row_counts()
    assert seed_json(runner) == first
    assert row_counts() == counts

    # Staff regenerate one code and change one password: the seed cannot know the new ones, so it omits them.
    target = first["households"][5]
    household = codes.find_by_code(target["community"], target["code"]).household
    codes.issue_code(None, household)
    organiser = db.session.scalar(select(User).filter_by(role="organiser"))
    organiser.set_password("a-new-secret-password")
    db.session.commit()
    result = seed(runner, "--json")
    assert result.exit_code == 0
    third = json.loads(result.stdout)
    assert third["households"] == [row for row in first["households"] if row != target]
    assert [u["role"] for u in third["users"]] == [r for r in ROLES if r != "organiser"] + ["agency"] * 3
    assert "not printed" in result.stderr


@pytest.mark.parametrize("what", ["community", "user"])
def test_refuses_a_database_with_other_data_and_changes_nothing(runner, make_user, what):
    if what == "user":
        make_user("admin", username="real-admin")
    else:
        from participation.models import District, Locality
        locality = Locality(province="吉林省", city="长春市")
        db.session.add(Community(code="REAL1", name="真实小区", district=District(locality=locality, name="朝阳区")))
    db.session.commit()
    before = row_counts()
    result = seed(runner, "--json")
    assert result.exit_code != 0
    assert "not demo data" in result.output
    assert result.stdout == ""
    assert row_counts() == before


def test_demo_participation_comment_period_acceptance_and_a_final_vote(runner):
    """NG001's plan in the gates' order: the parking vote failed and its item is left out of the adopted version,
    whose comment period closed (every objection answered) before adoption; the maintenance-fund vote was final
    before it; the joint review closed before any works started; works finished and in progress, all in the past;
    version 3 open for comment now (one hidden with its reason, answered and unanswered objections); a failed
    rating whose 整改 ticket was worked to completion, a passed re-rating, a record signed by all three, and a round
    open now. A second run adds nothing of it."""
    from participation.models import (AcceptanceRating, AcceptanceRecord, Ballot, PlanComment, PlanCommentPeriod,
                                      PlanVersion, PlanWork, RatingResponse, Vote, VoteObjection)
    from participation.models.jointreview import JointReview
    from participation.models.types import utcnow
    from participation.plans import comments as plan_comments
    from participation.plans.operations import today
    from participation.votes import operations as votes
    seed_json(runner)
    assert votes.utcnow is utcnow and plan_comments.today is today     # the demo's fixed clocks were put back
    community = db.session.scalar(select(Community).filter_by(code="NG001"))

    parking = db.session.scalar(select(Vote).where(Vote.matter == 8))
    assert parking.status == "final" and votes.tally(parking)["quorum_met"] and not votes.tally(parking)["passed"]
    assert [item.code for item in parking.items] == ["I06"]
    adopted = db.session.scalar(select(PlanVersion).where(PlanVersion.status == "adopted",
                                                         PlanVersion.plan.has(community_id=community.id)))
    assert adopted.number == 3
    by_code = {item.item.code: item for item in adopted.items}
    assert not by_code["I06"].included and "未通过" in by_code["I06"].change_reason
    assert parking.finalised_at < adopted.created_at
    assert adopted.adopted_at > parking.finalised_at
    fund = db.session.scalar(select(Vote).where(Vote.matter == 5))
    assert fund.finalised_at < adopted.adopted_at
    closed = plan_comments.period_for(adopted)
    assert closed.closed_at is not None and closed.closed_at < adopted.adopted_at
    objections = [c for c in closed.comments if c.stance == "object"]
    assert objections and all(c.answer and c.answered_at < adopted.adopted_at for c in objections)
    review = db.session.scalar(select(JointReview).where(JointReview.version_id == adopted.id))
    assert review.closed_at is not None and adopted.adopted_at < review.opened_at < review.closed_at
    included = [item for item in adopted.items if item.included]
    assert len(review.signoffs) == len(review.parties) * len(included) == 8 * len(included)
    assert {s.decision for s in review.signoffs} == {"approved"}
    works = db.session.scalars(select(PlanWork).where(PlanWork.plan_id == adopted.plan_id)).all()
    started = [w for w in works if w.started_on is not None]
    assert {w.status for w in works} == {"not_started", "in_progress", "finished"}
    assert all(review.closed_at.date() < w.started_on <= today() for w in started)
    assert all(w.finished_on <= today() for w in works if w.status == "finished")

    period = plan_comments.current_period(community)
    assert period.version.number == 4 and period.state(today()) == "open"
    assert 0 < (period.closes_on - today()).days <= 7
    comments = period.comments
    assert len(comments) >= 3 and {c.stance for c in comments} == {"support", "object", "other"}
    hidden = [c for c in comments if c.hidden]
    assert len(hidden) == 1 and hidden[0].hidden_reason and hidden[0].stance == "object"
    assert any(c.answer and c.answered_at for c in comments)
    assert any(c.stance == "object" and not c.answer for c in comments)     # an objection still to answer
    assert all(c.created_at <= utcnow() for c in comments)

    rounds = db.session.scalars(select(AcceptanceRating).order_by(AcceptanceRating.opens_at)).all()
    first, second, open_now = rounds
    assert open_now.is_open and open_now.subject != first.subject and open_now.opens_at < utcnow() < open_now.closes_at
    assert (first.number, first.status, first.result) == (1, "closed", "failed")
    assert first.ticket is not None and first.ticket.state in ("completed", "closed")
    assert first.ticket.agency_id == first.community.contractor_id
    assert [e.action for e in first.ticket.events][-3:] == ["sign", "reply", "complete"]
    assert (second.number, second.previous_id, second.result) == (2, first.id, "passed") and second.ticket is None
    assert second.opens_at > first.ticket.events[-1].at      # the re-rating follows the completed 整改
    assert first.responses * 2 >= first.eligible and second.responses * 2 >= second.eligible
    record = db.session.scalar(select(AcceptanceRecord))
    assert record.fully_signed and [s.subject for s in record.subjects] == [second.subject]
    assert (record.organiser.role, record.owner_rep.role, record.supervisor.role) == ("organiser", "owner_rep",
                                                                                      "agency")
    assert record.supervisor.organisation_id == record.community.supervisor_id

    vote = fund
    assert (vote.matter, vote.matter_class, vote.status, vote.scope) == (5, "ordinary", "final", "buildings")
    result = votes.tally(vote)
    assert result["quorum_met"] and result["passed"] and result["headcount_participating"] > 0
    assert vote.finalised_at >= vote.objection_until and vote.cosigned_at is not None
    assert all(objection.answer for objection in vote.objections) and vote.objections

    models = (PlanVersion, PlanCommentPeriod, PlanComment, AcceptanceRating, RatingResponse, AcceptanceRecord, Vote,
              Ballot, VoteObjection, Ticket, TicketEvent, AuditEvent)
    before = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
    seed_json(runner)
    assert {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models} == before


def test_demo_leaves_alone_a_plan_staff_made_in_an_older_demo_database(runner):
    """A demo seeded before the plan's story existed, where staff then made their own NG001 plan: a new seed adds
    no version, comment period or rating to it (the owner vote, which needs no plan, is still added)."""
    from sqlalchemy import update

    from participation.models import (AcceptanceRating, AcceptanceRecord, Plan, PlanCommentPeriod, PlanVersion,
                                      PlanWork, Vote)
    from participation.plans.inputs import plan_inputs
    from participation.plans.operations import adopt_suggestions
    from participation.models.jointreview import JointReview
    seed_json(runner)
    db.session.execute(delete(AcceptanceRecord))
    db.session.execute(update(AcceptanceRating).values(previous_id=None))
    for model in (AcceptanceRating, JointReview, PlanCommentPeriod, PlanWork, PlanVersion, Plan):
        for row in db.session.scalars(select(model)):
            db.session.delete(row)
        db.session.flush()
    db.session.commit()
    community = db.session.scalar(select(Community).filter_by(code="NG001"))
    organiser = db.session.scalar(select(User).filter_by(role="organiser"))
    adopt_suggestions(organiser, community, plan_inputs(community))
    db.session.commit()

    assert seed(runner).exit_code == 0
    mine = select(PlanVersion.id).join(Plan).where(Plan.community_id == community.id)
    assert db.session.scalar(select(func.count()).select_from(mine.subquery())) == 1
    periods = select(func.count(PlanCommentPeriod.id)).where(PlanCommentPeriod.version_id.in_(mine))
    assert db.session.scalar(periods) == 0
    assert db.session.scalar(select(func.count(AcceptanceRating.id))) == 0
    assert db.session.scalar(select(Vote.status).where(Vote.matter == 5)) == "final"


def test_demo_owners_verify_with_the_printed_id_tail(runner):
    """The JSON names each demo owner's fake ID tail; it verifies that owner (and a wrong one does not)."""
    from participation.roster.imports import id_tail_matches
    seeded = seed_json(runner)
    first = seeded["households"][0]
    household = db.session.scalar(
        select(Household).join(Unit).join(Building).join(Community)
        .where(Community.code == first["community"], Building.name == first["building"], Unit.name == first["unit"],
               Household.room == first["room"]))
    assert len(first["owner_id_tail"]) == 6 and first["owner_id_tail"].isdigit()
    assert id_tail_matches(household, first["community"], first["owner_id_tail"])
    wrong = f"{(int(first['owner_id_tail']) + 1) % 10 ** 6:06d}"
    assert not id_tail_matches(household, first["community"], wrong)


def test_demo_open_elevator_consent_vote_and_property_management_vote(runner):
    """NG001 has two votes open now (opened days ago, closing in days to come): an elevator consent vote scoped to
    one 单元 of building 5 or 6, linked to the 单元's request (started by one household, one shaft home marked), with
    paper ballots one owner short of the quorum and at least two owner-occupied households still to vote; and a
    property-management proposal with its mode and fee, with some paper ballots, far short of its quorum. A second
    run adds nothing of it."""
    from datetime import timedelta

    from participation.models import (AfterCareProposal, Ballot, BallotChange, ElevatorRequest, ElevatorShaftOwner,
                                      OwnerVerification, Vote)
    from participation.models.types import utcnow
    from participation.votes import operations as votes
    before_seed = utcnow()
    seeded = seed_json(runner)

    vote = db.session.scalar(select(Vote).where(Vote.matter == 7))
    assert (vote.status, vote.scope, vote.matter_class) == ("open", "unit", "special")
    assert vote.opened_at < before_seed - timedelta(days=2) and vote.closes_at > before_seed + timedelta(days=3)
    request = db.session.scalar(select(ElevatorRequest).where(ElevatorRequest.vote_id == vote.id))
    assert request.unit_id == vote.unit_id and request.status == "vote" and request.started_by is not None
    assert request.started_by.unit_id == vote.unit_id and request.unit.elevator_possible
    unit = request.unit
    assert unit.building.community.code == "NG001" and unit.building.name in ("5", "6")
    shaft = db.session.scalars(select(ElevatorShaftOwner).where(ElevatorShaftOwner.request_id == request.id)).all()
    assert len(shaft) == 1 and shaft[0].household.unit_id == unit.id
    ballots = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id)).all()
    owners = votes.electorate(vote)
    assert 1 <= len(ballots) < len(owners)
    assert {b.channel for b in ballots} == {"paper"} and all(b.household.unit_id == unit.id for b in ballots)
    voted = {b.owner for b in ballots}
    waiting = [h for h in unit.households if h.occupancy == "owner_occupied" and votes.owner_of(h) not in voted]
    assert len(waiting) >= 2
    result = votes.tally(vote)
    assert result["headcount_participating"] == len(ballots) and not result["quorum_met"]
    assert 3 * (result["headcount_participating"] + 1) >= 2 * result["headcount_total"]     # one owner short
    # the owners still to vote are printed with their codes and ID tails, for the browser journey
    printed = {(h["building"], h["unit"], h["room"]) for h in seeded["households"] if h["community"] == "NG001"}
    assert all((unit.building.name, unit.name, h.room) in printed for h in waiting)

    proposal = db.session.scalar(select(AfterCareProposal))
    assert proposal.mode in ("quasi", "professional") and proposal.fee == Decimal("0.50")
    care = proposal.vote
    assert (care.matter, care.scope, care.status) == (4, "community", "open")
    assert care.community.code == "NG001" and care.opened_at < before_seed < care.closes_at - timedelta(days=7)
    assert not votes.tally(care)["quorum_met"]
    paper = db.session.scalars(select(Ballot).where(Ballot.vote_id == care.id)).all()
    assert 1 <= len(paper) < len(votes.electorate(care)) and {b.channel for b in paper} == {"paper"}

    models = (Vote, Ballot, BallotChange, OwnerVerification, ElevatorRequest, ElevatorShaftOwner, AfterCareProposal,
              AuditEvent, Notification)
    counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
    assert seed_json(runner) == seeded
    assert {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models} == counts
