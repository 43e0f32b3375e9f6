"""The hotline desk (接诉即办): taking a call (find the household or record the caller, check for duplicates, file),
the queue of open tickets by due time, and the ticket page with its timeline and one form per action the user may
take now. Agencies use the queue and the ticket page for the tickets that are with their organisation."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from participation.api import open311
from participation.api.open311_forms import PlaceReportForm
from participation.charts import chart_fragment
from participation.complaints import charts as complaint_charts
from participation.complaints.dashboard import desk_dashboard
from participation.complaints.deadlines import time_left_words
from participation.complaints.forms import CallerSearchForm, IntakeForm, TicketActionForm
from participation.complaints.operations import ACTIONS, TicketRefused, act, agencies_of, file_ticket, may_act
from participation.complaints.photos import (MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_REQUEST_BYTES,
                                             discard_unless_committed, reply_with_photos, send_ticket_photo,
                                             stored_paths)
from participation.complaints.queries import (DUE_FILTERS, actor_name, building_named, community_by_text,
                                              desk_categories, dispatch_agencies, duplicate_suggestions,
                                              households_by_address, households_by_phone, live_category,
                                              photos_by_step, queue, reveal_ticket_phone, ticket_by_receipt,
                                              ticket_photos, ticket_visible, timeline)
from participation.entry.assisted import name_variants
from participation.extensions import csrf, db
from participation.formatting import BEIJING
from participation.forms import EmptyForm
from participation.handlers import refuse_onto, withdraw
from participation.labels import SATISFACTION_LABELS, mask_phone
from participation.models import OPEN_STATES, Building, Household
from participation.models.complaints import SATISFACTION
from participation.models.open311_intake import Open311Report
from participation.permissions import (DESK_PHONE_REVEALERS, PHONE_REVEAL_ROLES, TICKET_DESK, TICKET_READERS,
                                       UNPLACED_REPORT_HANDLERS, can_view_household, role_required)
from participation.security import MAX_PAGE, id_or_none, int_arg
from participation.uploads import UploadError, describe_size

bp = Blueprint("hotline", __name__)

REVEALED_KEY = "revealed_ticket"


def _ticket_or_404(receipt: str):
    ticket = ticket_by_receipt(receipt)
    if ticket is None or not ticket_visible(current_user, ticket):
        abort(404)
    return ticket


# --- the queue ------------------------------------------------------------------------------------------------------

@bp.get("/hotline")
@role_required(*TICKET_READERS)
def index():
    args = request.args
    due = args.get("due") if args.get("due") in DUE_FILTERS else None
    result = queue(current_user, community=args.get("community") or None, state=args.get("state") or None,
                   category=args.get("category") or None, agency=id_or_none(args.get("agency")), due=due,
                   reopened=args.get("reopened") == "1", page=int_arg(args.get("page"), default=1, high=MAX_PAGE))
    filters = {key: args.get(key, "") for key in ("community", "state", "category", "agency", "due", "reopened")}
    agencies = [] if current_user.role == "agency" else dispatch_agencies()
    return render_template("hotline/queue.html", result=result, filters=filters, states=OPEN_STATES,
                           categories=desk_categories(), agencies=agencies, desk=current_user.role in TICKET_DESK,
                           show_agency=current_user.role != "agency", time_left_words=time_left_words,
                           unplaced=open311.unplaced_count() if current_user.role in UNPLACED_REPORT_HANDLERS else None)


# --- taking a call --------------------------------------------------------------------------------------------------

@bp.route("/hotline/new", methods=["GET", "POST"])
@role_required(*TICKET_DESK)
def new():
    search = CallerSearchForm(request.args)
    households = None
    if request.method == "GET" and search.find.data:
        households = _find(search)
    form = IntakeForm()
    categories = desk_categories()
    form.category.choices = [SelectChoice(c.code, c.name) for c in categories]
    linked = request.args.get("household", "")
    chosen = _household(form.household.data if request.method == "POST" else linked)
    if request.method == "GET" and linked.strip() and chosen is None:
        abort(404)   # a link to a household that is not there, or not this desk's: not an empty intake form
    if request.method == "GET" and chosen is not None:
        form.household.data = str(chosen.id)
    status, suggestions = 200, None
    if form.validate_on_submit():
        try:
            ticket, suggestions = _file(form, chosen)
        except TicketRefused as error:
            refuse_onto(form, error)
            status = 422
        else:
            if ticket is not None:
                flash(_("Ticket %(receipt)s filed.", receipt=ticket.receipt))
                return redirect(url_for("hotline.ticket", receipt=ticket.receipt))
    elif form.is_submitted():
        status = 400
    return render_template("hotline/new.html", search=search, households=households, form=form, chosen=chosen,
                           suggestions=suggestions), status


def _household(value) -> Household | None:
    household_id = id_or_none(value)
    household = db.session.get(Household, household_id) if household_id is not None else None
    if household is not None and not can_view_household(current_user, household):
        return None
    return household


def _find(search: CallerSearchForm) -> list[Household]:
    if not search.validate():
        return []
    if (search.phone.data or "").strip():
        return households_by_phone(current_user, search.phone.data)
    community = community_by_text(current_user, search.community.data)
    if community is None:
        return []
    return households_by_address(current_user, community, building=search.building.data or "",
                                 unit=search.unit.data or "", room=search.room.data or "",
                                 text=search.address.data or "")


def _building_named(community, typed: str | None) -> Building | None:
    """The building of ``community`` the desk typed ("3", "3号楼", "3栋" …); None when nothing was typed."""
    if not (typed or "").strip():
        return None
    building = building_named(community, name_variants(typed, ("号楼", "栋", "幢", "号")))
    if building is None:
        raise TicketRefused(_("That building is not in this community."))
    return building


def _file(form: IntakeForm, household: Household | None):
    """File the ticket, unless duplicates are suggested and no decision was taken yet: (ticket, suggestions)."""
    if household is not None:
        # a caller reporting a common area (the place named) is not reporting their own building
        community = household.community
        building = None if (form.place.data or "").strip() else household.unit.building
    else:
        community = community_by_text(current_user, form.community.data)
        if community is None:
            raise TicketRefused(_("Choose a household, or enter a community you can see."))
        building = _building_named(community, form.building.data)
        if not (form.caller_phone.data or "").strip():
            raise TicketRefused(_("Enter the caller's phone number, or choose their household."))
    category = live_category(community, form.category.data)
    if category is None:
        raise TicketRefused(_("Choose one of the options offered."))
    decision = form.decision.data or ""
    suggestions = duplicate_suggestions(community, building, category)
    if suggestions and not decision:
        return None, suggestions
    original = None
    if decision.startswith("duplicate:"):
        original = next((t for t in suggestions if t.receipt == decision.split(":", 1)[1]), None)
        if original is None:
            raise TicketRefused(_("Choose the original ticket of the same community."))
    ticket = file_ticket(current_user, community, category=category, description=form.description.data,
                         urgency=form.urgency.data, channel=form.channel.data, household=household,
                         building=building, place=form.place.data,
                         caller_name=None if household else form.caller_name.data,
                         caller_phone=None if household else form.caller_phone.data,
                         external_number=form.external_number.data, complex_case=form.complex_case.data)
    if original is not None:
        act(current_user, ticket, "mark_duplicate", original=original)
    return ticket, None


# --- Open311 reports awaiting placement (待定位) -------------------------------------------------------------------

@bp.get("/hotline/unplaced")
@role_required(*UNPLACED_REPORT_HANDLERS)
def unplaced():
    return render_template("hotline/unplaced.html", reports=open311.unplaced_reports(), form=PlaceReportForm())


@bp.post("/hotline/unplaced/<int:report_id>")
@role_required(*UNPLACED_REPORT_HANDLERS)
def place(report_id: int):
    report = db.session.get(Open311Report, report_id)
    if report is None or report.ticket_id is not None:
        abort(404)
    form = PlaceReportForm()
    try:
        if not form.validate_on_submit():
            raise TicketRefused(_("Enter a community you can see."))
        community = community_by_text(current_user, form.community.data)
        if community is None:
            raise TicketRefused(_("Enter a community you can see."))
        building = _building_named(community, form.building.data)
        ticket = open311.place_report(current_user, report, community, building)
    except TicketRefused as error:
        withdraw(error)
        return render_template("hotline/unplaced.html", reports=open311.unplaced_reports(), form=form,
                               refused={"id": report_id, "message": str(error)}), 400
    flash(_("Ticket %(receipt)s filed.", receipt=ticket.receipt))
    return redirect(url_for("hotline.ticket", receipt=ticket.receipt))


# --- the ticket -----------------------------------------------------------------------------------------------------

@bp.route("/hotline/tickets/<receipt>", methods=["GET", "POST"])
@csrf.exempt   # the action form checks its own CSRF token, after the view allowed an agency's reply its photos
@role_required(*TICKET_READERS)
def ticket(receipt: str):
    ticket = _ticket_or_404(receipt)
    status, refused = 200, None
    if request.method == "POST" and current_user.role == "agency":
        request.max_content_length = MAX_REQUEST_BYTES   # the reply's three photos
    try:
        form = _action_form(ticket)
        valid = request.method == "POST" and form.validate_on_submit()
    except RequestEntityTooLarge:
        form, valid, status = _action_form(ticket, formdata=None), False, 413
        refused = {"action": "reply", "message": _(
            "The photos are too large. Up to %(count)d photos of %(size)s each are accepted. Nothing was sent.",
            count=MAX_PHOTOS, size=describe_size(MAX_PHOTO_BYTES))}
    if request.method == "POST" and status == 200:
        action = form.action.data if form.action.data in ACTIONS else None
        if not valid or action is None:
            status = 400
            refused = {"action": action, "message": _refusal(form)}
        elif ACTIONS[action].by != ("agency" if current_user.role == "agency" else "desk"):
            abort(403)
        else:
            try:
                if action == "reply":
                    _reply, photos = reply_with_photos(current_user, ticket, form.note.data,
                                                       request.files.getlist("photos"))
                    discard_unless_committed(stored_paths(photos))   # the request commits after the view returns
                else:
                    act(current_user, ticket, action, **_action_fields(ticket, form))
            except (TicketRefused, UploadError) as error:
                refused = {"action": action, "message": str(withdraw(error))}
                status = 400
            else:
                flash(_("Done: %(step)s.", step=str(ACTIONS[action].label)))
                if not ticket_visible(current_user, ticket):
                    return redirect(url_for("hotline.index"))
                return redirect(url_for("hotline.ticket", receipt=ticket.receipt))
    actions = [name for name in ACTIONS if may_act(current_user, ticket, name)]
    if refused is not None and refused["action"] not in actions:
        flash(refused["message"], "error")   # no form of that action on the page to show it beside
    revealed = session.pop(REVEALED_KEY, None) == ticket.id if request.method == "GET" else False
    phone = ticket.household.phone if ticket.household is not None else ticket.caller_phone
    events = timeline(ticket)
    return render_template("hotline/ticket.html", ticket=ticket, events=events, form=form,
                           actions=actions, refused=refused, photos=photos_by_step(ticket_photos(ticket)),
                           names={event.id: actor_name(event.actor) for event in events},
                           phone=phone if revealed else mask_phone(phone),
                           may_reveal=bool(phone) and not revealed and current_user.role in PHONE_REVEAL_ROLES,
                           desk=current_user.role in TICKET_DESK, max_photos=MAX_PHOTOS,
                           photo_size=describe_size(MAX_PHOTO_BYTES),
                           actions_labels=_action_labels()), status


def _refusal(form: TicketActionForm) -> str:
    """The words for a form that did not validate: its own field errors, or the expired form's."""
    if form.csrf_token.errors:
        return _("This form has expired or was sent from elsewhere. Please reload the page and send it again.")
    errors = [str(error) for field in form if field.name != "csrf_token" for error in field.errors]
    return " ".join(errors) or _("Choose one of the options offered.")


