"""Photos of a complaint (a ticket) or of a patrol finding: up to three, each a real JPEG, PNG or WebP picture of at
most 10 MB, stored re-encoded without EXIF/GPS with a thumbnail beside it — or nothing at all.

The files are checked by decoding them with Pillow (the name and the type the browser claims mean nothing), all of
them before the first one is written: one bad photo refuses the whole set. The decoding and cleaning is
``participation.uploads``' (the field survey's photos), with a lower limit per file.
"""
import io
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, send_file
from flask_babel import gettext as _
from limits import parse as parse_limit
from PIL import Image
from sqlalchemy import event, func, select

from participation.audit import record
from participation.complaints.operations import act, file_ticket
from participation.extensions import db, limiter
from participation.handlers import Refused
from participation.models import Ticket, TicketEvent, TicketPhoto
from participation.models.complaints import PatrolFinding
from participation.models.types import utcnow
from participation.uploads import (JPEG_QUALITY, MAX_PIXELS, UploadError, clean_image, describe_size, discard,
                                   stored_file, upload_root)

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = MAX_PIXELS   # decoded at full size (PNG, WebP); a phone's JPEG is decoded reduced
THUMBNAIL_SIDE = 320
FOLDER = "complaints"
# The request of a complaint with three photos at the limit, and the form's few fields.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 512 * 1024

# A resident's complaints per hour, by household and by network address (mobile carriers put many households
# behind one address, hence the higher figure).
HOUSEHOLD_PER_HOUR = 10
ADDRESS_PER_HOUR = 30
ADDRESS_LIMIT = parse_limit(f"{ADDRESS_PER_HOUR}/hour")

# How a staff member acting for a household reached it (participation.models.access.CHANNELS) → the ticket channel.
TICKET_CHANNEL_OF = {"web": "web", "phone": "community_hotline", "hotline": "community_hotline",
                     "paper": "walk_in", "door_to_door": "walk_in"}


@dataclass(frozen=True)
class _Checked:
    image: Image.Image


def _chosen(files) -> list:
    """The file inputs that carry a file (a browser sends an empty part for an input left empty)."""
    return [f for f in (files or []) if f is not None and (getattr(f, "filename", None) or "").strip()]


def check_photos(files) -> list[_Checked]:
    """Read and decode every chosen file; raise UploadError (nothing stored) on the first refusal."""
    chosen = _chosen(files)
    if len(chosen) > MAX_PHOTOS:
        raise UploadError(_("At most %(count)d photos, please.", count=MAX_PHOTOS))
    checked = []
    for number, storage in enumerate(chosen, start=1):
        declared = getattr(storage, "content_length", 0) or 0
        if declared > MAX_PHOTO_BYTES:
            raise _too_large(number)
        data = storage.stream.read(MAX_PHOTO_BYTES + 1)   # never more than the limit is read
        if not data:
            raise UploadError(_("Photo %(number)d is an empty file.", number=number))
        if len(data) > MAX_PHOTO_BYTES:
            raise _too_large(number)
        try:
            checked.append(_Checked(clean_image(data, max_pixels=MAX_PHOTO_PIXELS)))
        except UploadError as error:
            raise UploadError(_("Photo %(number)d: %(reason)s", number=number, reason=str(error))) from error
    return checked


def _too_large(number: int) -> UploadError:
    return UploadError(_("Photo %(number)d is too large. Photos up to %(size)s each are accepted.",
                         number=number, size=describe_size(MAX_PHOTO_BYTES)))


def store_ticket_photos(ticket_or_finding: Ticket | PatrolFinding, files, *, actor=None,
                        event: TicketEvent | None = None) -> list[TicketPhoto]:
    """Check, clean and store up to three photos of a ticket or a patrol finding, each with its thumbnail; add the
    TicketPhoto rows (of the ticket's step ``event``, for an agency's reply). Raises UploadError with nothing stored
    when any file is refused. ``files`` are uploaded files (werkzeug FileStorage) or photos already returned by
    ``check_photos``."""
    files = list(files or [])
    checked = files if files and all(isinstance(f, _Checked) for f in files) else check_photos(files)
    if not checked:
        return []
    if isinstance(ticket_or_finding, Ticket):
        owner, community = {"ticket": ticket_or_finding}, ticket_or_finding.community_id
        if event is not None:
            owner["event_id"] = event.id
    else:
        owner, community = {"finding_id": ticket_or_finding.id}, ticket_or_finding.community_id
    written: list[str] = []
    rows = []
    try:
        for photo in checked:
            path = _write(photo.image, written)
            thumbnail = photo.image.copy()
            thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
            rows.append(TicketPhoto(path=path, thumbnail_path=_write(thumbnail, written), **owner))
    except OSError:
        for relative in written:
            discard(relative)
        raise UploadError(_("The photos could not be saved. Nothing was saved; please try again.")) from None
    db.session.add_all(rows)
    db.session.flush()
    record(actor, "ticket.photos", ticket_or_finding, community=community, count=len(rows),
           photos=[row.id for row in rows], **({"event": event.id} if event is not None else {}))
    return rows


