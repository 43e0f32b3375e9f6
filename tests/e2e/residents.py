"""A resident's way in, shared by the journeys: after the household code is sent the server answers with the home
page or, the first time, the personal-information notice. Waiting for either before looking for the notice's button
matters: asked at once, the button may not be there yet because the page has not arrived (a race that failed a
loaded CI machine)."""
import re

from playwright.sync_api import expect

ARRIVED = re.compile(r"/home(/notice)?$")


def agree_to_notice_if_asked(page) -> None:
    page.wait_for_url(ARRIVED)
    if page.url.endswith("/home/notice"):
        expect(page.get_by_role("heading", level=1)).to_contain_text("个人信息")
        page.get_by_role("button", name="我已阅读并同意").click()
    expect(page).to_have_url(re.compile(r"/home$"))
