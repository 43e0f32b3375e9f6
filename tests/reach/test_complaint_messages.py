"""What a complaint's steps tell, and whom (issue 16 point 4): the household that filed it hears of accepted,
replied, completed and the call-back to come (with its day), the other public steps in-app; the agency a ticket is
dispatched to and the 企业微信 groups hear of the dispatch without the resident's name or phone; the organisers
hear of a deadline within 24 hours once per deadline, and of an overdue ticket; patrol findings go through the
outbox. A second community's staff and robots hear nothing."""
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from participation.complaints.messages import CALLBACK_WITHIN_DAYS
from participation.reach.words import day_words
from participation.complaints.operations import act, escalate_overdue, file_ticket
from participation.complaints.patrols import record_finding, rectify_finding
from participation.complaints.reminders import due_soon
from participation.extensions import db
from participation.models import ComplaintCategory, Delivery, Notification, Organisation, PatrolFinding, WecomRobot
from participation.reach.kinds import ROBOT_KINDS

NOW = datetime(2025, 11, 3, 2, 0, tzinfo=timezone.utc)   # Monday 10:00 in Beijing
HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


@pytest.fixture
def site(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="华信监理", kind="supervisor")
    other = Organisation(name="别家施工队", kind="contractor")
    db.session.add_all([contractor, supervisor, other])
    community = make_community("TK001", contractor=contractor, supervisor=supervisor)
    outsider = make_community("TK002", contractor=other)
    users = {
        "hotline": make_user("hotline"), "organiser": make_user("organiser", communities=[community]),
        "contractor": make_user("agency", organisation=contractor),
        "supervisor": make_user("agency", organisation=supervisor),
        "other_agency": make_user("agency", organisation=other),
        "other_organiser": make_user("organiser", communities=[outsider]),
    }
    robots = {
        "community": WecomRobot(name="TK001 群", webhook_url=HOOK + "a", community=community, kinds=list(ROBOT_KINDS)),
        "contractor": WecomRobot(name="建工群", webhook_url=HOOK + "b", organisation_id=contractor.id,
                                 kinds=list(ROBOT_KINDS)),
        "outsider": WecomRobot(name="TK002 群", webhook_url=HOOK + "c", community=outsider, kinds=list(ROBOT_KINDS)),
        "deaf": WecomRobot(name="只收督办", webhook_url=HOOK + "d", community=community, kinds=["ticket.overdue"]),
    }
    db.session.add_all(robots.values())
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    household = community.buildings[0].units[0].households[0]
    db.session.flush()
    return {"community": community, "outsider": outsider, "users": users, "robots": robots, "category": category,
            "household": household, "contractor": contractor, "supervisor": supervisor}


def messages(kind, **where):
    query = select(Notification).where(Notification.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query.order_by(Notification.id)).all()


def recipients(kind):
    """(users, robots) told of ``kind``."""
    rows = messages(kind)
    return ({row.user_id for row in rows if row.user_id}, {row.robot_id for row in rows if row.robot_id})


def filed(site, **fields):
    fields.setdefault("household", site["household"])
    return file_ticket(fields.pop("actor", None), site["community"], category=site["category"],
                       description="楼道墙皮脱落，砸到楼梯上", now=fields.pop("now", NOW), **fields)


def dispatched(site, **fields):
    ticket = filed(site, **fields)
    act(site["users"]["hotline"], ticket, "dispatch", agency=site["contractor"], now=NOW)
    return ticket


def private_words(site, ticket):
    """What must never reach a staff message or an SMS parameter: the resident's phone, room and address."""
    household = site["household"]
    return [household.phone, household.address, f"{household.room}室", "王大爷", "13912345678"]


# --- the resident -------------------------------------------------------------------------------------------------

def test_the_filing_household_hears_it_was_accepted_by_sms_and_in_app(site):
    ticket = filed(site)
    db.session.commit()
    [message] = messages("ticket.received")
    assert (message.household_id, message.ticket_id, message.community_id) == (site["household"].id, ticket.id,
                                                                               site["community"].id)
    assert message.params == {"receipt": ticket.receipt} and ticket.receipt in message.text
    assert message.link == f"/complaints/{ticket.receipt}"
    assert [d.channel for d in message.deliveries] == ["sms"]


def test_a_hotline_caller_without_a_household_hears_nothing(site):
    filed(site, household=None, building=site["community"].buildings[0], caller_name="王大爷",
          caller_phone="13912345678", channel="community_hotline", actor=site["users"]["hotline"])
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.household_id.isnot(None))) == 0


