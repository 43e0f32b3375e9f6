"""What a complaint's steps say, and to whom (DESIGN §5 and §10): the words of every message about a ticket and
its recipients, written through ``participation.reach.outbox`` in the transaction of the step.

- The household that filed the ticket hears of every public step of its timeline: accepted, replied, completed
  (with the call-back to come, and when), and the others as "progress" (in-app only). A hotline caller with no
  household hears nothing from here: the caller's phone is not the roster's, and the desk calls them back.
- The agency a ticket is dispatched to (its accounts and its 企业微信 robots) and the community's robots hear of the
  dispatch: receipt, category, building and due time — never the resident's name, room or phone, which the agency
  reads on the ticket page its role may open.
- The community's organisers and robots (and the agency's robots) hear of a deadline within 24 hours
  (``participation.complaints.reminders``) and of an overdue ticket (督办, ``operations.escalate_overdue``).

Messages are worded in the default language, whoever took the step (``participation.reach.words``): they
are read by residents and staff groups, not by the person at the keyboard. ``tell_staff`` (accounts and robots, a
dedupe key per recipient, ``participation.reach.recipients``) serves every feature's staff messages.
"""
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import Organisation, Ticket, User
from participation.reach import outbox
from participation.reach.recipients import staff_of, tell_staff
from participation.reach.words import day_words, in_default_language, moment_words

# When the desk calls the resident back after a ticket is completed (回访), in calendar days: a product default to be
# confirmed locally (no locality rule holds it yet); the message promises it in words ("12月10日前").
CALLBACK_WITHIN_DAYS = 3
# Timeline steps the resident does not read (participation.complaints.operations marks them not public).
PRIVATE_ACTIONS = ("approve_extension", "refuse_extension")


# --- who is told ----------------------------------------------------------------------------------------------------

def agency_accounts(organisation: Organisation | None) -> list[User]:
    """Active agency accounts of ``organisation`` (a contractor's or a supervisor's staff)."""
    if organisation is None:
        return []
    return list(db.session.scalars(select(User).where(User.role == "agency", User.active.is_(True),
                                                      User.organisation_id == organisation.id).order_by(User.id)))


# --- to the resident ------------------------------------------------------------------------------------------------

def _resident_link(ticket: Ticket) -> str:
    return f"/complaints/{ticket.receipt}"


def _tell_household(ticket: Ticket, kind: str, text: str) -> None:
    if ticket.household is None:
        return
    outbox.to_household(ticket.household, kind, text, params={"receipt": ticket.receipt}, ticket=ticket,
                        link=_resident_link(ticket))


@in_default_language
def received(ticket: Ticket) -> None:
    """受理: the household hears that its complaint was accepted, with its receipt number."""
    _tell_household(ticket, "ticket.received",
                    _("Your complaint %(receipt)s was received. We will tell you of each step.",
                      receipt=ticket.receipt))


def _step_words(ticket: Ticket, action: str) -> str | None:
    receipt = ticket.receipt
    words = {
        "dispatch": _("Your complaint %(receipt)s was passed to the unit responsible, which will handle it.",
                      receipt=receipt),
        "reassign": _("Your complaint %(receipt)s was passed to another unit, which will handle it.",
                      receipt=receipt),
        "sign": _("The unit responsible took on your complaint %(receipt)s and is working on it.", receipt=receipt),
        "return": _("Your complaint %(receipt)s is being passed to the right unit.", receipt=receipt),
        "request_extension": _("The unit handling your complaint %(receipt)s asked for more time.", receipt=receipt),
        "mark_duplicate": _("Your complaint %(receipt)s is the same as one already being handled; it is followed "
                            "there.", receipt=receipt),
        "reject": _("Your complaint %(receipt)s was not accepted. Open it to read why.", receipt=receipt),
        "callback_unreachable": _("We could not reach you by phone about your complaint %(receipt)s.",
                                  receipt=receipt),
    }
    if action == "callback":
        return (_("Thank you. Your complaint %(receipt)s is closed.", receipt=receipt) if ticket.state == "closed"
                else _("Your complaint %(receipt)s is being handled again.", receipt=receipt))
    if action == "callback_unreachable" and ticket.state == "closed":
        return _("We could not reach you by phone about your complaint %(receipt)s; it is closed.", receipt=receipt)
    return words.get(action)


