"""Owner votes' pages (业主共同决定, 民法典第二百七十八条), on top of participation.votes.operations.

Staff, under /c/<community_code>/votes: the list, a new vote, a vote's page (the notice facts, live participation
or tallies, the buttons of its lifecycle, the preliminary result threshold by threshold, the objections and their
answers, the owner representative's co-signature), paper ballots (one household found by 楼栋/单元/房号, or a file,
all or nothing), and the printable notice (with a QR code to the residents' page) and result. Admins and
organisers in scope run votes; owner representatives in scope read them and co-sign; other roles get 403; a
community outside the scope, or a vote of another community, answers 404.

Residents, under /r/<community_code>/votes: the votes whose scope holds the household this browser acts for
(``residents.acting()``). A household code does not make its holder the owner: before a web ballot the owner types
the last 6 characters of the owner's ID number (``verify_owner``, throttled per household). The verification's id
is kept in the signed session under ``OWNER_KEY`` as {"household_id", "verification_id"}; it counts only for that
household and that owner identity, and entering as another household clears the whole session. Staff acting for a
household (assisted mode) enter a ballot only in person, after typing the owner's ID tail (``resident_votes``).
Paper sheets are entered here by organisers and admins, with their 票号, optionally keyed twice.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.formatting import BEIJING
from participation.forms import EmptyForm, show_refusal
from participation.votes.forms import (BALLOT_CHANNEL_LABELS, CHOICE_LABELS, AnswerForm, CancelForm, ImportForm,
                                       PaperBallotForm, RegisterCorrectionForm, VoteForm)
from participation.models import (Ballot, ElevatorRequest, ElevatorShaftOwner, Household, PlanItem, Unit, Vote,
                                  VoteObjection, VoteRegisterEntry)
from participation.models.types import utcnow
from participation.votes import art278
from participation.votes import register as vote_register
from participation.entry.assisted import find_households
from participation.votes.ballots import cast_ballot
from participation.plans.operations import latest_version, plan_for
from participation.votes.register_corrections import correct_entry
from participation.roster.files import RosterImportError, read_roster_file
from participation.votes.paper import BallotImportError, discard_keying, held_keying, import_ballots
from participation.plans.vote_items import link_items
from participation.votes.operations import (VoteError, answer_objection, cancel, close_vote, cosign, create_vote,
                                            finalise, households_in_scope, open_vote, register_owner, tally,
                                            visible_tally)
from participation.permissions import (COMMUNITY_MANAGERS, DECISION_READERS, VOTE_COSIGNERS, can_manage_community,
                                       can_view_household, role_required)
from participation.templating import qr_svg
from participation.guards import staff_community
from participation.votes.words import LABELS, matter_choices, matter_label, rule_words, scope_words, thresholds

bp = Blueprint("votes", __name__)

OWNER_KEY = "vote_owner"
# --- staff ----------------------------------------------------------------------------------------------------------

def _community(community_code: str, roles=DECISION_READERS):
    """Readers see a vote; running it (``roles`` within COMMUNITY_MANAGERS) needs the community to be theirs to run."""
    return staff_community(community_code, roles=roles, manage=set(roles) <= set(COMMUNITY_MANAGERS))


def _vote(community, vote_id: int) -> Vote:
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.community_id != community.id:
        abort(404)
    return vote


def _to_vote(vote: Vote, anchor: str | None = None):
    return redirect(url_for(".show", community_code=vote.community.code, vote_id=vote.id, _anchor=anchor))


def _flash_refusal(error: VoteError) -> None:
    db.session.rollback()
    for message in error.errors.values():
        flash(message, "error")


bp.add_app_template_global(scope_words, "vote_scope_words")


@bp.get("/c/<community_code>/votes")
@role_required(*DECISION_READERS)
def index(community_code: str):
    community = _community(community_code)
    votes = db.session.scalars(select(Vote).where(Vote.community_id == community.id)
                               .order_by(Vote.created_at.desc(), Vote.id.desc())).all()
    return render_template("votes/index.html", community=community,
                           rows=[(vote, visible_tally(vote, current_user)) for vote in votes], labels=LABELS,
                           matter_label=matter_label, may_manage=can_manage_community(current_user, community))


def plan_vote_items(community) -> list[PlanItem]:
    """The items of the community's newest plan version whose suggestion is an owner vote ("needs_vote"), in the
    plan's order; none without a plan."""
    version = latest_version(plan_for(community))
    if version is None:
        return []
    return [plan_item for plan_item in version.items if plan_item.suggestion == "needs_vote"]


