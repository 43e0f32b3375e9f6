"""The plan's comment period (方案公示 / 征求意见).

Staff, under /c/<community_code>/plan/versions/<number>: the comments page (the period, publishing it, closing it,
per-item tallies, every comment with its household, hiding / showing / answering it), locking the final version,
and the printable A4 notice with a QR code to the residents' page. Readers are the plan's readers
(``can_view_survey_results``); changes are for those who run the community (``can_manage_community``). A role that
may never use a page gets 403; a community outside the user's scope answers 404.

Residents, at /r/<community_code>/plan (the address the notice's QR code opens, next to the entry page /r/<code>):
the version under comment, readable by anyone who has the notice (it is a public notice); the household this
browser acts for (``residents.acting()``: the resident, or staff assisting it) and that belongs to the community
also gets a support / object / comment form per item and on the whole plan, its own comments with the answers, and
the answered comments of others without any name or address. A POST needs a household of the community: staff
acting for nobody and visitors go to the start page; a household of another community gets 404.
"""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from participation.entry import residents
from participation.forms import EmptyForm
from participation.guards import private
from participation.handlers import refuse_onto, withdraw
from participation.labels import SUGGESTION_LABELS, VERSION_STATUS_LABELS
from participation.permissions import COMMUNITY_MANAGERS, HOUSEHOLD_READERS, can_manage_community, role_required
from participation.plans.comment_forms import (FILTER_LABELS, PERIOD_STATE_LABELS, STAFF_STANCE_LABELS, STANCE_LABELS,
                                               CommentForm, ModerateForm, PublishForm)
from participation.plans.comment_queries import (FILTERS, buildings_of, compared_version, moderation_list,
                                                 resident_items)
from participation.plans.comments import (MIN_DAYS, CommentRefused, answer, close, comment, comment_on, comments_of,
                                          current_period, empty_tally, hide, household_comments, item_by_code, lock,
                                          locked_version, period_for, publish, tallies, unhide)
from participation.plans.gates import unanswered_objections, version_view
from participation.plans.inputs import roster_figures
from participation.plans.loading import plan_community, plan_version
from participation.plans.operations import MIN_CELL, SUPPRESSED, today, version_by_number, version_changes
from participation.roster.communities import community_by_code
from participation.templating import qr_svg

bp = Blueprint("plan_comments", __name__)

LABELS = {"version_status": VERSION_STATUS_LABELS, "suggestion": SUGGESTION_LABELS, "stance": STANCE_LABELS,
          "staff_stance": STAFF_STANCE_LABELS, "period": PERIOD_STATE_LABELS}


# --- staff -------------------------------------------------------------------------------------------------------

def _to_comments(community, number: int):
    return redirect(url_for(".comments", community_code=community.code, number=number))


def _refused(form, refused: CommentRefused) -> None:
    """Undo the refused change; its messages are flashed, as the page shown next is not this form's."""
    for message in withdraw(refused).errors.values():
        flash(message, "error")


def _list_args(args, community) -> dict:
    """The moderation list's search, building, filter and page from a query string, kept only when valid (older
    links say ``unanswered=1``, ``stance=…`` and ``show=visible``; they read the same)."""
    show = args.get("show") or ("unanswered" if args.get("unanswered") == "1" else args.get("stance"))
    building = args.get("building", "")
    building = int(building) if building.isdecimal() and any(
        row.id == int(building) for row in community.buildings) else None
    page = args.get("page", "")
    chosen = {"show": show if show in FILTERS + ("visible",) else None, "q": (args.get("q") or "").strip()[:100],
              "building": building, "page": int(page) if page.isdecimal() and 0 < int(page) < 100000 else None}
    return {key: value for key, value in chosen.items() if value}