def test_each_step_has_its_kind_the_callback_says_when_and_private_steps_say_nothing(site, app):
    users = site["users"]
    ticket = dispatched(site)
    act(users["contractor"], ticket, "sign", now=NOW)
    act(users["contractor"], ticket, "request_extension", note="材料未到", until=ticket.due_at + timedelta(days=3),
        now=NOW)
    act(users["hotline"], ticket, "approve_extension", now=NOW)     # not on the resident's timeline: not told
    act(users["contractor"], ticket, "reply", note="已修补", now=NOW)
    act(users["hotline"], ticket, "complete", now=NOW)
    db.session.commit()
    told = messages_of_household(site)
    assert [row.kind for row in told] == ["ticket.received", "ticket.step", "ticket.step", "ticket.step",
                                          "ticket.replied", "ticket.completed", "ticket.callback"]
    assert all(row.params == ({"receipt": ticket.receipt} if row.kind != "ticket.step" else {}) for row in told)
    callback = told[-1]
    with app.test_request_context():
        assert day_words(NOW + timedelta(days=CALLBACK_WITHIN_DAYS)) in callback.text   # "11月6日"
    sms = db.session.scalars(select(Delivery.notification_id).where(Delivery.channel == "sms")).all()
    assert {row.kind for row in told if row.id in sms} == {"ticket.received", "ticket.replied", "ticket.completed",
                                                           "ticket.callback"}   # a step is in-app only


def messages_of_household(site):
    return db.session.scalars(select(Notification).where(Notification.household_id == site["household"].id)
                              .order_by(Notification.id)).all()


def test_a_second_householder_and_the_other_community_hear_nothing_of_it(site):
    dispatched(site)
    db.session.commit()
    others = select(func.count(Notification.id)).where(Notification.household_id.isnot(None),
                                                       Notification.household_id != site["household"].id)
    assert db.session.scalar(others) == 0


# --- the agency ---------------------------------------------------------------------------------------------------

def test_a_dispatch_reaches_the_agency_and_the_groups_without_personal_data(site):
    users, robots = site["users"], site["robots"]
    ticket = dispatched(site, caller_name="王大爷")
    db.session.commit()
    told_users, told_robots = recipients("ticket.dispatched")
    assert told_users == {users["contractor"].id}
    assert told_robots == {robots["community"].id, robots["contractor"].id}   # not TK002's, not the "deaf" one
    for row in messages("ticket.dispatched"):
        assert ticket.receipt in row.text and site["category"].name in row.text and "1号楼" in row.text
        assert "11月" in row.text or "Nov" in row.text                               # the due day in words
        assert not any(word in row.text for word in private_words(site, ticket))
        assert row.params == {} and row.ticket_id == ticket.id
    wecom = db.session.scalars(select(Delivery).where(Delivery.channel == "wecom")).all()
    assert len(wecom) == 2 and {d.state for d in wecom} == {"pending"}


def test_a_transfer_and_a_reopening_tell_the_agency_the_ticket_is_theirs(site):
    users = site["users"]
    ticket = dispatched(site)
    act(users["hotline"], ticket, "reassign", agency=site["supervisor"], now=NOW)
    db.session.commit()
    assert recipients("ticket.dispatched")[0] == {users["contractor"].id, users["supervisor"].id}
    act(users["supervisor"], ticket, "sign", now=NOW)
    act(users["supervisor"], ticket, "reply", note="已修补", now=NOW)
    act(users["hotline"], ticket, "complete", now=NOW)
    act(users["hotline"], ticket, "callback", solved=False, satisfaction="dissatisfied", now=NOW + timedelta(days=1))
    db.session.commit()
    assert len(messages("ticket.dispatched", user_id=users["supervisor"].id)) == 2   # 重办: again


# --- deadlines ----------------------------------------------------------------------------------------------------

