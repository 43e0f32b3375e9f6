"""Patrol findings (DESIGN §5, issue 5 point 4): what a 监理 (supervisor) or a 居民监督员 (resident supervisor)
finds while inspecting the works. A finding goes to the weekly bulletin and to the contractor (through the
outbox), never into the residents' rates: it is a row of ``patrol_findings``, not a ticket.

Who files them:
- 监理: an agency account whose organisation is a supervisor (``kind == "supervisor"``) and supervises the
  community (``Community.supervisor_id``); source "supervisor".
- 居民监督员: an owner representative (role ``owner_rep``) of the community; source "resident_supervisor". Of the
  roles in ``participation.models.accounts.ROLES`` the owner representative is the one residents choose to speak
  for them on the works (业主代表); the grid worker (网格员) is community staff, not a resident, so not them.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from participation.extensions import db
from participation.models import (Building, Community, ComplaintCategory, Notification, Organisation, PatrolFinding,
                                  User)
from participation.models.types import utcnow
from participation.operations.audit import record
from participation.permissions import can_view_community, visible_communities

MAX_DESCRIPTION = 4000
MAX_PLACE = 100


class FindingRefused(ValueError):
    """A finding that may not be recorded (the message is shown as it is); nothing was changed."""


def finding_source(user: User) -> str | None:
    """"supervisor", "resident_supervisor", or None for someone who does not patrol."""
    if user.role == "agency" and user.organisation is not None and user.organisation.kind == "supervisor":
        return "supervisor"
    if user.role == "owner_rep":
        return "resident_supervisor"
    return None


def may_record_finding(user: User, community: Community) -> bool:
    source = finding_source(user)
    if source == "supervisor":
        return community.supervisor_id is not None and community.supervisor_id == user.organisation_id
    return source == "resident_supervisor" and can_view_community(user, community)


def patrol_communities(user: User) -> Select:
    """The communities ``user`` may file findings for."""
    query = visible_communities(user)
    if finding_source(user) == "supervisor":
        return query.where(Community.supervisor_id == user.organisation_id)
    return query if finding_source(user) else query.where(Community.id.is_(None))


def visible_findings(user: User) -> Select:
    """Findings ``user`` may read, newest first: desk staff those of their communities, the contractor and the
    supervisor those of their works, an owner representative those of their communities."""
    query = select(PatrolFinding).order_by(PatrolFinding.found_at.desc(), PatrolFinding.id.desc())
    if user.role == "agency":
        supervised = select(Community.id).where(Community.supervisor_id == user.organisation_id)
        return query.where(or_(PatrolFinding.contractor_id == user.organisation_id,
                               PatrolFinding.community_id.in_(supervised)))
    ids = visible_communities(user).with_only_columns(Community.id).order_by(None)
    return query.where(PatrolFinding.community_id.in_(ids))


def record_finding(actor: User, community: Community, category: ComplaintCategory, description: str,
                   source: str | None = None, building: Building | None = None, place: str | None = None,
                   photos=(), now: datetime | None = None) -> PatrolFinding:
    """Record a finding; the contractor's accounts hear of it through the outbox. ``source`` defaults to the
    actor's ("supervisor" or "resident_supervisor") and must match it. ``photos`` (uploaded files) are stored
    through ``participation.operations.complaint_photos`` when that module is installed."""
    own = finding_source(actor)
    if own is None or not may_record_finding(actor, community):
        raise FindingRefused(_("You may not record patrol findings for this community."))
    if source is not None and source != own:
        raise FindingRefused(_("Choose one of the options offered."))
    description = (description or "").strip()
    if not description:
        raise FindingRefused(_("Describe what you found."))
    if len(description) > MAX_DESCRIPTION:
        raise FindingRefused(_("At most %(count)d characters, please.", count=MAX_DESCRIPTION))
    place = (place or "").strip() or None
    if place is not None and len(place) > MAX_PLACE:
        raise FindingRefused(_("At most %(count)d characters, please.", count=MAX_PLACE))
    if category is None or category.locality_id != community.district.locality_id or category.retired_at is not None:
        raise FindingRefused(_("Choose one of the options offered."))
    if building is not None and building.community_id != community.id:
        raise FindingRefused(_("That building is not in this community."))
    checked = _check_photos(photos)
    finding = PatrolFinding(community=community, building_id=building.id if building else None, place=place,
                            category=category, source=own, description=description,
                            contractor_id=community.contractor_id, found_at=now or utcnow(), recorded_by_id=actor.id)
    db.session.add(finding)
    db.session.flush()
    stored = _store_photos(finding, checked, actor)
    record(actor, "patrol_finding.record", finding, community=community, source=own, category=category.code,
           building=building.name if building else None, place=place, photos=stored)
    if community.contractor_id is not None:
        contractor = db.session.get(Organisation, community.contractor_id)
        text = _("Patrol finding at %(community)s: %(category)s — %(description)s", community=community.name,
                 category=category.name, description=description[:200])
        for user in db.session.scalars(select(User).where(User.role == "agency", User.active.is_(True),
                                                          User.organisation_id == contractor.id)):
            db.session.add(Notification(user_id=user.id, kind="patrol.finding", text=text))
    db.session.flush()
    return finding


def _photo_helper():
    try:
        from participation.operations import complaint_photos
    except ImportError:   # not installed: findings are kept without photos
        return None
    return complaint_photos


def _check_photos(photos) -> list:
    """Decode every photo before anything is written; a refused one refuses the finding (FindingRefused)."""
    files = [photo for photo in (photos or ()) if photo is not None and getattr(photo, "filename", "")]
    helper = _photo_helper()
    if not files or helper is None:
        return []
    from participation.operations.uploads import UploadError
    try:
        return helper.check_photos(files)
    except UploadError as error:
        raise FindingRefused(str(error)) from None


def _store_photos(finding: PatrolFinding, checked: list, actor: User) -> int:
    if not checked:
        return 0
    from participation.operations.uploads import UploadError
    try:
        return len(_photo_helper().store_ticket_photos(finding, checked, actor=actor))
    except UploadError as error:
        raise FindingRefused(str(error)) from None
