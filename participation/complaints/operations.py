"""The complaint lifecycle (接诉即办, DESIGN §5) in one place: filing a ticket, and every action that moves it.

    受理 received ──dispatch──▶ 派单 dispatched ──sign──▶ 办理 handling ──reply──▶ 回复 replied ──complete──▶
    办结 completed ──callback (solved)──▶ closed
                   ──callback (not solved: 重办)──▶ dispatched again, with a new deadline
                   ──callback_unreachable × N──▶ closed (回访未接通)
    dispatched ──return (退单, a reason)──▶ returned ──dispatch──▶ dispatched (another agency)
    handling: request_extension (延期, the agency) → approve_extension / refuse_extension (the desk)
    received / dispatched / returned ──mark_duplicate──▶ duplicate;  received / returned ──reject──▶ rejected
    dispatched / handling ──reassign──▶ dispatched (another agency, also after acceptance: 终身负责)

``ACTIONS`` says, per action, the states it starts from, where it goes and who takes it: the desk (hotline staff,
organisers and admins of the community) or the agency the ticket is with (its contractor or supervisor, only for
its own tickets). Anything else raises TicketRefused and changes nothing. Every action adds a timeline event and
an audit row; the resident who filed the ticket is told through the outbox.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from participation.audit import record
from participation.complaints import messages
from participation.complaints.deadlines import deadline_at_receipt, deadline_on_reopen
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import label
from participation.models import (OPEN_STATES, Community, ComplaintCategory, Household, Organisation, Ticket,
                                  TicketEvent, User)
from participation.models.complaints import SATISFACTION, TICKET_CHANNELS, URGENCIES
from participation.models.types import utcnow
from participation.permissions import TICKET_DESK, can_view_community
from participation.roster.codes import ALPHABET

CALLBACK_ATTEMPTS = 3          # 回访未接通 after this many unanswered call-backs
MAX_DESCRIPTION = 4000
RECEIPT_LENGTH = 8


class TicketRefused(Refused):
    """An action that may not be taken now, or by this person; the message is shown as it is."""


@dataclass(frozen=True)
class Action:
    sources: tuple[str, ...]
    target: str | None           # None: decided by the action's fields (call-backs)
    by: str                      # "desk" or "agency"
    label: object


ACTIONS = {
    "dispatch": Action(("received", "returned"), "dispatched", "desk", _l("Dispatch")),
    "reassign": Action(("dispatched", "handling"), "dispatched", "desk", _l("Send to another agency")),
    "sign": Action(("dispatched",), "handling", "agency", _l("Sign for it")),
    "return": Action(("dispatched",), "returned", "agency", _l("Return it")),
    "request_extension": Action(("handling",), "handling", "agency", _l("Ask for more time")),
    "approve_extension": Action(("handling",), "handling", "desk", _l("Approve the extension")),
    "refuse_extension": Action(("handling",), "handling", "desk", _l("Refuse the extension")),
    "reply": Action(("handling",), "replied", "agency", _l("Reply")),
    "complete": Action(("replied",), "completed", "desk", _l("Complete")),
    "callback": Action(("completed",), None, "desk", _l("Record the call-back")),
    "callback_unreachable": Action(("completed",), None, "desk", _l("Call-back not answered")),
    "mark_duplicate": Action(("received", "dispatched", "returned"), "duplicate", "desk", _l("Mark as a duplicate")),
    "reject": Action(("received", "returned"), "rejected", "desk", _l("Reject")),
}


def new_receipt() -> str:
    return "C" + "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))


def may_act(actor: User | None, ticket: Ticket, action: str) -> bool:
    """Whether ``actor`` may take ``action`` on ``ticket`` now (state and person)."""
    step = ACTIONS.get(action)
    if step is None or actor is None or ticket.state not in step.sources:
        return False
    if step.by == "agency":
        return actor.role == "agency" and actor.organisation_id is not None \
            and actor.organisation_id == ticket.agency_id
    return actor.role in TICKET_DESK and can_view_community(actor, ticket.community)


def agencies_of(community: Community) -> list[Organisation]:
    """Where a ticket of the community can go: its contractor and its supervisor."""
    return [organisation for organisation in (community.contractor, community.supervisor) if organisation is not None]


# --- filing -------------------------------------------------------------------------------------------------------

def file_ticket(actor: User | None, community: Community, *, category: ComplaintCategory, description: str,
                urgency: str = "normal", channel: str = "web", household: Household | None = None,
                building=None, unit=None, place: str | None = None, caller_name: str | None = None,
                caller_phone: str | None = None, external_number: str | None = None, complex_case: bool = False,
                now: datetime | None = None, receipt: str | None = None) -> Ticket:
    """受理: a new ticket with its deadline. ``actor`` is the desk member taking a call (None for a resident online)."""
    description = (description or "").strip()
    if not description:
        raise TicketRefused(_("Describe the problem."))
    if len(description) > MAX_DESCRIPTION:
        raise TicketRefused(_("At most %(count)d characters, please.", count=MAX_DESCRIPTION))
    if urgency not in URGENCIES or channel not in TICKET_CHANNELS:
        raise TicketRefused(_("Choose one of the options offered."))
    if category.locality_id != community.district.locality_id or category.retired_at is not None:
        raise TicketRefused(_("Choose one of the options offered."))
    place = (place or "").strip() or None
    if household is not None:
        # the reporter's own building and 单元, unless the problem is in a common area: then the ticket names the
        # place and no building (the hot spots and the duplicate check count it for the community, not their home)
        unit, building = (None, None) if place else (household.unit, household.unit.building)
    if building is not None and building.community_id != community.id:
        raise TicketRefused(_("That building is not in this community."))
    if channel == "hotline_12345" and not (external_number or "").strip():
        raise TicketRefused(_("Enter the 12345 ticket number (工单号) of a transferred call."))
    now = now or utcnow()
    limit_class, due, estimated = deadline_at_receipt(community.district.locality, category.limit_class,
                                                      urgency=urgency, complex_case=complex_case, received_at=now)
    # ``receipt``: the number an Open311 platform was given for a report the desk placed later
    ticket = Ticket(receipt=receipt or new_receipt(), community=community, building=building, unit=unit,
                    household=household, place=place, category=category, urgency=urgency, limit_class=limit_class,
                    description=description, channel=channel, external_number=(external_number or "").strip() or None,
                    caller_name=(caller_name or "").strip() or None, caller_phone=(caller_phone or "").strip() or None,
                    state="received", received_at=now, due_at=due, due_estimated=estimated,
                    created_by_id=getattr(actor, "id", None))
    db.session.add(ticket)
    db.session.flush()
    _event(ticket, actor, "receive", None, "received", now=now,
           details={"channel": channel, "due_at": due.isoformat(), "estimated": estimated})
    record(actor, "ticket.receive", ticket, community=community, channel=channel, receipt=ticket.receipt,
           category=category.code, urgency=urgency)
    messages.received(ticket)
    return ticket


# --- the lifecycle ------------------------------------------------------------------------------------------------

def act(actor: User, ticket: Ticket, action: str, *, agency: Organisation | None = None, note: str | None = None,
        until: datetime | None = None, solved: bool | None = None, satisfaction: str | None = None,
        original: Ticket | None = None, now: datetime | None = None) -> Ticket:
    """Take ``action`` on ``ticket``; raise TicketRefused (nothing changed) when it is not allowed now."""
    step = ACTIONS.get(action)
    if step is None:
        raise TicketRefused(_("That is not something a ticket can do."))
    if ticket.state not in step.sources:
        raise TicketRefused(_("This ticket is %(state)s: it cannot be changed that way now.",
                              state=label("ticket_state", ticket.state)))
    if not may_act(actor, ticket, action):
        raise TicketRefused(_("You may not do this with this ticket."))
    now = now or utcnow()
    note = (note or "").strip() or None
    before = ticket.state
    details: dict = {}
    handler = _HANDLERS.get(action)
    target = handler(ticket, actor, note=note, agency=agency, until=until, solved=solved, satisfaction=satisfaction,
                     original=original, now=now, details=details) if handler else step.target
    ticket.state = target
    if target in ("closed", "duplicate", "rejected"):
        ticket.closed_at = now
    event = _event(ticket, actor, action, before, target, note=note, details=details, now=now,
                   public=action not in ("approve_extension", "refuse_extension"))
    record(actor, f"ticket.{action}", ticket, community=ticket.community_id, receipt=ticket.receipt,
           from_state=before, to_state=target, **details)
    messages.stepped(ticket, action, now=now)
    db.session.flush()
    return event.ticket


def _require(note: str | None, message: str) -> str:
    if not note:
        raise TicketRefused(message)
    return note


def _agency_for(ticket: Ticket, agency: Organisation | None) -> Organisation:
    if agency is None or agency not in agencies_of(ticket.community):
        raise TicketRefused(_("Choose the community's contractor or supervisor."))
    return agency


def _dispatch(ticket, actor, *, agency, details, **_ignored):
    ticket.agency = _agency_for(ticket, agency)
    details["agency"] = ticket.agency.name
    return "dispatched"


def _reassign(ticket, actor, *, agency, details, **_ignored):
    chosen = _agency_for(ticket, agency)
    if chosen.id == ticket.agency_id:
        raise TicketRefused(_("The ticket is already with %(agency)s.", agency=chosen.name))
    details["from_agency"], details["agency"] = ticket.agency.name if ticket.agency else None, chosen.name
    ticket.agency = chosen
    return "dispatched"


def _return(ticket, actor, *, note, details, **_ignored):
    _require(note, _("Say why the ticket is not yours."))
    details["agency"] = ticket.agency.name if ticket.agency else None
    ticket.agency = None
    return "returned"


def _request_extension(ticket, actor, *, note, until, now, details, **_ignored):
    _require(note, _("Say why more time is needed."))
    if until is None or until <= max(ticket.due_at, now):
        raise TicketRefused(_("Ask for a time after the current deadline."))
    ticket.extension_until = until
    details["until"] = until.isoformat()
    return "handling"


def _approve_extension(ticket, actor, *, details, **_ignored):
    if ticket.extension_until is None:
        raise TicketRefused(_("No extension was asked for."))
    details["from"], details["until"] = ticket.due_at.isoformat(), ticket.extension_until.isoformat()
    ticket.due_at, ticket.extension_until = ticket.extension_until, None
    return "handling"


def _refuse_extension(ticket, actor, *, note, details, **_ignored):
    if ticket.extension_until is None:
        raise TicketRefused(_("No extension was asked for."))
    _require(note, _("Say why the extension is refused."))
    ticket.extension_until = None
    return "handling"


def _reply(ticket, actor, *, note, now, **_ignored):
    _require(note, _("Write the reply: what was done."))
    ticket.replied_at = now
    if ticket.first_answered_at is None:
        ticket.first_answered_at = now
    return "replied"


def _callback(ticket, actor, *, note, solved, satisfaction, now, details, **_ignored):
    if solved is None or satisfaction not in SATISFACTION:
        raise TicketRefused(_("Record whether it was solved and how satisfied the resident is."))
    ticket.solved, ticket.satisfaction = solved, satisfaction
    ticket.callback_attempts += 1
    details.update(solved=solved, satisfaction=satisfaction)
    if solved:
        return "closed"
    # 重办: back to the same agency with a new deadline from now
    ticket.reopened += 1
    ticket.replied_at = None
    ticket.due_at, ticket.due_estimated = deadline_on_reopen(ticket.community.district.locality, ticket.limit_class,
                                                             now)
    details["due_at"] = ticket.due_at.isoformat()
    return "dispatched"


def _callback_unreachable(ticket, actor, *, details, **_ignored):
    ticket.callback_attempts += 1
    details["attempt"] = ticket.callback_attempts
    return "closed" if ticket.callback_attempts >= CALLBACK_ATTEMPTS else "completed"


def _mark_duplicate(ticket, actor, *, original, details, **_ignored):
    if original is None or original.id == ticket.id or original.community_id != ticket.community_id \
            or original.state == "duplicate":
        raise TicketRefused(_("Choose the original ticket of the same community."))
    ticket.duplicate_of_id = original.id
    details["original"] = original.receipt
    return "duplicate"


def _reject(ticket, actor, *, note, **_ignored):
    _require(note, _("Say why the ticket is rejected."))
    return "rejected"


_HANDLERS = {
    "dispatch": _dispatch, "reassign": _reassign, "return": _return, "request_extension": _request_extension,
    "approve_extension": _approve_extension, "refuse_extension": _refuse_extension, "reply": _reply,
    "callback": _callback, "callback_unreachable": _callback_unreachable, "mark_duplicate": _mark_duplicate,
    "reject": _reject,
}


def _event(ticket: Ticket, actor, action: str, before, after: str, *, note=None, details=None, now=None,
           public=True) -> TicketEvent:
    event = TicketEvent(ticket=ticket, action=action, from_state=before, to_state=after,
                        actor_id=getattr(actor, "id", None), note=note, details=details or {}, public=public,
                        at=now or utcnow())
    db.session.add(event)
    return event


# --- the clock ----------------------------------------------------------------------------------------------------

def escalate_overdue(now: datetime | None = None) -> list[Ticket]:
    """Open tickets past their deadline that were not escalated yet: marked, audited, and the community's
    organisers and the community's and agency's robots told through the outbox (``messages.overdue``). A periodic
    job of the queue runs it (and ``flask tickets escalate``); a second run finds nothing new."""
    now = now or utcnow()
    overdue = db.session.scalars(select(Ticket).where(Ticket.state.in_(OPEN_STATES), Ticket.due_at < now,
                                                      Ticket.escalated_at.is_(None))
                                 .order_by(Ticket.due_at)).all()
    for ticket in overdue:
        ticket.escalated_at = now
        _event(ticket, None, "escalate", ticket.state, ticket.state, now=now, public=False,
               details={"due_at": ticket.due_at.isoformat()})
        record(None, "ticket.escalate", ticket, community=ticket.community_id, channel="cli", receipt=ticket.receipt)
        messages.overdue(ticket)
    db.session.flush()
    return overdue