def _plan_item_label(plan_item: PlanItem) -> str:
    item = plan_item.item
    label = f"{item.code} {item.name}"
    return f"{label} — {matter_label(item.owner_matter)}" if item.owner_matter in art278.MATTERS else label


def _create(form: VoteForm, community, items) -> Vote | None:
    """The vote, with the plan items it decides linked in the same transaction; None (rolled back, the refusal on
    the form) when the rules refuse it."""
    buildings = [building for building in community.buildings if building.id in (form.buildings.data or [])]
    unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
    try:
        vote = create_vote(current_user, community, form.matter.data, form.title.data,
                           description=form.description.data, scope=form.scope.data, buildings=buildings, unit=unit,
                           opens_at=_local(form.opens_at.data), closes_at=_local(form.closes_at.data),
                           hide_tallies=form.hide_tallies.data, open_now=bool(form.open_now.data))
        if items:
            link_items(current_user, vote, items)
    except VoteError as error:
        db.session.rollback()
        show_refusal(form, error.errors)
        return None
    return vote


def _vote_form_choices(form: VoteForm, community) -> None:
    form.plan_items.choices = [SelectChoice(plan_item.item_id, _plan_item_label(plan_item))
                               for plan_item in plan_vote_items(community)]
    form.matter.choices = matter_choices()
    form.buildings.choices = [SelectChoice(building.id, building.label) for building in community.buildings]
    form.unit.choices = [SelectChoice("", _("Choose the 单元"))] + [
        SelectChoice(unit.id, f"{building.label}{unit.label}") for building in community.buildings
        for unit in building.units]