@in_default_language
def stepped(ticket: Ticket, action: str, *, now: datetime) -> None:
    """What a step of ``participation.complaints.operations.act`` says: to the household (public steps only) and,
    when the ticket went (again) to an agency, to that agency (a dispatch, a transfer, 重办 after a call-back)."""
    if action not in PRIVATE_ACTIONS:
        if action == "reply":
            _tell_household(ticket, "ticket.replied",
                            _("Your complaint %(receipt)s has a reply. Open it to read what was done.",
                              receipt=ticket.receipt))
        elif action == "complete":
            _tell_household(ticket, "ticket.completed",
                            _("Your complaint %(receipt)s was completed.", receipt=ticket.receipt))
            _tell_household(ticket, "ticket.callback",
                            _("About your complaint %(receipt)s: we will call you by %(day)s to ask whether the "
                              "problem is solved and how satisfied you are.", receipt=ticket.receipt,
                              day=day_words(now + timedelta(days=CALLBACK_WITHIN_DAYS))))
        else:
            words = _step_words(ticket, action)
            if words is not None:
                _tell_household(ticket, "ticket.step", words)
    if ticket.state == "dispatched" and action in ("dispatch", "reassign", "callback"):
        dispatched(ticket)


# --- to staff -------------------------------------------------------------------------------------------------------

def _staff_link(ticket: Ticket) -> str:
    return f"/hotline/tickets/{ticket.receipt}"


def _where(ticket: Ticket) -> str:
    """The building, or "common area": never the room or the household."""
    return ticket.building.label if ticket.building is not None else _("common area")


@in_default_language
def dispatched(ticket: Ticket) -> int:
    """派单: the agency's accounts and robots, and the community's robots, hear of a ticket now theirs."""
    text = _("Complaint %(receipt)s for %(agency)s: %(category)s, %(community)s %(where)s, due %(due)s.",
             receipt=ticket.receipt, agency=ticket.agency.name, category=ticket.category.name,
             community=ticket.community.name, where=_where(ticket), due=moment_words(ticket.due_at))
    return tell_staff(agency_accounts(ticket.agency), "ticket.dispatched", text, community=ticket.community,
                      organisation=ticket.agency, ticket=ticket, link=_staff_link(ticket))


def _deadline_values(ticket: Ticket) -> dict:
    return {"receipt": ticket.receipt, "category": ticket.category.name, "community": ticket.community.name,
            "where": _where(ticket), "due": moment_words(ticket.due_at),
            "agency": ticket.agency.name if ticket.agency is not None else _("no unit yet")}


def due_soon_key(ticket: Ticket) -> str:
    """Told once per ticket and deadline: an extension or 重办 moves the deadline, and the new one is told again."""
    return f"ticket.due_soon:{ticket.id}:{int(ticket.due_at.timestamp())}"


@in_default_language
def due_soon(ticket: Ticket) -> int:
    """The deadline is within 24 hours: the community's organisers and robots, and the agency's robots."""
    text = _("Complaint %(receipt)s is due %(due)s: %(category)s, %(community)s %(where)s, with %(agency)s.",
             **_deadline_values(ticket))
    return tell_staff(staff_of(ticket.community, "organiser"), "ticket.due_soon", text, community=ticket.community,
                      organisation=ticket.agency, ticket=ticket, link=_staff_link(ticket),
                      dedupe_key=due_soon_key(ticket))


@in_default_language
def overdue(ticket: Ticket) -> int:
    """督办: past its deadline. Escalation marks a ticket once, so no dedupe key is needed."""
    text = _("Complaint %(receipt)s is past its deadline (%(due)s): %(category)s, %(community)s %(where)s, "
             "with %(agency)s.", **_deadline_values(ticket))
    return tell_staff(staff_of(ticket.community, "organiser"), "ticket.overdue", text, community=ticket.community,
                      organisation=ticket.agency, ticket=ticket, link=_staff_link(ticket))