def _write(image: Image.Image, written: list[str]) -> str:
    relative = f"{FOLDER}/{secrets.token_hex(16)}.jpg"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, target)
    written.append(relative)
    return relative


def stored_paths(rows: list[TicketPhoto]) -> list[str]:
    """The files of ``rows``: what to discard when the transaction they belong to fails."""
    return [path for row in rows for path in (row.path, row.thumbnail_path)]


def discard_unless_committed(paths: list[str]) -> None:
    """Remove the stored files ``paths`` if the transaction that records them rolls back rather than commits: the
    request commits after its view returned, and a failed commit must leave no photo that no row points to."""
    if not paths:
        return
    session = db.session()

    def committed(_session) -> None:
        event.remove(session, "after_rollback", rolled_back)

    def rolled_back(_session) -> None:
        event.remove(session, "after_commit", committed)
        for path in paths:
            discard(path)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


class FilingTooFrequent(Refused):
    """Too many complaints from one household or one address in the last hour; the message is for the resident."""


def check_filing_rate(household, address: str | None, *, now=None) -> None:
    """Refuse a resident's complaint past HOUSEHOLD_PER_HOUR from the household or ADDRESS_PER_HOUR from one
    network address (a flood of photos to decode, or of tickets the desk must answer). Counted before the photos
    are decoded; the address's tries are counted in the rate limiter's storage, the household's in its tickets."""
    now = now or utcnow()
    filed = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.household_id == household.id, Ticket.received_at > now - timedelta(hours=1)))
    if filed >= HOUSEHOLD_PER_HOUR:
        raise FilingTooFrequent(_("Your household has sent %(count)d complaints in the last hour, the most we take. "
                                  "Please send this one a little later; in an emergency call 12345.",
                                  count=HOUSEHOLD_PER_HOUR))
    if address and limiter.enabled and not limiter.limiter.hit(ADDRESS_LIMIT, "complaint-filing", address):
        raise FilingTooFrequent(_("Many complaints were sent from this network in the last hour. Please send this "
                                  "one a little later; in an emergency call 12345."))


def file_with_photos(actor, community, files, *, channel: str = "web", **fields) -> tuple[Ticket, list[TicketPhoto]]:
    """A household's complaint with its photos, all or nothing: the photos are checked before the ticket is filed
    (UploadError, nothing filed), then filed (TicketRefused) and stored."""
    checked = check_photos(files)
    ticket = file_ticket(actor, community, channel=TICKET_CHANNEL_OF.get(channel, "web"), **fields)
    photos = store_ticket_photos(ticket, checked, actor=actor)
    return ticket, photos


def reply_with_photos(actor, ticket: Ticket, note: str | None, files) -> tuple[Ticket, list[TicketPhoto]]:
    """The agency's reply (回复) with up to three photos of the fix, all or nothing: the photos are checked first
    (UploadError, no reply), then the reply is taken (TicketRefused, nothing stored), then the photos are stored as
    the reply step's."""
    checked = check_photos(files)
    act(actor, ticket, "reply", note=note)
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                        TicketEvent.action == "reply")
                              .order_by(TicketEvent.id.desc()).limit(1))
    return ticket, store_ticket_photos(ticket, checked, actor=actor, event=event)


def send_ticket_photo(ticket: Ticket, number: int, *, thumbnail: bool):
    """The ticket's photo ``number`` (1-based: the resident's, then the replies', in the order they came) or its
    thumbnail, never cached by a proxy; a number out of range or a file gone is 404. The caller has checked that
    the person may open the ticket."""
    from participation.complaints.queries import ticket_photos  # cycle: queries imports patrols, which imports photos
    photos = ticket_photos(ticket)
    if not 1 <= number <= len(photos):
        abort(404)
    row = photos[number - 1]
    path = stored_file(row.thumbnail_path if thumbnail else row.path)
    if path is None:
        abort(404)
    result = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    result.headers["Cache-Control"] = "private, no-store"
    return result