@bp.route("/c/<community_code>/votes/new", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def new(community_code: str):
    community = _community(community_code, COMMUNITY_MANAGERS)
    form = VoteForm()
    _vote_form_choices(form, community)
    status = 200
    if request.method == "POST":
        status = 400
        offered = {plan_item.item_id: plan_item.item for plan_item in plan_vote_items(community)}
        chosen = set(form.plan_items.data or [])
        valid = form.validate_on_submit()
        if valid and not chosen <= set(offered):
            form.plan_items.errors = [_("Choose the plan items from the list.")]
        elif valid:
            vote = _create(form, community, [item for item_id, item in offered.items() if item_id in chosen])
            if vote is not None:
                db.session.commit()
                flash(_("The vote is open.") if vote.status == "open" else _("The vote is saved as a draft."),
                      "success")
                return _to_vote(vote)
            _vote_form_choices(form, community)
    return render_template("votes/new.html", community=community, form=form), status


def _local(value):
    """A datetime-local value (Beijing time) as an aware datetime; None stays None."""
    return value.replace(tzinfo=BEIJING) if value is not None else None


def _show_page(community, vote, status=200, *, cancel_form=None):
    counts = visible_tally(vote, current_user)
    return render_template(
        "votes/show.html", community=community, vote=vote, counts=counts,
        thresholds=thresholds(vote, counts) if not counts["hidden"] else [], rule=rule_words(vote),
        labels=LABELS, matter_label=matter_label, may_manage=can_manage_community(current_user, community),
        may_cosign=current_user.role in VOTE_COSIGNERS, cancel_form=cancel_form or CancelForm(formdata=None),
        answer_form=AnswerForm(formdata=None), form=EmptyForm(), now=utcnow(),
        ballots=_ballot_counts(vote), elevator_request=elevator_request_of(vote),
        corrections=vote.register_corrections, register_frozen=vote_register.frozen(vote)), status


def elevator_request_of(vote: Vote) -> ElevatorRequest | None:
    """The elevator request whose owners' consent vote ``vote`` is (participation.elevators.operations), if any."""
    return db.session.scalar(select(ElevatorRequest).where(ElevatorRequest.vote_id == vote.id))


def shaft_owner_of(vote: Vote, household: Household) -> ElevatorShaftOwner | None:
    """When ``vote`` is an elevator consent vote and the shaft would occupy part of ``household``'s home: its mark,
    with the owner's own consent (None until given) — needed besides the vote."""
    elevator_request = elevator_request_of(vote)
    if elevator_request is None:
        return None
    return next((owner for owner in elevator_request.shaft_owners if owner.household_id == household.id), None)


def _ballot_counts(vote: Vote) -> dict:
    """Ballots by channel (not by choice: safe to show while tallies are hidden)."""
    rows = db.session.execute(select(Ballot.channel).where(Ballot.vote_id == vote.id)).scalars().all()
    return {channel: rows.count(channel) for channel in BALLOT_CHANNEL_LABELS if rows.count(channel)}


@bp.get("/c/<community_code>/votes/<int:vote_id>")
@role_required(*DECISION_READERS)
def show(community_code: str, vote_id: int):
    community = _community(community_code)
    return _show_page(community, _vote(community, vote_id))


def _act(community_code: str, vote_id: int, roles, action, form=None):
    """Load, authorize, check the form (CSRF), run ``action(vote, form)``, commit, back to the vote; a refusal shows
    the message and changes nothing."""
    community = _community(community_code, roles)
    vote = _vote(community, vote_id)
    form = form if form is not None else EmptyForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        if not form.errors:
            flash(_("The form could not be sent; please open the page again and retry."), "error")
        return _show_page(community, vote, 400)
    try:
        message = action(vote, form)
    except VoteError as error:
        _flash_refusal(error)
        return _show_page(community, vote, 400)
    db.session.commit()
    flash(message, "success")
    return _to_vote(vote)


@bp.post("/c/<community_code>/votes/<int:vote_id>/open")
@role_required(*COMMUNITY_MANAGERS)
def open_view(community_code: str, vote_id: int):
    def action(vote, form):
        open_vote(current_user, vote)
        return _("The vote is open.")
    return _act(community_code, vote_id, COMMUNITY_MANAGERS, action)


@bp.post("/c/<community_code>/votes/<int:vote_id>/close")
@role_required(*COMMUNITY_MANAGERS)
def close_view(community_code: str, vote_id: int):
    def action(vote, form):
        close_vote(current_user, vote)
        return _("Voting is closed. The preliminary result is posted for objections until %(when)s.",
                 when=format_datetime(vote.objection_until, "yyyy-MM-dd HH:mm"))
    return _act(community_code, vote_id, COMMUNITY_MANAGERS, action)


@bp.post("/c/<community_code>/votes/<int:vote_id>/cancel")
@role_required(*COMMUNITY_MANAGERS)
def cancel_view(community_code: str, vote_id: int):
    def action(vote, form):
        cancel(current_user, vote, form.reason.data)
        return _("The vote is cancelled.")
    return _act(community_code, vote_id, COMMUNITY_MANAGERS, action, CancelForm())


@bp.post("/c/<community_code>/votes/<int:vote_id>/cosign")
@role_required(*VOTE_COSIGNERS)
def cosign_view(community_code: str, vote_id: int):
    def action(vote, form):
        cosign(current_user, vote)
        return _("You co-signed the result.")
    return _act(community_code, vote_id, VOTE_COSIGNERS, action)


@bp.post("/c/<community_code>/votes/<int:vote_id>/finalise")
@role_required(*COMMUNITY_MANAGERS)
def finalise_view(community_code: str, vote_id: int):
    def action(vote, form):
        finalise(current_user, vote)
        return _("The result is final.")
    return _act(community_code, vote_id, COMMUNITY_MANAGERS, action)


@bp.post("/c/<community_code>/votes/<int:vote_id>/objections/<int:objection_id>/answer")
@role_required(*COMMUNITY_MANAGERS)
def answer_view(community_code: str, vote_id: int, objection_id: int):
    def action(vote, form):
        objection = db.session.get(VoteObjection, objection_id)
        if objection is None or objection.vote_id != vote.id:
            abort(404)
        answer_objection(current_user, objection, form.answer.data)
        return _("Answer saved: it is shown with the objection.")
    return _act(community_code, vote_id, COMMUNITY_MANAGERS, action, AnswerForm())


# --- paper ballots --------------------------------------------------------------------------------------------------

def _paper_page(community, vote, *, status=200, form=None, import_errors=(), import_form=None):
    search = {key: request.args.get(key, "").strip() for key in ("building", "unit", "room")}
    found = []
    if any(search.values()):
        in_scope = set(db.session.scalars(households_in_scope(vote).with_only_columns(Household.id)))
        found = [household for household in find_households(current_user, community, **search)
                 if household.id in in_scope]
    counts = visible_tally(vote, current_user)
    ballots = _ballots_of(vote, found)
    return render_template(
        "votes/paper.html", community=community, vote=vote, search=search, found=found, ballots=ballots,
        form=form or PaperBallotForm(formdata=None), import_form=import_form or ImportForm(),
        import_errors=import_errors, labels=LABELS, matter_label=matter_label, counts=counts,
        held=held_keying(vote)), status


def _ballots_of(vote: Vote, households) -> dict[int, Ballot]:
    """The ballot counted for each household (its owner's in the register), by household id. The page shows a
    choice only when tallies are not hidden: staff chasing the quorum see who voted, never how (DESIGN §4)."""
    owners = {household.id: register_owner(vote, household) for household in households}
    by_owner = {ballot.owner: ballot for ballot in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.owner.in_(set(owners.values()) - {None})))}
    return {household_id: by_owner[owner] for household_id, owner in owners.items() if owner in by_owner}


