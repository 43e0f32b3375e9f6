"""Owner votes (民法典第二百七十八条): electorate, verification, one ballot per owner, lifecycle, tallies."""
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Ballot, BallotChange, Household, OwnerVerification, Vote, VoteObjection
from participation.models.types import utcnow
from participation.roster.imports import id_tail_hash
from participation.votes.art278 import VoteRule
from participation.votes.ballots import cast_ballot, verify_owner
from participation.votes.operations import (VoteError, answer_objection, cancel, close_vote, cosign, create_vote,
                                            electorate, finalise, open_vote, record_objection, tally, visible_tally)

TAIL = "12345X"


def households_of(unit):
    return sorted(unit.households, key=lambda h: (h.floor, h.room))


@pytest.fixture
def unit_site(make_community, make_user):
    """One 单元 of 6 households (floors 1–3, 60.50 m² each) with owners' ID tails; the organiser who runs votes."""
    community = make_community("220102901", buildings=2, units=1, floors=3, per_floor=2)
    unit = community.buildings[0].units[0]
    for household in households_of(unit):
        household.owner_id_tail_hash = id_tail_hash(community.code, TAIL)
    organiser = make_user("organiser", communities=[community])
    db.session.flush()
    return community, unit, organiser


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def paper(vote, household, choice, staff):
    return cast_ballot(vote, household, choice, "paper", staff)


def test_electorate_counts_an_owner_of_several_units_once_with_summed_area(unit_site):
    """民法典第二百七十八条 and the SPC interpretation: 一个业主拥有数个专有部分的按一人计算, with the areas summed;
    ground-floor, rented and vacant units' owners are owners all the same."""
    community, unit, organiser = unit_site
    first, second, *rest = households_of(unit)
    first.owner_key = second.owner_key = "owner-A"
    second.area = Decimal("70.25")
    rest[0].occupancy, rest[1].occupancy = "rented", "vacant"
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    owners = electorate(vote)
    assert len(owners) == 5
    assert owners["owner-A"].area == Decimal("130.75")
    assert sorted(owners["owner-A"].household_ids) == sorted([first.id, second.id])
    assert first.floor == 1 and "owner-A" in owners   # ground floor in the denominator
    result = tally(vote)
    assert result["headcount_total"] == 5 and result["area_total"] == "372.75"


def test_a_multi_unit_owner_votes_once_whichever_unit_they_use(unit_site, make_user):
    """民法典第二百七十八条: one owner, one ballot — a second ballot through their other unit changes the first."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    first, second, *_rest = households_of(unit)
    first.owner_key = second.owner_key = "owner-A"
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    paper(vote, first, "yes", staff)
    verification = verify_owner(second, TAIL, vote=vote)
    cast_ballot(vote, second, "no", "web", verified=verification)
    assert count(Ballot) == 1
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.owner, ballot.choice, ballot.household_id) == ("owner-A", "no", second.id)
    changes = db.session.scalars(select(BallotChange).order_by(BallotChange.id)).all()
    assert [(c.old_choice, c.new_choice, c.channel) for c in changes] == [(None, "yes", "paper"), ("yes", "no", "web")]
    result = tally(vote)
    assert (result["headcount_participating"], result["area_participating"]) == (1, "121.00")


def test_ground_floor_owners_are_in_an_elevator_votes_denominator(unit_site, make_user):
    """民法典第二百七十八条第二款 (special, item 七 改建 — 加装电梯): owners on floors 1–2 count in the unit's
    headcount and area; their absence keeps participation below two thirds."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    upper = [h for h in households_of(unit) if h.floor == 3]
    for household in upper:
        paper(vote, household, "yes", staff)
    result = tally(vote)
    assert result["class"] == "special"
    assert (result["headcount_total"], result["headcount_participating"], result["headcount_yes"]) == (6, 2, 2)
    assert result["area_total"] == "363.00" and not result["quorum_met"] and not result["passed"]
    assert result["failed"] == ["quorum_area", "quorum_headcount"]


