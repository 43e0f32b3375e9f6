"""Joint review pages (联合共审): /c/<community_code>/joint-review for the community's organisers and admins (open the
review of the adopted version, the item × party matrix, answers to returned items, conflicts, closing it — the
works gate) and for the agencies it lists (their own column, their word per item, their own pipeline works); and
/joint-review, an agency's list of the reviews that list its organisation.

Readers: admins, organisers and owner representatives of the community, and agencies whose organisation is a party
of the review of the version in force (another agency that sees the community, e.g. its contractor, gets 403; one
that does not, 404). Grid workers and hotline staff get 403. Opening, answering and closing: admins and organisers;
signing off: the listed agencies; works: the listed pipeline companies, each changing only its own.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from participation.extensions import db
from participation.forms import EmptyForm
from participation.guards import private, staff_community
from participation.handlers import Refused, refuse_onto, withdraw
from participation.jointreview.forms import AnswerForm, CloseForm, SignoffForm, WorkForm
from participation.jointreview.operations import (ReviewRefused, answer_return, close_review, delete_work,
                                                  open_review, record_work, sign_off, update_work)
from participation.jointreview.queries import (adopted_version_of, answers_of, conflicting_work_ids, conflicts,
                                               earlier_reviews, party_figures, party_of, review_items, review_of,
                                               review_state, reviews_listing, signoffs_by_cell, works_of)
from participation.models import CatalogueItem, PipelineWork, PlanItem, ReviewSignoff
from participation.permissions import (COMMUNITY_MANAGERS, JOINT_REVIEW_READERS, JOINT_REVIEW_SIGNERS,
                                       PIPELINE_WORKS_KINDS, can_manage_community, is_admin, role_required)

bp = Blueprint("jointreview", __name__)


def _community(community_code: str, *, manage: bool = False):
    """The shared checks, then: an agency reads the review only as one of its parties (403 otherwise)."""
    community = staff_community(community_code, roles=COMMUNITY_MANAGERS if manage else JOINT_REVIEW_READERS,
                                manage=manage)
    if current_user.role == "agency":
        review = review_of(adopted_version_of(community))
        if party_of(review, current_user.organisation_id) is None:
            abort(403)
    return community


def _current_review(community):
    review = review_of(adopted_version_of(community))
    if review is None:
        abort(404)
    return review


def _is_pipeline() -> bool:
    organisation = current_user.organisation
    return current_user.role == "agency" and organisation is not None and organisation.kind in PIPELINE_WORKS_KINDS


def _back(community) -> tuple[str, str]:
    """Where "back" goes: an agency's list of reviews, or the community's hub (its roster page until the hub is
    registered)."""
    if current_user.role == "agency":
        return url_for(".mine"), _("Joint reviews")
    try:
        return url_for("lifecycle.community", community_code=community.code), _("Back to the community")
    except BuildError:
        return url_for("roster.community", community_code=community.code), _("Back to the community")


def _to_index(community, anchor: str | None = None):
    return redirect(url_for(".index", community_code=community.code, _anchor=anchor))


def _render_index(community, *, signoff_forms=None, answer_forms=None, close_form=None, status=200):
    version = adopted_version_of(community)
    review = review_of(version)
    agency = current_user.role == "agency"
    parties = []
    if review is not None:
        parties = [party for party in review.parties
                   if not agency or party.organisation_id == current_user.organisation_id]
    found = conflicts(community)
    if agency:   # an agency sees the conflicts its own works are in
        found = [c for c in found
                 if current_user.organisation_id in (c["first"]["organisation_id"], c["second"]["organisation_id"])]
    open_review_ = review is not None and review.closed_at is None
    back_url, back_text = _back(community)
    signoff_forms = signoff_forms or {}
    answer_forms = answer_forms or {}
    return private(render_template(
        "jointreview/index.html", community=community, version=version, review=review,
        state=review_state(version), items=review_items(version) if version is not None else [], parties=parties,
        cells=signoffs_by_cell(review) if review is not None else {},
        answers=answers_of(review) if review is not None else {}, conflicts=found,
        conflicting=conflicting_work_ids(found), works=works_of(community), earlier=earlier_reviews(community),
        may_manage=can_manage_community(current_user, community), may_sign=agency and open_review_,
        may_record=_is_pipeline(), is_open=open_review_, admin=is_admin(current_user),
        signoff_form=lambda item_id: signoff_forms.get(item_id) or SignoffForm(formdata=None),
        answer_form=lambda signoff_id: answer_forms.get(signoff_id) or AnswerForm(formdata=None),
        close_form=close_form or CloseForm(formdata=None), button=EmptyForm(), back_url=back_url,
        back_text=back_text), status)


@bp.get("/c/<community_code>/joint-review")
@role_required(*JOINT_REVIEW_READERS)
def index(community_code: str):
    return _render_index(_community(community_code))


@bp.post("/c/<community_code>/joint-review/open")
@role_required(*COMMUNITY_MANAGERS)
def open_(community_code: str):
    community = _community(community_code, manage=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        review = open_review(current_user, community)
    except ReviewRefused as refusal:
        flash(withdraw(refusal).message, "error")
        return _to_index(community)
    flash(_("The joint review of version %(number)d is open: %(count)d parties were asked to sign off.",
            number=review.version.number, count=len(review.parties)), "success")
    return _to_index(community)


@bp.post("/c/<community_code>/joint-review/close")
@role_required(*COMMUNITY_MANAGERS)
def close(community_code: str):
    community = _community(community_code, manage=True)
    review = _current_review(community)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_index(community, close_form=form, status=400)
    try:
        close_review(current_user, review, reason=form.reason.data if is_admin(current_user) else None)
    except ReviewRefused as refusal:
        flash(withdraw(refusal).message, "error")
        return _to_index(community)
    except Refused as refusal:   # the works gate: every missing condition (or the reason's), shown on the form
        refuse_onto(form, refusal)
        return _render_index(community, close_form=form, status=400)
    flash(_("The joint review of version %(number)d is complete.", number=review.version.number), "success")
    return _to_index(community)


@bp.post("/c/<community_code>/joint-review/items/<int:plan_item_id>/signoff")
@role_required(*JOINT_REVIEW_SIGNERS)
def signoff(community_code: str, plan_item_id: int):
    community = _community(community_code)
    review = _current_review(community)
    plan_item = db.session.get(PlanItem, plan_item_id)
    if plan_item is None or plan_item.version_id != review.version_id:
        abort(404)
    form = SignoffForm()
    if not form.validate_on_submit():
        return _render_index(community, signoff_forms={plan_item_id: form}, status=400)
    try:
        sign_off(current_user, review, plan_item, form.decision.data, form.comment.data)
    except ReviewRefused as refusal:
        refuse_onto(form, refusal)
        return _render_index(community, signoff_forms={plan_item_id: form}, status=400)
    flash(_("Your word on %(item)s is recorded.", item=plan_item.item.name), "success")
    return _to_index(community, f"item-{plan_item_id}")


@bp.post("/c/<community_code>/joint-review/signoffs/<int:signoff_id>/answer")
@role_required(*COMMUNITY_MANAGERS)
def answer(community_code: str, signoff_id: int):
    community = _community(community_code, manage=True)
    review = _current_review(community)
    row = db.session.get(ReviewSignoff, signoff_id)
    if row is None or row.review_id != review.id:
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_index(community, answer_forms={signoff_id: form}, status=400)
    try:
        answer_return(current_user, row, form.answer.data)
    except ReviewRefused as refusal:
        refuse_onto(form, refusal)
        return _render_index(community, answer_forms={signoff_id: form}, status=400)
    flash(_("Your answer to %(party)s is recorded.", party=row.organisation.name), "success")
    return _to_index(community, f"item-{row.plan_item_id}")


# --- pipeline works --------------------------------------------------------------------------------------------

def _work_form(community, formdata=None, obj=None) -> WorkForm:
    form = WorkForm(formdata=formdata, obj=obj)
    version = adopted_version_of(community)
    items = review_items(version) if version is not None else []
    form.item.choices = [SelectChoice("", _("No particular item"))] + [
        SelectChoice(str(row.item_id), f"{row.item.code} {row.item.name}") for row in items]
    form.building.choices = [SelectChoice("", _("No particular building"))] + [
        SelectChoice(str(building.id), building.label) for building in community.buildings]
    if obj is not None and formdata is None:
        form.item.data = str(obj.item_id or "")
        form.building.data = str(obj.building_id or "")
    return form


def _work_fields(community, form: WorkForm) -> dict:
    version = adopted_version_of(community)
    offered = {str(row.item_id) for row in review_items(version)} if version is not None else set()
    item = db.session.get(CatalogueItem, int(form.item.data)) if form.item.data in offered else None
    if form.item.data and item is None:
        item = form.item.data   # not offered: the operation refuses it with its words
    buildings = {str(building.id): building for building in community.buildings}
    building = buildings.get(form.building.data) if form.building.data else None
    if form.building.data and building is None:
        building = form.building.data
    return {"item": item, "building": building, "place": form.place.data, "starts_on": form.starts_on.data,
            "ends_on": form.ends_on.data, "note": form.note.data}


def _work(community, work_id: int) -> PipelineWork:
    work = db.session.get(PipelineWork, work_id)
    if work is None or work.community_id != community.id:
        abort(404)
    if work.organisation_id != current_user.organisation_id:
        abort(403)
    return work


@bp.route("/c/<community_code>/joint-review/works/new", methods=["GET", "POST"], defaults={"work_id": None})
@bp.route("/c/<community_code>/joint-review/works/<int:work_id>/edit", methods=["GET", "POST"])
@role_required(*JOINT_REVIEW_SIGNERS)
def edit_work(community_code: str, work_id: int | None):
    community = _community(community_code)
    if not _is_pipeline():
        abort(403)
    work = _work(community, work_id) if work_id is not None else None
    form = _work_form(community, request.form if request.method == "POST" else None, obj=work)
    if form.validate_on_submit():
        try:
            if work is None:
                work = record_work(current_user, community, _work_fields(community, form))
            else:
                update_work(current_user, work, _work_fields(community, form))
        except ReviewRefused as refusal:
            refuse_onto(form, refusal)
        else:
            flash(_("Your works are saved."), "success")
            return _to_index(community, f"work-{work.id}")
    status = 400 if form.is_submitted() else 200
    return private(render_template("jointreview/work_form.html", community=community, form=form, work=work),
                   status)


@bp.post("/c/<community_code>/joint-review/works/<int:work_id>/delete")
@role_required(*JOINT_REVIEW_SIGNERS)
def delete_work_view(community_code: str, work_id: int):
    community = _community(community_code)
    if not _is_pipeline():
        abort(403)
    work = _work(community, work_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        delete_work(current_user, work)
    except ReviewRefused as refusal:
        flash(withdraw(refusal).message, "error")
    else:
        flash(_("The works were deleted."), "success")
    return _to_index(community, "works")


# --- an agency's reviews ---------------------------------------------------------------------------------------

@bp.get("/joint-review")
@role_required(*JOINT_REVIEW_SIGNERS)
def mine():
    organisation_id = current_user.organisation_id
    rows = [{"review": review, "community": review.version.plan.community,
             "figures": party_figures(review, organisation_id)} for review in reviews_listing(organisation_id)]
    return render_template("jointreview/mine.html", rows=rows)