@bp.get("/c/<community_code>/votes/<int:vote_id>/paper")
@role_required(*COMMUNITY_MANAGERS)
def paper(community_code: str, vote_id: int):
    community = _community(community_code, COMMUNITY_MANAGERS)
    return _paper_page(community, _vote(community, vote_id))


@bp.post("/c/<community_code>/votes/<int:vote_id>/paper")
@role_required(*COMMUNITY_MANAGERS)
def paper_ballot(community_code: str, vote_id: int):
    community = _community(community_code, COMMUNITY_MANAGERS)
    vote = _vote(community, vote_id)
    form = PaperBallotForm()
    if not form.validate_on_submit():
        if not form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
        return _paper_page(community, vote, status=400, form=form)
    household = db.session.get(Household, int(form.household.data)) if str(form.household.data).isdigit() else None
    if household is None or household.community.id != community.id or not can_view_household(current_user,
                                                                                           household):
        abort(404)
    try:
        ballot = cast_ballot(vote, household, form.choice.data, "paper", actor=current_user,
                             sheet_no=form.sheet_no.data)
    except VoteError as error:
        db.session.rollback()
        show_refusal(form, error.errors)
        return _paper_page(community, vote, status=400, form=form)
    db.session.commit()
    flash(_("Paper ballot of %(address)s saved: %(choice)s.", address=household.address,
            choice=CHOICE_LABELS[ballot.choice]) if ballot.version == 1 else
          _("The ballot of %(address)s is changed to %(choice)s.", address=household.address,
            choice=CHOICE_LABELS[ballot.choice]), "success")
    return redirect(url_for(".paper", community_code=community.code, vote_id=vote.id))


@bp.post("/c/<community_code>/votes/<int:vote_id>/import")
@role_required(*COMMUNITY_MANAGERS)
def import_view(community_code: str, vote_id: int):
    community = _community(community_code, COMMUNITY_MANAGERS)
    vote = _vote(community, vote_id)
    form = ImportForm()
    upload = form.file.data
    if not form.validate_on_submit() or upload is None or not getattr(upload, "filename", ""):
        return _paper_page(community, vote, status=400, import_form=form,
                           import_errors=[_("Choose a file (.xlsx or .csv).")] if not form.errors else
                           [message for errors in form.errors.values() for message in errors])
    try:
        table = read_roster_file(upload.stream, upload.filename)
        counts = import_ballots(current_user, vote, table, filename=upload.filename,
                                double_keying=form.double_keying.data)
    except (RosterImportError, BallotImportError) as error:
        db.session.rollback()
        return _paper_page(community, vote, status=400, import_form=form, import_errors=error.errors)
    db.session.commit()
    if counts["held"]:
        flash(_("First keying of %(rows)d paper ballots held: nothing is stored until a second person keys the same "
                "sheets.", rows=counts["rows"]), "success")
    else:
        flash(_("%(rows)d paper ballots imported: %(new)d new, %(changed)d changed.", rows=counts["rows"],
                new=counts["new"], changed=counts["changed"]), "success")
    return redirect(url_for(".paper", community_code=community.code, vote_id=vote.id))


