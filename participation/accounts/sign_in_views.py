"""Staff sign-in at /login. One message for every failure, so no username is revealed.

A browser that signed in before carries a device cookie (``operations.sign_in``): its tries count apart from
everyone else's, so wrong passwords typed elsewhere never lock the account's owner out of it.
"""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from participation.accounts.forms import LoginForm
from participation.accounts.sign_in import (DEVICE_COOKIE, DEVICE_MAX_AGE, authenticate, device_cookie, login_wait,
                                            read_devices, sign_out, trusted_device)
from participation.extensions import limiter
from participation.forms import EmptyForm
from participation.security import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.staff_home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        devices = read_devices(request.cookies.get(DEVICE_COOKIE))
        device = trusted_device(devices, form.username.data)
        wait = login_wait(form.username.data, request.remote_addr, device)
        if wait:
            form.form_errors.append(_("Too many failed attempts. Please wait %(seconds)d seconds and try again.",
                                      seconds=wait))
            status = 429
        else:
            # A failure's audit row commits with the request whatever the page answers (the throttle commits its
            # counts itself).
            user = authenticate(form.username.data, form.password.data, request.remote_addr, device)
            if user is not None:
                login_user(user)
                response = redirect(safe_next(request.args.get("next"), url_for("main.staff_home")))
                response.set_cookie(DEVICE_COOKIE, device_cookie(devices, user), max_age=DEVICE_MAX_AGE,
                                    path=url_for("auth.login"), httponly=True, samesite="Lax",
                                    secure=current_app.config["SESSION_COOKIE_SECURE"])
                return response
            form.form_errors.append(_("Wrong username or password."))
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Signing out ends every session of the account, copies of this browser's cookie included."""
    form = EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            sign_out(current_user._get_current_object())
        logout_user()
    return redirect(url_for("main.index"))