def test_quorum_and_three_quarters_met_with_equality_passes_the_elevator(unit_site, make_user):
    """民法典第二百七十八条第二款: 4 of 6 owners (⅔, equality) take part; 3 yes + 1 abstain is exactly ¾ — passes."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    households = households_of(unit)
    for household, choice in zip(households[2:], ("yes", "yes", "yes", "abstain")):
        paper(vote, household, choice, staff)
    result = tally(vote)
    assert result["quorum_met"] and result["passed"] and result["reasons"] == []
    assert (result["area_participating"], result["area_yes"]) == ("242.00", "181.50")


def test_an_ordinary_vote_at_exactly_half_fails(unit_site, make_user):
    """民法典第二百七十八条第二款: (四) 选聘物业 is ordinary — 过半数 is strictly more than half; 2 yes of 4 fails."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, open_now=True)
    for household, choice in zip(households_of(unit), ("yes", "yes", "no", "abstain")):
        paper(vote, household, choice, staff)
    result = tally(vote)
    assert result["class"] == "ordinary" and result["quorum_met"] and not result["passed"]
    with force_locale("en"):
        assert tally(vote)["reasons"][0].startswith("Yes by area is not more than half of the participating area")


def test_a_tenant_with_the_household_code_cannot_vote(unit_site):
    """民法典第二百七十八条: only owners decide; a tenant who knows the household code but not the owner's ID tail
    is refused with a clear message, and a wrong tail is refused and throttled."""
    community, unit, organiser = unit_site
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    household = households_of(unit)[0]
    household.occupancy = "rented"
    with force_locale("en"), pytest.raises(VoteError, match="Only the owner can vote"):
        cast_ballot(vote, household, "no", "web")
    for _attempt in range(5):
        with force_locale("en"), pytest.raises(VoteError, match="does not match"):
            verify_owner(household, "999999", vote=vote)
    with pytest.raises(VoteError):
        verify_owner(household, "999999", vote=vote)
    with force_locale("en"), pytest.raises(VoteError, match="Too many wrong tries"):
        verify_owner(household, TAIL, vote=vote)   # even the right tail waits out the back-off
    other = households_of(unit)[1]
    foreign = verify_owner(other, TAIL, vote=vote)
    with force_locale("en"), pytest.raises(VoteError, match="Only the owner"):
        cast_ballot(vote, household, "no", "web", verified=foreign)   # another owner's verification
    assert count(Ballot) == 0


def test_an_owner_verified_online_may_change_the_ballot_until_close(unit_site):
    """民法典第二百七十八条: owners may change their vote until close; the history keeps every cast."""
    community, unit, organiser = unit_site
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    household = households_of(unit)[0]
    verification = verify_owner(household, TAIL.lower(), vote=vote)
    for choice in ("no", "abstain", "yes"):
        cast_ballot(vote, household, choice, "web", verified=verification)
    ballot = db.session.scalar(select(Ballot))
    assert ballot.choice == "yes" and ballot.version == 3
    assert [c.new_choice for c in ballot.changes] == ["no", "abstain", "yes"]
    close_vote(organiser, vote)
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "no", "web", verified=verification)
    assert db.session.scalar(select(Ballot.choice)) == "yes" and count(BallotChange) == 3