@bp.post("/c/<community_code>/votes/<int:vote_id>/keying/discard")
@role_required(*COMMUNITY_MANAGERS)
def discard_keying_view(community_code: str, vote_id: int):
    community = _community(community_code, COMMUNITY_MANAGERS)
    vote = _vote(community, vote_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        discard_keying(current_user, vote)
    except BallotImportError as error:
        db.session.rollback()
        return _paper_page(community, vote, status=400, import_errors=error.errors)
    db.session.commit()
    flash(_("The first keying was discarded; nothing of it was stored."), "success")
    return redirect(url_for(".paper", community_code=community.code, vote_id=vote.id))


# --- printable ------------------------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/votes/<int:vote_id>/notice")
@role_required(*DECISION_READERS)
def notice(community_code: str, vote_id: int):
    community = _community(community_code)
    vote = _vote(community, vote_id)
    page_url = url_for("resident_votes.show", community_code=community.code, vote_id=vote.id, _external=True)
    counts = visible_tally(vote, current_user)
    register = vote_register.entries(vote)
    return render_template(
        "votes/notice.html", community=community, vote=vote, counts=counts, rule=rule_words(vote),
        labels=LABELS, matter_label=matter_label, page_url=page_url, register=register,
        totals=vote_register.totals(vote) if register else None,
        owner_numbers=vote_register.owner_numbers(register),
        qr=qr_svg(page_url, label=_("QR code of the owners' vote page: %(title)s", title=vote.title)))


@bp.get("/c/<community_code>/votes/<int:vote_id>/result")
@role_required(*DECISION_READERS)
def result(community_code: str, vote_id: int):
    community = _community(community_code)
    vote = _vote(community, vote_id)
    if not vote.closed:
        abort(404)
    counts = tally(vote)
    return render_template("votes/result.html", community=community, vote=vote, counts=counts,
                           thresholds=thresholds(vote, counts), rule=rule_words(vote), labels=LABELS,
                           matter_label=matter_label, corrections=vote.register_corrections)


# --- the register (表决名册) -----------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/votes/<int:vote_id>/register")
@role_required(*DECISION_READERS)
def register(community_code: str, vote_id: int):
    """The vote's register as frozen when it opened (with corrections applied, listed below it); 404 for a draft."""
    community = _community(community_code)
    vote = _vote(community, vote_id)
    if not vote_register.frozen(vote):
        abort(404)
    entries = vote_register.entries(vote)
    may_manage = can_manage_community(current_user, community)   # only they see the roster's 业主标识
    return render_template(
        "votes/register.html", community=community, vote=vote, entries=entries, totals=vote_register.totals(vote),
        owner_numbers=vote_register.owner_numbers(entries), corrections=vote.register_corrections, labels=LABELS,
        may_manage=may_manage, may_correct=may_manage and vote.status == "open")


@bp.route("/c/<community_code>/votes/<int:vote_id>/register/<int:entry_id>", methods=["GET", "POST"])
@role_required(*COMMUNITY_MANAGERS)
def correct(community_code: str, vote_id: int, entry_id: int):
    """Correct one unit of the register while voting is open: its own audited action, with a reason."""
    community = _community(community_code, COMMUNITY_MANAGERS)
    vote = _vote(community, vote_id)
    entry = db.session.get(VoteRegisterEntry, entry_id) if entry_id < 2**31 else None
    if entry is None or entry.vote_id != vote.id:
        abort(404)
    form = RegisterCorrectionForm(data={"owner": entry.owner, "area": f"{entry.area:.2f}"})
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                correct_entry(current_user, vote, entry, owner=form.owner.data, area=form.area.data,
                              reason=form.reason.data)
            except VoteError as error:
                db.session.rollback()
                show_refusal(form, error.errors)
            else:
                db.session.commit()
                flash(_("The register is corrected; the correction is listed with the objections."), "success")
                return redirect(url_for(".register", community_code=community.code, vote_id=vote.id,
                                        _anchor=f"entry-{entry.id}"))
        elif not form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
    return render_template("votes/register_correct.html", community=community, vote=vote, entry=entry, form=form,
                           labels=LABELS), status
