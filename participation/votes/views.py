"""Owner votes' pages (业主共同决定, 民法典第二百七十八条), on top of participation.votes.operations.

Staff, under /c/<community_code>/votes: the list, a new vote, a vote's page (the notice facts, live participation
or tallies, the buttons of its lifecycle, the preliminary result threshold by threshold, the objections and their
answers, the owner representative's co-signature), and the printable notice (with a QR code to the residents' page)
and result. Paper ballots and the register are ``votes.paper_views``' pages, on the same blueprint. Admins and
organisers in scope run votes; owner representatives in scope read them and co-sign; other roles get 403; a
community outside the scope, or a vote of another community, answers 404.

Residents, under /r/<community_code>/votes: ``votes.resident_views`` (the owner's check: ``votes.owners``).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.dashboards.todo import awaits_cosign, short_of_quorum
from participation.elevators.queries import elevator_request_of
from participation.extensions import db
from participation.formatting import BEIJING
from participation.forms import EmptyForm
from participation.handlers import refuse_onto
from participation.models import PlanItem, Unit, Vote, VoteObjection
from participation.models.types import utcnow
from participation.permissions import (COMMUNITY_MANAGERS, DECISION_READERS, VOTE_COSIGNERS, can_manage_community,
                                       role_required)
from participation.plans.vote_items import link_items
from participation.templating import qr_svg
from participation.votes import art278, register as vote_register
from participation.votes.forms import AnswerForm, CancelForm, VoteForm
from participation.votes.operations import (VoteError, answer_objection, cancel, close_vote, cosign, create_vote,
                                            finalise, open_vote, tally, visible_tally)
from participation.votes.pages import bp, community_vote, vote_community
from participation.votes.queries import ballot_counts_by_channel, plan_vote_items, votes_of
from participation.votes.words import LABELS, matter_choices, matter_label, rule_words, scope_words, thresholds

# --- staff ----------------------------------------------------------------------------------------------------------

VOTE_FILTERS = {"short": _l("Short of quorum, still open"), "cosign": _l("Results to co-sign")}

def _to_vote(vote: Vote, anchor: str | None = None):
    return redirect(url_for(".show", community_code=vote.community.code, vote_id=vote.id, _anchor=anchor))


bp.add_app_template_global(scope_words, "vote_scope_words")


@bp.get("/c/<community_code>/votes")
@role_required(*DECISION_READERS)
def index(community_code: str):
    """The community's votes; ``?show=short`` (open and short of quorum) and ``?show=cosign`` (results awaiting the
    owner representative's co-signature) are the staff to-do's lines, by the to-do's own rules."""
    community = vote_community(community_code)
    votes = votes_of(community)
    shown = request.args.get("show")
    if shown in VOTE_FILTERS:
        now = utcnow()
        keep = (lambda vote: short_of_quorum(vote, now)) if shown == "short" else awaits_cosign
        votes = [vote for vote in votes if keep(vote)]
    return render_template("votes/index.html", community=community,
                           rows=[(vote, visible_tally(vote, current_user)) for vote in votes], labels=LABELS,
                           matter_label=matter_label, may_manage=can_manage_community(current_user, community),
                           shown=shown if shown in VOTE_FILTERS else None, filters=VOTE_FILTERS)


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
        refuse_onto(form, error)
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
    community = vote_community(community_code, COMMUNITY_MANAGERS)
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
        ballots=ballot_counts_by_channel(vote), elevator_request=elevator_request_of(vote),
        corrections=vote.register_corrections, register_frozen=vote_register.frozen(vote)), status


@bp.get("/c/<community_code>/votes/<int:vote_id>")
@role_required(*DECISION_READERS)
def show(community_code: str, vote_id: int):
    community = vote_community(community_code)
    return _show_page(community, community_vote(community, vote_id))


def _act(community_code: str, vote_id: int, roles, action, form=None):
    """Load, authorize, check the form (CSRF), run ``action(vote, form)``, back to the vote (the request commits); a
    refusal shows the message and changes nothing."""
    community = vote_community(community_code, roles)
    vote = community_vote(community, vote_id)
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
        refuse_onto(form, error)   # undone; the page below shows the messages as flashes, not on this form
        for message in error.errors.values():
            flash(message, "error")
        return _show_page(community, vote, 400)
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


# --- printable ------------------------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/votes/<int:vote_id>/notice")
@role_required(*DECISION_READERS)
def notice(community_code: str, vote_id: int):
    community = vote_community(community_code)
    vote = community_vote(community, vote_id)
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
    community = vote_community(community_code)
    vote = community_vote(community, vote_id)
    if not vote.closed:
        abort(404)
    counts = tally(vote)
    return render_template("votes/result.html", community=community, vote=vote, counts=counts,
                           thresholds=thresholds(vote, counts), rule=rule_words(vote), labels=LABELS,
                           matter_label=matter_label, corrections=vote.register_corrections)
