"""What an owner vote tells people, and whom (DESIGN §4 and §10): the Art. 278 notice to every household of the
register, a ballot recorded or changed by staff to its household, the quorum reached to the organisers and the
community's 企业微信 groups, a result waiting for the owner representative's co-signature. Called from the vote's
operations inside their transaction; everything goes through ``participation.reach.outbox``. Flush, never commit.

    opened(vote) -> int                          # the notice; required (kinds.py: not optional)
    ballot_changed(vote, household_ids, text)    # in-app text as the ballot module words it
    quorum_due(vote) -> bool                     # after a ballot: if so, the ballot module counts the tally and
    quorum_reached(vote) -> int                  # tells the organisers the first time the quorum is met
    cosign_waiting(vote) -> int                  # on closing: the owner representatives and the robots

An SMS carries the template's values only (kinds.py); a message's words are in the default language, whoever
triggered it, since they are for residents and staff groups rather than the person at the keyboard.

The many-household messages (the notice, reminders) are written in one pass by
``participation.reach.recipients.tell_households``.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Ballot, Household, Notification, Vote, VoteRegisterEntry
from participation.reach import outbox
from participation.reach.recipients import households_with_places, staff_of, tell_households, tell_staff
from participation.reach.words import closing_day, default_language, short_title

# --- the vote's events ---------------------------------------------------------------------------------------------

def vote_link(vote: Vote) -> str:
    return f"/r/{vote.community.code}/votes/{vote.id}"        # participation.votes.resident_views.vote


def _params(vote: Vote) -> dict:
    return {"community": vote.community.name, "title": short_title(vote.title), "deadline": closing_day(vote.closes_at)}


def opened(vote: Vote) -> int:
    """The Art. 278 notice (required, never opted out of) to every household of the vote's register: the owners of
    its scope as frozen when it opened, whatever the roster says later. Once per household and vote."""
    with default_language():
        params = _params(vote)
        text = _("Owners' vote of %(community)s: \"%(title)s\". Voting is open until %(deadline)s. Every owner "
                 "counts under Art. 278 of the Civil Code: open the vote on your household page, or ask the "
                 "community office for a paper ballot.", community=params["community"], title=vote.title,
                 deadline=params["deadline"])
    register = select(VoteRegisterEntry.household_id).where(VoteRegisterEntry.vote_id == vote.id)
    return tell_households(households_with_places(Household.id.in_(register)), "vote.opened", text, params,
                           link=vote_link(vote), prefix=f"vote.opened:{vote.id}:")


def ballot_changed(vote: Vote, household_ids, text: str) -> None:
    """A ballot recorded or changed by staff (or changed by the owner): each household concerned hears of it."""
    params = {"community": vote.community.name, "title": short_title(vote.title)}
    for household_id in household_ids:
        household = db.session.get(Household, household_id)
        outbox.to_household(household, "vote.ballot_changed", text, params=params, link=vote_link(vote))


def quorum_due(vote: Vote) -> bool:
    """Whether the tally should be counted after a ballot to see if the quorum was just met: not while the ballots
    (an upper bound of the owners taking part) are fewer than ⅔ of the register's owners, nor once someone was
    told. Small look-ups, so a paper import does not count the whole tally for every row."""
    if vote.register_frozen_at is not None:
        ballots = db.session.scalar(select(func.count(Ballot.id)).where(Ballot.vote_id == vote.id))
        owners = db.session.scalar(select(func.count(func.distinct(VoteRegisterEntry.owner)))
                                   .where(VoteRegisterEntry.vote_id == vote.id))
        if 3 * ballots < 2 * owners:
            return False
    return db.session.scalar(select(Notification.id).where(
        Notification.community_id == vote.community_id, Notification.kind == "vote.quorum_reached",
        Notification.dedupe_key.startswith(_quorum_prefix(vote), autoescape=True)).limit(1)) is None


def quorum_reached(vote: Vote) -> int:
    """The vote's participation met the Art. 278 quorum (⅔ of the area and ⅔ of the owners) for the first time: the
    organisers and the community's robots are told, once per vote."""
    with default_language():
        text = _("The owners' vote \"%(title)s\" of %(community)s has reached its quorum (two thirds of the area "
                 "and of the owners took part).", title=vote.title, community=vote.community.name)
    return tell_staff(staff_of(vote.community, "organiser"), "vote.quorum_reached", text, community=vote.community,
                      link=_staff_link(vote), dedupe_key=_quorum_prefix(vote).rstrip(":"))


def _quorum_prefix(vote: Vote) -> str:
    return f"vote.quorum_reached:{vote.id}:"


def cosign_waiting(vote: Vote) -> int:
    """The preliminary result waits for the owner representative's co-signature: they and the robots are told."""
    with default_language():
        text = _("The preliminary result of the owners' vote \"%(title)s\" of %(community)s waits for the owner "
                 "representative's co-signature.", title=vote.title, community=vote.community.name)
    return tell_staff(staff_of(vote.community, "owner_rep"), "cosign.waiting", text, community=vote.community,
                      link=_staff_link(vote), dedupe_key=f"cosign.waiting:vote:{vote.id}")


def _staff_link(vote: Vote) -> str:
    return f"/c/{vote.community.code}/votes/{vote.id}"          # participation.votes.views.show
