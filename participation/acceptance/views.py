"""Joint acceptance (联合验收) pages: /c/<community_code>/acceptance for staff (the rating rounds, opening and closing
them, the results, the rectification ticket, the joint acceptance record with its signatures, and the printable
record), and /r/rating/<round_id> where a household rates the finished works on its phone.

Readers: admins, organisers, owner representatives, hotline staff, and the agencies doing or supervising the
works (contractor and supervisor kinds; pipeline and property companies get 403). Rounds and records are run by
those who run the community (admins, organisers). The record is signed by an organiser, an owner representative
and a user of the community's supervisor. A role that may never use a page gets 403; a community outside the
user's scope, or an object of another community, 404.
"""
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation.acceptance.forms import RATING_WORDS, OpenRoundForm, RateForm, RecordForm
from participation.acceptance.operations import (AcceptanceRefused, close_round, create_record, open_round, pass_rule,
                                                 rate, sign_record)
from participation.acceptance.queries import (blocking_subjects, buildings_of, can_rerate, in_scope, last_round,
                                              open_rounds_for, records_of, response_of, rounds_of, signing_role,
                                              subject_name, subjects, visible_results)
from participation.entry import residents
from participation.extensions import db
from participation.formatting import beijing_midnight
from participation.forms import EmptyForm
from participation.guards import private, staff_community
from participation.handlers import refuse_onto, withdraw
from participation.lifecycle.overrides import GateRefused
from participation.models.acceptance import AcceptanceRating, AcceptanceRecord, RatingResponse
from participation.models.types import utcnow
from participation.permissions import (ACCEPTANCE_READERS, ACCEPTANCE_SIGNERS, COMMUNITY_MANAGERS, TICKET_READERS,
                                       WORKS_AGENCY_KINDS, can_manage_community, role_required)
from participation.reference.locality import current_year
from participation.uploads import UploadError, discard, store_photo, stored_file

bp = Blueprint("acceptance", __name__)

PHOTO_FOLDER = "acceptance"


def _community(community_code: str, *, manage: bool = False):
    """Agencies other than the contractor and the supervisor never read acceptance (403); then the shared checks."""
    if current_user.role == "agency" and (current_user.organisation is None
                                          or current_user.organisation.kind not in WORKS_AGENCY_KINDS):
        abort(403)
    return staff_community(community_code, roles=COMMUNITY_MANAGERS if manage else None, manage=manage)


def _round(community, round_id: int) -> AcceptanceRating:
    round_ = db.session.get(AcceptanceRating, round_id)
    if round_ is None or round_.community_id != community.id:
        abort(404)
    return round_


def _record(community, record_id: int) -> AcceptanceRecord:
    row = db.session.get(AcceptanceRecord, record_id)
    if row is None or row.community_id != community.id:
        abort(404)
    return row


def _to_index(community, anchor: str | None = None):
    return redirect(url_for(".index", community_code=community.code, _anchor=anchor))


def _subject_label(row: dict) -> str:
    return subject_name(row["item"])


def _open_form(community, formdata=None) -> OpenRoundForm:
    form = OpenRoundForm(formdata=formdata) if formdata is not None else OpenRoundForm()
    form.subject.choices = [SelectChoice(row["subject"], _subject_label(row)) for row in subjects(community)
                           if row["finished"]]
    form.buildings.choices = [SelectChoice(b.id, _("Building %(name)s", name=b.name)) for b in buildings_of(community)]
    return form


def _record_form(community) -> RecordForm:
    form = RecordForm()
    form.subjects.choices = [SelectChoice(row["subject"], _subject_label(row)) for row in subjects(community)]
    return form


