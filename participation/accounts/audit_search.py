"""Reading the audit log: what an admin may see, filtered, a page of it, and the same list as a CSV for Excel."""
import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy import Select, and_, or_, select

from participation.accounts.queries import district_user_ids
from participation.extensions import db
from participation.formatting import beijing, beijing_midnight
from participation.models import AuditEvent, Community, User

CSV_HEADER = ("time", "actor", "action", "object_type", "object_id", "community", "channel", "detail")


def visible_events(viewer: User) -> Select:
    """Events an admin may read: all for a city-wide admin; for a district admin, events in the district's
    communities and events outside any community made by the district's accounts."""
    query = select(AuditEvent)
    if viewer.district_id is None:
        return query
    district_communities = select(Community.id).where(Community.district_id == viewer.district_id)
    return query.where(or_(
        AuditEvent.community_id.in_(district_communities),
        and_(AuditEvent.community_id.is_(None), AuditEvent.actor_id.in_(district_user_ids(viewer.district_id)))))


def search(viewer: User, *, actor: str | None = None, action: str | None = None, community: str | None = None,
           channel: str | None = None, date_from: date | None = None, date_to: date | None = None) -> Select:
    """The events ``viewer`` may see that match the filters, newest first. Dates are local (Beijing) days."""
    query = visible_events(viewer)
    if actor:
        pattern = actor.strip()
        matching = select(User.id).where(or_(User.username.icontains(pattern, autoescape=True),
                                             User.display_name.icontains(pattern, autoescape=True)))
        query = query.where(AuditEvent.actor_id.in_(matching))
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if community:
        query = query.where(AuditEvent.community_id.in_(select(Community.id)
                                                        .where(Community.code == community.strip())))
    if channel:
        query = query.where(AuditEvent.channel == channel)
    if date_from:
        query = query.where(AuditEvent.created_at >= beijing_midnight(date_from))
    if date_to:
        query = query.where(AuditEvent.created_at < beijing_midnight(date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def events_page(viewer: User, filters: dict, *, page: int, per_page: int):
    """One page of the events ``viewer`` may see that match ``filters`` (``search``'s keywords), newest first; a
    page past the end is empty, not a 404."""
    return db.paginate(search(viewer, **filters), page=page, per_page=per_page, error_out=False)


def first_events(viewer: User, filters: dict, limit: int) -> list[AuditEvent]:
    """The newest ``limit`` events ``viewer`` may see that match ``filters``."""
    return list(db.session.scalars(search(viewer, **filters).limit(limit)))


def community_codes(ids) -> dict[int, str]:
    """{community id: code} for the communities these events name."""
    ids = {community_id for community_id in ids if community_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Community.id, Community.code).where(Community.id.in_(ids))).all())


def detail_text(value) -> str:
    """A detail value as people read it: text as is, anything else as compact JSON with Chinese kept."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _cell(value) -> str:
    """Cells Excel would run as formulas (=, +, -, @) are prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def events_csv(events, community_codes: dict[int, str]) -> str:
    """The events as CSV text starting with a byte-order mark, so Excel opens the Chinese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for event in events:
        writer.writerow([_cell(value) for value in (
            beijing(event.created_at, "%Y-%m-%d %H:%M:%S"),
            event.actor.username if event.actor else "system", event.action, event.object_type, event.object_id,
            community_codes.get(event.community_id, ""), event.channel,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True))])
    return out.getvalue()
