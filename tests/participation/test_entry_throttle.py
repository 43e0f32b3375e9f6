"""Brute force on household codes: back-off per browser and per address, never per community; successes free."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.entry import operations as entry
from participation.extensions import db
from participation.models import Throttle
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from tests.conftest import csrf_token

WRONG = "K7M-4PX-2QH"


@pytest.fixture
def site(make_community):
    community = make_community("220102001", floors=8)   # 64 households
    households = [h for b in community.buildings for u in b.units for h in u.households]
    codes = [issue_code(None, household) for household in households]
    db.session.commit()
    return community, codes


def open_page(client, community, address="127.0.0.1") -> str:
    return csrf_token(client.get(f"/r/{community.code}", environ_base={"REMOTE_ADDR": address}).text)


def attempt(client, community, code, token, address="127.0.0.1"):
    return client.post(f"/r/{community.code}", data={"code": code, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def fail_times(client, community, times, address="127.0.0.1"):
    token = open_page(client, community, address)
    return [attempt(client, community, WRONG, token, address) for _ in range(times)]


def expire_waits():
    for throttle in db.session.scalars(select(Throttle)):
        throttle.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_browser_waits_after_five_wrong_codes_and_is_told_how_long(client, site):
    community, codes = site
    responses = fail_times(client, community, 6)
    assert [r.status_code for r in responses] == [400] * 5 + [429]
    assert "请2秒后再试" in responses[4].text
    # Refused while waiting, even with the right code, and told the wait in seconds.
    token = open_page(client, community)
    blocked = attempt(client, community, codes[0], token)
    assert blocked.status_code == 429
    assert "输错户码的次数太多" in blocked.text and "秒后再试" in blocked.text
    with client.session_transaction() as session:
        assert "household_id" not in session


def test_the_wait_doubles_with_each_further_failure(app, site):
    community, _ = site
    with app.test_request_context("/"):
        waits = []
        for _ in range(8):
            result = entry.try_code(community, WRONG, browser_id="b1", remote_addr="10.1.1.1")
            if result.refused:
                expire_waits()
                result = entry.try_code(community, WRONG, browser_id="b1", remote_addr="10.1.1.1")
            waits.append(result.wait)
    assert waits == [0, 0, 0, 0, 2, 4, 8, 16]


def test_a_refused_attempt_does_not_lengthen_the_wait(app, site):
    community, _ = site
    for _ in range(5):
        entry.try_code(community, WRONG, browser_id="b1", remote_addr="10.1.1.1")
    before = db.session.get(Throttle, "entry:browser:b1").failures
    assert entry.try_code(community, WRONG, browser_id="b1", remote_addr="10.1.1.1").refused
    assert db.session.get(Throttle, "entry:browser:b1").failures == before


def test_another_browser_still_gets_in_while_one_is_throttled(client, app, site):
    community, codes = site
    fail_times(client, community, 6)
    other = app.test_client()
    response = attempt(other, community, codes[1], open_page(other, community))
    assert response.status_code == 302
    assert other.get("/home").status_code == 302   # in: on to the notice
    assert other.get("/home").headers["Location"].endswith("/home/notice")


def test_an_address_is_slowed_after_thirty_failures_from_many_browsers(app, site):
    community, codes = site
    for _ in range(6):   # cookies thrown away after each five tries: only the address key remembers
        fail_times(app.test_client(), community, 5)
    fresh = app.test_client()
    response = attempt(fresh, community, codes[0], open_page(fresh, community))
    assert response.status_code == 429
    assert 'id="entry-check"' in response.text   # slowed by a check (test_entry_pow.py), never blocked
    # Nobody is locked out elsewhere: another address, same community, gets in at once.
    elsewhere = app.test_client()
    response = attempt(elsewhere, community, codes[0], open_page(elsewhere, community, "10.9.9.9"), "10.9.9.9")
    assert response.status_code == 302
    keys = set(db.session.scalars(select(Throttle.key)))
    assert keys and all(key.startswith(("entry:browser:", "entry:addr:")) for key in keys)
    assert not any(community.code in key for key in keys)


def test_a_grid_worker_entering_many_households_is_never_slowed(client, site):
    community, codes = site
    token = open_page(client, community)
    for index, code in enumerate(codes[:40]):
        if index % 10 == 9:   # an occasional typo on the way
            assert attempt(client, community, WRONG, token).status_code == 400
        response = attempt(client, community, code, token)
        assert response.status_code == 302, index
        token = open_page(client, community)
    address = db.session.get(Throttle, "entry:addr:127.0.0.1")
    assert address.failures == 4 and address.blocked_until is None


def test_a_success_clears_the_browser_key_but_not_the_address_key(client, site):
    community, codes = site
    fail_times(client, community, 3)
    token = open_page(client, community)
    assert attempt(client, community, codes[0], token).status_code == 302
    keys = {t.key: t.failures for t in db.session.scalars(select(Throttle))}
    assert keys == {"entry:addr:127.0.0.1": 3}


def test_the_post_is_also_rate_limited_generously(client, site):
    community, codes = site
    token = open_page(client, community)
    statuses = []
    for code in codes[:61]:
        statuses.append(attempt(client, community, code, token).status_code)
        token = open_page(client, community)
    assert statuses[:60] == [302] * 60
    assert statuses[60] == 429
    # GETs are not limited: the page still opens.
    assert client.get(f"/r/{community.code}").status_code == 200
