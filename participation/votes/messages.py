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

The many-household messages (the notice, reminders, survey openings) are written in one pass: the households come
with their 单元 and building loaded, one query finds those already told, and each new message gets its dedupe key
set on the row (the UNIQUE column still refuses a second copy) instead of ``outbox``'s per-call look-up, which
would query, and flush, once per household.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import (Ballot, Building, Community, Household, Notification, Unit, User, Vote,
                                  VoteRegisterEntry, user_communities)
from participation.reach import outbox

TITLE_LENGTH = 20   # an SMS template variable is short (阿里云 caps a variable's length); the in-app text has it all


# --- values an SMS may carry ----------------------------------------------------------------------------------------

def short_title(title: str) -> str:
    """A title cut to what a template variable takes."""
    title = (title or "").strip()
    return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1] + "…"


def closing_day(closes_at: datetime | None) -> str:
    """The last day to take part, as an SMS says it ("12月20日", Beijing): a close at midnight is the day before's
    end. Without a closing time: 另行通知 (the template's variable must hold something)."""
    if closes_at is None:
        return _("to be announced")
    day = (closes_at - timedelta(seconds=1)).astimezone(BEIJING).date()
    return f"{day.month}月{day.day}日"


def default_language():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))


# --- recipients ----------------------------------------------------------------------------------------------------

def staff_of(community: Community, role: str) -> list[User]:
    """Active staff of ``role`` who see ``community``: listed for it, or (organisers) for its whole district — as
    ``participation.permissions.visible_communities`` scopes them."""
    listed = select(user_communities.c.user_id).where(user_communities.c.community_id == community.id)
    scope = [User.id.in_(listed)]
    if role in ("admin", "hotline", "organiser"):
        scope.append(User.district_id == community.district_id)
    return list(db.session.scalars(select(User).where(User.role == role, User.active.is_(True), or_(*scope))
                                   .order_by(User.id)))


def households_with_places(condition) -> list[Household]:
    """The households matching ``condition`` with their 单元 and building loaded (the outbox reads the community
    through them), in roster order."""
    return list(db.session.scalars(
        select(Household).join(Household.unit).join(Unit.building)
        .options(contains_eager(Household.unit).contains_eager(Unit.building))
        .where(condition).order_by(Building.sort_key, Unit.sort_key, Household.sort_key, Household.id)))


def written_keys(kind: str, community_id: int, prefix: str) -> set[str]:
    """The dedupe keys of the community's ``kind`` messages that start with ``prefix``."""
    return set(db.session.scalars(select(Notification.dedupe_key).where(
        Notification.community_id == community_id, Notification.kind == kind,
        Notification.dedupe_key.startswith(prefix, autoescape=True))))


def tell_households(households, kind: str, text: str, params: dict, *, link: str | None, prefix: str,
                    suffix: str = "") -> int:
    """One message to each of ``households`` not yet told (dedupe key ``prefix`` + household id + ``suffix``); how
    many were written. See the module's docstring for why the key is set here rather than passed to the outbox."""
    if not households:
        return 0
    written_before = written_keys(kind, households[0].unit.building.community_id, prefix)
    written = 0
    for household in households:
        key = f"{prefix}{household.id}{suffix}"
        if key in written_before:
            continue
        message = outbox.to_household(household, kind, text, params=params, link=link)
        message.dedupe_key = key
        written += 1
    db.session.flush()
    return written


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
    return _tell_staff(vote, "vote.quorum_reached", text, staff_of(vote.community, "organiser"),
                       _quorum_prefix(vote))


def _quorum_prefix(vote: Vote) -> str:
    return f"vote.quorum_reached:{vote.id}:"


def cosign_waiting(vote: Vote) -> int:
    """The preliminary result waits for the owner representative's co-signature: they and the robots are told."""
    with default_language():
        text = _("The preliminary result of the owners' vote \"%(title)s\" of %(community)s waits for the owner "
                 "representative's co-signature.", title=vote.title, community=vote.community.name)
    return _tell_staff(vote, "cosign.waiting", text, staff_of(vote.community, "owner_rep"),
                       f"cosign.waiting:vote:{vote.id}:")


def _tell_staff(vote: Vote, kind: str, text: str, users: list[User], prefix: str) -> int:
    link = f"/c/{vote.community.code}/votes/{vote.id}"          # participation.votes.views.show
    written = [outbox.to_user(user, kind, text, community=vote.community, link=link, dedupe_key=f"{prefix}u{user.id}")
               for user in users]
    written += outbox.to_robots(kind, text, community=vote.community, dedupe_key=prefix.rstrip(":"))
    db.session.flush()
    return len([message for message in written if message is not None])
