"""Token auth of /api/v1: no, malformed, unknown or revoked token → 401 with the JSON error shape; a token only sees
its scope (404 outside it) and its role's endpoints (403); the CLI prints a token once and stores only its hash;
the admin page creates and revokes tokens; a token's account cannot sign in to the pages."""
import hashlib
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from participation.accounts.operations import create_user
from participation.api import tokens as api_tokens
from participation.api.tokens import hash_token, revoke_token
from participation.extensions import db
from participation.models import ApiToken, AuditEvent
from tests.api.conftest import call
from tests.conftest import csrf_token


def _error(response, status, code):
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_missing_malformed_and_unknown_tokens_are_401(client, make_community):
    make_community("A001")
    db.session.commit()
    _error(call(client, "GET", "/api/v1/communities"), 401, "unauthorized")
    response = client.get("/api/v1/communities", headers={"Authorization": "Basic abc"})
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _error(call(client, "GET", "/api/v1/communities", "not-a-token"), 401, "unauthorized")


def test_revoked_token_is_401(client, make_community, make_token):
    community = make_community("A001")
    token = make_token("organiser", communities=[community])
    assert call(client, "GET", "/api/v1/communities", token).status_code == 200
    row = db.session.scalar(select(ApiToken))
    revoke_token(None, row)
    db.session.commit()
    _error(call(client, "GET", "/api/v1/communities", token), 401, "unauthorized")


def test_scope_out_of_scope_is_404_and_wrong_role_403(client, make_community, make_token):
    mine, other = make_community("A001"), make_community("A002")
    organiser = make_token("organiser", communities=[mine])
    assert [c["code"] for c in call(client, "GET", "/api/v1/communities", organiser).get_json()["communities"]] \
        == ["A001"]
    assert call(client, "GET", "/api/v1/communities/A001", organiser).status_code == 200
    _error(call(client, "GET", "/api/v1/communities/A002", organiser), 404, "not_found")
    _error(call(client, "GET", "/api/v1/communities/A002/households", organiser), 404, "not_found")
    _error(call(client, "GET", "/api/v1/communities/NOPE", organiser), 404, "not_found")
    agency = make_token("agency", communities=[mine])
    _error(call(client, "GET", "/api/v1/communities/A001/households", agency), 403, "forbidden")
    _error(call(client, "GET", "/api/v1/communities/A001/plan-inputs", agency), 403, "forbidden")
    assert other.code == "A002"


def test_cli_prints_token_once_and_stores_its_hash(app, runner, client, make_community):
    make_community("A001")
    db.session.commit()
    result = runner.invoke(args=["api", "create-token", "gis", "--role", "organiser", "--community", "A001"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    row = db.session.scalar(select(ApiToken).filter_by(name="gis"))
    # Stored keyed (issue 13): the hash of the current key version, never the token nor its plain SHA-256.
    assert row.token_hash == hash_token(token) and row.key_version == 1 and token not in row.token_hash
    assert row.token_hash != hashlib.sha256(token.encode()).hexdigest()
    assert row.user.role == "organiser" and [c.code for c in row.user.communities] == ["A001"]
    assert call(client, "GET", "/api/v1/communities/A001", token).status_code == 200
    again = runner.invoke(args=["api", "create-token", "gis", "--role", "organiser", "--community", "A001"])
    assert again.exit_code != 0
    unknown = runner.invoke(args=["api", "create-token", "x", "--role", "organiser", "--community", "ZZZ"])
    assert unknown.exit_code != 0 and db.session.scalar(select(ApiToken).filter_by(name="x")) is None
    assert runner.invoke(args=["api", "revoke-token", "gis"]).exit_code == 0
    assert call(client, "GET", "/api/v1/communities/A001", token).status_code == 401
    assert runner.invoke(args=["api", "revoke-token", "nobody"]).exit_code != 0


def _sign_in(client, username: str, password: str):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.text)})


@pytest.fixture
def token_account(make_community, make_token, monkeypatch):
    """A token, its service account and the account's real password (caught as ``create_token`` makes it)."""
    passwords = []

    def keep_password(actor, **fields):
        passwords.append(fields["password"])
        return create_user(actor, **fields)

    monkeypatch.setattr(api_tokens, "create_user", keep_password)
    token = make_token("organiser", communities=[make_community("A001")])
    account = db.session.scalar(select(ApiToken)).user
    assert len(passwords) == 1 and account.check_password(passwords[0])
    return SimpleNamespace(token=token, username=account.username, password=passwords[0])


def _refused(client, username: str, password: str) -> bool:
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(page.text)})
    return response.status_code == 401 and client.get("/staff").status_code == 302   # still anonymous


def test_the_token_is_no_password(client, token_account):
    assert _refused(client, token_account.username, token_account.token)


def test_token_account_cannot_sign_in(client, token_account):
    """The refusal must come from being a token's account, not from a wrong password: the right one is refused."""
    assert _refused(client, token_account.username, token_account.password)


def test_admin_page_creates_shows_once_and_revokes(client, login_as, make_community):
    make_community("A001")
    login_as("admin")
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = client.post("/admin/api-tokens", data={"name": "bi-report", "role": "owner_rep",
                                                      "communities": "A001", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 200
    row = db.session.scalar(select(ApiToken).filter_by(name="bi-report"))
    token = response.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert hash_token(token) == row.token_hash != hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get("/admin/api-tokens").text
    assert call(client, "GET", "/api/v1/communities/A001", token).status_code == 200
    bad = client.post("/admin/api-tokens", data={"name": "bad", "role": "owner_rep", "communities": "ZZZ",
                                                 "csrf_token": csrf_token(page.text)})
    assert bad.status_code == 400 and db.session.scalar(select(ApiToken).filter_by(name="bad")) is None
    revoked = client.post(f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_token(page.text)})
    assert revoked.status_code == 302
    assert call(client, "GET", "/api/v1/communities/A001", token).status_code == 401
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"api.create_token", "api.revoke_token"} <= actions
    assert client.post("/admin/api-tokens/999999/revoke", data={"csrf_token": csrf_token(page.text)}).status_code \
        == 404
