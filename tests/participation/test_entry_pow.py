"""A shared address (issue 12.16): wrong codes from one address never lock out a resident behind it. Past the
address's free failures each try carries a pass — a proof of work, or a form waited for — and the right code with
a pass always gets in; each pass is accepted once."""
import hashlib
import re
from datetime import timedelta

import pytest

from participation.entry import challenge as entry_challenge, operations as entry
from participation.extensions import db
from participation.models import Throttle
from participation.models.types import utcnow
from participation.roster import codes
from participation.roster.codes import issue_code
from tests.conftest import csrf_token

WRONG = "K7M-4PX-2QH"


@pytest.fixture
def site(make_community):
    community = make_community("220102001")
    households = [h for b in community.buildings for u in b.units for h in u.households]
    slips = [issue_code(None, household) for household in households[:3]]
    db.session.commit()
    return community, slips


def busy_address(failures=entry.ADDRESS_FREE_FAILURES, address="127.0.0.1"):
    """An address from which ``failures`` wrong codes were tried today (by browsers long gone)."""
    db.session.add(Throttle(key=f"entry:addr:{address}", failures=failures, updated_at=utcnow()))
    db.session.commit()


def page(client, community):
    response = client.get(f"/r/{community.code}")
    html = response.text
    nonce = re.search(r'data-nonce="([0-9a-f]+)"', html)
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]*)"', html)
    difficulty = re.search(r'data-difficulty="(\d+)"', html)
    return {"csrf_token": csrf_token(html), "nonce": nonce and nonce.group(1),
            "challenge": challenge and challenge.group(1), "difficulty": difficulty and int(difficulty.group(1)),
            "html": html}


def solve(nonce: str, difficulty: int) -> str:
    counter = 0
    while int.from_bytes(hashlib.sha256(f"{nonce}{counter}".encode()).digest(), "big") >> (256 - difficulty):
        counter += 1
    return str(counter)


def post(client, community, code, form, proof=""):
    return client.post(f"/r/{community.code}", data={"code": code, "csrf_token": form["csrf_token"],
                                                     "challenge": form["challenge"] or "", "proof": proof})


def test_a_quiet_address_sees_no_check(client, site):
    community, slips = site
    form = page(client, community)
    assert form["nonce"] is None and 'id="entry-check"' not in form["html"]
    assert post(client, community, slips[0], form).status_code == 302


def test_past_the_free_failures_a_try_without_a_pass_is_not_looked_at(app, site, monkeypatch):
    community, slips = site
    busy_address()
    looked_up = []
    monkeypatch.setattr(codes, "find_by_code", lambda *a: looked_up.append(a))
    client = app.test_client()
    form = page(client, community)
    assert form["nonce"] and form["challenge"] and form["difficulty"] == entry_challenge.DIFFICULTY
    assert 'id="entry-check"' in form["html"]
    response = post(client, community, slips[0], form)
    assert response.status_code == 429 and looked_up == []
    assert 'data-resend="1"' in response.text   # the script solves the new check and sends the code again
    assert db.session.get(Throttle, "entry:addr:127.0.0.1").failures == entry.ADDRESS_FREE_FAILURES