def test_lifecycle_draft_open_preliminary_final_with_objections_and_cosign(unit_site, make_user):
    """民法典第二百七十八条 with the 询异公示 practice: the preliminary result is frozen at close, objections are
    answered, the owner representative co-signs, then the result is final."""
    community, unit, organiser = unit_site
    owner_rep = make_user("owner_rep", communities=[community])
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit)
    assert vote.status == "draft"
    open_vote(organiser, vote)
    for household in households_of(unit):
        paper(vote, household, "yes", staff)
    preliminary = close_vote(organiser, vote, objection_days=3)
    assert vote.status == "preliminary" and preliminary["passed"] and preliminary["status"] == "preliminary"
    households_of(unit)[0].area = Decimal("99.00")   # a roster change after close moves nothing
    db.session.flush()
    assert tally(vote)["area_total"] == "363.00"
    objection = record_objection(vote, "3楼的票是代签的", household=households_of(unit)[0])
    with pytest.raises(VoteError):
        finalise(organiser, vote)   # period not over
    vote.objection_until = utcnow() - timedelta(seconds=1)
    with pytest.raises(VoteError):
        finalise(organiser, vote)   # objection unanswered
    answer_objection(organiser, objection, "已电话核实，业主本人签字。")
    with pytest.raises(VoteError):
        finalise(organiser, vote)   # not co-signed
    with pytest.raises(VoteError):
        cosign(organiser, vote)     # only the owner representative
    cosign(owner_rep, vote)
    finalise(organiser, vote)
    assert vote.status == "final" and vote.result_passed and vote.cosigned_by_id == owner_rep.id
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"vote.create", "vote.open", "vote.ballot", "vote.close", "vote.objection", "vote.objection.answer",
            "vote.cosign", "vote.finalise"} <= actions


def test_lifecycle_refusals_change_nothing(unit_site, make_user):
    """民法典第二百七十八条: a refused step (voting on a draft, closing a draft, objecting while open, cancelling a
    final vote) leaves every row as it was."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    vote = create_vote(organiser, community, 5, "使用维修资金", scope="unit", unit=unit)
    db.session.commit()

    def snapshot():
        db.session.expire_all()
        return (db.session.get(Vote, vote.id).status, count(Ballot), count(BallotChange), count(VoteObjection),
                count(OwnerVerification), count(AuditEvent))

    before = snapshot()
    household = households_of(db.session.get(Vote, vote.id).unit)[0]
    refusals = [
        lambda: paper(vote, household, "yes", staff),
        lambda: close_vote(organiser, vote),
        lambda: record_objection(vote, "异议"),
        lambda: finalise(organiser, vote),
        lambda: cancel(organiser, vote, ""),
        lambda: create_vote(organiser, community, 10, "x"),
        lambda: create_vote(organiser, community, 7, "", scope="unit"),
        lambda: create_vote(organiser, community, 7, "x", scope="buildings", buildings=[]),
    ]
    for refused in refusals:
        with pytest.raises(VoteError):
            refused()
        db.session.rollback()
        assert snapshot() == before
    open_vote(organiser, vote)
    db.session.commit()
    with pytest.raises(VoteError):
        open_vote(organiser, vote)
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "maybe", "paper", staff)
    with force_locale("en"), pytest.raises(VoteError, match="staff"):
        cast_ballot(vote, household, "yes", "paper")
    other = make_community_household(community)
    with pytest.raises(VoteError):
        paper(vote, other, "yes", staff)   # outside the unit
    db.session.rollback()
    after = snapshot()
    assert after[0] == "open" and after[1:5] == before[1:5]
    cancel(organiser, vote, "方案调整")
    assert vote.status == "cancelled"
    with pytest.raises(VoteError):
        open_vote(organiser, vote)


def make_community_household(community) -> Household:
    return community.buildings[1].units[0].households[0]


def test_hidden_tallies_show_participation_only_until_close(unit_site, make_user):
    """民法典第二百七十八条: while a vote hides its tallies, everyone sees how many took part, not how they voted."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    admin = make_user("admin")
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, hide_tallies=True,
                       open_now=True)
    paper(vote, households_of(unit)[0], "yes", staff)
    shown = visible_tally(vote, admin)
    assert shown["hidden"] and shown["headcount_participating"] == 1 and shown["area_participating"] == "60.50"
    assert not {"area_yes", "headcount_yes", "passed", "quorum_met", "reasons"} & set(shown)
    close_vote(organiser, vote)
    shown = visible_tally(vote, admin)
    assert not shown["hidden"] and shown["headcount_yes"] == 1


