"""The complaint lifecycle: every action from every state, legal or refused (and then nothing changes), who may
take it, the timeline, audit and outbox it leaves, 重办 with a new deadline, 回访未接通, and escalation."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from participation.complaints.operations import ACTIONS, TicketRefused, act, escalate_overdue, file_ticket
from participation.extensions import db
from participation.models import (TICKET_STATES, AuditEvent, ComplaintCategory, Notification, Organisation, Ticket,
                                  TicketEvent)

NOW = datetime(2025, 11, 3, 2, 0, tzinfo=timezone.utc)   # Monday 10:00 in Beijing


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
        "grid": make_user("grid", buildings=[community.buildings[0]]),
    }
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    household = community.buildings[0].units[0].households[0]
    return community, users, category, household, contractor, supervisor


def new_ticket(site, **fields):
    community, users, category, household, *_ = site
    return file_ticket(None, community, category=category, household=household,
                       description=fields.pop("description", "楼道墙皮脱落，砸到楼梯上"), now=NOW, **fields)


def in_state(site, state):
    """A ticket brought to ``state`` by the legal path."""
    community, users, _category, _household, contractor, _supervisor = site
    ticket = new_ticket(site)
    desk, agency = users["hotline"], users["contractor"]
    path = {
        "received": [],
        "dispatched": [("dispatch", desk, {"agency": contractor})],
        "returned": [("dispatch", desk, {"agency": contractor}), ("return", agency, {"note": "不是我们的工程"})],
        "handling": [("dispatch", desk, {"agency": contractor}), ("sign", agency, {})],
        "replied": [("dispatch", desk, {"agency": contractor}), ("sign", agency, {}),
                    ("reply", agency, {"note": "已修补"})],
        "completed": [("dispatch", desk, {"agency": contractor}), ("sign", agency, {}),
                      ("reply", agency, {"note": "已修补"}), ("complete", desk, {})],
        "closed": [("dispatch", desk, {"agency": contractor}), ("sign", agency, {}),
                   ("reply", agency, {"note": "已修补"}), ("complete", desk, {}),
                   ("callback", desk, {"solved": True, "satisfaction": "satisfied"})],
        "duplicate": [("mark_duplicate", desk, {"original": None})],   # the original is filed below, when needed
        "rejected": [("reject", desk, {"note": "不属于改造工程"})],
    }[state]
    for action, actor, fields in path:
        if action == "mark_duplicate":
            fields = {"original": new_ticket(site)}
        act(actor, ticket, action, now=NOW, **fields)
    assert ticket.state == state
    return ticket


def arguments(site, ticket, action):
    """What a legal call of ``action`` needs, and who takes it."""
    community, users, _category, _household, contractor, supervisor = site
    desk, agency = users["hotline"], users["contractor"]
    return {
        "dispatch": (desk, {"agency": contractor}),
        "reassign": (desk, {"agency": supervisor}),
        "sign": (agency, {}), "return": (agency, {"note": "不是我们的"}),
        "request_extension": (agency, {"note": "材料未到", "until": ticket.due_at + timedelta(days=3)}),
        "approve_extension": (desk, {}), "refuse_extension": (desk, {"note": "不同意"}),
        "reply": (agency, {"note": "已处理"}), "complete": (desk, {}),
        "callback": (desk, {"solved": True, "satisfaction": "basically_satisfied"}),
        "callback_unreachable": (desk, {}),
        "mark_duplicate": (desk, {"original": new_ticket(site) if action == "mark_duplicate" else None}),
        "reject": (desk, {"note": "重复来电"}),
    }[action]


@pytest.mark.parametrize("state", TICKET_STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_from_every_state(site, state, action):
    ticket = in_state(site, state)
    if action in ("approve_extension", "refuse_extension") and state == "handling":
        act(site[1]["contractor"], ticket, "request_extension", note="材料未到", until=ticket.due_at + timedelta(days=3),
            now=NOW)
    actor, fields = arguments(site, ticket, action)
    events = len(ticket.events)
    if state not in ACTIONS[action].sources:
        with pytest.raises(TicketRefused):
            act(actor, ticket, action, now=NOW, **fields)
        assert ticket.state == state and len(ticket.events) == events
        return
    act(actor, ticket, action, now=NOW, **fields)
    expected = ACTIONS[action].target or {"callback": "closed", "callback_unreachable": "completed"}[action]
    assert ticket.state == expected
    assert ticket.events[-1].action == action and ticket.events[-1].from_state == state
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == f"ticket.{action}")) >= 1


def test_who_may_act(site):
    community, users, _category, _household, contractor, supervisor = site
    ticket = in_state(site, "dispatched")
    for outsider in (users["other_agency"], users["supervisor"], users["grid"], users["hotline"]):
        with pytest.raises(TicketRefused):   # only the agency it is with signs for it
            act(outsider, ticket, "sign", now=NOW)
    with pytest.raises(TicketRefused):       # an organiser of another community is no desk for this one
        act(users["other_organiser"], ticket, "reassign", agency=supervisor, now=NOW)
    with pytest.raises(TicketRefused):       # the desk routes only to this community's contractor or supervisor
        act(users["organiser"], ticket, "reassign", agency=db.session.scalar(
            select(Organisation).filter_by(name="别家施工队")), now=NOW)
    act(users["organiser"], ticket, "reassign", agency=supervisor, now=NOW)   # 终身负责: still routable
    assert ticket.agency == supervisor and ticket.state == "dispatched"


def test_words_are_required_where_they_matter(site):
    users = site[1]
    ticket = in_state(site, "handling")
    for action, fields in (("reply", {}), ("request_extension", {"until": ticket.due_at + timedelta(days=1)})):
        with pytest.raises(TicketRefused):
            act(users["contractor"], ticket, action, now=NOW, **fields)
    with pytest.raises(TicketRefused):   # an extension ends after the deadline it extends
        act(users["contractor"], ticket, "request_extension", note="下雨", until=ticket.due_at - timedelta(hours=1),
            now=NOW)
    assert ticket.state == "handling" and ticket.extension_until is None


def test_an_approved_extension_moves_the_deadline(site):
    users = site[1]
    ticket = in_state(site, "handling")
    until = ticket.due_at + timedelta(days=5)
    act(users["contractor"], ticket, "request_extension", note="等待燃气公司停气", until=until, now=NOW)
    assert ticket.due_at != until
    act(users["hotline"], ticket, "approve_extension", now=NOW)
    assert ticket.due_at == until and ticket.extension_until is None


def test_not_solved_means_redo_with_a_new_deadline(site):
    users = site[1]
    ticket = in_state(site, "completed")
    later = NOW + timedelta(days=2)
    act(users["hotline"], ticket, "callback", solved=False, satisfaction="dissatisfied", now=later)
    assert (ticket.state, ticket.reopened, ticket.agency.name) == ("dispatched", 1, "长春建工")
    assert ticket.due_at > later   # counted again from the call-back
    assert ticket.solved is False and ticket.satisfaction == "dissatisfied"


def test_three_unanswered_call_backs_close_it_as_unreachable(site):
    users = site[1]
    ticket = in_state(site, "completed")
    for expected in ("completed", "completed", "closed"):
        act(users["hotline"], ticket, "callback_unreachable", now=NOW)
        assert ticket.state == expected
    assert ticket.callback_attempts == 3 and ticket.solved is None and ticket.satisfaction is None


def test_the_resident_hears_of_every_public_step_and_the_first_answer_is_kept(site):
    users = site[1]
    ticket = in_state(site, "replied")
    texts = db.session.scalars(select(Notification.kind).where(Notification.ticket_id == ticket.id,
                                                               Notification.household_id.isnot(None))
                               .order_by(Notification.id)).all()
    assert texts == ["ticket.received", "ticket.step", "ticket.step", "ticket.replied"]
    assert ticket.first_answered_at == NOW and ticket.replied_at == NOW


def test_filing_checks_its_input(site):
    community, users, category, household, *_ = site
    for fields in ({"description": " "}, {"description": "字" * 4001}, {"urgency": "now!"},
                   {"channel": "hotline_12345"}):   # a 12345 transfer needs its 工单号
        with pytest.raises(TicketRefused):
            file_ticket(users["hotline"], community, category=category, household=household,
                        **{"description": "漏水", **fields})
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    transferred = file_ticket(users["hotline"], community, category=category, household=household,
                              description="燃气味道很重", urgency="emergency", channel="hotline_12345",
                              external_number="12345-20251103-0001", now=NOW)
    assert transferred.limit_class == "emergency" and transferred.due_at == NOW + timedelta(hours=2)
    assert transferred.external_number == "12345-20251103-0001"


def test_overdue_tickets_escalate_once_to_the_organisers(site):
    users = site[1]
    ticket = in_state(site, "dispatched")
    assert escalate_overdue(NOW) == []
    late = ticket.due_at + timedelta(minutes=1)
    assert escalate_overdue(late) == [ticket]
    assert escalate_overdue(late + timedelta(hours=1)) == []   # once
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "ticket.overdue")).all()
    assert users["organiser"].id in told and users["other_organiser"].id not in told
    assert db.session.scalar(select(TicketEvent.public).where(TicketEvent.action == "escalate")) is False
