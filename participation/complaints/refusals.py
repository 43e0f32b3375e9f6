"""Undoing a refused complaint operation for pages that show the refusal their own way (a flash on the ticket page,
the message slot of the resident's form, the row of an unplaced report, the list of findings, a JSON error) rather
than on a form's fields, where ``participation.handlers.refuse_onto`` does both. Views never roll back themselves:
the request commits once after them (STYLE.md rule 1)."""
from participation.extensions import db
from participation.handlers import Refused


def withdraw(refusal: Refused | Exception) -> Refused | Exception:
    """Roll back whatever the refused operation flushed, so the request commits none of it; return the refusal.
    Work that must outlive it is written after this call."""
    db.session.rollback()
    return refusal
