"""axe-core (the copy shipped inside axe-playwright-python, run in the page; nothing fetched) on every resident page
and the main staff pages, in normal and large-text mode: no serious or critical violation. Then a survey answered
from the entry page to the receipt with the keyboard alone (Tab, Space, Enter and typing into fields).

Only pages are visited, never changed — except the keyboard pass, which answers its own survey in NG003 (a
community no other journey touches). Text size is a per-session switch, so it does not leak into other tests."""
import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from participation.extensions import db
from participation.models import Community
from participation.models.types import utcnow
from surveys.answering.operations import response_values
from surveys.models import Response
from tests.e2e.residents import agree_to_notice_if_asked
from tests.surveys.test_answers import make_survey

BLOCKING = {"serious", "critical"}
AXE = Axe()


def _blocking_violations(page) -> list[str]:
    results = AXE.run(page).response
    return [f"{page.url} {v['id']} ({v['impact']}): " + "; ".join(n["html"][:120] for n in v["nodes"][:3])
            for v in results["violations"] if v["impact"] in BLOCKING]


def _check_all(page, base: str, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        found += _blocking_violations(page)
    return found


def _set_large_text(page, on: bool):
    switch = page.locator("footer button.switch[aria-pressed]")
    if (switch.get_attribute("aria-pressed") == "true") != on:
        switch.click()
        expect(page.locator("body")).to_have_class(re.compile("large-text") if on else re.compile(r"^(?!.*large-text)"))


def _home(demo, building, unit, room):
    return next(h for h in demo["households"] if h["community"] == "NG001" and h["building"] == building
                and h["unit"] == unit and h["room"] == room)


def _enter(page, live_server, household):
    page.goto(f"{live_server}/r/{household['community']}")
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(page)


def _links(page, pattern: str) -> list[str]:
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return sorted({href for href in hrefs if re.fullmatch(pattern, href)})


def resident_paths(page, live_server) -> list[str]:
    """Every page a resident reaches from the home page, found by following its links (so the demo's ids are not
    guessed): surveys and their results, complaints and one of the home's own, plan, votes, elevator, ratings."""
    page.goto(f"{live_server}/home")
    paths = ["/home/notice", "/home", "/complaints/new", "/complaints", "/r/NG001/plan", "/r/NG001/votes",
             "/r/NG001/elevator", "/r/NG001/progress"]
    paths += _links(page, r"/s/\d+(/results)?") + _links(page, r"/r/rating/\d+")
    page.goto(f"{live_server}/complaints")
    paths += _links(page, r"/complaints/[0-9A-Z]+")[:1]
    page.goto(f"{live_server}/r/NG001/votes")
    paths += _links(page, r"/r/NG001/votes/\d+")
    return paths


def vote_paths(page, live_server) -> list[str]:
    page.goto(f"{live_server}/r/NG001/votes")
    return _links(page, r"/r/NG001/votes/\d+")


COMPLAINT_HOME = ("1", "1", "601")     # has a complaint in the demo: its status page is seen too
ELEVATOR_HOME = ("5", "2", "301")      # in the 单元 under the demo's elevator consent vote (its owner has not voted)


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_the_elevator_vote_pages_have_no_serious_violations(page, live_server, demo, large):
    """The elevator consent vote is shown only to its 单元: its ballot page and the estimated share."""
    page.goto(f"{live_server}/r/NG001")
    _set_large_text(page, large)
    _enter(page, live_server, _home(demo, *ELEVATOR_HOME))
    paths = vote_paths(page, live_server)
    assert len(paths) >= 2, paths
    found = _check_all(page, live_server, paths + ["/r/NG001/elevator"])
    assert found == [], "\n".join(found)


STAFF_PATHS = ["/staff", "/hotline", "/hotline/new", "/c/NG001/plan", "/c/NG001/dashboard", "/c/NG001/votes",
               "/c/NG001/acceptance", "/bulletin", "/c/NG001/surveys",
               # issue 15: the community hub, the joint review (NG003's is open), the works page
               "/c/NG001", "/c/NG003/joint-review", "/c/NG001/plan/works"]


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_resident_pages_have_no_serious_violations(page, live_server, demo, large):
    page.goto(f"{live_server}/r/NG001")
    _set_large_text(page, large)
    found = _blocking_violations(page)                         # the entry page, before the code is typed
    _enter(page, live_server, _home(demo, *COMPLAINT_HOME))
    paths = resident_paths(page, live_server)
    assert any(p.startswith("/s/") for p in paths) and any(p.startswith("/complaints/C") for p in paths), paths
    assert any(re.fullmatch(r"/r/NG001/votes/\d+", p) for p in paths), paths
    found += _check_all(page, live_server, paths)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_staff_pages_have_no_serious_violations(page, live_server, login, large):
    login(page, "organiser")
    page.goto(f"{live_server}/hotline")
    ticket = _links(page, r"/hotline/tickets/[0-9A-Z]+")[:1]
    assert ticket
    _set_large_text(page, large)
    found = _check_all(page, live_server, STAFF_PATHS + ticket)
    assert found == [], "\n".join(found)


# -- keyboard only -------------------------------------------------------------------------------------------------

KEYBOARD_TITLE = "键盘作答测试问卷"


@pytest.fixture(scope="module")
def keyboard_survey(e2e_app, demo):
    """A small open survey in NG003, and the household that answers it."""
    app = e2e_app
    with app.app_context():
        community = db.session.scalar(select(Community).filter_by(code="NG003"))
        spec = [
            ("one", "people", "integer", {"required": True, "label": {"zh": "家里常住几口人？"}}),
            ("one", "stairs", "yes_no", {"required": True, "label": {"zh": "家里有人上下楼困难吗？"}}),
            ("two", "comment", "long_text", {"label": {"zh": "还有什么想说的？"}}),
        ]
        survey = make_survey(community, spec, sections={})
        survey.title = {"zh": KEYBOARD_TITLE}
        survey.opens_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        survey_id = survey.id
    household = next(h for h in demo["households"] if h["community"] == "NG003")
    return app, survey_id, household


def _tab_to(page, matches: str, limit: int = 80):
    """Press Tab until the focused element satisfies the JS predicate ``matches`` (given ``el``); fail if never."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({matches}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def _focused_text(text: str) -> str:
    return f"(el.innerText || el.value || '').includes({text!r})"


def test_a_survey_answered_with_the_keyboard_only(page, live_server, keyboard_survey, shot):
    app, survey_id, household = keyboard_survey
    page.goto(f"{live_server}/r/{household['community']}")
    _tab_to(page, "el.id && document.querySelector(`label[for='${el.id}']`)?.innerText.includes('户码')")
    page.keyboard.type(household["code"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/home(/notice)?$"))
    if page.url.endswith("/notice"):
        _tab_to(page, "el.tagName === 'BUTTON' && " + _focused_text("我已阅读并同意"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/home$"))
    # the home lists each survey by its title, with its own button (请填写) under it
    _tab_to(page, f"el.tagName === 'A' && (el.closest('li')?.innerText || '').includes({KEYBOARD_TITLE!r})")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/s/{survey_id}"))

    _tab_to(page, "el.name === 'people'")
    page.keyboard.type("2")
    _tab_to(page, "el.name === 'stairs'")                     # a radio group is one Tab stop; Space picks
    page.keyboard.press("Space")
    expect(page.locator("input[name=stairs][value=yes]")).to_be_checked()
    _tab_to(page, "el.tagName === 'BUTTON' && " + _focused_text("下一页"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("还有什么想说的？")).to_be_visible()
    _tab_to(page, "el.name === 'comment'")
    page.keyboard.type("用键盘填写。")
    _tab_to(page, "el.tagName === 'BUTTON' && " + _focused_text("提交答卷"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("您的答案已收到")
    receipt = page.locator("#receipt-number").inner_text()
    shot(page, "70-survey-keyboard-receipt")
    with app.app_context():
        response = db.session.scalar(select(Response).where(Response.survey_id == survey_id))
        assert (response.status, response.receipt) == ("submitted", receipt)
        assert response_values(response) == {"people": 2, "stairs": "yes", "comment": "用键盘填写。"}
