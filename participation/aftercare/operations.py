"""After-care (长效管理): the owners decide the property-management mode and the fee standard by an ordinary
Art. 278 vote (item 4, 选聘和解聘物业服务企业或者其他管理人: 双过半 of the participating owners, with the ⅔ quorum).
Flush, never commit; audited.

    propose_aftercare(actor, community, mode, fee, closes_at, *, note=None, opens_at=None,
                      hide_tallies=False) -> AfterCareProposal
    parse_fee(text) -> Decimal                     # yuan per m² per month; AfterCareRefused when not one
    proposals(community) -> list[AfterCareProposal]                       # newest first
    aftercare_outcome(community) -> dict | None    # the latest final proposal vote: mode, fee, passed, figures
"""
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import AFTERCARE_MODE_LABELS
from participation.models import AFTERCARE_MODES, AfterCareProposal, Community, User, Vote
from participation.votes import operations as votes

AFTERCARE_MATTER = 4        # 民法典第二百七十八条第一款第四项 (ordinary)
MAX_FEE = Decimal("9999.99")


class AfterCareRefused(Refused):
    """A refused proposal; ``errors`` maps a field to its message; nothing was changed."""


def parse_fee(text) -> Decimal:
    """The fee standard in yuan per m² per month, such as 0.85; at most two decimals, 0 allowed (业主自治)."""
    cleaned = str(text if text is not None else "").strip().replace("，", ".")
    try:
        fee = Decimal(cleaned)
    except InvalidOperation:
        fee = None
    if fee is None or not fee.is_finite() or fee < 0 or fee > MAX_FEE or fee.as_tuple().exponent < -2:
        raise AfterCareRefused({"fee": _("Enter the fee in yuan per m² per month, such as 0.85 (at most two "
                                         "decimals).")})
    return fee.quantize(Decimal("0.01"))


def propose_aftercare(actor: User, community: Community, mode: str, fee, closes_at: datetime, *,
                      note: str | None = None, opens_at: datetime | None = None,
                      hide_tallies: bool = False) -> AfterCareProposal:
    """Put a mode and a fee to the owners of the whole community: creates the vote (matter 4, ordinary), open at
    once unless ``opens_at`` is given, and the proposal that names it."""
    errors = {}
    if mode not in AFTERCARE_MODES:
        errors["mode"] = _("Choose the management mode.")
    try:
        fee = fee if isinstance(fee, Decimal) and fee.as_tuple().exponent >= -2 and 0 <= fee <= MAX_FEE \
            else parse_fee(fee)
    except AfterCareRefused as refused:
        errors.update(refused.errors)
    note = (note or "").strip() or None
    if note is not None and len(note) > 1000:
        errors["note"] = _("The note is longer than 1000 characters.")
    if closes_at is None:
        errors["closes_at"] = _("Enter when voting closes.")
    if errors:
        raise AfterCareRefused(errors)
    mode_words = str(AFTERCARE_MODE_LABELS[mode])
    description = _("Property management after the renovation (长效管理): %(mode)s, fee standard %(fee)s yuan per "
                    "m² per month.", mode=mode_words, fee=f"{fee:.2f}")
    if note:
        description += " " + note
    vote = votes.create_vote(actor, community, AFTERCARE_MATTER,
                             _("Property management: %(mode)s, %(fee)s yuan/m² a month", mode=mode_words,
                               fee=f"{fee:.2f}"),
                             description=description, scope="community", opens_at=opens_at, closes_at=closes_at,
                             hide_tallies=hide_tallies, open_now=opens_at is None)
    proposal = AfterCareProposal(community=community, vote=vote, mode=mode, fee=fee, note=note,
                                 created_by_id=getattr(actor, "id", None))
    db.session.add(proposal)
    db.session.flush()
    record(actor, "aftercare.propose", proposal, community=community, vote_id=vote.id, mode=mode, fee=str(fee))
    return proposal


def proposals(community: Community) -> list[AfterCareProposal]:
    return list(db.session.scalars(select(AfterCareProposal).where(AfterCareProposal.community_id == community.id)
                                   .order_by(AfterCareProposal.created_at.desc(), AfterCareProposal.id.desc())))


def aftercare_outcome(community: Community) -> dict | None:
    """The latest final proposal vote (by when it became final): its mode, fee, whether it passed, the figures
    (``votes.tally``); None when no proposal vote is final yet. A failed latest vote decides nothing."""
    proposal = db.session.scalar(
        select(AfterCareProposal).join(Vote, Vote.id == AfterCareProposal.vote_id)
        .where(AfterCareProposal.community_id == community.id, Vote.status == "final")
        .order_by(Vote.finalised_at.desc(), Vote.id.desc()).limit(1))
    if proposal is None:
        return None
    vote = proposal.vote
    return {"proposal_id": proposal.id, "vote_id": vote.id, "mode": proposal.mode,
            "mode_label": str(AFTERCARE_MODE_LABELS[proposal.mode]), "fee": Decimal(proposal.fee),
            "passed": bool(vote.result_passed), "finalised_at": vote.finalised_at, "figures": votes.tally(vote)}
