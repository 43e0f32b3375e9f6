"""Throttles under real concurrency (issue 12.15): forty guesses sent at the same moment compare the secret no more
often than the free allowance, each counts, and none is a 500 — household codes, staff passwords, owners' ID tails.

Each guess runs in its own thread with its own app context and database session, as requests do in a threaded
server. The throttle's clock is held still, so a wait that starts during the burst cannot run out before its end.
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from participation import throttle
from participation.entry import operations as entry
from participation.extensions import db
from participation.models import Throttle, User
from participation.roster import codes
from participation.roster.codes import issue_code
from participation.roster.imports import id_tail_hash
from participation.votes import ballots as ballot_operations
from participation.votes.ballots import verify_owner
from participation.votes.operations import VoteError
from tests.conftest import csrf_token

GUESSES = 40
WRONG = "K7M-4PX-2QH"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    monkeypatch.setattr(throttle, "utcnow", lambda: NOW)


class Counter:
    """Counts calls of a function from any thread."""

    def __init__(self, function):
        self.function, self.calls, self.lock = function, 0, threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
        return self.function(*args, **kwargs)


def all_at_once(app, task, n=GUESSES):
    """Run ``task(i)`` in ``n`` threads released together, each in its own app context; their results."""
    barrier = threading.Barrier(n)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return task(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def failures(key: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Throttle.failures).where(Throttle.key == key)) or 0


# --- household codes ---------------------------------------------------------------------------------------------

@pytest.fixture
def site(make_community):
    community = make_community("220102001")
    code = issue_code(None, community.buildings[0].units[0].households[0])
    db.session.commit()
    return community, code


def entry_page(app, community):
    """A browser that opened the entry page: its client and the form's token."""
    client = app.test_client()
    return client, csrf_token(client.get(f"/r/{community.code}").text)


def test_forty_wrong_codes_from_one_browser_at_once_compare_five(app, site, monkeypatch):
    community, _ = site
    looked_up = Counter(codes.find_by_code)
    monkeypatch.setattr(codes, "find_by_code", looked_up)
    client, token = entry_page(app, community)
    cookie = client.get_cookie("session").value
    clients = []
    for _ in range(GUESSES):   # one browser: the same session cookie in every thread
        copy = app.test_client()
        copy.set_cookie("session", cookie, domain="localhost")
        clients.append(copy)

    url = f"/r/{community.code}"
    statuses = all_at_once(app, lambda i: clients[i].post(url, data={"code": WRONG, "csrf_token": token}).status_code)
    assert 500 not in statuses
    assert looked_up.calls == entry.BROWSER_FREE_FAILURES
    assert sorted(statuses) == [400] * entry.BROWSER_FREE_FAILURES + [429] * (GUESSES - entry.BROWSER_FREE_FAILURES)


def test_forty_wrong_codes_from_fresh_browsers_on_one_address_compare_the_address_allowance(app, site, monkeypatch):
    community, _ = site
    monkeypatch.setattr(entry, "ADDRESS_FREE_FAILURES", 30)
    looked_up = Counter(codes.find_by_code)
    monkeypatch.setattr(codes, "find_by_code", looked_up)
    browsers = [entry_page(app, community) for _ in range(GUESSES)]

    url = f"/r/{community.code}"
    statuses = all_at_once(app, lambda i: browsers[i][0].post(
        url, data={"code": WRONG, "csrf_token": browsers[i][1]}).status_code)
    assert 500 not in statuses
    assert looked_up.calls == 30
    assert sorted(statuses) == [400] * 30 + [429] * (GUESSES - 30)
    # Each compared guess counted once; the refused ones gave back what they counted.
    assert failures("entry:addr:127.0.0.1") == 30


def test_a_double_tap_counts_two(app, site):
    community, _ = site
    client, token = entry_page(app, community)
    cookie = client.get_cookie("session").value
    clients = [client, app.test_client()]
    clients[1].set_cookie("session", cookie, domain="localhost")
    url = f"/r/{community.code}"
    statuses = all_at_once(app, lambda i: clients[i].post(
        url, data={"code": WRONG, "csrf_token": token}).status_code, n=2)
    assert statuses == [400, 400]
    assert failures("entry:addr:127.0.0.1") == 2
    with client.session_transaction() as session:
        browser = session["entry_browser"]
    assert failures(f"entry:browser:{browser}") == 2


