"""Signing out, changing one's password and an admin's reset end every session of the account (issue 12.13): a
session cookie copied before (a stolen one, another browser) no longer signs anyone in."""
from participation.extensions import db
from participation.models import User
from tests.conftest import PASSWORD, AuthActions, csrf_token

NEW_PASSWORD = "a-brand-new-password"


def _signed_in_browser(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    assert client.get("/staff").status_code == 200
    return client


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie("session", cookie.value, domain=cookie.domain)
    assert copy.get("/staff").status_code == 200   # the copy works, until the account's sessions end
    return copy


def _is_signed_out(client):
    response = client.get("/staff")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_no_longer_works(app, make_user):
    user = make_user("organiser")
    client = _signed_in_browser(app, user.username)
    copy = _copy_of(app, client)
    other_browser = _signed_in_browser(app, user.username)
    AuthActions(client).logout()
    assert _is_signed_out(client)
    assert _is_signed_out(copy)
    assert _is_signed_out(other_browser)   # signing out ends every session of the account


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user("organiser")
    client = _signed_in_browser(app, user.username)
    copy = _copy_of(app, client)
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    response = client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert _is_signed_out(copy)
    assert client.get("/staff").status_code == 200


def test_an_admin_reset_ends_the_accounts_sessions(app, make_user):
    user, admin = make_user("organiser"), make_user("admin")
    client = _signed_in_browser(app, user.username)
    admin_client = _signed_in_browser(app, admin.username)
    url = f"/admin/users/{user.id}/password"
    token = csrf_token(admin_client.get(url).get_data(as_text=True))
    response = admin_client.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert _is_signed_out(client)
    assert admin_client.get("/staff").status_code == 200
    assert AuthActions(client).login(user.username, NEW_PASSWORD).status_code == 302


def test_a_refused_change_ends_nothing(app, make_user):
    user = make_user("organiser")
    client = _signed_in_browser(app, user.username)
    copy = _copy_of(app, client)
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    response = client.post("/account/password", data={"current": "wrong-password-123", "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 400
    assert copy.get("/staff").status_code == 200


def test_a_session_id_without_the_current_version_is_no_session(app, make_user):
    from participation.security import load_user
    user = make_user("organiser")
    db.session.commit()
    assert load_user(f"{user.id}:{user.session_version}") == user
    for stale in (str(user.id), f"{user.id}:{user.session_version + 1}", f"{user.id}:x", ":1", "9" * 30 + ":1"):
        assert load_user(stale) is None, stale
    user.active = False
    assert load_user(f"{user.id}:{user.session_version}") is None
    assert db.session.get(User, user.id).session_version == 1


def test_sessions_ended_by_deactivation_stay_ended_after_reactivation(app, make_user):
    user, admin = make_user("organiser"), make_user("admin")
    client = _signed_in_browser(app, user.username)
    admin_client = _signed_in_browser(app, admin.username)
    for action in ("deactivate", "reactivate"):
        token = csrf_token(admin_client.get("/admin/users").get_data(as_text=True))
        assert admin_client.post(f"/admin/users/{user.id}/{action}", data={"csrf_token": token}).status_code == 302
    assert _is_signed_out(client)
