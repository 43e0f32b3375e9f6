"""Resident entry at /r/<community_code>, the processing notice, and the household's home page.

The same pages serve a staff member acting for the household (staff-assisted mode); ``residents.acting()`` says
whose page it is and through which channel.
"""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from participation import residents
from participation.extensions import db, limiter
from participation.forms import EmptyForm
from participation.forms.resident import AssistedNoticeForm, EntryForm, NoticeForm
from participation.operations.communities import community_by_code
from participation.operations.entry import accept_notice, recent_activities, try_code
from participation.views.guards import private

bp = Blueprint("resident", __name__)

# Generous: a grid worker may enter sixty households in a row from one phone. Wrong codes meet the back-off of
# operations/entry.py long before this.
ENTRY_POST_LIMIT = "60/minute"


@bp.app_context_processor
def _resident_context() -> dict:
    """The assisted household for the banner on every page a staff member sees while acting for it."""
    return {"assisting": residents.assisted_household(), "activity_label": residents.activity_label}


def _browser_id() -> str:
    """The random id the entry throttle counts this browser's failures under, kept in its signed session."""
    if not isinstance(session.get(residents.BROWSER_KEY), str):
        session[residents.BROWSER_KEY] = secrets.token_urlsafe(16)
    return session[residents.BROWSER_KEY]


def _acting_or_away():
    acting = residents.acting()
    if acting is None:
        flash(_("Please open your household's page again: scan the QR code on your slip or type your household "
                "code."), "warning")
    return acting


def _try_code(community, typed: str, browser_id: str):
    """Check the code and keep the count of failures. Two wrong tries at the same moment from one browser (a double
    tap) race to create its throttle row; the loser tries once more, when the row exists, instead of failing."""
    for last in (False, True):
        try:
            result = try_code(community, typed, browser_id=browser_id, remote_addr=request.remote_addr)
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
            if last:
                raise


@bp.route("/r/<community_code>", methods=["GET", "POST"])
@limiter.limit(ENTRY_POST_LIMIT, methods=["POST"])
def entry(community_code: str):
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    browser_id = _browser_id()
    form = EntryForm()
    status = 200
    if form.validate_on_submit():
        result = _try_code(community, form.code.data, browser_id)
        if result.household is not None:
            residents.enter_as(result.household, code_id=result.code_row.id)
            return redirect(url_for(".home"))
        if result.refused:
            status = 429
            form.form_errors.append(_("Too many wrong codes were tried from this phone or network. Please wait "
                                      "%(seconds)d seconds and try again.", seconds=result.wait))
        elif result.malformed:
            status = 400
            form.code.errors.append(_("A household code has 9 letters and digits, for example K7M-4PX-2QH. "
                                      "Please check your slip."))
        else:
            status = 400
            form.code.errors.append(_("This household code is not right. Please compare it with your slip and "
                                      "type it again."))
            if result.wait:
                form.form_errors.append(_("You can try again in %(seconds)d seconds.", seconds=result.wait))
    elif form.is_submitted():
        status = 400
    here = residents.current_household()
    already = here if here is not None and here.community.id == community.id else None
    return private(render_template("resident/entry.html", community=community, form=form, already=already), status)


@bp.get("/home")
def home():
    acting = _acting_or_away()
    if acting is None:
        return redirect(url_for("main.index"))
    if acting.household.notice_accepted_at is None:
        return redirect(url_for(".notice"))
    return private(render_template("resident/home.html", acting=acting, household=acting.household,
                                   community=acting.household.community,
                                   activities=recent_activities(acting.household), leave_form=EmptyForm()))


@bp.route("/home/notice", methods=["GET", "POST"])
def notice():
    acting = _acting_or_away()
    if acting is None:
        return redirect(url_for("main.index"))
    household = acting.household
    form = AssistedNoticeForm() if acting.assisted else NoticeForm()
    status = 200
    if household.notice_accepted_at is not None and request.method == "POST":
        return redirect(url_for(".home"))
    if form.validate_on_submit():
        if not acting.assisted and form.decline.data:
            residents.leave()
            return private(render_template("resident/declined.html", community=household.community))
        if acting.assisted or form.accept.data:
            accept_notice(household, channel=acting.channel, staff=acting.staff)
            db.session.commit()
            return redirect(url_for(".home"))
    if form.is_submitted():
        status = 400
    return private(render_template("resident/notice.html", acting=acting, household=household,
                                   community=household.community, form=form), status)


@bp.post("/home/leave")
def leave():
    if EmptyForm().validate_on_submit():
        residents.leave()
        flash(_("You have left your household's page. Scan your slip or type the code to come back."))
    return redirect(url_for("main.index"))
