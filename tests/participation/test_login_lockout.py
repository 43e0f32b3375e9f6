"""Nobody can lock a named staff account out (issue 12.11): failures count per account and address, per address,
and, for browsers that never signed in as the account, per account; a browser that signed in before carries a
device cookie whose failures count against it alone. Unknown usernames cost a password hash like known ones, and
every failed check is an audit row."""
from unittest import mock

from sqlalchemy import select
from werkzeug.security import check_password_hash

from participation.extensions import db
from participation.models import AuditEvent, Throttle
from tests.conftest import PASSWORD, AuthActions

WRONG = "wrong-password-123"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


def _browser(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client, AuthActions(client)


def _fail(auth, username, times):
    for _ in range(times):
        assert auth.login(username, WRONG).status_code == 401


def test_wrong_passwords_from_another_address_do_not_lock_the_owner_out(app, make_user):
    user = make_user("organiser")
    _attacker, attacker = _browser(app, ATTACKER)
    _fail(attacker, user.username, 5)
    assert attacker.login(user.username, PASSWORD).status_code == 429   # the guesser waits at their address
    owner_client, owner = _browser(app, OWNER)   # a browser that never signed in before, at the owner's address
    assert owner.login(user.username).status_code == 302
    assert owner_client.get("/staff").status_code == 200


def test_a_browser_that_signed_in_before_keeps_signing_in_at_the_same_address(app, make_user):
    user = make_user("organiser")
    owner_client, owner = _browser(app, OWNER)
    assert owner.login(user.username).status_code == 302
    assert owner_client.get_cookie("staff_device", path="/login") is not None
    owner.logout()
    # Someone behind the same address (an office, a carrier's NAT) guesses until that address waits for the account.
    _other, guesser = _browser(app, OWNER)
    _fail(guesser, user.username, 5)
    assert guesser.login(user.username, PASSWORD).status_code == 429
    assert owner.login(user.username).status_code == 302
    assert owner_client.get("/staff").status_code == 200


def test_guessing_from_many_addresses_slows_untrusted_browsers_but_not_trusted_ones(app, make_user):
    user = make_user("organiser")
    owner_client, owner = _browser(app, OWNER)
    assert owner.login(user.username).status_code == 302
    owner.logout()
    for n in range(30):   # a botnet: one guess from each of 30 addresses
        _fail(_browser(app, f"192.0.2.{n + 1}")[1], user.username, 1)
    _new_client, new_browser = _browser(app, "198.51.100.99")
    assert new_browser.login(user.username).status_code == 429   # untrusted browsers for this account wait
    assert owner.login(user.username).status_code == 302            # the owner's own browser does not
    assert owner_client.get("/staff").status_code == 200


def test_failures_with_a_device_cookie_count_against_that_cookie_only(app, make_user):
    user = make_user("organiser")
    owner_client, owner = _browser(app, OWNER)
    assert owner.login(user.username).status_code == 302
    owner.logout()
    _fail(owner, user.username, 5)
    assert owner.login(user.username).status_code == 429          # that browser now waits
    keys = set(db.session.scalars(select(Throttle.key)))
    assert keys and all(key.startswith("login:device:") for key in keys), keys
    _other_client, other = _browser(app, OWNER)                    # nothing was counted against the address
    assert other.login(user.username).status_code == 302


def test_a_device_cookie_vouches_only_for_its_own_account_and_only_when_signed(app, make_user):
    first, second = make_user("organiser"), make_user("organiser")
    client, browser = _browser(app, OWNER)
    assert browser.login(first.username).status_code == 302
    browser.logout()
    _fail(_browser(app, OWNER)[1], second.username, 5)
    assert browser.login(second.username).status_code == 429      # a cookie for ``first`` is no cookie for ``second``
    cookie = client.get_cookie("staff_device", path="/login")
    client.set_cookie("staff_device", cookie.value[:-3] + "AAA", domain=cookie.domain, path="/login")
    _fail(_browser(app, OWNER)[1], first.username, 5)
    assert browser.login(first.username).status_code == 429       # a forged cookie is untrusted


def test_unknown_usernames_and_deactivated_accounts_cost_a_password_hash(app, make_user):
    inactive = make_user("organiser")
    inactive.active = False
    db.session.commit()
    with mock.patch("participation.models.accounts.check_password_hash", wraps=check_password_hash) as spy:
        _client, browser = _browser(app, OWNER)
        assert browser.login("nobody-here", "typed-by-the-visitor").status_code == 401
        assert spy.call_count == 1 and spy.call_args.args[1] == "typed-by-the-visitor"
        assert browser.login(inactive.username, PASSWORD).status_code == 401
        assert spy.call_count == 2 and spy.call_args.args[1] == PASSWORD


def test_failed_sign_ins_are_audited_with_the_username_typed_and_a_masked_address(app, make_user):
    user = make_user("organiser")
    _client, browser = _browser(app, ATTACKER)
    browser.login("nobody-here", "secret-guess-1")
    browser.login(user.username, "secret-guess-2")
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")
                              .order_by(AuditEvent.id)).all()
    assert [row.detail["username"] for row in rows] == ["nobody-here", user.username]
    assert [row.object_id for row in rows] == [None, str(user.id)]
    assert all(row.detail["address"] == "203.0.113.0/24" for row in rows)
    assert not any("secret-guess" in str(row.detail) for row in rows)


def test_an_ipv6_subscriber_counts_as_one_address(app, make_user):
    user = make_user("organiser")
    for n in range(5):   # five addresses of one /64
        _fail(_browser(app, f"2001:db8:1:2::{n + 1}")[1], user.username, 1)
    assert _browser(app, "2001:db8:1:2::99")[1].login(user.username).status_code == 429
    assert _browser(app, "2001:db8:1:3::1")[1].login(user.username).status_code == 302


def test_masked_addresses():
    from participation.accounts.sign_in import masked_address
    assert masked_address("203.0.113.9") == "203.0.113.0/24"
    assert masked_address("2001:db8:1:2::7") == "2001:db8:1::/48"
    assert masked_address(None) == masked_address("not an address") == "-"


def test_the_device_cookie_is_http_only_same_site_and_only_sent_to_the_sign_in_page(app, make_user):
    _client, browser = _browser(app, OWNER)
    response = browser.login(make_user("organiser").username)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("staff_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/login" in cookie and "Max-Age=" in cookie


def test_a_phone_number_typed_as_username_is_masked_in_the_audit_row(app):
    _client, browser = _browser(app, ATTACKER)
    browser.login("13812345678", "secret-guess-3")
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).one()
    assert row.detail["username"] == "138****5678"