# --- staff passwords ---------------------------------------------------------------------------------------------

def test_forty_wrong_passwords_at_once_compare_five(app, make_user, monkeypatch):
    make_user("organiser", username="zhang")
    db.session.commit()
    checked = Counter(User.check_password)
    monkeypatch.setattr(User, "check_password", lambda user, password: checked(user, password))
    pages = []
    for _ in range(GUESSES):
        client = app.test_client()
        pages.append((client, csrf_token(client.get("/login").text)))

    statuses = all_at_once(app, lambda i: pages[i][0].post(
        "/login", data={"username": "zhang", "password": "wrong-password-1", "csrf_token": pages[i][1]}).status_code)
    assert 500 not in statuses
    assert checked.calls <= 5
    assert statuses.count(429) >= GUESSES - 5


# --- owners' ID tails --------------------------------------------------------------------------------------------

def test_forty_wrong_id_tails_at_once_compare_five(app, make_community, monkeypatch):
    community = make_community("220102002")
    household = community.buildings[0].units[0].households[0]
    household.owner_id_tail_hash = id_tail_hash(community.code, "12345X")
    db.session.commit()
    household_id = household.id
    compared = Counter(ballot_operations.id_tail_matches)
    monkeypatch.setattr(ballot_operations, "id_tail_matches", compared)

    def guess(i):
        try:
            verify_owner(db.session.get(type(household), household_id), f"{i:06d}")
        except VoteError as error:
            db.session.commit()   # as the view does: the refusal is audited
            return "wait" if "seconds" in str(error) or "秒" in str(error) else "wrong"
        except Exception as error:   # noqa: BLE001 — a database error here is what the test looks for
            db.session.rollback()
            return repr(error)
        db.session.commit()
        return "in"

    outcomes = all_at_once(app, guess)
    assert set(outcomes) <= {"wait", "wrong"}, outcomes
    assert compared.calls == 5
    assert outcomes.count("wrong") == 5
    assert failures(f"owner-tail:{household_id}") == 5
    # The right tail is refused too while the wait lasts: no guessing past it.
    with pytest.raises(VoteError):
        verify_owner(db.session.get(type(household), household_id), "12345X")
    assert compared.calls == 5


# --- what a count survives ---------------------------------------------------------------------------------------

def test_a_counted_failure_holds_when_the_request_rolls_back(app, make_community):
    community = make_community("220102003")
    household = community.buildings[0].units[0].households[0]
    household.owner_id_tail_hash = id_tail_hash(community.code, "12345X")
    db.session.commit()
    with app.test_request_context("/"):
        with pytest.raises(VoteError):
            verify_owner(household, "000000")
        db.session.rollback()   # an error page, or a view that forgot to commit its refusal
    assert failures(f"owner-tail:{household.id}") == 1


def test_a_try_refused_on_one_key_is_counted_on_none(app):
    with app.test_request_context("/"):
        for _ in range(5):
            assert throttle.record_failure("login:user:wang") >= 0
        assert throttle.wait_seconds("login:addr:10.0.0.1", free=20) == 0   # claimed: counted now
        assert throttle.wait_seconds("login:user:wang") > 0                 # refused: the other claim goes back
    assert failures("login:addr:10.0.0.1") == 0
    assert failures("login:user:wang") == 5


def test_the_allowance_starts_afresh_after_a_quiet_day(app, monkeypatch):
    with app.test_request_context("/"):
        for _ in range(5):
            throttle.record_failure("entry:browser:b1")
        assert throttle.claim("entry:browser:b1") > 0
        monkeypatch.setattr(throttle, "utcnow", lambda: NOW + throttle.FORGET_AFTER + throttle.FORGET_AFTER)
        assert throttle.claim("entry:browser:b1") == 0
    assert failures("entry:browser:b1") == 1