def _comments_page(community, version, *, publish_form=None, status=200, args=None):
    args = args or {}
    period = period_for(version)
    listed = moderation_list(version, show=args.get("show"), text=args.get("q"), building_id=args.get("building"),
                             page=args.get("page") or 1)
    waiting = {row.id for row in unanswered_objections(version)}
    counts = tallies(version)
    previous = version_by_number(version.plan, version.number - 1)
    if publish_form is None:
        day = today()
        publish_form = PublishForm(formdata=None, opens_on=day, closes_on=day + timedelta(days=MIN_DAYS - 1))
    return render_template(
        "plans/comments.html", community=community, version=version, view=version_view(version), period=period,
        today=today(),
        counts=counts, empty=empty_tally(), listed=listed, comments=listed["rows"], waiting=waiting, args=args,
        list_args={key: value for key, value in args.items() if key != "page"},
        buildings=buildings_of(community), filters=FILTER_LABELS,
        changes=version_changes(previous, version), previous=previous, locked=locked_version(version.plan),
        may_manage=can_manage_community(current_user, community), publish_form=publish_form,
        moderate_form=ModerateForm, form=EmptyForm(), labels=LABELS), status


@bp.get("/c/<community_code>/plan/versions/<int:number>/comments")
@role_required(*HOUSEHOLD_READERS)
def comments(community_code: str, number: int):
    community = plan_community(community_code)
    version = plan_version(community, number)
    return _comments_page(community, version, args=_list_args(request.args, community))


@bp.post("/c/<community_code>/plan/versions/<int:number>/comments/publish")
@role_required(*COMMUNITY_MANAGERS)
def publish_view(community_code: str, number: int):
    community = plan_community(community_code, manage=True)
    version = plan_version(community, number)
    form = PublishForm()
    if not form.validate_on_submit():
        return _comments_page(community, version, publish_form=form, status=400)
    try:
        publish(current_user, version, form.opens_on.data, form.closes_on.data, note=form.note.data)
    except CommentRefused as refused:
        refuse_onto(form, refused)
        return _comments_page(community, version, publish_form=form, status=400)
    flash(_("Version %(number)d is published for comment.", number=number), "success")
    return _to_comments(community, number)


@bp.post("/c/<community_code>/plan/versions/<int:number>/comments/close")
@role_required(*COMMUNITY_MANAGERS)
def close_view(community_code: str, number: int):
    community = plan_community(community_code, manage=True)
    version = plan_version(community, number)
    button = EmptyForm()
    if not button.validate_on_submit():
        abort(400)
    period = period_for(version)
    try:
        if period is None:
            raise CommentRefused({"": _("This version was not published for comment.")})
        close(current_user, period)
    except CommentRefused as refused:
        _refused(button, refused)
    else:
        flash(_("The comment period is closed."), "success")
    return _to_comments(community, number)


@bp.post("/c/<community_code>/plan/versions/<int:number>/lock")
@role_required(*COMMUNITY_MANAGERS)
def lock_view(community_code: str, number: int):
    community = plan_community(community_code, manage=True)
    version = plan_version(community, number)
    button = EmptyForm()
    if not button.validate_on_submit():
        abort(400)
    try:
        lock(current_user, version)
    except CommentRefused as refused:
        _refused(button, refused)
    else:
        flash(_("Version %(number)d is locked as the final plan.", number=number), "success")
    return _to_comments(community, number)


@bp.post("/c/<community_code>/plan/versions/<int:number>/comments/moderate")
@role_required(*COMMUNITY_MANAGERS)
def moderate(community_code: str, number: int):
    community = plan_community(community_code, manage=True)
    version = plan_version(community, number)
    args = _list_args(request.args, community)
    form = ModerateForm()
    if not form.validate_on_submit() or form.action.data not in ("hide", "unhide", "answer") \
            or not str(form.comment.data).isdecimal():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _comments_page(community, version, status=400, args=args)
    target = comment_on(version, int(form.comment.data))
    if target is None:
        abort(404)
    try:
        if form.action.data == "hide":
            hide(current_user, target, form.reason.data)
            message = _("The comment is hidden from residents.")
        elif form.action.data == "unhide":
            unhide(current_user, target)
            message = _("The comment is shown again.")
        else:
            answer(current_user, target, form.answer.data)
            message = _("Answer saved: the household sees it on its plan page.")
    except CommentRefused as refused:
        _refused(form, refused)
        return _comments_page(community, version, status=400, args=args)
    flash(message, "success")
    return redirect(url_for(".comments", community_code=community.code, number=number, **args,
                            _anchor=f"c{target.id}"))


