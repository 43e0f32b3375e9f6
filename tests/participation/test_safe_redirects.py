"""After signing in (and after a display switch) the browser goes only to a path on this site (issue 12.12):
control characters are removed first, then anything a browser could read as another host goes home instead."""
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import PASSWORD, csrf_token

EVIL = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",             # /%09/evil.example: browsers drop the tab and read //evil.example
    "/\n/evil.example",             # /%0a/…: a 500 before
    "/\r\n/evil.example",
    " //evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\u200b/evil.example",         # a zero-width space between the slashes
    "/\uff0fevil.example",          # a full-width solidus, a slash once normalised
    "\uff0f\uff0fevil.example",
    "/\uff3cevil.example",          # a full-width reverse solidus
]


def _login(client, username, next_target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login?next=" + quote(next_target, safe=""),
                       data={"username": username, "password": PASSWORD, "csrf_token": token})


def _lands_home(response, path):
    location = urlsplit(response.headers["Location"])
    return response.status_code == 302 and location.netloc in ("", "localhost") and location.path == path


@pytest.mark.parametrize("target", EVIL)
def test_evil_next_after_sign_in_goes_to_the_staff_home(client, make_user, target):
    response = _login(client, make_user("hotline").username, target)
    assert _lands_home(response, "/staff"), response.headers.get("Location")
    assert client.get("/staff").status_code == 200   # signed in all the same


@pytest.mark.parametrize("target", ["/hotline/", "/hotline/?state=open&page=2", "/admin/users"])
def test_a_path_on_this_site_is_kept(client, make_user, target):
    response = _login(client, make_user("hotline").username, target)
    assert response.status_code == 302 and response.headers["Location"] == target


@pytest.mark.parametrize("target", EVIL)
def test_evil_next_of_the_large_text_switch_goes_home(client, target):
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/display/large-text", data={"next": target, "csrf_token": token})
    assert _lands_home(response, "/"), response.headers.get("Location")


def test_safe_next_directly():
    from participation.security import safe_next
    for target in EVIL + ["", None, "evil.example", "/\x00/evil.example", "/" + "a" * 3000]:
        assert safe_next(target, "/home") == "/home", target
    assert safe_next("/r/NG001/plan", "/home") == "/r/NG001/plan"
    assert safe_next("/surveys/调查?page=2", "/home") == "/surveys/调查?page=2"
    assert safe_next("/hot\tline/", "/home") == "/hotline/"   # control characters removed, the rest kept
