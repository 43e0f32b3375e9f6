"""Staff sign-in: throttling with back-off, messages that reveal no username, cookie flags, POST-only logout,
``create-admin``, and changing one's own password."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.config import load_config
from participation.extensions import db
from participation.models import AuditEvent, Throttle, User
from participation.models.types import utcnow
from tests.conftest import PASSWORD, csrf_token

WRONG = "wrong-password-123"


def _logout(client):
    """Sign out through the button every staff page has (the front page redirects signed-in staff)."""
    token = csrf_token(client.get("/staff").get_data(as_text=True))
    return client.post("/logout", data={"csrf_token": token})


def _fail(auth, username, times):
    for _ in range(times):
        assert auth.login(username, WRONG).status_code == 401


def test_sixth_attempt_after_five_failures_waits_even_with_the_right_password(client, auth, make_user):
    user = make_user("organiser")
    _fail(auth, user.username, 5)
    response = auth.login(user.username, PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "失败次数过多，请等待" in html and "秒后再试" in html
    assert client.get("/staff").status_code == 302  # not signed in


def test_the_block_ends_and_a_success_resets_the_count(client, auth, make_user):
    user = make_user("organiser")
    _fail(auth, user.username, 5)
    # time passes: the back-off has run out
    for throttle in db.session.scalars(select(Throttle)):
        throttle.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert auth.login(user.username, PASSWORD).status_code == 302
    assert db.session.scalar(select(Throttle).where(Throttle.key.like("login:user:%"))) is None
    _logout(client)
    _fail(auth, user.username, 4)
    assert auth.login(user.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, auth, make_user):
    user = make_user("grid")
    _fail(auth, user.username, 4)
    assert auth.login(user.username, PASSWORD).status_code == 302
    _logout(client)
    _fail(auth, user.username, 4)
    assert auth.login(user.username, PASSWORD).status_code == 302


def test_back_off_grows_after_each_further_failure(auth, make_user):
    user = make_user("organiser")
    _fail(auth, user.username, 5)
    # Counted per account and address (issue 12.11): the test client's address is 127.0.0.1.
    key = f"login:user:{user.username}:addr:127.0.0.1"
    first = db.session.scalar(select(Throttle).where(Throttle.key == key))
    first_wait = (first.blocked_until - utcnow()).total_seconds()
    first.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _fail(auth, user.username, 1)
    db.session.expire_all()
    second = db.session.scalar(select(Throttle).where(Throttle.key == key))
    assert (second.blocked_until - utcnow()).total_seconds() > first_wait


def test_unknown_user_and_wrong_password_look_the_same(client, auth, make_user):
    user = make_user("organiser")
    unknown = auth.login("nobody-here", WRONG)
    wrong = auth.login(user.username, WRONG)
    assert unknown.status_code == wrong.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    def page_without_name_and_token(response, username):
        html = response.get_data(as_text=True).replace(username, "")
        return [line for line in html.splitlines() if 'name="csrf_token"' not in line]

    assert page_without_name_and_token(unknown, "nobody-here") == page_without_name_and_token(wrong, user.username)
    _fail(auth, "nobody-here", 4)
    _fail(auth, user.username, 4)
    blocked_unknown, blocked_known = auth.login("nobody-here", WRONG), auth.login(user.username, PASSWORD)
    assert blocked_unknown.status_code == blocked_known.status_code == 429


def test_deactivated_account_gets_the_same_message(auth, make_user):
    user = make_user("organiser")
    user.active = False
    response = auth.login(user.username, PASSWORD)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_session_cookie_flags(app, client, auth, make_user):
    response = auth.login(make_user("admin").username)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        _logout(client)
        response = auth.login(db.session.scalar(select(User.username)))
        cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_cookie_secure_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("HOUSEHOLD_CODE_KEY", "y")
    monkeypatch.setenv("COOKIE_SECURE", "1")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.delenv("COOKIE_SECURE")
    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_logout_is_post_only_with_csrf(client, auth, make_user):
    auth.login(make_user("organiser").username)
    assert client.get("/logout").status_code == 405
    assert client.get("/staff").status_code == 200
    assert client.post("/logout", data={}).status_code == 400  # forged: no CSRF token
    assert client.get("/staff").status_code == 200
    _logout(client)
    assert client.get("/staff").status_code == 302


def test_create_admin_asks_for_the_password_twice_and_hashes_it(runner):
    result = runner.invoke(args=["create-admin", "chief"], input="long-enough-pass\nlong-enough-pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(username="chief"))
    assert user.role == "admin" and user.district_id is None
    assert "long-enough-pass" not in user.password_hash and user.check_password("long-enough-pass")


@pytest.mark.parametrize("typed, message", [("long-enough-pass\nother-password\n", "Error"),
                                            ("short\nshort\n", "10")])
def test_create_admin_refuses_mismatch_and_short_passwords(runner, typed, message):
    result = runner.invoke(args=["create-admin", "chief"], input=typed)
    assert result.exit_code != 0 or "Error" in result.output
    assert message in result.output
    assert db.session.scalar(select(User).filter_by(username="chief")) is None


def test_create_admin_refuses_a_taken_username(runner, make_user):
    make_user("organiser", username="chief")
    result = runner.invoke(args=["create-admin", "chief"], input="long-enough-pass\nlong-enough-pass\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(User).filter_by(username="chief")).role == "organiser"


# --- changing one's own password -------------------------------------------------------------------------------

def _change(client, current, new, confirm=None):
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    return client.post("/account/password", data={"current": current, "password": new,
                                                  "confirm": new if confirm is None else confirm,
                                                  "csrf_token": token})


@pytest.mark.parametrize("role", ["admin", "organiser", "owner_rep", "grid", "hotline", "agency"])
def test_every_staff_member_changes_their_own_password(client, auth, make_user, role):
    user = make_user(role)
    auth.login(user.username)
    assert client.get("/account/password").status_code == 200
    assert _change(client, PASSWORD, "a-brand-new-password").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("a-brand-new-password")
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.password_change")) is not None


@pytest.mark.parametrize("current, new, confirm, message", [
    (WRONG, "a-brand-new-password", None, "当前密码不对"),
    (PASSWORD, "short", None, "至少需要10个字符"),
    (PASSWORD, "a-brand-new-password", "something-else-here", "两次输入的密码不一致"),
    (PASSWORD, PASSWORD, None, "新密码不能和当前密码相同"),
])
def test_own_password_refusals(client, auth, make_user, current, new, confirm, message):
    user = make_user("organiser")
    auth.login(user.username)
    response = _change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_own_password_guesses_are_throttled(client, auth, make_user):
    auth.login(make_user("organiser").username)
    for _ in range(5):
        assert "当前密码不对" in _change(client, WRONG, "a-brand-new-password").get_data(as_text=True)
    assert "失败次数过多" in _change(client, PASSWORD, "a-brand-new-password").get_data(as_text=True)


def test_own_password_needs_a_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
