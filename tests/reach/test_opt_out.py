"""A household's SMS setting on 我的消息 (issue 16, point 5): saving it writes PIPL consent through
``rules.record_consent`` and the worker's ``opted_out`` follows; staff acting for the household take the choice down
as said to staff; bad input changes nothing; the page says what the phone is for and shows it masked."""
import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, SmsConsent
from participation.reach.rules import opted_out
from tests.conftest import csrf_token
from tests.reach.conftest_inbox import inbox_site, post, resident, staff  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("inbox_site")


def _url(site, tail=""):
    return f"/r/{site['a'].code}/messages{tail}"


def _choose(browser, site, choice):
    return post(browser, _url(site, "/sms"), {"choice": choice}, token_from=_url(site))


def _consents(household):
    return db.session.scalars(select(SmsConsent).where(SmsConsent.household_id == household.id)
                              .order_by(SmsConsent.id)).all()


def test_a_resident_opts_out_and_back_in(app, inbox_site):
    household = inbox_site["homes"][0]
    browser = resident(app, household)
    page = browser.get(_url(inbox_site)).text
    assert re.search(r'<input checked[^>]*value="opt_in"', page)           # the setting now: it receives
    assert not re.search(r'<input checked[^>]*value="opt_out"', page)
    assert not opted_out(household.id)
    saved = _choose(browser, inbox_site, "opt_out")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/messages#sms-settings")
    db.session.expire_all()
    [consent] = _consents(household)
    assert (consent.choice, consent.actor, consent.user_id) == ("opt_out", "resident", None)
    assert opted_out(household.id)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "sms_consent.opt_out")) == 1
    page = browser.get(_url(inbox_site)).text
    assert "Now: notice SMS are not sent" in page and re.search(r'<input checked[^>]*value="opt_out"', page)
    _choose(browser, inbox_site, "opt_in")
    db.session.expire_all()
    assert [row.choice for row in _consents(household)] == ["opt_out", "opt_in"]   # history kept
    assert not opted_out(household.id)


def test_saving_the_same_choice_again_writes_no_second_row(app, inbox_site):
    household = inbox_site["homes"][0]
    browser = resident(app, household)
    _choose(browser, inbox_site, "opt_out")
    _choose(browser, inbox_site, "opt_out")
    db.session.expire_all()
    assert len(_consents(household)) == 1


@pytest.mark.parametrize("data", [{}, {"choice": "maybe"}])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(app, inbox_site, data):
    household = inbox_site["homes"][0]
    browser = resident(app, household)
    page = browser.get(_url(inbox_site))
    refused = browser.post(_url(inbox_site, "/sms"), data={**data, "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400
    assert 'class="error"' in refused.text
    db.session.expire_all()
    assert _consents(household) == [] and not opted_out(household.id)


def test_another_households_setting_is_not_touched(app, inbox_site):
    mine, neighbour = inbox_site["homes"][:2]
    _choose(resident(app, mine), inbox_site, "opt_out")
    db.session.expire_all()
    assert opted_out(mine.id) and not opted_out(neighbour.id)
    other = resident(app, inbox_site["b_homes"][0])
    token = csrf_token(other.get(f"/r/{inbox_site['b'].code}/messages").text)
    assert other.post(f"/r/{inbox_site['a'].code}/messages/sms",
                      data={"choice": "opt_out", "csrf_token": token}).status_code == 404
    assert not opted_out(inbox_site["b_homes"][0].id)


def test_the_page_says_what_the_phone_is_for_masked_and_which_sms_still_come(app, inbox_site):
    household = inbox_site["homes"][0]
    page = resident(app, household).get(_url(inbox_site)).text
    masked = f"{household.phone[:3]}****{household.phone[-4:]}"
    assert masked in page and household.phone not in page
    assert "only about this community's renovation and your own complaints" in page
    assert "owners' vote notices" in page and "news of your own complaint" in page


def test_without_a_phone_on_the_roster_the_page_says_messages_stay_here(app, inbox_site):
    household = inbox_site["homes"][0]
    household.phone = None
    db.session.commit()
    page = resident(app, household).get(_url(inbox_site)).text
    assert 'id="no-phone"' in page


def test_staff_at_the_door_record_the_households_choice_as_said_to_staff(app, inbox_site, make_user):
    a = inbox_site["a"]
    household = inbox_site["homes"][0]
    grid = make_user("grid", username="grid", buildings=[a.buildings[0]])
    db.session.commit()
    browser = staff(app, "grid")
    started = post(browser, f"/assist/households/{household.id}", {"channel": "door_to_door"},
                   token_from=f"/assist/households/{household.id}")
    assert started.status_code == 302
    page = browser.get(_url(inbox_site))
    if page.status_code == 302:   # the household's privacy notice comes first in assisted mode too
        notice = browser.get("/home/notice")
        browser.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice.text)})
        page = browser.get(_url(inbox_site))
    assert page.status_code == 200 and "You are recording the household's own choice" in page.text
    assert _choose(browser, inbox_site, "opt_out").status_code == 302
    db.session.expire_all()
    [consent] = _consents(household)
    assert (consent.actor, consent.user_id, consent.note) == ("staff", grid.id, "door_to_door")
    assert opted_out(household.id)
