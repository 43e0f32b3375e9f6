"""The complaint clock's warning before escalation: open tickets whose deadline falls within the next 24 hours are
told to the community's organisers and robots (and the agency's robots) once — before ``escalate_overdue`` has to.

A periodic job of the task queue runs ``due_soon`` (``participation.reach.jobs``; the queue's task commits); it may
run as often as it likes: a ticket is told
once per deadline (``messages.due_soon_key``), and an extension or 重办 that moves the deadline is told again.
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from participation.complaints import messages
from participation.extensions import db
from participation.models import OPEN_STATES, Notification, Ticket
from participation.models.types import utcnow

WINDOW = timedelta(hours=24)


def due_soon(now: datetime | None = None) -> list[Ticket]:
    """Open, not yet escalated tickets due within ``WINDOW`` of ``now`` that were not told for this deadline yet;
    each is told (no commit: the job's transaction holds it). Returns the tickets told."""
    now = now or utcnow()
    tickets = db.session.scalars(select(Ticket).where(Ticket.state.in_(OPEN_STATES), Ticket.escalated_at.is_(None),
                                                      Ticket.due_at > now, Ticket.due_at <= now + WINDOW)
                                 .order_by(Ticket.due_at, Ticket.id)).all()
    if not tickets:
        return []
    # one read of what was told already, rather than one per ticket and recipient
    keys = db.session.scalars(select(Notification.dedupe_key).where(
        Notification.kind == "ticket.due_soon", Notification.ticket_id.in_([ticket.id for ticket in tickets]))).all()
    told = {key.rsplit(":", 1)[0] for key in keys if key}
    fresh = [ticket for ticket in tickets
             if messages.due_soon_key(ticket) not in told and messages.due_soon(ticket)]
    db.session.flush()
    return fresh

