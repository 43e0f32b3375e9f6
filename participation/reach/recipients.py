"""Whom a feature's message goes to, and writing it to many at once: the community's staff of a role, households
with their places loaded, and the two writers every feature's ``messages`` module uses.

Many-household messages (a vote's notice, reminders, survey openings) are written in one pass: the households come
with their 单元 and building loaded, one query finds those already told, and each new message gets its dedupe key
set on the row (the UNIQUE column still refuses a second copy) instead of ``outbox``'s per-call look-up, which
would query, and flush, once per household.
"""
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from participation.extensions import db
from participation.models import Building, Community, Household, Notification, Unit, User, user_communities
from participation.reach import outbox


def staff_of(community: Community, role: str) -> list[User]:
    """Active staff of ``role`` who see ``community``: listed for it, or (admins, the hotline, organisers) for its
    whole district — as ``participation.permissions.visible_communities`` scopes them."""
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


def tell_staff(users, kind: str, text: str, *, community=None, organisation=None, ticket=None,
               link: str | None = None, dedupe_key: str | None = None) -> int:
    """``kind`` to each of ``users`` (in-app, each once) and to the robots of ``community`` and ``organisation``
    that asked for it. A ``dedupe_key`` is made per recipient (``:u<id>``, ``:r<id>``), since a key is unique across
    all messages. Returns how many messages were written."""
    written = 0
    for user in {user.id: user for user in users}.values():
        key = f"{dedupe_key}:u{user.id}" if dedupe_key else None
        written += outbox.to_user(user, kind, text, community=community, ticket=ticket, link=link,
                                  dedupe_key=key) is not None
    if community is not None or organisation is not None:
        written += len(outbox.to_robots(kind, text, community=community, organisation=organisation, ticket=ticket,
                                        dedupe_key=dedupe_key))
    db.session.flush()
    return written
