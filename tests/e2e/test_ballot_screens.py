"""The owner's ballot on a 360 px phone (issue 12 point 4, DESIGN §4 and §11): three equal buttons (same size, none
coloured, ≥ 60 px high in large text) in the paper sheet's order, and a confirmation naming the choice, in Chinese,
with JavaScript on and off, and no serious accessibility violation (axe). Nothing is cast here: the confirmation's
返回修改 goes back to the vote."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import _blocking_violations, _enter, _set_large_text

VIEWPORT = {"width": 360, "height": 780}


def _owner(demo):
    """A home of 5号楼2单元 (the demo's open elevator consent vote) other than the one the journey votes for."""
    return next(h for h in demo["households"] if h["community"] == "NG001" and h["building"] == "5"
                and h["unit"] == "2" and h["room"] != "201" and h.get("owner_id_tail"))


def _vote_page(page, live_server, home):
    _enter(page, live_server, home)
    page.goto(f"{live_server}/r/NG001/votes")
    page.get_by_role("link", name=re.compile("5号楼2单元加装电梯")).click()
    if page.locator("#verify-form").count():
        page.locator("#verify-form input[name=tail]").fill(home["owner_id_tail"])
        page.locator("#verify-form button[type=submit]").click()
    expect(page.locator("#ballot-form")).to_be_visible()


def _equal_buttons(page, minimum: int):
    buttons = page.locator("#ballot-form button[name=choice]")
    expect(buttons).to_have_count(3)
    assert buttons.evaluate_all("bs => bs.map(b => b.value)") == ["yes", "no", "abstain"]
    boxes = [buttons.nth(i).bounding_box() for i in range(3)]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1, boxes
    assert boxes[0]["height"] >= minimum and boxes[0]["x"] + boxes[0]["width"] <= 360
    colours = buttons.evaluate_all("bs => bs.map(b => getComputedStyle(b).backgroundColor)")
    assert len(set(colours)) == 1, colours
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_three_equal_buttons_and_a_confirmation_at_360_px(browser, browser_context_args, live_server, demo, shot,
                                                          large):
    context = browser.new_context(**{**browser_context_args, "viewport": VIEWPORT})
    page = context.new_page()
    home = _owner(demo)
    _vote_page(page, live_server, home)
    _set_large_text(page, large)
    _equal_buttons(page, 60 if large else 48)
    found = _blocking_violations(page)
    suffix = "large" if large else "normal"
    page.locator("#ballot").scroll_into_view_if_needed()
    full = shot(page, f"66-ballot-buttons-360-{suffix}")
    page.locator("#ballot").screenshot(path=str(full.with_name(f"66-ballot-section-360-{suffix}.png")))
    page.locator("#choose-no").click()
    expect(page.locator("#choice-named")).to_have_text(re.compile("反对"))
    confirm, back = page.locator("#confirm-ballot"), page.locator("#change-ballot")
    assert confirm.bounding_box()["height"] >= (60 if large else 48)
    assert back.bounding_box()["height"] >= (60 if large else 48)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, f"67-ballot-confirm-360-{suffix}")
    found += _blocking_violations(page)
    assert found == [], "\n".join(found)
    back.click()
    expect(page.locator("#ballot-form")).to_be_visible()
    context.close()


def test_the_confirmation_works_without_javascript(browser, browser_context_args, live_server, demo):
    context = browser.new_context(**{**browser_context_args, "viewport": VIEWPORT, "java_script_enabled": False})
    page = context.new_page()
    home = _owner(demo)
    _vote_page(page, live_server, home)
    page.locator("#choose-abstain").click()
    expect(page.locator("#choice-named")).to_have_text(re.compile("弃权"))
    page.locator("#change-ballot").click()
    expect(page.locator("#ballot-form")).to_be_visible()
    context.close()
