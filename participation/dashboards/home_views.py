"""The front page, the staff home, and the display switches (language, large text) every visitor has."""
from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from participation.dashboards.todo import HUB_ENDPOINT, todo
from participation.forms import EmptyForm
from participation.permissions import role_required
from participation.roster.queries import communities_seen_by
from participation.security import safe_next
from participation.templating import LARGE_TEXT_COOKIE

bp = Blueprint("main", __name__)

ONE_YEAR = 60 * 60 * 24 * 365


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("main.index"))


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.staff_home"))
    return render_template("main/index.html")


@bp.get("/staff")
@role_required()
def staff_home():
    """The 工作台: what waits for the user (``dashboards.todo``), then the communities they see with their stage."""
    return render_template("main/staff_home.html", communities=communities_seen_by(current_user),
                           todo=todo(current_user), hub=HUB_ENDPOINT)


@bp.post("/display/large-text")
def toggle_large_text():
    """大字模式, remembered in a cookie for a year; works as a plain form button without JavaScript. The footer's
    switch flips it; the first-entry offer says which (``mode`` on or off), so a second tap cannot undo the choice."""
    response = make_response(redirect(_back()))
    if EmptyForm().validate_on_submit():
        mode = request.form.get("mode")
        turn_on = mode == "on" if mode in ("on", "off") else request.cookies.get(LARGE_TEXT_COOKIE) != "1"
        response.set_cookie(LARGE_TEXT_COOKIE, "1" if turn_on else "0", max_age=ONE_YEAR, samesite="Lax",
                            httponly=True)
    return response


@bp.post("/display/language")
def switch_language():
    if EmptyForm().validate_on_submit() and request.form.get("lang") in ("zh_Hans_CN", "en"):
        session["lang"] = request.form["lang"]
    return redirect(_back())
