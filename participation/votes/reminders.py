"""The owners' vote reminder (optional; a household may opt out of its SMS): two days before voting closes, each
household of the register whose owner has not voted hears of it once. The periodic job runs ``send_vote_reminders``;
running it again, or on two workers, writes nothing new (one dedupe key per vote and household). Flush, never
commit: the job's task commits.

    send_vote_reminders(now=None) -> int          # messages written
    init_app(app)                                 # registers the job with the task queue, when there is one
"""
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import Ballot, Household, Vote, VoteRegisterEntry
from participation.models.types import utcnow
from participation.reach.queue import every
from participation.reach.recipients import households_with_places, tell_households
from participation.reach.words import closing_day, default_language, short_title
from participation.votes import messages

REMIND_BEFORE = timedelta(days=2)


def due_votes(now: datetime) -> list[Vote]:
    """Open votes in their voting time that close within ``REMIND_BEFORE``."""
    return list(db.session.scalars(select(Vote).where(
        Vote.status == "open", Vote.closes_at.is_not(None), Vote.closes_at > now,
        Vote.closes_at <= now + REMIND_BEFORE).order_by(Vote.id)))


def not_voted(vote: Vote) -> list[Household]:
    """The register's households whose owner has no ballot in the vote (an owner of several units who voted through
    one of them has voted for all: Art. 278 counts owners)."""
    voted = select(Ballot.owner).where(Ballot.vote_id == vote.id)
    waiting = select(VoteRegisterEntry.household_id).where(VoteRegisterEntry.vote_id == vote.id,
                                                           VoteRegisterEntry.owner.not_in(voted))
    return households_with_places(Household.id.in_(waiting))


def send_vote_reminders(now: datetime | None = None) -> int:
    now = now or utcnow()
    written = 0
    for vote in due_votes(now):
        if vote.opens_at is not None and vote.opens_at > now:
            continue
        with default_language():
            params = {"community": vote.community.name, "title": short_title(vote.title),
                      "deadline": closing_day(vote.closes_at)}
            text = _("Reminder: the owners' vote of %(community)s \"%(title)s\" closes on %(deadline)s and your "
                     "household's owner has not voted yet. Open the vote on your household page, or ask the "
                     "community office for a paper ballot.", community=params["community"], title=vote.title,
                     deadline=params["deadline"])
        written += tell_households(not_voted(vote), "vote.reminder", text, params,
                                            link=messages.vote_link(vote), prefix=f"vote.reminder:{vote.id}:")
    return written


def init_app(app) -> None:
    """Every day at 10:00 Beijing (02:00 UTC: inside SMS hours), through ``participation.reach.queue.every``."""
    every(app, "votes.reminders", send_vote_reminders, minute="0", hour="2")
