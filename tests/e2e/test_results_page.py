"""The survey results pages in Chromium (issue 17, point 10): a summary first, then parts opened one at a time whose
charts are drawn only once opened, each with its table, which is there without JavaScript too; no question's
variable name on the page; the residents' page at 360 px. Structure only: timings are bench/results_page.py's."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import _enter, _home

DRAWN_AT_FIRST = 1      # the participation chart, in the one part open from the start


def _results_url(page, live_server) -> str:
    page.goto(f"{live_server}/c/NG001/dashboard")
    href = page.get_by_role("link", name="调查结果").first.get_attribute("href")
    assert re.fullmatch(r"/surveys/\d+/results", href), href
    return live_server + href


@pytest.fixture
def desk(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    return page


def test_summary_first_then_charts_drawn_when_their_part_opens(desk, live_server, login, shot):
    page = desk
    login(page, "organiser")
    page.goto(_results_url(page, live_server))
    expect(page.locator("#chart-participation.chart-drawn")).to_be_visible(timeout=15000)
    page.wait_for_timeout(800)
    charts = page.locator("div.chart[data-chart]")
    assert charts.count() > 40
    assert page.locator(".chart-drawn").count() <= DRAWN_AT_FIRST
    # the summary comes first and says what matters
    summary = page.locator("#results-summary")
    expect(summary).to_contain_text("各类中需求最高的项目")
    expect(summary.locator("#results-top-needs li").first).to_contain_text("%")
    expect(summary).to_contain_text("下一步")
    expect(summary.locator("#results-next li").first).to_be_visible()
    assert page.evaluate("""() => { const s = document.querySelector('#results-summary');
        const first = document.querySelector('details.results-section');
        return !!(s.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    # the question parts start closed; opening one draws its charts, as they come into view
    part = page.locator("details.results-section", has=page.locator("summary", has_text="基础类")).first
    assert part.get_attribute("open") is None
    part.locator("summary").click()
    expect(part.locator(".chart-drawn").first).to_be_visible(timeout=15000)
    assert part.locator(".chart-drawn").count() < part.locator("div.chart").count()   # not the whole part at once
    last = part.locator("article.results-question").last
    last.scroll_into_view_if_needed()
    expect(last.locator(".chart-drawn")).to_be_visible(timeout=15000)
    # every question with a chart has its table beside it
    for article in part.locator("article.results-question").all():
        if article.locator("div.chart").count():
            assert article.locator("table.results-answers").count() == 1
    # the question's label only: no variable name such as (elderly)
    for article in page.locator("article.results-question").all():
        name = article.get_attribute("id").removeprefix("q-")
        assert f"({name})" not in article.inner_text()
        assert name not in article.locator("h3").inner_text()
    shot(page, "results-page-part-open")


def test_opening_a_linked_question_opens_its_part(desk, live_server, login):
    page = desk
    login(page, "organiser")
    url = _results_url(page, live_server)
    page.goto(url)
    name = page.locator("details.results-section:not([open]) article.results-question").first.get_attribute("id")
    page.goto(f"{url}#{name}")
    article = page.locator(f"#{name}")
    expect(article).to_be_visible(timeout=15000)
    expect(article.locator(".chart-drawn")).to_be_visible(timeout=15000)


def test_without_javascript_every_table_is_there(browser, live_server, login, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    login(page, "organiser")
    page.goto(_results_url(page, live_server))
    assert page.locator(".chart-drawn").count() == 0
    assert not page.locator("#chart-participation").is_visible()       # no empty box where a chart would be
    # the tables are in the page; a part opens without a script (<details>)
    tables = page.locator("article.results-question table.results-answers").count()
    assert tables >= page.locator("article.results-question div.chart").count() > 0
    part = page.locator("details.results-section", has=page.locator("summary", has_text="基础类")).first
    part.locator("summary").click()
    expect(part.locator("table.results-answers").first).to_be_visible()
    context.close()


def test_residents_results_on_a_phone(browser, page, live_server, login, demo, shot):
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk_page = staff.new_page()
    login(desk_page, "organiser")
    survey_id = re.search(r"/surveys/(\d+)/results", _results_url(desk_page, live_server)).group(1)
    staff.close()
    page.set_viewport_size({"width": 360, "height": 740})
    _enter(page, live_server, _home(demo, "1", "1", "101"))
    response = page.goto(f"{live_server}/s/{survey_id}/results")   # the needs survey, closed, results shown
    assert response.status == 200
    expect(page.locator("#results-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    parts = page.locator("details.results-section")
    assert parts.count() >= 2
    assert page.locator("details.results-section[open]").count() == 0
    parts.first.locator("summary").click()
    expect(parts.first.locator("progress").first).to_be_visible()
    box = parts.first.locator("summary").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "plotly" not in page.content()
    shot(page, "results-resident-360")
