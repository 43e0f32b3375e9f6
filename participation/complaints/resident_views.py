"""The resident's complaints (投诉/反映问题, DESIGN §5): filing one from the phone, the household's own tickets and
each one's status with its public timeline and photos.

The pages serve the household this browser acts for (``residents.acting()``): the resident who entered with the
household code, or a staff member acting for the household (the ticket's channel then says how). Staff acting for
nobody and visitors go to the start page, as on the survey answering pages. A ticket of another household is 404.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from participation.entry import residents
from participation.extensions import csrf, db
from participation.complaints.resident_forms import URGENCY_HINTS, ComplaintForm
from participation.models import ComplaintCategory, Ticket, TicketEvent, TicketPhoto
from participation.complaints.photos import (MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_REQUEST_BYTES,
                                                       FilingTooFrequent, check_filing_rate, file_with_photos,
                                                       stored_paths)
from participation.complaints.operations import TicketRefused
from participation.uploads import UploadError, describe_size, discard, stored_file
from participation.guards import private, resident_or_start

bp = Blueprint("complaints", __name__)

# Timeline steps whose words (the note) the resident reads: the agency's reply and a refusal's reason.
NOTE_SHOWN = ("reply", "reject", "mark_duplicate", "callback")


def _categories(community) -> list[ComplaintCategory]:
    return list(db.session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.locality_id == community.district.locality_id,
                                        ComplaintCategory.retired_at.is_(None))
        .order_by(ComplaintCategory.position, ComplaintCategory.id)))


def _render_form(acting, form, status=200, *, message=None):
    household = acting.household
    return private(render_template(
        "complaints/new.html", acting=acting, household=household, community=household.community, form=form,
        hints=URGENCY_HINTS, message=message, max_photos=MAX_PHOTOS, photo_size=describe_size(MAX_PHOTO_BYTES)),
        status)


@bp.route("/complaints/new", methods=["GET", "POST"])
@csrf.exempt   # the form checks its own CSRF token, after this view allowed the larger body of three photos
def new():
    acting, away = resident_or_start()
    if away is not None:
        return away
    if request.method == "POST":
        request.max_content_length = MAX_REQUEST_BYTES
    household = acting.household
    community = household.community
    categories = _categories(community)
    try:
        form = ComplaintForm()
        form.category.choices = [(c.id, c.name) for c in categories]
        valid = form.validate_on_submit()
        files = request.files.getlist(form.photos.name) if valid else []
    except RequestEntityTooLarge:
        db.session.rollback()
        form = ComplaintForm(formdata=None)
        form.category.choices = [(c.id, c.name) for c in categories]
        return _render_form(acting, form, 413, message=_(
            "The photos are too large. Up to %(count)d photos of %(size)s each are accepted. Nothing was sent.",
            count=MAX_PHOTOS, size=describe_size(MAX_PHOTO_BYTES)))
    if not valid:
        return _render_form(acting, form, 400 if form.is_submitted() else 200)
    if acting.staff is None:   # a resident online; staff entering for a household are accountable in the audit
        try:
            check_filing_rate(household, request.remote_addr)
        except FilingTooFrequent as error:
            db.session.rollback()
            return _render_form(acting, form, 429, message=str(error))
    category = next(c for c in categories if c.id == form.category.data)
    place = form.place.data if form.where.data == "common" else None
    try:
        ticket, photos = file_with_photos(
            acting.staff, community, files, channel=acting.channel, category=category,
            description=form.description.data, urgency=form.urgency.data, household=household, place=place)
    except (UploadError, TicketRefused) as error:
        db.session.rollback()
        return _render_form(acting, form, 400, message=str(error))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for path in stored_paths(photos):
            discard(path)
        raise
    flash(_("Your complaint was received. Its receipt number is %(receipt)s.", receipt=ticket.receipt), "success")
    return redirect(url_for(".show", receipt=ticket.receipt, new=1))


@bp.get("/complaints")
def index():
    acting, away = resident_or_start()
    if away is not None:
        return away
    tickets = db.session.scalars(select(Ticket).where(Ticket.household_id == acting.household.id)
                                 .order_by(Ticket.received_at.desc(), Ticket.id.desc())).all()
    return private(render_template("complaints/index.html", acting=acting, household=acting.household,
                                   tickets=tickets))


def _own_ticket(acting, receipt: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.receipt == receipt,
                                                    Ticket.household_id == acting.household.id))
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/complaints/<receipt>")
def show(receipt: str):
    acting, away = resident_or_start()
    if away is not None:
        return away
    ticket = _own_ticket(acting, receipt)
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                          TicketEvent.public.is_(True))
                                .order_by(TicketEvent.at, TicketEvent.id)).all()
    photos = _photos(ticket)
    return private(render_template("complaints/show.html", acting=acting, household=acting.household,
                                   ticket=ticket, events=events, photos=photos, note_shown=NOTE_SHOWN,
                                   just_filed=request.args.get("new") == "1"))


@bp.get("/complaints/<receipt>/photos/<int:number>")
def photo(receipt: str, number: int):
    """The ticket's photo ``number`` (1, 2, 3; ``?size=thumb`` for its thumbnail), served only to the household
    that filed it; anyone else, and a missing photo, get 404."""
    acting = residents.acting()
    if acting is None:
        abort(404)
    ticket = _own_ticket(acting, receipt)
    photos = _photos(ticket)
    if not 1 <= number <= len(photos):
        abort(404)
    row = photos[number - 1]
    path = stored_file(row.thumbnail_path if request.args.get("size") == "thumb" else row.path)
    if path is None:
        abort(404)
    result = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    result.headers["Cache-Control"] = "private, no-store"
    return result


def _photos(ticket: Ticket) -> list[TicketPhoto]:
    return list(db.session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)
                                   .order_by(TicketPhoto.id)))