@bp.get("/hotline/tickets/<receipt>/photos/<int:number>")
@role_required(*TICKET_READERS)
def photo(receipt: str, number: int):
    """The ticket's photo ``number`` (the resident's and the replies', in the order they came; ``?size=thumb``
    for its thumbnail) to those who may open the ticket; anyone else, and a missing photo, get 404."""
    ticket = _ticket_or_404(receipt)
    return send_ticket_photo(ticket, number, thumbnail=request.args.get("size") == "thumb")


def _action_labels() -> dict:
    words = {name: str(step.label) for name, step in ACTIONS.items()}
    return words | {"receive": _("Received"), "escalate": _("Escalated: past the deadline")}


def _action_form(ticket, **kwargs) -> TicketActionForm:
    form = TicketActionForm(**kwargs)
    form.agency.choices = [SelectChoice(o.id, o.name) for o in agencies_of(ticket.community)]
    form.satisfaction.choices = [SelectChoice(code, SATISFACTION_LABELS[code]) for code in SATISFACTION]
    return form


def _action_fields(ticket, form: TicketActionForm) -> dict:
    agency = next((o for o in agencies_of(ticket.community) if o.id == form.agency.data), None)
    original = None
    if (form.original.data or "").strip():
        original = ticket_by_receipt(form.original.data)
        if original is None or not ticket_visible(current_user, original):
            raise TicketRefused(_("Choose the original ticket of the same community."))
    until = form.until.data
    if until is not None:
        until = until.replace(tzinfo=BEIJING)
    solved = {"yes": True, "no": False}.get(form.solved.data or "")
    return {"agency": agency, "note": form.note.data, "until": until, "solved": solved,
            "satisfaction": form.satisfaction.data or None, "original": original}


