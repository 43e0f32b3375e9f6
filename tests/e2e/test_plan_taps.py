"""A plan comment in at most 4 taps from the resident home (issue 17, "Done when"), on a 360 px phone, in normal and
in large text, and without JavaScript: the plan link, a 支持 / 反对 chip, (the fold of an item's kind, or the comment
box's summary when no script opens it), the send button. Typing into the box is not a tap. After saving, the page
opens at the item and its "已提交" note is on the screen, not screens away.

Households of NG001's building 8, which no other journey uses, so the demo's figures elsewhere stay as they were."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.residents import agree_to_notice_if_asked

PHONE = {"width": 360, "height": 800}
MOST_TAPS = 4


class Taps:
    """Clicks that count: every tap of the journey goes through ``tap``."""

    def __init__(self):
        self.count = 0

    def tap(self, locator):
        self.count += 1
        locator.click()


def _household(demo, nth: int) -> dict:
    return [h for h in demo["households"] if h["community"] == "NG001" and h["building"] == "8"][nth]


def _phone(browser, browser_context_args, live_server, demo, nth, *, large=False, script=True):
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "java_script_enabled": script})
    if large:
        context.add_cookies([{"name": "large_text", "value": "1", "url": live_server}])
    page = context.new_page()
    household = _household(demo, nth)
    page.goto(f"{live_server}/r/{household['community']}")
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(page)
    return page


def _saved_beside(page, card, code: str):
    expect(page).to_have_url(re.compile(rf"/r/NG001/plan\?saved={code}#item-{code}$"))
    note = page.locator(f"#saved-{code}")
    expect(note).to_contain_text("已提交")
    expect(note).to_be_in_viewport()
    return note


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_a_changed_item_objected_with_words_in_three_taps(browser, browser_context_args, live_server, demo, shot,
                                                          large):
    page = _phone(browser, browser_context_args, live_server, demo, 0 if not large else 1, large=large)
    taps = Taps()
    taps.tap(page.locator("#plan-link"))
    card = page.locator("#changes-list article.plan-item").first
    code = card.get_attribute("id").removeprefix("item-")
    if not large:
        shot(page, "17-plan-page-360")
    else:
        shot(page, "17-plan-page-360-large")
    taps.tap(card.locator("label.chip", has_text="我反对"))
    box = card.locator("textarea[name=body]")
    expect(box).to_be_visible()                          # choosing a view opened the box
    box.fill("楼道窄，请先量好宽度再装。")
    taps.tap(card.get_by_role("button", name="提交我的意见"))
    _saved_beside(page, card, code)
    expect(page.locator(f"#item-{code}")).to_contain_text("楼道窄，请先量好宽度再装。")
    expect(page.locator(f"#stance-{code}-object")).to_be_checked()
    page.screenshot(path=str(shot(page, "17-plan-saved-360" + ("-large" if large else ""))
                             .with_name("17-plan-saved-viewport-360" + ("-large" if large else "") + ".png")))
    assert taps.count <= MOST_TAPS, taps.count
    assert taps.count == 3
    page.context.close()


def test_an_item_in_a_folded_kind_supported_in_four_taps(browser, browser_context_args, live_server, demo, shot):
    page = _phone(browser, browser_context_args, live_server, demo, 2)
    taps = Taps()
    taps.tap(page.locator("#plan-link"))
    kind_id = page.locator("details.plan-category:not([open])").first.get_attribute("id")
    kind = page.locator(f"#{kind_id}")
    taps.tap(page.locator(f"#{kind_id} > summary"))
    card = kind.locator("article.plan-item").first
    code = card.get_attribute("id").removeprefix("item-")
    taps.tap(card.locator("label.chip", has_text="我支持"))
    card.locator("textarea[name=body]").fill("同意")
    taps.tap(card.get_by_role("button", name="提交我的意见"))
    _saved_beside(page, card, code)
    expect(page.locator(f"#item-{code}").locator("xpath=ancestor::details[1]")).to_have_attribute("open", "")
    assert taps.count <= MOST_TAPS, taps.count
    page.context.close()


def test_without_javascript_the_box_opens_from_its_summary_still_within_four_taps(browser, browser_context_args,
                                                                                  live_server, demo, shot):
    page = _phone(browser, browser_context_args, live_server, demo, 3, script=False)
    taps = Taps()
    taps.tap(page.locator("#plan-link"))
    card = page.locator("#changes-list article.plan-item").first
    code = card.get_attribute("id").removeprefix("item-")
    taps.tap(card.locator("label.chip", has_text="我反对"))
    expect(card.locator("textarea[name=body]")).to_be_hidden()          # no script: the box waits for its summary
    taps.tap(card.locator("details.say-more summary"))
    card.locator("textarea[name=body]").fill("费用太高")
    taps.tap(card.get_by_role("button", name="提交我的意见"))
    _saved_beside(page, card, code)
    assert taps.count <= MOST_TAPS, taps.count
    page.context.close()
