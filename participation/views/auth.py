"""Staff sign-in at /login. One message for every failure, so no username is revealed."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from participation.extensions import db, limiter
from participation.forms import EmptyForm
from participation.forms.auth import LoginForm
from participation.operations.accounts import authenticate, login_wait

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.staff_home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.staff_home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        wait = login_wait(form.username.data, request.remote_addr)
        if wait:
            form.form_errors.append(_("Too many failed attempts. Please wait %(seconds)d seconds and try again.",
                                      seconds=wait))
            status = 429
        else:
            user = authenticate(form.username.data, form.password.data, request.remote_addr)
            db.session.commit()
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            form.form_errors.append(_("Wrong username or password."))
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
    return redirect(url_for("main.index"))
