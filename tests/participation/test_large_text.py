"""适老版 (issue 17, DESIGN §11): large text offered at first entry and remembered; the home page's main actions as
full-width rows; which pages load 语音阅读. The measured rules (tap areas, sizes, overflow) and what the read-aloud
script says are checked in a browser: tests/e2e/test_elderly_pages.py."""
import re

import pytest

from participation.extensions import db
from participation.roster.codes import issue_code
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter, household_at

ONE_YEAR = 60 * 60 * 24 * 365


@pytest.fixture
def site(make_community):
    community = make_community("220102001", status="planning")
    household = household_at(community, 1, 2, 5)
    code = issue_code(None, household)
    db.session.commit()
    return community, household, code


def offer(html: str) -> str | None:
    found = re.search(r'<aside class="card soft text-size-offer".*?</aside>', html, re.S)
    return found.group(0) if found else None


def choose(client, page_html: str, mode: str | None, next_url: str):
    data = {"csrf_token": csrf_token(page_html), "next": next_url}
    if mode is not None:
        data["mode"] = mode
    return client.post("/display/large-text", data=data)


def test_the_entry_page_offers_large_text_until_a_choice_is_made(client, site):
    community, _, _ = site
    html = client.get(f"/r/{community.code}").text
    box = offer(html)
    assert box is not None and "您看哪种字号合适？" in box
    assert box.count('<button type="submit"') == 2 and "使用大字版" in box and "保持标准字号" in box
    # two equal choices: none pre-chosen, none drawn as the page's primary action
    assert "primary" not in box and "checked" not in box and "aria-pressed" not in box
    assert 'name="mode" value="on"' in box and 'name="mode" value="off"' in box
    assert f'name="next" value="/r/{community.code}"' in box
    # it sits above <main>, so the page's own form is still the first one in it
    assert html.index("text-size-offer") < html.index('<main id="content"')


@pytest.mark.parametrize("mode, cookie, large", [("on", "1", True), ("off", "0", False)])
def test_either_answer_is_remembered_for_a_year_and_the_offer_goes(client, site, mode, cookie, large):
    community, _, _ = site
    page = client.get(f"/r/{community.code}").text
    response = choose(client, page, mode, f"/r/{community.code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/r/{community.code}"
    set_cookie = response.headers["Set-Cookie"]
    assert f"large_text={cookie}" in set_cookie and f"Max-Age={ONE_YEAR}" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    html = client.get(f"/r/{community.code}").text
    assert offer(html) is None
    assert ('class="large-text' in html) is large


def test_the_offer_says_which_size_so_a_second_tap_does_not_undo_it(client, site):
    community, _, _ = site
    page = client.get(f"/r/{community.code}").text
    choose(client, page, "on", "/")
    choose(client, page, "on", "/")
    assert client.get_cookie("large_text").value == "1"
    choose(client, page, None, "/")          # the footer's switch flips it
    assert client.get_cookie("large_text").value == "0"
    choose(client, page, "nonsense", "/")    # an unknown mode is the footer's switch, not an error
    assert client.get_cookie("large_text").value == "1"


def test_a_forged_choice_changes_nothing(client, site):
    response = client.post("/display/large-text", data={"mode": "on", "next": "/"})
    assert response.status_code == 400
    assert "large_text" not in response.headers.get("Set-Cookie", "")


def test_the_home_page_asks_on_the_first_visit_without_a_choice(client, site):
    community, _, code = site
    enter(client, community.code, code)
    accept_notice(client)
    home = client.get("/home").text
    box = offer(home)
    assert box is not None and 'name="next" value="/home"' in box
    choose(client, home, "off", "/home")
    assert offer(client.get("/home").text) is None


def test_staff_acting_for_a_household_are_not_asked(client, site, login_as):
    community, household, _ = site
    login_as("grid", community)
    url = f"/assist/households/{household.id}"
    client.post(url, data={"channel": "door_to_door", "csrf_token": csrf_token(client.get(url).text)})
    notice = client.get("/home/notice").text
    client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice)})
    home = client.get("/home")
    assert home.status_code == 200 and "1号楼2单元302室" in home.text
    assert offer(home.text) is None


def test_the_home_pages_main_actions_are_full_width_rows(client, site):
    community, _, code = site
    enter(client, community.code, code)
    accept_notice(client)
    client.set_cookie("large_text", "0", domain="localhost")
    html = client.get("/home").text
    rows = re.findall(r'<a class="row-link" href="([^"]+)"[^>]*>\s*([^<]+)', html)
    targets = {href: words.strip() for href, words in rows}
    assert targets[f"/r/{community.code}/votes"] == "全部表决及结果"
    assert targets["/complaints"] == "我反映的问题"
    assert targets["/home/notice"] == "个人信息处理告知"


# -- 语音阅读: which pages load the script (what it does is tested in the browser, test_elderly_pages.py) ----------

READ_SCRIPT = '<script src="/static/js/readaloud.js" defer></script>'


def test_resident_pages_carry_the_read_aloud_button_hidden_until_the_script_shows_it(client, site):
    community, _, code = site
    entry = client.get(f"/r/{community.code}").text
    assert READ_SCRIPT not in entry and "read-aloud" not in entry          # no household yet
    enter(client, community.code, code)
    accept_notice(client)
    for path in ("/home", f"/r/{community.code}/progress", "/complaints"):
        html = client.get(path).text
        assert html.count(READ_SCRIPT) == 1, path
        button = re.search(r'<button type="button" class="read-aloud[^"]*" hidden[^>]*>', html).group(0)
        assert 'aria-label="朗读本页"' in button and 'data-stop-label="停止朗读"' in button
        assert "data-read-target" not in button                            # the page's own: reads <main>


def test_staff_pages_do_not_load_it(client, site, login_as):
    login_as("organiser", site[0])
    html = client.get("/staff").text
    assert READ_SCRIPT not in html and "read-aloud" not in html


def test_the_script_speaks_chinese_in_the_browser_and_sends_nothing_anywhere(client):
    response = client.get("/static/js/readaloud.js")
    script = response.text
    response.close()
    assert 'LANG = "zh-CN"' in script and "RATE = 0.9" in script
    for network in ("fetch(", "XMLHttpRequest", "sendBeacon", "http://", "https://", "WebSocket"):
        assert network not in script, network
