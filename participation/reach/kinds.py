"""Every kind of message the product sends, in one table: who receives it, whether a household may refuse it,
whether it may break quiet hours, and the values its SMS template takes (DESIGN §10).

An SMS carries a provider-approved template and these parameters only — never a name, an address or a phone
number. The settings page asks an admin for one template code per kind that has ``sms_params``; a kind without a
code goes out in-app only (and through robots, for staff kinds).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

RESIDENT = "resident"
STAFF = "staff"


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str                 # RESIDENT (household: in-app + SMS) or STAFF (user: in-app; robots: 企业微信)
    label: object                 # what admins and the inbox call it
    sms_params: tuple = ()        # the template's variables, in order (腾讯云 takes them as a list)
    optional: bool = False        # a household may opt out (PIPL consent); False: required by law or its own business
    urgent: bool = False          # may be sent in quiet hours, and is not held to the daily cap
    robot: bool = False           # staff groups' 企业微信 robots subscribe to it


KINDS = {kind.name: kind for kind in (
    # --- to residents ---------------------------------------------------------------------------------------------
    Kind("survey.opened", RESIDENT, _l("Survey opened"), ("community", "title", "deadline"), optional=True),
    Kind("survey.reminder", RESIDENT, _l("Survey reminder"), ("community", "title", "deadline"), optional=True),
    Kind("vote.opened", RESIDENT, _l("Owners' vote notice"), ("community", "title", "deadline")),
    Kind("vote.reminder", RESIDENT, _l("Owners' vote reminder"), ("community", "title", "deadline"), optional=True),
    Kind("vote.ballot_changed", RESIDENT, _l("Ballot recorded or changed by staff"), ("community", "title")),
    Kind("ticket.received", RESIDENT, _l("Complaint accepted"), ("receipt",)),
    Kind("ticket.replied", RESIDENT, _l("Complaint replied"), ("receipt",)),
    Kind("ticket.completed", RESIDENT, _l("Complaint completed"), ("receipt",)),
    Kind("ticket.callback", RESIDENT, _l("Call-back to come"), ("receipt",)),
    Kind("ticket.step", RESIDENT, _l("Complaint progress"), ()),
    Kind("plan.comment_opened", RESIDENT, _l("Plan open for comment"), ("community", "deadline"), optional=True),
    Kind("rating.opened", RESIDENT, _l("Rating of finished works open"), ("community", "deadline"), optional=True),
    Kind("elevator.request", RESIDENT, _l("Elevator request of your unit"), ("community", "unit"), optional=True),
    Kind("entry.code", RESIDENT, _l("Entry code"), ("code",), urgent=True),
    # --- to staff -------------------------------------------------------------------------------------------------
    Kind("ticket.dispatched", STAFF, _l("Complaint dispatched"), robot=True),
    Kind("ticket.due_soon", STAFF, _l("Complaint due within 24 hours"), robot=True),
    Kind("ticket.overdue", STAFF, _l("Complaint overdue"), robot=True),
    Kind("vote.quorum_reached", STAFF, _l("Vote reached its quorum"), robot=True),
    Kind("plan.objection", STAFF, _l("Objection to a plan"), robot=True),
    Kind("cosign.waiting", STAFF, _l("Co-signature waiting"), robot=True),
    Kind("delivery.failed", STAFF, _l("Message not delivered")),
    Kind("robot.test", STAFF, _l("Robot test message")),      # the robots page's "send a test" (no subscription)
    Kind("patrol.finding", STAFF, _l("Patrol finding")),
    Kind("patrol.step", STAFF, _l("Patrol finding progress")),
)}

ROBOT_KINDS = tuple(name for name, kind in KINDS.items() if kind.robot)
SMS_KINDS = tuple(name for name, kind in KINDS.items() if kind.audience == RESIDENT and kind.sms_params)


def kind(name: str) -> Kind:
    """The entry for ``name``; an unknown kind is a programming error, refused at once rather than sent blind."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown message kind {name!r} (participation/reach/kinds.py)") from None
