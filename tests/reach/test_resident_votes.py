"""What owners and staff are told about owner votes (the Art. 278 notice to the register's households only, the
2-days-left reminder to owners who have not voted, a ballot entered or changed by staff, the quorum reached once,
the co-signature waiting), and the households of a 单元 about its elevator request (issue 16 point 4)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.elevators.operations import mark_shaft_households, start_request
from participation.extensions import db
from participation.models import Notification, WecomRobot
from participation.models.types import utcnow
from participation.reach.kinds import kind
from participation.votes import messages
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, create_vote
from participation.votes.reminders import send_vote_reminders
from tests.conftest import homes


def told(kind_name, **where):
    query = select(Notification).where(Notification.kind == kind_name).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query).all()


@pytest.fixture
def site(vote_site, make_community, make_user):
    """vote_site, plus a second community with its own organiser and owner representative, and a robot of the
    vote's community that takes the vote kinds."""
    community, unit, organiser, rep = vote_site
    other = make_community("220102902", buildings=1, units=1, floors=1, per_floor=2)
    strangers = [make_user("organiser", communities=[other]), make_user("owner_rep", communities=[other])]
    robot = WecomRobot(name="社区群", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                       community_id=community.id, kinds=["vote.quorum_reached", "cosign.waiting"])
    db.session.add(robot)
    db.session.commit()
    return community, unit, organiser, rep, strangers, robot


def open_vote(community, organiser, *, scope="unit", unit=None, buildings=(), closes_in=timedelta(days=7)):
    vote = create_vote(organiser, community, 7, "1号楼1单元加装电梯的业主表决（第二轮，含补充说明）", scope=scope,
                       unit=unit, buildings=buildings, closes_at=utcnow() + closes_in, open_now=True)
    db.session.commit()
    return vote


def test_the_notice_reaches_the_register_households_only_and_is_required(site):
    community, unit, organiser, _rep, _strangers, _robot = site
    vote = open_vote(community, organiser, unit=unit)
    notices = told("vote.opened")
    assert sorted(m.household_id for m in notices) == sorted(h.id for h in unit.households)
    assert not kind("vote.opened").optional                     # Art. 278: a household cannot refuse it
    for message in notices:
        assert message.params == {"community": community.name, "title": messages.short_title(vote.title),
                                  "deadline": messages.closing_day(vote.closes_at)}
        assert message.link == f"/r/{community.code}/votes/{vote.id}"
        assert [d.channel for d in message.deliveries] == ["sms"]        # every home of vote_site has a phone
    assert messages.opened(vote) == 0                            # once per household and vote
    assert len(told("vote.opened")) == len(unit.households)


def test_a_vote_of_some_buildings_tells_those_buildings(site):
    community, _unit, organiser, *_rest = site
    first, second = community.buildings
    open_vote(community, organiser, scope="buildings", buildings=[first])
    ids = {m.household_id for m in told("vote.opened")}
    assert ids == {h.id for u in first.units for h in u.households}
    assert not ids & {h.id for u in second.units for h in u.households}


def test_the_reminder_goes_two_days_before_to_owners_who_have_not_voted(site):
    community, unit, organiser, *_rest = site
    first, second, third, *_others = homes(unit)
    first.owner_key = second.owner_key = "业主甲"                 # one owner of two homes
    db.session.commit()
    vote = open_vote(community, organiser, unit=unit, closes_in=timedelta(days=5))
    now = utcnow()
    assert send_vote_reminders(now) == 0                        # five days left
    cast_ballot(vote, first, "yes", "paper", actor=organiser)   # the owner voted: both homes are done
    cast_ballot(vote, third, "no", "paper", actor=organiser)
    db.session.commit()
    assert send_vote_reminders(now + timedelta(days=3, hours=1)) == len(unit.households) - 3
    db.session.commit()
    reminded = {m.household_id for m in told("vote.reminder")}
    assert reminded == {h.id for h in unit.households} - {first.id, second.id, third.id}
    assert send_vote_reminders(now + timedelta(days=4)) == 0    # one reminder each
    assert kind("vote.reminder").optional


def test_a_ballot_entered_by_staff_is_told_to_its_household(site):
    community, unit, organiser, *_rest = site
    vote = open_vote(community, organiser, unit=unit)
    household = homes(unit)[2]
    cast_ballot(vote, household, "yes", "paper", actor=organiser, sheet_no="A-7")
    cast_ballot(vote, household, "no", "paper", actor=organiser, sheet_no="A-8")   # a correction
    db.session.commit()
    changed = told("vote.ballot_changed")
    assert [m.household_id for m in changed] == [household.id] * 2
    for message in changed:
        assert message.params == {"community": community.name, "title": messages.short_title(vote.title)}
        assert [d.channel for d in message.deliveries] == ["sms"]


def test_the_quorum_is_told_once_to_the_organisers_and_the_robots(site):
    community, unit, organiser, rep, strangers, robot = site
    vote = open_vote(community, organiser, unit=unit)
    households = homes(unit)                                    # six owners of equal area: four make ⅔
    for household in households[:3]:
        cast_ballot(vote, household, "yes", "paper", actor=organiser)
    db.session.commit()
    assert told("vote.quorum_reached") == []
    cast_ballot(vote, households[3], "no", "paper", actor=organiser)
    cast_ballot(vote, households[4], "yes", "paper", actor=organiser)
    db.session.commit()
    reached = told("vote.quorum_reached")
    assert {(m.user_id, m.robot_id) for m in reached} == {(organiser.id, None), (None, robot.id)}
    assert all(m.household_id is None and m.community_id == community.id for m in reached)
    assert [d.channel for m in reached for d in m.deliveries] == ["wecom"]
    assert len(reached) == 2                                    # the fifth ballot told nobody again
    assert not {m.user_id for m in reached} & ({rep.id} | {s.id for s in strangers})


def test_closing_asks_the_owner_representative_to_cosign(site):
    community, unit, organiser, rep, strangers, robot = site
    vote = open_vote(community, organiser, unit=unit)
    close_vote(organiser, vote)
    db.session.commit()
    waiting = told("cosign.waiting")
    assert {(m.user_id, m.robot_id) for m in waiting} == {(rep.id, None), (None, robot.id)}
    assert vote.title in waiting[0].text
    assert messages.cosign_waiting(vote) == 0                   # told once per vote


def test_each_step_of_the_elevator_request_reaches_the_unit(site):
    community, unit, organiser, *_rest = site
    unit.elevator_possible = True
    other_unit = community.buildings[1].units[0]
    db.session.commit()
    request = start_request(homes(unit)[3])
    db.session.commit()
    started = told("elevator.request")
    assert sorted(m.household_id for m in started) == sorted(h.id for h in unit.households)
    assert not {m.household_id for m in started} & {h.id for h in other_unit.households}
    for message in started:
        assert message.params == {"community": community.name, "unit": "1号楼1单元"}
        assert message.link == f"/r/{community.code}/elevator"
        assert [d.channel for d in message.deliveries] == ["sms"]
    mark_shaft_households(organiser, request, [homes(unit)[0]])
    db.session.commit()
    assert [m.household_id for m in told("elevator.request")[len(started):]] == [homes(unit)[0].id]
    assert kind("elevator.request").optional
