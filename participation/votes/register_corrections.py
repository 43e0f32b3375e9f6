"""Correcting a vote's register while voting is open (DESIGN §4): its own audited action. Flush, never commit.

    correct_entry(actor, vote, entry, *, owner, area, reason) -> VoteRegisterCorrection

Only an organiser or admin who manages the community corrects, while the vote is open, with a reason; the owner
identity and the area of one unit change, and the correction (before, after, reason, staff member) is kept and
listed with the objections. A roster re-import is not a correction: it never reaches the register.
"""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.models import User, Vote, VoteRegisterCorrection, VoteRegisterEntry
from participation.models.types import utcnow
from participation.permissions import can_manage_community
from participation.votes.operations import VoteError

MAX_AREA = Decimal("100000")
MAX_OWNER = 64   # Household.owner_key's length
MAX_REASON = 500


def correct_entry(actor: User, vote: Vote, entry: VoteRegisterEntry, *, owner: str | None, area,
                  reason: str | None) -> VoteRegisterCorrection:
    """Change one register entry's owner identity and/or area; refused (nothing written) unless the actor manages
    the community, the vote is open, a reason is given and something changes."""
    if actor is None or not can_manage_community(actor, vote.community):
        raise VoteError(_("Only an organiser or administrator of this community corrects the register."))
    if entry.vote_id != vote.id:
        raise VoteError(_("This unit is not in the vote's register."))
    # Under a row lock (PostgreSQL), so a close waits for the correction and counts it, or refuses it.
    status = db.session.scalar(select(Vote.status).where(Vote.id == vote.id).with_for_update())
    if status != "open":
        raise VoteError(_("The register can be corrected only while voting is open."))
    errors = {}
    owner = (owner or "").strip()
    if not owner:
        errors["owner"] = _("Enter the owner's 业主标识.")
    elif len(owner) > MAX_OWNER:
        errors["owner"] = _("The 业主标识 is longer than %(max)d characters.", max=MAX_OWNER)
    new_area = _area(area, errors)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the correction.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("The text is too long (at most %(max)d characters).", max=MAX_REASON)
    if not errors and owner == entry.owner and new_area == entry.area:
        errors[""] = _("Nothing was changed: the owner and the area are as in the register.")
    if errors:
        raise VoteError(errors)
    correction = VoteRegisterCorrection(vote_id=vote.id, entry_id=entry.id, owner_before=entry.owner,
                                        owner_after=owner, area_before=entry.area, area_after=new_area,
                                        reason=reason, actor_id=actor.id, created_at=utcnow())
    db.session.add(correction)
    entry.owner, entry.area = owner, new_area
    db.session.flush()
    record(actor, "vote.register.correct", correction, community=vote.community_id, vote_id=vote.id,
           household_id=entry.household_id, reason=reason,
           changes={name: [before, after] for name, before, after in (
               ("owner", correction.owner_before, owner), ("area", correction.area_before, new_area))
               if before != after})
    return correction


def _area(value, errors: dict) -> Decimal | None:
    try:
        area = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        area = None
    if area is None or not area.is_finite():
        errors["area"] = _("The area must be a number of square metres, such as 56.78.")
    elif area <= 0:
        errors["area"] = _("The area must be a positive number.")
    elif area >= MAX_AREA:
        errors["area"] = _("The area is too large for one household.")
    elif area != area.quantize(Decimal("0.01")):
        errors["area"] = _("The area may have at most 2 decimals.")
    else:
        return area.quantize(Decimal("0.01"))
    return None