def test_due_soon_tells_the_organisers_and_groups_once_per_deadline(site):
    users, robots = site["users"], site["robots"]
    ticket = dispatched(site, urgency="emergency")
    later = filed(site, household=site["community"].buildings[1].units[0].households[0])   # 7 days: not yet
    db.session.commit()
    assert ticket.due_at - NOW <= timedelta(hours=24) < later.due_at - NOW
    assert due_soon(NOW) == [ticket]
    db.session.commit()
    told_users, told_robots = recipients("ticket.due_soon")
    assert told_users == {users["organiser"].id}                         # not TK002's organiser, not the agency
    assert told_robots == {robots["community"].id, robots["contractor"].id}
    assert all(ticket.receipt in row.text and not any(w in row.text for w in private_words(site, ticket))
               for row in messages("ticket.due_soon"))
    count = len(messages("ticket.due_soon"))
    assert due_soon(NOW + timedelta(minutes=10)) == []                   # the job runs again: nothing new
    db.session.commit()
    assert len(messages("ticket.due_soon")) == count
    # an extension moves the deadline: the new one is told when it comes near
    act(users["contractor"], ticket, "sign", now=NOW)
    act(users["contractor"], ticket, "request_extension", note="材料未到", until=ticket.due_at + timedelta(days=2),
        now=NOW)
    act(users["hotline"], ticket, "approve_extension", now=NOW)
    db.session.commit()
    assert due_soon(NOW + timedelta(hours=1)) == []                      # more than 24 hours away now
    assert due_soon(ticket.due_at - timedelta(hours=2)) == [ticket]
    db.session.commit()
    assert len(messages("ticket.due_soon")) == 2 * count


def test_due_soon_skips_closed_escalated_and_past_tickets(site):
    ticket = dispatched(site, urgency="emergency")
    closed = filed(site, urgency="emergency")
    act(site["users"]["hotline"], closed, "reject", note="重复来电", now=NOW)
    db.session.commit()
    assert due_soon(ticket.due_at + timedelta(minutes=1)) == []          # past: escalation's business
    escalate_overdue(ticket.due_at + timedelta(minutes=1))
    assert due_soon(NOW) == []                                           # escalated already
    assert messages("ticket.due_soon") == []


def test_overdue_goes_through_the_outbox_to_organisers_and_groups_once(site):
    users, robots = site["users"], site["robots"]
    ticket = dispatched(site)
    late = ticket.due_at + timedelta(minutes=1)
    assert escalate_overdue(late) == [ticket]
    db.session.commit()
    told_users, told_robots = recipients("ticket.overdue")
    assert told_users == {users["organiser"].id}
    assert told_robots == {robots["community"].id, robots["contractor"].id, robots["deaf"].id}
    assert {d.channel for row in messages("ticket.overdue") for d in row.deliveries} == {"wecom"}
    assert all(row.community_id == site["community"].id and row.ticket_id == ticket.id
               for row in messages("ticket.overdue"))
    assert escalate_overdue(late + timedelta(hours=1)) == []
    db.session.commit()
    assert len(messages("ticket.overdue")) == 4


# --- patrol findings ----------------------------------------------------------------------------------------------

def test_patrol_findings_and_their_steps_reach_the_contractor_in_app(site):
    users = site["users"]
    finding = record_finding(users["supervisor"], site["community"], site["category"], "钢筋外露", now=NOW)
    db.session.commit()
    [message] = messages("patrol.finding")
    assert (message.user_id, message.community_id, message.link) == (users["contractor"].id, site["community"].id,
                                                                      "/patrols")
    assert message.deliveries == []                                      # in-app only
    rectify_finding(users["contractor"], db.session.get(PatrolFinding, finding.id), "已处理", now=NOW)
    db.session.commit()
    assert {row.user_id for row in messages("patrol.step")} == {users["supervisor"].id}
    assert users["other_agency"].id not in {row.user_id for row in db.session.scalars(select(Notification))}


def test_every_link_is_a_page_of_the_app(site, app):
    dispatched(site)
    escalate_overdue(NOW + timedelta(days=30))
    db.session.commit()
    adapter = app.url_map.bind("localhost")
    links = {row.link for row in db.session.scalars(select(Notification)) if row.link}
    assert links
    for link in links:
        adapter.match(link, method="GET")


def test_messages_are_worded_in_the_default_language_whoever_clicked(site, app):
    users = site["users"]
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        ticket = dispatched(site)
        record_finding(users["supervisor"], site["community"], site["category"], "钢筋外露", now=NOW)
    db.session.commit()
    assert all("11月10日" in row.text and "Nov" not in row.text for row in messages("ticket.dispatched"))
    assert ticket.receipt in messages("ticket.dispatched")[0].text
    [finding] = messages("patrol.finding")
    assert "巡查发现" in finding.text and "Patrol finding" not in finding.text
