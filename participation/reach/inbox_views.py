"""In-app messages: a resident's 我的消息 with its SMS setting, and a staff member's messages (issue 16, point 3).

The resident pages are guarded like the household's other pages (``resident_or_start``): the household this browser
acts for, its own community only. Staff acting for a household (at the door, on the hotline) see the same page and
take down the household's SMS choice there, recorded as said to staff.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.guards import private, resident_or_start
from participation.permissions import role_required
from participation.reach import inbox
from participation.reach.inbox_forms import REFUSE, MarkReadForm, SmsChoiceForm
from participation.reach.rules import opted_out, record_consent
from participation.security import MAX_PAGE, int_arg

bp = Blueprint("inbox", __name__)


def _page_number() -> int:
    return int_arg(request.args.get("page"), default=1, high=MAX_PAGE)


# --- residents ------------------------------------------------------------------------------------------------------

@bp.get("/r/<community_code>/messages")
def resident(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    return _resident_page(acting, _current_choice(acting.household))


def _resident_page(acting, form, read_form=None, status: int = 200):
    household = acting.household
    return private(render_template(
        "reach/inbox_resident.html", acting=acting, household=household, community=household.community,
        messages=inbox.household_messages(household, _page_number()), unread=inbox.household_unread(household),
        read_form=read_form or _read_form(inbox.household_newest(household)), form=form,
        refusing=opted_out(household.id), inbox=inbox), status)


def _read_form(newest: int | None, *, stale: bool = False) -> MarkReadForm:
    """The "mark all as read" button as drawn now (never bound to a POST's fields); ``stale``: with the message
    for a press whose form did not come back whole."""
    form = MarkReadForm(upto=newest, formdata=None)
    if stale:
        form.form_errors.append(_("The page was out of date. Please press the button again."))
    return form


def _current_choice(household) -> SmsChoiceForm:
    return SmsChoiceForm(choice=REFUSE if opted_out(household.id) else "opt_in", formdata=None)


@bp.post("/r/<community_code>/messages/read")
def resident_read(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    read_form = MarkReadForm()
    if not read_form.validate_on_submit():
        return _resident_page(acting, _current_choice(acting.household),
                              _read_form(inbox.household_newest(acting.household), stale=True), 400)
    if inbox.mark_household_read(acting.household, read_form.upto.data):
        flash(_("Every message is marked as read."), "success")
    return redirect(url_for(".resident", community_code=community_code))


@bp.post("/r/<community_code>/messages/sms")
def resident_sms(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    form = SmsChoiceForm()
    if not form.validate_on_submit():
        return _resident_page(acting, form, status=400)
    household = acting.household
    if (form.choice.data == REFUSE) != opted_out(household.id):
        record_consent(household, form.choice.data, actor="staff" if acting.assisted else "resident",
                       user=acting.staff, note=acting.channel if acting.assisted else None)
    flash(_("Saved: notice SMS will not be sent to your household.") if form.choice.data == REFUSE
          else _("Saved: notice SMS will be sent to your household."), "success")
    return redirect(url_for(".resident", community_code=community_code, _anchor="sms-settings"))


# --- staff ----------------------------------------------------------------------------------------------------------

@bp.get("/messages")
@role_required()
def staff():
    return _staff_page(_read_form(inbox.user_newest(current_user)))


def _staff_page(read_form, status: int = 200):
    return render_template("reach/inbox_staff.html", messages=inbox.user_messages(current_user, _page_number()),
                           unread=inbox.user_unread(current_user), robots=inbox.robot_messages(current_user),
                           read_form=read_form, inbox=inbox), status


@bp.post("/messages/read")
@role_required()
def staff_read():
    read_form = MarkReadForm()
    if not read_form.validate_on_submit():
        return _staff_page(_read_form(inbox.user_newest(current_user), stale=True), 400)
    if inbox.mark_user_read(current_user, read_form.upto.data):
        flash(_("Every message is marked as read."), "success")
    return redirect(url_for(".staff"))