def _render_index(community, *, open_form=None, record_form=None, status=200):
    rounds = rounds_of(community)
    by_subject: dict[str, list] = {}
    for round_ in rounds:
        by_subject.setdefault(round_.subject, []).append(round_)
    records = records_of(community)
    names = {row["subject"]: _subject_label(row) for row in subjects(community)}
    return private(render_template(
        "acceptance/index.html", community=community, subjects=subjects(community), by_subject=by_subject,
        results={r.id: visible_results(r, current_user) for r in rounds}, rule=pass_rule(community, current_year()),
        may_manage=can_manage_community(current_user, community), open_form=open_form or _open_form(community),
        record_form=record_form or _record_form(community), records=records, names=names,
        signing_role=lambda row: signing_role(current_user, row), blocking=blocking_subjects, can_rerate=can_rerate,
        ticket_link=current_user.role in TICKET_READERS, button=EmptyForm(), words=RATING_WORDS), status)


@bp.get("/c/<community_code>/acceptance")
@role_required(*ACCEPTANCE_READERS)
def index(community_code: str):
    return _render_index(_community(community_code))


def _end_of_day(day) -> datetime:
    return beijing_midnight(day + timedelta(days=1))


@bp.post("/c/<community_code>/acceptance/rounds")
@role_required(*COMMUNITY_MANAGERS)
def open_(community_code: str):
    community = _community(community_code, manage=True)
    form = _open_form(community, request.form)
    if not form.validate_on_submit():
        return _render_index(community, open_form=form, status=400)
    wanted = set(form.buildings.data or [])
    chosen = [b for b in buildings_of(community) if b.id in wanted]
    try:
        round_ = open_round(current_user, community, form.subject.data, closes_at=_end_of_day(form.closes_on.data),
                            hide_tallies=form.hide_tallies.data, buildings=chosen,
                            override_reason=form.override_reason.data)
    except GateRefused as refusal:          # each missing condition on its own line above the form
        refuse_onto(form, {f"gate-{index}": line for index, line in enumerate(refusal.missing)})
        return _render_index(community, open_form=form, status=400)
    except AcceptanceRefused as refusal:
        refuse_onto(form, refusal)
        return _render_index(community, open_form=form, status=400)
    flash(_("Round %(number)d is open for residents to rate.", number=round_.number), "success")
    return _to_index(community, f"round-{round_.id}")


@bp.post("/c/<community_code>/acceptance/rounds/<int:round_id>/close")
@role_required(*COMMUNITY_MANAGERS)
def close(community_code: str, round_id: int):
    community = _community(community_code, manage=True)
    round_ = _round(community, round_id)
    button = EmptyForm()
    if not button.validate_on_submit():
        abort(400)
    try:
        close_round(current_user, round_)
    except AcceptanceRefused as refusal:
        flash(withdraw(refusal).message, "error")     # undoes the closing flushed before the ticket was refused
        return _to_index(community, f"round-{round_id}")
    if round_.result == "passed":
        flash(_("Round %(number)d closed: passed.", number=round_.number), "success")
    else:
        flash(_("Round %(number)d closed: failed. Rectification ticket %(receipt)s was filed for the contractor.",
                number=round_.number, receipt=round_.ticket.receipt), "warning")
    return _to_index(community, f"round-{round_id}")


@bp.post("/c/<community_code>/acceptance/records")
@role_required(*COMMUNITY_MANAGERS)
def new_record(community_code: str):
    community = _community(community_code, manage=True)
    form = _record_form(community)
    if not form.validate_on_submit():
        return _render_index(community, record_form=form, status=400)
    try:
        row = create_record(current_user, community, form.subjects.data, form.result_text.data)
    except AcceptanceRefused as refusal:
        refuse_onto(form, refusal)
        return _render_index(community, record_form=form, status=400)
    return _to_index(community, f"record-{row.id}")


@bp.post("/c/<community_code>/acceptance/record/<int:record_id>/sign")
@role_required(*ACCEPTANCE_SIGNERS)
def sign(community_code: str, record_id: int):
    community = _community(community_code)
    row = _record(community, record_id)
    button = EmptyForm()
    if not button.validate_on_submit():
        abort(400)
    if signing_role(current_user, row) is None:
        abort(403)
    try:
        sign_record(current_user, row)
    except AcceptanceRefused as refusal:
        flash(withdraw(refusal).message, "error")
        return _to_index(community, f"record-{record_id}")
    flash(_("Signed."), "success")
    return _to_index(community, f"record-{record_id}")