def test_a_locality_rule_is_kept_with_the_vote_and_shown_with_its_source(unit_site, make_user):
    """民法典第二百七十八条 plus a city's stricter elevator rule (90 % of all owners): ¾ of participants is not
    enough; the tally names the rule's source."""
    community, unit, organiser = unit_site
    staff = make_user("organiser", communities=[community])   # paper: organisers only (DESIGN §4)
    rule = VoteRule(9, 10, "all", source="某市既有住宅加装电梯实施办法第八条")
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, rule=rule, open_now=True)
    for household, choice in zip(households_of(unit), ("yes",) * 5 + ("no",)):
        paper(vote, household, choice, staff)
    result = tally(vote)
    assert not result["passed"] and result["rule"] == {"text": "9/10 all", "source": rule.source, "locality": True}
    assert result["failed"] == ["yes_area", "yes_headcount"]


def test_scope_of_buildings_and_community(unit_site):
    """民法典第二百七十八条: a vote's scope — the whole community or some buildings — sets its denominators."""
    community, _unit, organiser = unit_site
    whole = create_vote(organiser, community, 4, "物业", open_now=True)
    some = create_vote(organiser, community, 4, "物业", scope="buildings", buildings=[community.buildings[1]],
                       open_now=True)
    assert tally(whole)["headcount_total"] == 12 and tally(some)["headcount_total"] == 6


def test_two_hundred_concurrent_ballots_of_one_owner_store_exactly_one(app, unit_site, make_user):
    """民法典第二百七十八条 / DESIGN §9: one owner, one ballot — 200 casts at once from the web and in person (each
    thread its own app context and session; SQLite on a shared file, or PostgreSQL) end with one ballot row and
    200 history rows. (Issue 12: a paper entry no longer replaces the owner's own web ballot, so the staff casts are
    in person, each with its own check of the owner's ID tail.)"""
    community, unit, organiser = unit_site
    staff = make_user("grid", buildings=[community.buildings[0]])
    household = households_of(unit)[0]
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    verification = verify_owner(household, TAIL, vote=vote)
    threads_n = 200
    checks = [verify_owner(household, TAIL, vote=vote, staff=staff).id for _n in range(threads_n)]
    db.session.commit()
    ids = vote.id, household.id, staff.id, verification.id
    barrier = threading.Barrier(threads_n)
    failures = []

    def cast(n: int) -> None:
        from participation.models import User
        barrier.wait()
        try:
            with app.app_context():
                vote_row, household_row = db.session.get(Vote, ids[0]), db.session.get(Household, ids[1])
                choice = ("yes", "no", "abstain")[n % 3]
                if n % 2:
                    cast_ballot(vote_row, household_row, choice, "in_person", db.session.get(User, ids[2]),
                                verified=db.session.get(OwnerVerification, checks[n]))
                else:
                    cast_ballot(vote_row, household_row, choice, "web",
                                verified=db.session.get(OwnerVerification, ids[3]))
                db.session.commit()
        except Exception as error:  # noqa: BLE001  (the assertion below shows what went wrong)
            failures.append(repr(error))

    threads = [threading.Thread(target=cast, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    db.session.expire_all()
    assert count(Ballot) == 1
    ballot = db.session.scalar(select(Ballot))
    changes = db.session.scalars(select(BallotChange).order_by(BallotChange.id)).all()
    assert len(changes) == threads_n and ballot.version == threads_n
    assert changes[0].old_choice is None and all(c.old_choice is not None for c in changes[1:])
    # The history is a chain: each change replaced the choice the previous one left; the last is the ballot.
    assert all(later.old_choice == earlier.new_choice for earlier, later in zip(changes, changes[1:]))
    assert changes[-1].new_choice == ballot.choice
    assert {c.channel for c in changes} == {"web", "in_person"}
    assert tally(db.session.get(Vote, ids[0]))["headcount_participating"] == 1
