"""A resident opens /r/<community_code> on a phone, types the slip's code, and lands on the household's page."""
import re

from playwright.sync_api import expect


def _household(demo, index):
    return demo["households"][index]


def _address_pattern(household):
    building = household["building"]
    building = f"{building}号楼" if building.isdigit() else building
    return re.compile(re.escape(building) + r".*" + re.escape(household["room"]) + "室")


def _accept_notice_if_asked(page):
    agree = page.get_by_role("button", name="我已阅读并同意")
    if agree.count():
        expect(page.get_by_role("heading", level=1)).to_contain_text("个人信息")
        agree.click()


def test_typing_the_code(page, live_server, demo, shot):
    household = _household(demo, 0)
    page.goto(f"{live_server}/r/{household['community']}")
    expect(page.get_by_label("户码")).to_be_visible()
    assert page.evaluate("window.innerWidth") <= 412
    shot(page, "01-entry-page")
    code = household["code"].lower()
    page.get_by_label("户码").fill(f"{code[:3]} {code[3:6]}-{code[6:]}")  # as an elderly resident might type it
    page.get_by_role("button", name="进入我家的页面").click()
    shot(page, "02-processing-notice")
    _accept_notice_if_asked(page)
    expect(page.locator("main")).to_contain_text(_address_pattern(household))
    tel_links = page.locator("a[href^='tel:']")
    assert tel_links.count() >= 1
    shot(page, "03-resident-home")


def test_wrong_code_is_explained_in_chinese(page, live_server, demo):
    household = _household(demo, 1)
    page.goto(f"{live_server}/r/{household['community']}")
    page.get_by_label("户码").fill("AAAAAAAAA")
    page.get_by_role("button", name="进入我家的页面").click()
    expect(page.locator(".error").first).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", page.locator(".error").first.inner_text())


def test_large_text_mode(page, live_server, demo, shot):
    household = _household(demo, 2)
    page.goto(f"{live_server}/r/{household['community']}")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("body")).to_have_class(re.compile("large-text"))
    large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large > normal
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    _accept_notice_if_asked(page)
    expect(page.locator("body")).to_have_class(re.compile("large-text"))  # kept in a cookie across pages
    expect(page.locator("main")).to_contain_text(_address_pattern(household))
    shot(page, "04-resident-home-large-text")


def test_opening_the_slip_url_enters_without_typing(page, live_server, demo, shot):
    household = _household(demo, 3)
    page.goto(f"{live_server}/r/{household['community']}#{household['code']}")
    page.wait_for_load_state("networkidle")
    _accept_notice_if_asked(page)
    expect(page.locator("main")).to_contain_text(_address_pattern(household))
    assert "#" not in page.url and household["code"] not in page.url
    shot(page, "05-scanned-slip")


def test_typing_works_with_javascript_off(browser, browser_context_args, live_server, demo):
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False})
    page = context.new_page()
    household = _household(demo, 4)
    page.goto(f"{live_server}/r/{household['community']}")
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    _accept_notice_if_asked(page)
    expect(page.locator("main")).to_contain_text(_address_pattern(household))
    context.close()
