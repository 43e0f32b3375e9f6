"""A resident page with everything it loads stays within 50 KB on the wire, and makes no external requests."""
import re

import pytest

from participation.extensions import db
from participation.roster.codes import issue_code
from tests.conftest import csrf_token

BUDGET_BYTES = 50 * 1024
GZIP = {"Accept-Encoding": "gzip, deflate"}


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def _transferred(client, path: str) -> int:
    """Bytes on the wire for the page (compressed as sent) plus every static asset it links."""
    page = client.get(path, headers=GZIP)
    assert page.status_code == 200
    assert page.headers.get("Content-Encoding") == "gzip"
    total = len(page.get_data())
    for url in _assets(client.get(path).get_data(as_text=True)):
        with client.get(url, headers=GZIP) as asset:
            assert asset.status_code == 200, url
            total += len(asset.get_data())
    return total


@pytest.fixture
def resident_client(client, make_community):
    community = make_community("W001", buildings=1, units=1, floors=2)
    household = community.buildings[0].units[0].households[0]
    code = issue_code(None, household)
    db.session.commit()
    page = client.get("/r/W001")
    client.post("/r/W001", data={"code": code, "csrf_token": csrf_token(page.get_data(as_text=True))})
    page = client.get("/home/notice")
    client.post("/home/notice", data={"accept": "1", "csrf_token": csrf_token(page.get_data(as_text=True))})
    return client


@pytest.mark.parametrize("path", ["/r/W001", "/home"])
def test_resident_pages_fit_the_budget_compressed(resident_client, path):
    assert _transferred(resident_client, path) <= BUDGET_BYTES


@pytest.mark.parametrize("path", ["/r/W001", "/home", "/", "/login"])
def test_no_external_requests(resident_client, path):
    html = resident_client.get(path).get_data(as_text=True)
    external = re.findall(r'(?:src|href|action)="((?:https?:)?//[^"]+)"', html)
    assert external == []