def test_the_right_code_with_a_solved_check_gets_in_however_busy_the_address(app, site):
    community, slips = site
    busy_address(5000)
    client = app.test_client()
    form = page(client, community)
    response = post(client, community, slips[0], form, solve(form["nonce"], form["difficulty"]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    # A wrong code with a pass is looked at and counted; the address is never made to wait for it.
    other = app.test_client()
    form = page(other, community)
    assert post(other, community, WRONG, form, solve(form["nonce"], form["difficulty"])).status_code == 400
    row = db.session.get(Throttle, "entry:addr:127.0.0.1")
    db.session.refresh(row)
    assert row.failures == 5001 and row.blocked_until is None
    form = page(app.test_client(), community)
    assert form["nonce"] and entry_challenge.read(form["challenge"]).wait == entry_challenge.WAIT_SECONDS


def test_each_check_is_accepted_once(app, site):
    community, slips = site
    busy_address()
    client = app.test_client()
    form = page(client, community)
    proof = solve(form["nonce"], form["difficulty"])
    assert post(client, community, WRONG, form, proof).status_code == 400
    again = post(client, community, slips[0], form, proof)
    assert again.status_code == 429
    with client.session_transaction() as session:
        assert "household_id" not in session


def test_after_a_wrong_code_the_page_brings_a_new_check(app, site):
    community, slips = site
    busy_address()
    client = app.test_client()
    form = page(client, community)
    wrong = post(client, community, WRONG, form, solve(form["nonce"], form["difficulty"]))
    assert wrong.status_code == 400
    again = dict(form, nonce=re.search(r'data-nonce="([0-9a-f]+)"', wrong.text).group(1),
                 challenge=page_challenge(wrong.text))
    assert again["challenge"] != form["challenge"] and 'data-resend' not in wrong.text
    assert post(client, community, slips[0], again, solve(again["nonce"], again["difficulty"])).status_code == 302


def test_a_wrong_or_forged_proof_is_no_pass(app, site):
    community, slips = site
    busy_address()
    client = app.test_client()
    form = page(client, community)
    proof = solve(form["nonce"], form["difficulty"])
    challenge = entry_challenge.read(form["challenge"])
    unsolved = next(str(n) for n in range(int(proof) + 1, 10**9) if not entry_challenge.solves(challenge, str(n)))
    assert post(client, community, slips[0], form, unsolved).status_code == 429
    forged = dict(form, challenge=form["challenge"][:-2] + "AA")
    assert post(client, community, slips[0], forged, proof).status_code == 429
    easy = dict(form, challenge=entry_challenge._serializer().dumps({"n": "0", "d": 0}).replace("a", "b", 1))
    assert post(client, community, slips[0], easy, "0").status_code == 429


def test_without_javascript_the_form_is_accepted_after_the_wait(app, site, monkeypatch):
    community, slips = site
    busy_address()
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    form = page(client, community)
    assert f"Please wait {entry_challenge.WAIT_SECONDS} seconds and try again." in form["html"]
    early = post(client, community, slips[0], form)
    assert early.status_code == 429
    # The same check comes back, its wait counting on from where it was.
    assert page_challenge(early.text) == form["challenge"]
    later = utcnow() + timedelta(seconds=entry_challenge.WAIT_SECONDS + 1)
    monkeypatch.setattr(entry_challenge, "utcnow", lambda: later)
    response = post(client, community, slips[0], form)
    assert response.status_code == 302
    # Waited once, accepted once.
    other = app.test_client()
    other_form = dict(page(other, community), challenge=form["challenge"])
    assert post(other, community, slips[1], other_form).status_code == 429


def page_challenge(html):
    return re.search(r'name="challenge" type="hidden" value="([^"]*)"', html).group(1)


def test_a_check_expires(app, site, monkeypatch):
    community, slips = site
    busy_address()
    client = app.test_client()
    form = page(client, community)
    proof = solve(form["nonce"], form["difficulty"])
    later = utcnow() + entry_challenge.LIFETIME + timedelta(seconds=5)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later.timestamp())
    assert post(client, community, slips[0], form, proof).status_code == 429


def test_a_browser_still_waits_after_its_own_five_failures_pass_or_not(app, site):
    community, slips = site
    busy_address()
    client = app.test_client()
    for _ in range(entry.BROWSER_FREE_FAILURES):
        form = page(client, community)
        assert post(client, community, WRONG, form, solve(form["nonce"], form["difficulty"])).status_code == 400
    form = page(client, community)
    response = post(client, community, slips[0], form, solve(form["nonce"], form["difficulty"]))
    assert response.status_code == 429
    with client.session_transaction() as session:
        assert "household_id" not in session
