"""Entry by phone and SMS code: a household whose phone is on the roster enters without its slip (issue 16, point 6).

/r/<code>/phone asks the number and answers the same whatever it is (the redirect, the session's shape, the next
page); /r/<code>/phone/code takes the six digits; /r/<code>/phone/choose lets a resident whose phone several
households share pick theirs. Entering is the slip's entry: the same session (``residents.enter_as``), the same
question when the browser already shows another household.
"""
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from participation.entry import phone_codes, residents
from participation.entry.phone_forms import ChooseForm, CodeForm, PhoneForm
from participation.extensions import limiter
from participation.guards import private
from participation.labels import mask_phone
from participation.roster.codes import live_code
from participation.roster.communities import community_by_code

bp = Blueprint("phone_entry", __name__)

# Per address, like the slip's entry (entry/views.py): the coarse ceiling; the throttles per phone and per
# address (phone_codes) are the real limits, and they answer in the page's own words.
PHONE_POST_LIMIT = "60/minute"
PENDING_KEY = "phone_entry"          # the number a code was asked for: its hash, masked digits, the community
VERIFIED_KEY = "phone_entry_chosen"  # after a right code shared by several households: which ones, until when
CHOOSE_SECONDS = 600


def _community(community_code: str):
    community = community_by_code(community_code)
    if community is None:
        abort(404)
    return community


@bp.route("/r/<community_code>/phone", methods=["GET", "POST"])
@limiter.limit(PHONE_POST_LIMIT, methods=["POST"])
def request_code(community_code: str):
    community = _community(community_code)
    form = PhoneForm()
    if form.validate_on_submit():
        digest = phone_codes.send_code(community, form.mobile, remote_addr=request.remote_addr)
        session.pop(VERIFIED_KEY, None)
        session[PENDING_KEY] = {"community": community.id, "phone": digest, "masked": mask_phone(form.mobile)}
        return redirect(url_for(".enter_code", community_code=community.code))
    return private(render_template("resident/phone_request.html", community=community, form=form),
                   400 if form.is_submitted() else 200)


def _pending(community) -> dict | None:
    pending = session.get(PENDING_KEY)
    if isinstance(pending, dict) and pending.get("community") == community.id \
            and isinstance(pending.get("phone"), str):
        return pending
    return None


@bp.route("/r/<community_code>/phone/code", methods=["GET", "POST"])
@limiter.limit(PHONE_POST_LIMIT, methods=["POST"])
def enter_code(community_code: str):
    community = _community(community_code)
    pending = _pending(community)
    if pending is None:
        flash(_("Please type your mobile number first."), "warning")
        return redirect(url_for(".request_code", community_code=community.code))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        checked = phone_codes.check_code(community, pending["phone"], form.digits, remote_addr=request.remote_addr)
        if len(checked.households) == 1:
            return _enter(checked.households[0])
        if checked.households:
            session.pop(PENDING_KEY, None)
            session[VERIFIED_KEY] = {"community": community.id, "phone": pending["phone"],
                                     "version": checked.version, "until": int(time.time()) + CHOOSE_SECONDS}
            return redirect(url_for(".choose", community_code=community.code))
        if checked.wait:
            status = 429
            form.form_errors.append(_("Please try again later."))
        else:
            status = 400
            form.code.data = ""       # typed afresh, not corrected digit by digit
            form.code.errors.append(_("The code is wrong or has expired. Please ask for a new one."))
    elif form.is_submitted():
        status = 400
    return private(render_template("resident/phone_code.html", community=community, form=form,
                                   masked=pending.get("masked", "")), status)


@bp.route("/r/<community_code>/phone/choose", methods=["GET", "POST"])
@limiter.limit(PHONE_POST_LIMIT, methods=["POST"])
def choose(community_code: str):
    community = _community(community_code)
    verified = session.get(VERIFIED_KEY)
    households = []
    if isinstance(verified, dict) and verified.get("community") == community.id \
            and isinstance(verified.get("until"), int) and verified["until"] > time.time():
        households = phone_codes.roster_households(community, digest=verified.get("phone"),
                                                   version=verified.get("version"))
    if not households:
        session.pop(VERIFIED_KEY, None)
        flash(_("Please type your mobile number first."), "warning")
        return redirect(url_for(".request_code", community_code=community.code))
    form = ChooseForm()
    form.household.choices = [(household.id, household.address) for household in households]
    if form.validate_on_submit():
        chosen = next(household for household in households if household.id == form.household.data)
        return _enter(chosen)
    return private(render_template("resident/phone_choose.html", community=community, form=form),
                   400 if form.is_submitted() else 200)


def _enter(household):
    """In as the slip's entry lets a household in; a browser that shows another household is asked first."""
    session.pop(PENDING_KEY, None)
    session.pop(VERIFIED_KEY, None)
    phone_codes.record_entry(household)
    code = live_code(household)
    here = residents.current_household()
    if here is not None and here.id != household.id:
        residents.propose_switch(household, code_id=code.id)
        return redirect(url_for("resident.switch"))
    residents.enter_as(household, code_id=code.id)
    return redirect(url_for("resident.home"))
