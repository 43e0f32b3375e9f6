"""The resident's complaints (投诉/反映问题, DESIGN §5): filing one from the phone, the household's own tickets and
each one's status with its public timeline and photos.

The pages serve the household this browser acts for (``residents.acting()``): the resident who entered with the
household code, or a staff member acting for the household (the ticket's channel then says how). Staff acting for
nobody and visitors go to the start page, as on the survey answering pages. A ticket of another household is 404.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from participation.complaints.operations import TicketRefused
from participation.complaints.photos import (MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_REQUEST_BYTES, FilingTooFrequent,
                                             check_filing_rate, discard_unless_committed, file_with_photos,
                                             send_ticket_photo, stored_paths)
from participation.complaints.queries import (community_categories, household_ticket, household_tickets,
                                              photos_by_step, public_actor_name, public_timeline, ticket_photos)
from participation.complaints.resident_forms import URGENCY_HINTS, ComplaintForm
from participation.entry import residents
from participation.extensions import csrf
from participation.guards import private, resident_or_start
from participation.handlers import withdraw
from participation.models import Ticket
from participation.uploads import UploadError, describe_size

bp = Blueprint("complaints", __name__)

# Timeline steps whose words (the note) the resident reads: the agency's reply and a refusal's reason.
NOTE_SHOWN = ("reply", "reject", "mark_duplicate", "callback")


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
    categories = community_categories(community)
    try:
        form = ComplaintForm()
        form.category.choices = [(c.id, c.name) for c in categories]
        valid = form.validate_on_submit()
        files = request.files.getlist(form.photos.name) if valid else []
    except RequestEntityTooLarge:
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
            return _render_form(acting, form, 429, message=str(withdraw(error)))
    category = next(c for c in categories if c.id == form.category.data)
    place = form.place.data if form.where.data == "common" else None
    try:
        ticket, photos = file_with_photos(
            acting.staff, community, files, channel=acting.channel, category=category,
            description=form.description.data, urgency=form.urgency.data, household=household, place=place)
    except (UploadError, TicketRefused) as error:
        return _render_form(acting, form, 400, message=str(withdraw(error)))
    discard_unless_committed(stored_paths(photos))   # the request commits after this view returns
    flash(_("Your complaint was received. Its receipt number is %(receipt)s.", receipt=ticket.receipt), "success")
    return redirect(url_for(".show", receipt=ticket.receipt, new=1))


@bp.get("/complaints")
def index():
    acting, away = resident_or_start()
    if away is not None:
        return away
    tickets = household_tickets(acting.household)
    return private(render_template("complaints/index.html", acting=acting, household=acting.household,
                                   tickets=tickets))


def _own_ticket(acting, receipt: str) -> Ticket:
    ticket = household_ticket(acting.household, receipt)
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/complaints/<receipt>")
def show(receipt: str):
    acting, away = resident_or_start()
    if away is not None:
        return away
    ticket = _own_ticket(acting, receipt)
    events = public_timeline(ticket)
    photos = photos_by_step(ticket_photos(ticket))
    return private(render_template("complaints/show.html", acting=acting, household=acting.household,
                                   ticket=ticket, events=events, photos=photos, note_shown=NOTE_SHOWN,
                                   names={event.id: public_actor_name(event) for event in events},
                                   just_filed=request.args.get("new") == "1"))


@bp.get("/complaints/<receipt>/photos/<int:number>")
def photo(receipt: str, number: int):
    """The ticket's photo ``number`` (its own 1, 2, 3, then the agency's photos of the fix; ``?size=thumb`` for its
    thumbnail), served only to the household that filed it; anyone else, and a missing photo, get 404."""
    acting = residents.acting()
    if acting is None:
        abort(404)
    ticket = _own_ticket(acting, receipt)
    return send_ticket_photo(ticket, number, thumbnail=request.args.get("size") == "thumb")

