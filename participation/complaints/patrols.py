"""Patrol findings (DESIGN §5, issue 5 point 4): what a 监理 (supervisor) or a 居民监督员 (resident supervisor)
finds while inspecting the works. A finding goes to the weekly bulletin and to the contractor (through the
outbox), never into the residents' rates: it is a row of ``patrol_findings``, not a ticket.

Who files them:
- 监理: an agency account whose organisation is a supervisor (``kind == "supervisor"``) and supervises the
  community (``Community.supervisor_id``); source "supervisor".
- 居民监督员: an owner representative (role ``owner_rep``) of the community; source "resident_supervisor". Of the
  roles in ``participation.models.accounts.ROLES`` the owner representative is the one residents choose to speak
  for them on the works (业主代表); the grid worker (网格员) is community staff, not a resident, so not them.

Rectification (整改闭环): the contractor of the works (an agency account of ``finding.contractor_id``) marks an open
finding rectified, with a note and up to three photos; the 监理 or the 居民监督员 who may file findings there
(``may_record_finding``) then verifies it, or returns it to open with a reason. Each step is a
``PatrolFindingEvent`` (who, when, what was written), is audited and is told through the outbox: the filer and the
supervisor's accounts hear of a rectification, the contractor's of a verification or a return.
"""
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, or_, select, update

from participation.audit import record
from participation.complaints import photos as complaint_photos
from participation.extensions import db
from participation.handlers import Refused
from participation.models import (Building, Community, ComplaintCategory, Organisation, PatrolFinding,
                                  PatrolFindingEvent, User)
from participation.models.types import utcnow
from participation.permissions import can_view_community, visible_communities
from participation.reach import outbox
from participation.uploads import UploadError
from participation.reach.words import default_language

MAX_DESCRIPTION = 4000
MAX_PLACE = 100
MAX_NOTE = 1000   # a rectification note or a reason for returning a finding
PATROLS_LINK = "/patrols"


class FindingRefused(Refused):
    """A finding that may not be recorded or a step that may not be taken (the message is shown as it is); nothing
    was changed."""


class FindingForbidden(FindingRefused):
    """The actor may read the finding but may not take this step on it (a view answers 403)."""


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
    if user.role == "agency" and user.organisation_id is None:
        return query.where(PatrolFinding.id.is_(None))
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
    through ``participation.complaints.photos`` when that module is installed."""
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
        text = _l("Patrol finding at %(community)s: %(category)s — %(description)s", community=community.name,
                 category=category.name, description=description[:200])
        _tell(_organisation_accounts(contractor.id), "patrol.finding", text, community)
    db.session.flush()
    return finding


def _check_photos(photos) -> list:
    """Decode every photo before anything is written; a refused one refuses the finding (FindingRefused)."""
    files = [photo for photo in (photos or ()) if photo is not None and getattr(photo, "filename", "")]
    if not files:
        return []
    try:
        return complaint_photos.check_photos(files)
    except UploadError as error:
        raise FindingRefused(str(error)) from None


def _store_photos(finding: PatrolFinding, checked: list, actor: User) -> int:
    if not checked:
        return 0
    try:
        return len(complaint_photos.store_ticket_photos(finding, checked, actor=actor))
    except UploadError as error:
        raise FindingRefused(str(error)) from None


# --- rectification ------------------------------------------------------------------------------------------------

def visible_finding(user: User, finding_id: int) -> PatrolFinding | None:
    """The finding ``finding_id`` if ``user`` may read it, else None (a view answers 404)."""
    return db.session.scalar(visible_findings(user).where(PatrolFinding.id == finding_id))


def may_rectify(user: User, finding: PatrolFinding) -> bool:
    """The contractor of the works: an agency account of the finding's contractor."""
    return (user.role == "agency" and finding.contractor_id is not None
            and user.organisation_id == finding.contractor_id)


def may_verify(user: User, finding: PatrolFinding) -> bool:
    """Who may file findings in the community (its 监理, its owner representatives) checks the rectification."""
    return may_record_finding(user, finding.community)


def finding_actions(user: User, finding: PatrolFinding) -> tuple[str, ...]:
    """The steps ``user`` may take on ``finding`` now: "rectify", or "verify" and "return"."""
    if finding.state == "open" and may_rectify(user, finding):
        return ("rectify",)
    if finding.state == "rectified" and may_verify(user, finding):
        return ("verify", "return")
    return ()


