"""Every resident page, measured in Chromium on a cold cache: the page and everything it loads (CSS, scripts,
images), as the app sends them (compressed by flask-compress), stays within 50 KB, and no request leaves the
server. tests/test_page_weight.py checks the same budget without a browser for two pages; this counts what a phone
really fetches. Read-only: the pages are only visited."""
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_accessibility import COMPLAINT_HOME, ELEVATOR_HOME, _enter, _home, resident_paths, vote_paths

BUDGET_BYTES = 50 * 1024


def _weigh(browser, context_args, storage_state, url: str) -> tuple[int, list[str], list[str]]:
    """Bytes received for ``url`` and all it loads (headers and encoded bodies), the requests' URLs, and the
    Content-Encoding of the page itself — in a fresh context, so nothing comes from the cache."""
    context = browser.new_context(**context_args, storage_state=storage_state)
    requests = []
    context.on("requestfinished", lambda request: requests.append(request))
    page = context.new_page()
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200, url
    encoding = response.header_value("content-encoding") or ""
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    urls = [r.url for r in requests]
    context.close()
    return total, urls, encoding


@pytest.fixture(scope="module")
def resident_pages(browser, browser_context_args, live_server, demo):
    """The resident's pages (as the accessibility checks list them), each with the signed-in storage state that
    opens it: one home's pages, and the elevator consent vote's ballot page as one of its 单元 sees it."""
    def signed_in(home, list_paths):
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        _enter(page, live_server, _home(demo, *home))
        paths = list_paths(page, live_server)
        state = context.storage_state()
        context.close()
        return [(path, state) for path in paths]

    return [("/r/NG001", None)] + signed_in(COMPLAINT_HOME, resident_paths) + signed_in(ELEVATOR_HOME, vote_paths)


def test_every_resident_page_fits_50_kb_compressed_and_stays_local(browser, browser_context_args, live_server,
                                                                 resident_pages, record_property):
    weights, problems = {}, []
    for path, state in resident_pages:
        total, urls, encoding = _weigh(browser, browser_context_args, state, live_server + path)
        weights[path] = max(total, weights.get(path, 0))
        if total > BUDGET_BYTES:
            problems.append(f"{path}: {total} bytes")
        if encoding != "gzip" and total > 1024:
            problems.append(f"{path}: sent with Content-Encoding {encoding!r}, not gzip")
        outside = [u for u in urls if urlsplit(u).scheme != "data" and urlsplit(u).hostname != "127.0.0.1"]
        if outside:
            problems.append(f"{path}: requests leaving the server: {outside}")
    record_property("page_weights", weights)
    print("page weights (bytes):", dict(sorted(weights.items(), key=lambda kv: -kv[1])))
    assert len(weights) >= 12
    assert problems == [], "\n".join(problems)
