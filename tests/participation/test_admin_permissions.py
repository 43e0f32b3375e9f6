"""Every admin page answers 403 to every other role and sends anonymous visitors to the sign-in page."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, Locality, LocalityRule, Organisation, User
from participation.reference.locality import rule_for
from tests.conftest import csrf_token

OTHER_ROLES = ["organiser", "owner_rep", "grid", "hotline", "agency"]

GET_PAGES = [
    "/admin/", "/admin/localities/{locality}/rules", "/admin/localities/{locality}/rules/new",
    "/admin/rules/{rule}/edit", "/admin/localities/{locality}/year?year=2023", "/admin/catalogue",
    "/admin/catalogue.json", "/admin/catalogue/new", "/admin/catalogue/B01/edit", "/admin/audit",
    "/admin/audit.csv", "/admin/users", "/admin/users/new", "/admin/users/{user}/edit",
    "/admin/users/{user}/password", "/admin/organisations", "/admin/organisations/new",
    "/admin/organisations/{organisation}/edit",
]
POST_ACTIONS = [
    "/admin/localities/{locality}/rules/new", "/admin/rules/{rule}/edit", "/admin/rules/{rule}/delete",
    "/admin/catalogue/new", "/admin/catalogue/B01/edit", "/admin/catalogue/B01/retire",
    "/admin/catalogue/B01/restore", "/admin/users/new", "/admin/users/{user}/edit", "/admin/users/{user}/password",
    "/admin/users/{user}/deactivate", "/admin/users/{user}/reactivate", "/admin/organisations/new",
    "/admin/organisations/{organisation}/edit", "/admin/organisations/{organisation}/delete",
]


@pytest.fixture
def ids(reference_data, make_user, make_community):
    community = make_community("NG1")
    target = make_user("organiser", username="target", communities=[community])
    organisation = Organisation(name="某监理", kind="supervisor")
    db.session.add(organisation)
    db.session.flush()
    locality = db.session.scalar(select(Locality))
    return {"locality": locality.id, "rule": rule_for(locality, "elevator_subsidy", "per_elevator", 2023).id,
            "user": target.id, "organisation": organisation.id, "community": community}


def _signed_in(client, auth, make_user, role, community):
    scope = {"grid": {"buildings": community.buildings[:1]}, "agency": {}}.get(role, {"communities": [community]})
    user = make_user(role, username=f"the_{role}", **scope)
    assert auth.login(user.username).status_code == 302
    return csrf_token(client.get("/account/password").get_data(as_text=True))


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_admin_page_is_403_for_other_roles(client, auth, make_user, ids, role):
    _signed_in(client, auth, make_user, role, ids["community"])
    for page in GET_PAGES:
        response = client.get(page.format(**ids))
        assert response.status_code == 403, page
        assert "您无权查看此页面" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_admin_action_is_403_for_other_roles_and_changes_nothing(client, auth, make_user, ids, role):
    token = _signed_in(client, auth, make_user, role, ids["community"])
    events_before = db.session.query(AuditEvent).count()
    for action in POST_ACTIONS:
        data = {"csrf_token": token, "name": "x", "kind": "contractor", "password": "0123456789abc",
                "confirm": "0123456789abc", "role": "admin", "username": "intruder", "display_name": "x"}
        assert client.post(action.format(**ids), data=data).status_code == 403, action
    db.session.expire_all()
    assert db.session.query(AuditEvent).count() == events_before
    assert db.session.get(LocalityRule, ids["rule"]) is not None
    assert db.session.get(Organisation, ids["organisation"]) is not None
    assert db.session.get(User, ids["user"]).active is True
    assert db.session.scalar(select(User).filter_by(username="intruder")) is None
    assert db.session.scalar(select(CatalogueItem).filter_by(code="B01")).retired_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, ids):
    for page in GET_PAGES:
        response = client.get(page.format(**ids))
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


def test_admin_reaches_every_page(client, auth, make_user, ids):
    auth.login(make_user("admin").username)
    for page in GET_PAGES:
        assert client.get(page.format(**ids)).status_code == 200, page
    html = client.get("/admin/").get_data(as_text=True)
    for link in ("/admin/users", "/admin/organisations", "/admin/catalogue", "/admin/audit",
                 f"/admin/localities/{ids['locality']}/rules", "/account/password"):
        assert f'href="{link}' in html
