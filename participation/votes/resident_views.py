"""A household's owner votes, on a phone: the votes whose scope holds it, the owner check by ID tail (kept in the
session for that household only), the ballot (three equal buttons, then a confirmation naming the choice;
changeable until close), and objections during the 询异公示. Staff acting for the household enter the owner's ballot
only in person (door to door, or at the office with the owner's paper), typing the owner's ID tail from the ID card;
by phone or hotline never (DESIGN §4). The staff pages are in ``votes``."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from participation.elevators.shares import share_for_vote
from participation.entry.assisted import ballot_channel
from participation.extensions import db
from participation.guards import private, resident_or_start
from participation.handlers import refuse_onto
from participation.models import OwnerVerification, Vote
from participation.models.types import utcnow
from participation.votes.ballots import PHONE_CHANNELS, audit_refused_check, cast_ballot, verify_owner
from participation.votes.forms import CHOICE_LABELS, BallotForm, ObjectionForm, VerifyForm
from participation.votes.operations import VoteError, record_objection, visible_tally
from participation.votes.owners import remember_verification, session_verification
from participation.votes.queries import ballot_of, in_scope, shaft_owner_of, votes_for
from participation.votes.words import LABELS, matter_label, rule_words, thresholds

bp = Blueprint("resident_votes", __name__)


@bp.app_context_processor
def _resident_votes() -> dict:
    """For the resident home: the open votes its household takes part in."""
    return {"open_votes_for": lambda household: votes_for(household, ("open",))}


def _household_vote(community_code: str, vote_id: int):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return None, None, away
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.community_id != acting.household.community.id or vote.status == "draft" \
            or not in_scope(vote, acting.household):
        abort(404)
    return acting, vote, None


def _page(acting, vote, *, status=200, verify_form=None, objection_form=None, ballot_form=None):
    household = acting.household
    counts = visible_tally(vote, resident=True)   # participation only until voting is over (DESIGN §4)
    mine = ballot_of(vote, household)
    objections = [objection for objection in vote.objections
                  if objection.household_id == household.id or objection.answer]
    my_objection = next((objection for objection in vote.objections if objection.household_id == household.id), None)
    return private(render_template(
        "votes/resident.html", acting=acting, household=household, community=household.community, vote=vote,
        counts=counts, thresholds=thresholds(vote, counts) if vote.closed else [], rule=rule_words(vote),
        labels=LABELS, matter_label=matter_label, verified=session_verification(household), mine=mine,
        verify_form=verify_form or VerifyForm(formdata=None),
        objection_form=objection_form or ObjectionForm(formdata=None, data={"text": getattr(my_objection, "text", "")}),
        my_objection=my_objection,
        ballot_form=ballot_form or BallotForm(formdata=None), objections=objections, now=utcnow(),
        elevator_share=share_for_vote(vote, household), shaft_mine=shaft_owner_of(vote, household),
        ballot_channel=ballot_channel(acting.channel) if acting.assisted else "web",
        choice_hidden=acting.assisted and vote.hide_tallies and not vote.closed,
        objections_open=vote.status == "preliminary" and vote.objection_until and utcnow() <= vote.objection_until),
        status)


@bp.get("/r/<community_code>/votes")
def index(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    votes = votes_for(acting.household)
    return private(render_template("votes/resident_index.html", acting=acting, household=acting.household,
                                   community=acting.household.community, labels=LABELS, matter_label=matter_label,
                                   rows=[(vote, visible_tally(vote, resident=True)) for vote in votes]))


@bp.get("/r/<community_code>/votes/<int:vote_id>")
def show(community_code: str, vote_id: int):
    acting, vote, away = _household_vote(community_code, vote_id)
    if away is not None:
        return away
    return _page(acting, vote)


@bp.post("/r/<community_code>/votes/<int:vote_id>/verify")
def verify(community_code: str, vote_id: int):
    acting, vote, away = _household_vote(community_code, vote_id)
    if away is not None:
        return away
    form = VerifyForm()
    if acting.assisted:
        abort(400)   # staff vouch for the owner in person; they never type the owner's ID number
    if not form.validate_on_submit():
        if not form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
        return _page(acting, vote, status=400, verify_form=form)
    try:
        verification = verify_owner(acting.household, form.tail.data.strip().upper())
    except VoteError as error:
        refuse_onto(form, error)
        audit_refused_check(error)   # a wrong tail is audited (and already counted towards the wait)
        return _page(acting, vote, status=400, verify_form=form)
    remember_verification(acting.household, verification)
    flash(_("Thank you: you are confirmed as the owner. You can vote now."), "success")
    return redirect(url_for(".show", community_code=community_code, vote_id=vote.id, _anchor="ballot"))


@bp.post("/r/<community_code>/votes/<int:vote_id>/ballot")
def ballot(community_code: str, vote_id: int):
    """A choice button posts here; the answer is a confirmation naming the choice (``votes/ballot_confirm.html``),
    whose 确认 posts again with ``confirmed``. Staff with the owner in person type the owner's ID tail with the
    choice: it is checked first (a wrong one counts towards the household's back-off), and the owner confirms."""
    acting, vote, away = _household_vote(community_code, vote_id)
    if away is not None:
        return away
    form = BallotForm()
    if not form.validate_on_submit():
        if not form.errors or "csrf_token" in form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
        return _page(acting, vote, status=400, ballot_form=form)
    if form.choice.data not in CHOICE_LABELS:
        form.form_errors.append(_("Choose 同意, 反对 or 弃权."))
        return _page(acting, vote, status=400, ballot_form=form)
    channel = ballot_channel(acting.channel) if acting.assisted else "web"
    try:
        if not form.confirmed.data:
            check = None
            if vote.status != "open":
                raise VoteError(_("This vote is not open for voting."))
            if channel == "web" and session_verification(acting.household) is None:
                raise VoteError(_("Only the owner can vote. Confirm you are the owner with the last six characters "
                                  "of the owner's ID number first; tenants and family members cannot vote for them."))
            if channel in PHONE_CHANNELS:
                raise VoteError(_("An owner's ballot is never taken by phone. Visit the owner, ask them to come to "
                                  "the community office with their ID card, or to vote online themselves."))
            if channel == "in_person":
                tail = (form.tail.data or "").strip().upper()
                if not tail:
                    raise VoteError({"tail": _("Type the last 6 characters of the owner's ID number.")})
                check = verify_owner(acting.household, tail, vote=vote, staff=acting.staff)
            return _confirm(acting, vote, form.choice.data, check)
        if channel == "web":
            ballot = cast_ballot(vote, acting.household, form.choice.data, "web",
                                 verified=session_verification(acting.household))
        else:
            check_id = str(form.check.data or "")
            check = db.session.get(OwnerVerification, int(check_id)) \
                if check_id.isascii() and check_id.isdigit() and len(check_id) < 10 else None
            ballot = cast_ballot(vote, acting.household, form.choice.data, channel, actor=acting.staff,
                                 verified=check, via=acting.channel)
    except VoteError as error:
        refuse_onto(form, error)
        audit_refused_check(error)   # a wrong ID tail is audited (and already counted towards the wait)
        return _page(acting, vote, status=400, ballot_form=form)
    flash(_("Your vote is saved: %(choice)s. You can change it until voting closes.",
            choice=CHOICE_LABELS[ballot.choice]) if not acting.assisted else
          _("The owner's vote is saved: %(choice)s.", choice=CHOICE_LABELS[ballot.choice]), "success")
    return redirect(url_for(".show", community_code=community_code, vote_id=vote.id, _anchor="ballot"))


def _confirm(acting, vote, choice: str, check: OwnerVerification | None):
    household = acting.household
    return private(render_template(
        "votes/ballot_confirm.html", acting=acting, household=household, community=household.community, vote=vote,
        choice=choice, choice_label=CHOICE_LABELS[choice], check=check))


@bp.post("/r/<community_code>/votes/<int:vote_id>/objection")
def objection(community_code: str, vote_id: int):
    acting, vote, away = _household_vote(community_code, vote_id)
    if away is not None:
        return away
    form = ObjectionForm()
    if not form.validate_on_submit():
        if not form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
        return _page(acting, vote, status=400, objection_form=form)
    try:
        objection = record_objection(vote, form.text.data, household=acting.household, actor=acting.staff,
                                     channel="assisted" if acting.assisted else "web")
    except VoteError as error:
        refuse_onto(form, error)
        return _page(acting, vote, status=400, objection_form=form)
    flash(_("Your objection is changed. The organisers answer it before the result is final.")
          if objection.updated_at else
          _("Your objection is recorded. The organisers answer it before the result is final."), "success")
    return redirect(url_for(".show", community_code=community_code, vote_id=vote.id,
                            _anchor="objections"))
