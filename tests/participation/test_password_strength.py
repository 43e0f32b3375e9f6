"""A new staff password is refused when it is common or guessable, saying why (issue 12.14): zxcvbn rates it, with
the account's username and name as guessable words, wherever a password is set — an admin creating an account or
resetting its password, a staff member changing their own, ``flask create-admin``."""
import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from participation.accounts.operations import AccountError, check_password_strength
from participation.extensions import db
from participation.models import User
from tests.conftest import PASSWORD, csrf_token

COMMON = "It is one of the most common passwords, or close to one."
REPEATED = "Repeated characters or groups such as 1111 or abcabc are easy to guess."
OWN_NAME = "It contains the username, the name or the site's name."
SEQUENCE = "Sequences such as abcd or 654321 are easy to guess."
DATES = "Dates and years are easy to guess."

WEAK = [("1111111111", REPEATED), ("password123456", COMMON), ("qazwsxedcrfv", COMMON),
        ("abcdefghijk", SEQUENCE), ("19850612abc", DATES)]


def _shown(app, msgid: str) -> str:
    """``msgid`` as a page in the default language shows it (Chinese once the catalogue has it)."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(msgid)))


def _post(client, url, **fields):
    fields["csrf_token"] = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data=fields)


def test_the_fixture_password_and_strong_ones_pass():
    for password in (PASSWORD, "a-brand-new-password", "long-enough-pass", "外墙保温-今年秋天-完工"):
        check_password_strength(password, ("organiser1", "王组织"))


@pytest.mark.parametrize("password, reason", WEAK)
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(AccountError) as refused:
            check_password_strength(password, ("organiser1", "王组织"))
    assert refused.value.field == "password"
    assert "too easy to guess" in str(refused.value) and reason in str(refused.value)


def test_the_username_and_the_name_count_as_guessable(app):
    check_password_strength("zhangwei2024", ())   # fine for someone else …
    for inputs in (("zhangwei",), ("zw01", "zhangwei")):
        with app.test_request_context(), force_locale("en"), pytest.raises(AccountError) as refused:
            check_password_strength("zhangwei2024", inputs)   # … not for 张伟
        assert OWN_NAME in str(refused.value)


def test_an_admin_cannot_create_an_account_with_a_weak_password(app, client, auth, make_user):
    auth.login(make_user("admin").username)
    response = _post(client, "/admin/users/new", username="newbie", display_name="新同事", role="hotline",
                     password="1111111111", confirm="1111111111", district="", organisation="")
    assert response.status_code == 400
    assert _shown(app, REPEATED) in response.get_data(as_text=True)
    assert db.session.scalar(select(User).filter_by(username="newbie")) is None


def test_an_admin_cannot_reset_to_a_weak_password(app, client, auth, make_user):
    auth.login(make_user("admin").username)
    target = make_user("organiser")
    response = _post(client, f"/admin/users/{target.id}/password", password="password123456",
                     confirm="password123456")
    assert response.status_code == 400
    assert _shown(app, COMMON) in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).check_password(PASSWORD)


def test_nobody_changes_their_own_password_to_a_weak_one(app, client, auth, make_user):
    user = make_user("organiser", username="zhangwei")
    auth.login(user.username)
    response = _post(client, "/account/password", current=PASSWORD, password="zhangwei2024",
                     confirm="zhangwei2024")
    assert response.status_code == 400
    assert _shown(app, OWN_NAME) in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_create_admin_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["create-admin", "chief"], input="1111111111\n1111111111\n")
    assert result.exit_code != 0
    assert _shown(app, REPEATED).replace("&#39;", "'") in result.output
    assert db.session.scalar(select(User).filter_by(username="chief")) is None
    # Strong for anyone else, not for the account it names.
    check_password_strength("wangxiaoming1", ("chief",))
    result = runner.invoke(args=["create-admin", "wangxiaoming"], input="wangxiaoming1\nwangxiaoming1\n")
    assert result.exit_code != 0 and _shown(app, OWN_NAME).replace("&#39;", "'") in result.output
    assert db.session.scalar(select(User).filter_by(username="wangxiaoming")) is None
