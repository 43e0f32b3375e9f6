"""Staff vote pages for paper and the register, under /c/<community_code>/votes/<vote_id> (blueprint "votes", shared
with ``votes.views`` through ``votes.pages``).

Paper ballots: organisers and admins of the community enter the sheets the owners signed, with their 票号 — one
household found by 楼栋/单元/房号, or a file, all or nothing, optionally keyed twice (``votes.paper``).

The register (表决名册): as frozen when the vote opened, with its corrections; readers in scope see it, and while
voting is open an organiser or admin corrects one unit with a reason (``votes.register_corrections``).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.entry.assisted import find_households
from participation.extensions import db
from participation.forms import EmptyForm
from participation.handlers import refuse_onto
from participation.models import Household, VoteRegisterEntry
from participation.permissions import (COMMUNITY_MANAGERS, DECISION_READERS, can_manage_community, can_view_household,
                                       role_required)
from participation.roster.files import RosterImportError, read_roster_file
from participation.votes import register as vote_register
from participation.votes.ballots import cast_ballot
from participation.votes.forms import CHOICE_LABELS, ImportForm, PaperBallotForm, RegisterCorrectionForm
from participation.votes.operations import VoteError, visible_tally
from participation.votes.pages import bp, community_vote, vote_community
from participation.votes.paper import BallotImportError, discard_keying, held_keying, import_ballots
from participation.votes.queries import ballots_of_households, household_ids_in_scope
from participation.votes.register_corrections import correct_entry
from participation.votes.words import LABELS, matter_label

# --- paper ballots --------------------------------------------------------------------------------------------------


def _paper_page(community, vote, *, status=200, form=None, import_errors=(), import_form=None):
    search = {key: request.args.get(key, "").strip() for key in ("building", "unit", "room")}
    found = []
    if any(search.values()):
        in_scope = household_ids_in_scope(vote)
        found = [household for household in find_households(current_user, community, **search)
                 if household.id in in_scope]
    counts = visible_tally(vote, current_user)
    ballots = ballots_of_households(vote, found)
    return render_template(
        "votes/paper.html", community=community, vote=vote, search=search, found=found, ballots=ballots,
        form=form or PaperBallotForm(formdata=None), import_form=import_form or ImportForm(),
        import_errors=import_errors, labels=LABELS, matter_label=matter_label, counts=counts,
        held=held_keying(vote)), status


@bp.get("/c/<community_code>/votes/<int:vote_id>/paper")
@role_required(*COMMUNITY_MANAGERS)
def paper(community_code: str, vote_id: int):
    community = vote_community(community_code, COMMUNITY_MANAGERS)
    return _paper_page(community, community_vote(community, vote_id))


@bp.post("/c/<community_code>/votes/<int:vote_id>/paper")
@role_required(*COMMUNITY_MANAGERS)
def paper_ballot(community_code: str, vote_id: int):
    community = vote_community(community_code, COMMUNITY_MANAGERS)
    vote = community_vote(community, vote_id)
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
        refuse_onto(form, error)
        return _paper_page(community, vote, status=400, form=form)
    flash(_("Paper ballot of %(address)s saved: %(choice)s.", address=household.address,
            choice=CHOICE_LABELS[ballot.choice]) if ballot.version == 1 else
          _("The ballot of %(address)s is changed to %(choice)s.", address=household.address,
            choice=CHOICE_LABELS[ballot.choice]), "success")
    return redirect(url_for(".paper", community_code=community.code, vote_id=vote.id))


@bp.post("/c/<community_code>/votes/<int:vote_id>/import")
@role_required(*COMMUNITY_MANAGERS)
def import_view(community_code: str, vote_id: int):
    community = vote_community(community_code, COMMUNITY_MANAGERS)
    vote = community_vote(community, vote_id)
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
        refuse_onto(form, {})   # undone; the rows' messages are listed apart, under the file
        return _paper_page(community, vote, status=400, import_form=form, import_errors=error.errors)
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
    community = vote_community(community_code, COMMUNITY_MANAGERS)
    vote = community_vote(community, vote_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        discard_keying(current_user, vote)
    except BallotImportError as error:
        refuse_onto(form, {})   # the message is listed with the file's
        return _paper_page(community, vote, status=400, import_errors=error.errors)
    flash(_("The first keying was discarded; nothing of it was stored."), "success")
    return redirect(url_for(".paper", community_code=community.code, vote_id=vote.id))


# --- the register (表决名册) -----------------------------------------------------------------------------------------

@bp.get("/c/<community_code>/votes/<int:vote_id>/register")
@role_required(*DECISION_READERS)
def register(community_code: str, vote_id: int):
    """The vote's register as frozen when it opened (with corrections applied, listed below it); 404 for a draft."""
    community = vote_community(community_code)
    vote = community_vote(community, vote_id)
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
    community = vote_community(community_code, COMMUNITY_MANAGERS)
    vote = community_vote(community, vote_id)
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
                refuse_onto(form, error)
            else:
                flash(_("The register is corrected; the correction is listed with the objections."), "success")
                return redirect(url_for(".register", community_code=community.code, vote_id=vote.id,
                                        _anchor=f"entry-{entry.id}"))
        elif not form.errors:
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
    return render_template("votes/register_correct.html", community=community, vote=vote, entry=entry, form=form,
                           labels=LABELS), status