@bp.get("/c/<community_code>/acceptance/record/<int:record_id>/print")
@role_required(*ACCEPTANCE_READERS)
def print_record(community_code: str, record_id: int):
    community = _community(community_code)
    row = _record(community, record_id)
    covered = []
    for subject in row.subjects:
        last = last_round(row.plan, subject.subject)
        covered.append({"subject": subject.subject, "last": last,
                        "results": visible_results(last, current_user) if last else None})
    names = {r["subject"]: _subject_label(r) for r in subjects(community)}
    return private(render_template("acceptance/record_print.html", community=community, row=row, covered=covered,
                                   names=names, words=RATING_WORDS))


@bp.get("/c/<community_code>/acceptance/responses/<int:response_id>/photo")
@role_required(*ACCEPTANCE_READERS)
def response_photo(community_code: str, response_id: int):
    """A rating's photo, for readers, once the round's tallies are visible."""
    community = _community(community_code)
    response = db.session.get(RatingResponse, response_id)
    if response is None or response.round.community_id != community.id or not response.photo_path \
            or visible_results(response.round, current_user)["hidden"]:
        abort(404)
    path = stored_file(response.photo_path)
    if path is None:
        abort(404)
    result = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    result.headers["Cache-Control"] = "private, no-store"
    return result


# --- residents ----------------------------------------------------------------------------------------------------

@bp.app_context_processor
def _resident_ratings() -> dict:
    """For the resident home: the rounds its household may rate now."""
    return {"open_acceptance_ratings": open_rounds_for, "acceptance_subject_name": subject_name}


@bp.route("/r/rating/<int:round_id>", methods=["GET", "POST"])
def rate_page(round_id: int):
    acting = residents.acting()
    if acting is None:
        flash(_("Please open your household's page again: scan the QR code on your slip or type your household "
                "code."), "warning")
        return redirect(url_for("main.index"))
    household = acting.household
    if household.notice_accepted_at is None:
        return redirect(url_for("resident.notice"))
    round_ = db.session.get(AcceptanceRating, round_id)
    if round_ is None or round_.community_id != household.unit.building.community_id:
        abort(404)
    if not in_scope(round_, household):
        abort(404)
    form = RateForm()
    status, message = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            outcome = _save_rating(acting, round_, form)
            if outcome is None:
                flash(_("Thank you. Your rating was saved; you can change it until the rating closes."), "success")
                return redirect(url_for(".rate_page", round_id=round_.id))
            message = outcome
        status = 400
    existing = response_of(round_, household)
    if request.method == "GET" and existing is not None:
        form.comment.data = existing.comment
    return private(render_template("acceptance/rate.html", acting=acting, household=household, round_=round_,
                                   form=form, existing=existing, message=message, words=RATING_WORDS,
                                   subject=subject_name(round_.item), results=visible_results(round_),
                                   accepting=round_.is_open and round_.closes_at > utcnow()), status)


def _save_rating(acting, round_, form) -> str | None:
    """Store the photo (if any) and the rating; a message when refused (nothing kept, the photo discarded)."""
    photo = form.photo.data
    path = None
    try:
        if photo is not None and (getattr(photo, "filename", "") or "").strip():
            path = store_photo(photo.stream, PHOTO_FOLDER)
        rate(acting.household, round_, form.rating.data, comment=form.comment.data, photo_path=path,
             channel=acting.channel, staff=acting.staff)
    except (UploadError, AcceptanceRefused) as refusal:
        discard(path)
        refuse_onto(form, {"": str(refusal)})
        return str(refusal)
    except Exception:
        discard(path)
        raise
    return None