@bp.post("/hotline/tickets/<receipt>/phone")
@role_required(*DESK_PHONE_REVEALERS)
def reveal(receipt: str):
    ticket = _ticket_or_404(receipt)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if ticket.household is None and not ticket.caller_phone:
        abort(404)
    reveal_ticket_phone(current_user, ticket)
    session[REVEALED_KEY] = ticket.id   # the id, not the number
    return redirect(url_for("hotline.ticket", receipt=ticket.receipt))


# --- the desk's charts ----------------------------------------------------------------------------------------------

@bp.get("/hotline/dashboard")
@role_required(*TICKET_READERS)
def dashboard():
    """Charts of the tickets the queue lists (open by state and by due time, new and closed per day, the rates per
    agency and per category, patrol findings), each with its table; a page apart so the queue stays one query."""
    figures = desk_dashboard(current_user)
    charts = {
        "state": (complaint_charts.state_chart(figures["by_state"]), _("Open tickets by state")),
        "due": (complaint_charts.due_chart(figures["by_due"]), _("Open tickets by due time")),
        "flow": (complaint_charts.flow_chart(figures["flow"]), _("New and closed tickets per day")),
        "agency": (complaint_charts.rates_chart(figures["by_agency"]["rows"]), _("Rates by agency")),
        "category": (complaint_charts.rates_chart(figures["by_category"]), _("Rates by category")),
        "findings": (complaint_charts.findings_chart(figures["findings"]), _("Patrol findings")),
    }
    fragments = {name: chart_fragment(figure, f"chart-{name}", label=text)
                 for name, (figure, text) in charts.items()}
    return render_template("hotline/dashboard.html", figures=figures, charts=fragments,
                           titles={name: text for name, (_figure, text) in charts.items()},
                           due_labels=complaint_charts.DUE_LABELS,
                           has_charts=any(figure for figure, _text in charts.values()))
