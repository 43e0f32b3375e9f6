"""Undoing a refused survey operation for pages that show the refusal their own way (a flash on the survey page,
the rows of a refused file, a JSON error) rather than on a form, where ``participation.handlers.refuse_onto`` does
both. Views never roll back themselves: the request commits once after them (STYLE.md rule 1)."""
from participation.extensions import db


def withdraw(refusal: Exception) -> Exception:
    """Roll back whatever the refused operation (or the request that lost a race) flushed, so the request commits
    none of it; return the refusal. Work that must outlive it is written after this call."""
    db.session.rollback()
    return refusal
