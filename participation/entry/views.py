"""Resident entry at /r/<community_code>, the processing notice, and the household's home page.

The same pages serve a staff member acting for the household (staff-assisted mode); ``residents.acting()`` says
whose page it is and through which channel.
"""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from participation.entry import challenge as entry_challenge, residents
from participation.entry.forms import AssistedNoticeForm, EntryForm, NoticeForm, SwitchForm
from participation.entry.operations import accept_notice, address_needs_pass, recent_activities, try_code
from participation.entry.status import BALLOT_CHANNEL_WORDS, home_status
from participation.extensions import limiter
from participation.forms import EmptyForm
from participation.guards import private
from participation.plans.comment_forms import STANCE_LABELS
from participation.reach.inbox import household_unread
from participation.votes.forms import CHOICE_LABELS
from participation.roster.communities import community_by_code

bp = Blueprint("resident", __name__)

# Generous: a grid worker may enter sixty households in a row from one phone. It is also the most any one address
# can try in a minute, pass or no pass (entry/operations.py: wrong codes meet the back-off and the checks first).
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


@bp.route("/r/<community_code>", methods=["GET", "POST"])
@limiter.limit(ENTRY_POST_LIMIT, methods=["POST"])
def entry(community_code: str):
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    browser_id = _browser_id()
    form = EntryForm()
    status = 200
    resend = False   # the try was not looked at for want of a pass: the page's script solves the new one and resends
    if form.validate_on_submit():
        # The try stays counted whatever the answer: the throttle commits its counts itself (or, on SQLite when
        # this request already wrote, with the request, which commits whatever the status).
        result = try_code(community, form.code.data, browser_id=browser_id, remote_addr=request.remote_addr,
                          challenge=form.challenge.data, proof=form.proof.data)
        if result.household is not None:
            return _enter(result)
        if result.refused:
            status = 429
            form.form_errors.append(_("Too many wrong codes were tried from this phone or network. Please wait "
                                      "%(seconds)d seconds and try again.", seconds=result.wait))
        elif result.needs_pass:
            status, resend = 429, True
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
    challenge = None
    if resend or address_needs_pass(request.remote_addr):
        challenge = entry_challenge.for_form(form.challenge.data)
        form.challenge.data, form.proof.data = challenge.token, ""
    here = residents.current_household()
    already = here if here is not None and here.community.id == community.id else None
    return private(render_template("resident/entry.html", community=community, form=form, already=already,
                                   challenge=challenge, resend=resend), status)


def _enter(result):
    """In with the right code; a browser that shows another household is asked first (a slip scanned by mistake
    must not quietly swap whose page it is)."""
    here = residents.current_household()
    if here is not None and here.id != result.household.id:
        residents.propose_switch(result.household, code_id=result.code_row.id)
        return redirect(url_for(".switch"))
    residents.enter_as(result.household, code_id=result.code_row.id)
    return redirect(url_for(".home"))


@bp.route("/home/switch", methods=["GET", "POST"])
def switch():
    proposed, here = residents.proposed_switch(), residents.current_household()
    if proposed is None or here is None:
        residents.drop_switch()
        return redirect(url_for(".home" if here is not None else "main.index"))
    form = SwitchForm()
    if form.validate_on_submit():
        if form.switch.data:
            household, code_id = proposed
            residents.enter_as(household, code_id=code_id)
        else:
            residents.drop_switch()
        return redirect(url_for(".home"))
    return private(render_template("resident/switch.html", here=here, form=form,
                                   community=here.community), 400 if form.is_submitted() else 200)


@bp.get("/home")
def home():
    acting = _acting_or_away()
    if acting is None:
        return redirect(url_for("main.index"))
    if acting.household.notice_accepted_at is None:
        return redirect(url_for(".notice"))
    household = acting.household
    return private(render_template("resident/home.html", acting=acting, household=household,
                                   community=household.community, status=home_status(household,
                                                                                      assisted=acting.assisted),
                                   choice_words=CHOICE_LABELS, channel_words=BALLOT_CHANNEL_WORDS,
                                   stance_words=STANCE_LABELS, activities=recent_activities(household),
                                   leave_form=EmptyForm(), unread=household_unread(household)))


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