def _note(text: str | None, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise FindingRefused(missing)
    if len(text) > MAX_NOTE:
        raise FindingRefused(_("At most %(count)d characters, please.", count=MAX_NOTE))
    return text


def _move(finding: PatrolFinding, before: str, **values) -> None:
    """Move ``finding`` out of ``before`` unless someone moved it first (then FindingRefused, nothing changed)."""
    moved = db.session.execute(update(PatrolFinding).where(PatrolFinding.id == finding.id,
                                                           PatrolFinding.state == before).values(**values)
                               .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.refresh(finding)
        raise FindingRefused(_wrong_state(finding))
    db.session.refresh(finding)


def _wrong_state(finding: PatrolFinding) -> str:
    if finding.state == "verified":
        return _("This finding has already been verified.")
    if finding.state == "rectified":
        return _("This finding is already marked rectified and waits to be checked.")
    return _("This finding has not been marked rectified yet.")


def _tell(users, kind: str, words, community: Community) -> None:
    """In-app, through the outbox: ``patrol.finding`` (a new finding) or ``patrol.step`` (its rectification),
    worded (``words``: a lazy string) in the default language, whoever took the step."""
    with default_language():
        text = str(words)
    for user_id in dict.fromkeys(users):
        outbox.to_user(db.session.get(User, user_id), kind, text, community=community, link=PATROLS_LINK)


def _organisation_accounts(organisation_id: int | None) -> list[int]:
    if organisation_id is None:
        return []
    return list(db.session.scalars(select(User.id).where(User.role == "agency", User.active.is_(True),
                                                         User.organisation_id == organisation_id)
                                   .order_by(User.id)))


def _event(finding: PatrolFinding, actor: User, action: str, before: str, note: str | None = None,
           photo_ids=(), now: datetime | None = None) -> PatrolFindingEvent:
    event = PatrolFindingEvent(finding_id=finding.id, action=action, from_state=before, to_state=finding.state,
                               actor_id=actor.id, note=note, photo_ids=list(photo_ids), at=now or utcnow())
    db.session.add(event)
    return event


def rectify_finding(actor: User, finding: PatrolFinding, note: str, photos=(),
                    now: datetime | None = None) -> PatrolFindingEvent:
    """The contractor marks an open finding rectified, with a note (required) and up to three photos (checked
    before anything is written); the filer and the supervisor's accounts hear of it."""
    if not may_rectify(actor, finding):
        raise FindingForbidden(_("Only the contractor of these works may mark the finding rectified."))
    if finding.state != "open":
        raise FindingRefused(_wrong_state(finding))
    note = _note(note, _("Say what was done to put it right."))
    checked = _check_photos(photos)
    now = now or utcnow()
    _move(finding, "open", state="rectified", rectified_at=now, verified_at=None)
    stored = _store_photo_rows(finding, checked, actor)
    event = _event(finding, actor, "rectify", "open", note, [row.id for row in stored], now)
    record(actor, "patrol_finding.rectify", finding, community=finding.community_id, note=note, photos=len(stored))
    community = finding.community
    supervisor = _organisation_accounts(community.supervisor_id)
    recorder = db.session.get(User, finding.recorded_by_id)
    filer = [recorder.id] if recorder is not None and recorder.active else []
    _tell(filer + supervisor, "patrol.step",
          _l("Patrol finding at %(community)s marked rectified — please check: %(note)s", community=community.name,
            note=note[:200]), community)
    db.session.flush()
    return event


def verify_finding(actor: User, finding: PatrolFinding, now: datetime | None = None) -> PatrolFindingEvent:
    """The supervisor or the owner representative confirms a rectified finding; the contractor hears of it."""
    if not may_verify(actor, finding):
        raise FindingForbidden(_("Only the supervisor or an owner representative of this community may check "
                                 "the rectification."))
    if finding.state != "rectified":
        raise FindingRefused(_wrong_state(finding))
    now = now or utcnow()
    _move(finding, "rectified", state="verified", verified_at=now)
    event = _event(finding, actor, "verify", "rectified", now=now)
    record(actor, "patrol_finding.verify", finding, community=finding.community_id)
    _tell(_organisation_accounts(finding.contractor_id), "patrol.step",
          _l("Rectification of the patrol finding at %(community)s was verified: %(description)s",
            community=finding.community.name, description=finding.description[:200]), finding.community)
    db.session.flush()
    return event


def return_finding(actor: User, finding: PatrolFinding, reason: str,
                   now: datetime | None = None) -> PatrolFindingEvent:
    """The supervisor or the owner representative sends a rectified finding back to open with a reason (the
    rectification time is cleared); the contractor hears of it."""
    if not may_verify(actor, finding):
        raise FindingForbidden(_("Only the supervisor or an owner representative of this community may check "
                                 "the rectification."))
    if finding.state != "rectified":
        raise FindingRefused(_wrong_state(finding))
    reason = _note(reason, _("Say why the rectification is not accepted."))
    now = now or utcnow()
    _move(finding, "rectified", state="open", rectified_at=None, verified_at=None)
    event = _event(finding, actor, "return", "rectified", reason, now=now)
    record(actor, "patrol_finding.return", finding, community=finding.community_id, reason=reason)
    _tell(_organisation_accounts(finding.contractor_id), "patrol.step",
          _l("Rectification of the patrol finding at %(community)s was not accepted: %(reason)s",
            community=finding.community.name, reason=reason[:200]), finding.community)
    db.session.flush()
    return event


def _store_photo_rows(finding: PatrolFinding, checked: list, actor: User) -> list:
    if not checked:
        return []
    try:
        return complaint_photos.store_ticket_photos(finding, checked, actor=actor)
    except UploadError as error:
        raise FindingRefused(str(error)) from None
