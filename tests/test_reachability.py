"""Nothing is reachable only by typing a URL (issue 15, point 3).

The demo is seeded; each of its staff accounts signs in and follows links from the staff home, and one household
of each demo community enters with its code and follows links from the resident home. A page of the URL map that
no link reaches fails the test, unless it is in ``NOT_LINKED`` with the reason it need not be.

The crawl follows ``<a href>`` and the actions of GET forms on the same site; it opens at most a few URLs of each
endpoint (the hundredth household's page says nothing the first did not) and counts a link as reaching its
endpoint without opening it when the endpoint was opened enough already or is a download.
"""
import json
import re
from collections import Counter, deque
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from participation.extensions import db
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[1]
# Pages no click needs to reach, each with why.
NOT_LINKED = {
    "static": "files the pages load themselves",
    "api.openapi": "the API's description, for programs (linked from docs/api.md)",
    "auth.login": "where every sign-in starts: the address is printed on slips and posters, and any staff page "
                  "redirects there",
    "resident.entry": "the household's door: the QR code and the address on its code slip lead here",
    "resident.notice": "the processing notice: shown by redirect before a household's first page, not linked",
}
# Pages linked only beside data the demo does not hold (a photo someone attached, a household's own answer just
# sent): each must still be linked from a template, which the last test checks.
LINKED_WITH_DATA = {
    "phone_entry.enter_code": "the SMS code page, by redirect once a mobile number was typed on /r/<code>/phone",
    "phone_entry.choose": "asked after a right SMS code when several households share the phone (by redirect)",
    "robots.edit": "a robot's form, linked beside each robot on the robot lists (the demo has no robot: a webhook is a "
                   "real group's)",
    "acceptance.response_photo": "the photo a household attached to its rating, linked from the round's responses",
    "complaints.photo": "a resident's photo on their ticket page",
    "hotline.photo": "a ticket's photos (the resident's and the agency's reply) on the ticket page; the demo's tickets "
                     "have none",
    "fieldsurvey.photo": "a finding's photo, on the field survey page once one is uploaded",
    "survey_answer.photo": "a photo answer, on the household's closed-survey page",
    "survey_answer.receipt": "the receipt a household sees right after submitting (by redirect)",
    "resident.switch": "asked when a second household's code is entered in the same browser (by redirect)",
}
# Endpoints whose pages are for programs, not people: JSON feeds, Open311 and the survey API.
PROGRAM_BLUEPRINTS = ("api.", "open311.", "survey_api.")
# At most this many different URLs of one endpoint are opened, per visitor.
PER_ENDPOINT = 2
PAGE_LIMIT = 1500
DOWNLOAD = re.compile(r"\.(xlsx|json|csv|pdf|png|jpe?g)$|/photo|/download")
HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"'#]+)""", re.I)
IMG = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"'#]+)""", re.I)
GET_FORM = re.compile(r"""<form\b(?=[^>]*\bmethod\s*=\s*["']?get)[^>]*\baction\s*=\s*["']([^"']+)""", re.I)


def _endpoint(adapter, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        endpoint, _args = adapter.match(parts.path, method="GET")
    except RequestRedirect as redirect:
        return _endpoint(adapter, redirect.new_url)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


def crawl(app, client, start: str) -> set[str]:
    """The endpoints of every link reached from ``start`` by this signed-in client."""
    adapter = app.url_map.bind("localhost")
    reached, opened = set(), Counter()
    queue, seen = deque([start]), {start}
    pages = 0
    while queue and pages < PAGE_LIMIT:
        url = queue.popleft()
        response = client.get(url)
        pages += 1
        status, location, mimetype = response.status_code, response.location, response.mimetype
        html = response.get_data(as_text=True) if status == 200 and mimetype == "text/html" else ""
        response.close()
        if status in (301, 302, 303):
            target = urljoin(url, location)
            if target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        if not html:
            continue
        for source in IMG.findall(html):          # shown, so reached, but not a page to open
            endpoint = _endpoint(adapter, urljoin(url, unescape(source)))
            if endpoint is not None:
                reached.add(endpoint)
        for link in HREF.findall(html) + GET_FORM.findall(html):
            target = urljoin(url, unescape(link))
            endpoint = _endpoint(adapter, target)
            if endpoint is None:
                continue
            reached.add(endpoint)
            path = urlsplit(target)
            key = path.path + ("?" + path.query if path.query else "")
            if key in seen or DOWNLOAD.search(path.path) or opened[endpoint] >= PER_ENDPOINT:
                continue
            if endpoint in ("auth.logout", "resident.leave") or endpoint.startswith(PROGRAM_BLUEPRINTS):
                continue
            opened[endpoint] += 1
            seen.add(key)
            queue.append(key)
    return reached


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return json.loads(result.stdout)


def _staff(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, username
    return client


def _resident(app, household: dict):
    client = app.test_client()
    page = client.get(f"/r/{household['community']}")
    response = client.post(f"/r/{household['community']}", data={"code": household["code"],
                                                                   "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, household
    home = client.get("/home")
    if home.status_code == 302 and "/home/notice" in home.location:     # the processing notice comes first
        notice = client.get("/home/notice")
        accepted = client.post("/home/notice", data={"accept": "1", "csrf_token": csrf_token(notice.text)})
        assert accepted.status_code == 302, accepted.text
    return client


def test_every_page_is_reached_by_clicking_from_a_home_page(app, demo):
    reached = set()
    for user in demo["users"]:
        reached |= crawl(app, _staff(app, user["username"], user["password"]), "/staff")
    first_of_each = {}      # a household of every building: complaints, votes and ratings differ per building
    for household in demo["households"]:
        first_of_each.setdefault((household["community"], household["building"]), household)
    for household in first_of_each.values():
        reached |= crawl(app, _resident(app, household), "/home")

    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unreached = sorted(endpoint for endpoint in pages - reached - set(NOT_LINKED) - set(LINKED_WITH_DATA)
                       if not endpoint.startswith(PROGRAM_BLUEPRINTS))
    assert not unreached, "pages no link reaches from a home page: " + ", ".join(unreached)


def test_the_exceptions_are_real_pages(app):
    """An exception for an endpoint that no longer exists would hide nothing; keep the list honest."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(NOT_LINKED) | set(LINKED_WITH_DATA) <= endpoints


def test_pages_shown_beside_data_are_linked_from_a_template_or_a_redirect():
    """The demo lacks the data these pages hang on, so the crawl cannot click them: their link (or the redirect
    that leads there) must be in the code, by the endpoint's full name or, in its own blueprint, its short one."""
    sources = [path.read_text(encoding="utf-8") for folder in ("templates", "participation", "surveys")
               for path in (ROOT / folder).rglob("*") if path.suffix in (".html", ".py")]
    for endpoint in LINKED_WITH_DATA:
        short = "." + endpoint.split(".", 1)[1]
        assert any(f"url_for('{endpoint}'" in text or f'url_for("{endpoint}"' in text
                   or f"url_for('{short}'" in text or f'url_for("{short}"' in text for text in sources), endpoint