@bp.get("/c/<community_code>/plan/versions/<int:number>/notice")
@role_required(*HOUSEHOLD_READERS)
def notice(community_code: str, number: int):
    community = plan_community(community_code)
    version = plan_version(community, number)
    previous = version_by_number(version.plan, number - 1)
    page_url = url_for(".resident_plan", community_code=community.code, _external=True)
    return render_template(
        "plans/comment_notice.html", community=community, version=version, view=version_view(version),
        period=period_for(version),
        changes=version_changes(previous, version), previous=previous, page_url=page_url, labels=LABELS,
        qr=qr_svg(page_url, label=_("QR code of the comment page of the plan of %(community)s",
                                    community=community.name)))


# --- residents ---------------------------------------------------------------------------------------------------

def _household_here(community):
    """The acting household if it belongs to ``community`` and accepted the notice; else None."""
    acting = residents.acting()
    if acting is None or acting.household.notice_accepted_at is None:
        return None
    if acting.household.unit.building.community_id != community.id:
        return None
    return acting


def _resident_page(community, acting, *, forms=None, status=200, saved=None):
    """``saved``: the item code ("" for the whole plan) whose view was just saved: its card is open and says so.
    Items whose form came back with errors are open too."""
    period = current_period(community)
    version = period.version if period is not None else None
    previous = compared_version(version) if version is not None else None
    mine, answered = {}, []
    if acting is not None and version is not None:
        mine = household_comments(acting.household, version)
        answered = [row for row in comments_of(version, hidden=False)
                    if row.answer and row.household_id != acting.household.id]
    forms = forms or {}
    opened = set(forms)
    if version is not None and acting is not None:
        for key, item in [("", None)] + [(row.item.code, row) for row in version.items]:
            if key not in forms:
                own = mine.get(None if item is None else item.id)
                forms[key] = CommentForm(formdata=None, item=key, stance=own.stance if own else None,
                                         body=own.body if own else "")
    codes = {""} | {row.item.code for row in version.items} if version is not None else set()
    if saved in codes:
        opened.add(saved)
    else:
        saved = None
    view = version_view(version) if version is not None else None
    changes = version_changes(previous, version) if version is not None else []
    items = resident_items(view, changes, roster_figures(community)["households"]) if view is not None else None
    return private(render_template(
        "resident/plan.html", community=community, period=period, version=version, previous=previous,
        view=view, items=items, changes=changes, acting=acting, mine=mine, saved=saved, opened=opened,
        answered=answered, forms=forms, labels=LABELS, open=period is not None and period.is_open(today()),
        state=period.state(today()) if period is not None else None, min_cell=MIN_CELL, suppressed=SUPPRESSED),
        status)


@bp.get("/r/<community_code>/plan")
def resident_plan(community_code: str):
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    acting = _household_here(community)
    saved = request.args.get("saved") if acting is not None else None
    return _resident_page(community, acting, saved=saved)


@bp.post("/r/<community_code>/plan")
def resident_comment(community_code: str):
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    acting = residents.acting()
    if acting is None:
        flash(_("Please open your household's page again: scan the QR code on your slip or type your household "
                "code."), "warning")
        return redirect(url_for("main.index"))
    if acting.household.notice_accepted_at is None:
        return redirect(url_for("resident.notice"))
    if acting.household.unit.building.community_id != community.id:
        abort(404)
    period = current_period(community)
    if period is None:
        abort(404)
    form = CommentForm()
    code = (form.item.data or "").strip()
    version = period.version
    item = item_by_code(version, code) if code else None
    if code and item is None:
        abort(404)
    if not form.validate_on_submit():
        if not form.errors.get("stance") and not form.errors.get("body"):
            form.form_errors.append(_("The form could not be sent; please open the page again and retry."))
        return _resident_page(community, acting, forms={code: form}, status=400)
    try:
        comment(acting.household, period, item, form.stance.data, form.body.data, channel=acting.channel,
                staff=acting.staff)
    except CommentRefused as refused:
        refuse_onto(form, refused)
        return _resident_page(community, acting, forms={code: form}, status=400)
    except IntegrityError:   # a third tap at the same moment: comment() retried once already
        refuse_onto(form, {"": _("Your comment was not saved; please try again.")})
        return _resident_page(community, acting, forms={code: form}, status=400)
    # The thanks stand beside the item (the page opens there), not in a flash at the top, screens away.
    return redirect(url_for(".resident_plan", community_code=community.code, saved=code,
                            _anchor=f"item-{code or 'plan'}"))
