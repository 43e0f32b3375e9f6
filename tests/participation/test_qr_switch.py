"""QR entry (issue 12.17): the slip's link signs a visitor in without a word, but a browser that already shows
another household asks before switching, and switches only on the visitor's word."""
import pytest

from participation.extensions import db
from participation.roster.codes import issue_code
from tests.conftest import csrf_token


@pytest.fixture
def site(make_community):
    community = make_community("220102001")
    first, second = community.buildings[0].units[0].households[0], community.buildings[1].units[1].households[3]
    codes = issue_code(None, first), issue_code(None, second)
    db.session.commit()
    return community, (first, second), codes


def enter(client, community, code):
    page = client.get(f"/r/{community.code}")
    return client.post(f"/r/{community.code}", data={"code": code, "csrf_token": csrf_token(page.text)})


def household_in(client):
    with client.session_transaction() as session:
        return session.get("household_id")


def test_a_slip_of_another_household_asks_first_and_switches_only_on_the_word(client, site):
    community, (first, second), (first_code, second_code) = site
    assert enter(client, community, first_code).headers["Location"].endswith("/home")
    with client.session_transaction() as session:
        session["lang"] = "en"
    response = enter(client, community, second_code)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home/switch")
    assert household_in(client) == first.id   # nothing switched yet
    question = client.get("/home/switch")
    assert question.status_code == 200
    assert f"You are in {first.address}. Switch to another household?" in question.text
    assert 'name="switch"' in question.text and 'name="stay"' in question.text
    assert question.headers["Cache-Control"] == "no-store"
    # Without the form's token nothing happens.
    assert client.post("/home/switch", data={"switch": "1"}).status_code == 400
    assert household_in(client) == first.id
    answer = client.post("/home/switch", data={"switch": "1", "csrf_token": csrf_token(question.text)})
    assert answer.headers["Location"].endswith("/home")
    assert household_in(client) == second.id
    with client.session_transaction() as session:
        assert "switch_to" not in session and session["lang"] == "en"


def test_staying_keeps_the_household_and_forgets_the_other(client, site):
    community, (first, _), (first_code, second_code) = site
    enter(client, community, first_code)
    enter(client, community, second_code)
    question = client.get("/home/switch")
    answer = client.post("/home/switch", data={"stay": "1", "csrf_token": csrf_token(question.text)})
    assert answer.headers["Location"].endswith("/home")
    assert household_in(client) == first.id
    assert client.get("/home/switch").headers["Location"].endswith("/home")   # nothing left to ask


def test_the_same_household_just_continues(client, site):
    community, (first, _), (first_code, _) = site
    enter(client, community, first_code)
    response = enter(client, community, first_code)
    assert response.headers["Location"].endswith("/home")
    assert household_in(client) == first.id


def test_a_code_regenerated_while_asking_is_no_longer_a_way_in(client, site):
    community, (first, second), (first_code, second_code) = site
    enter(client, community, first_code)
    enter(client, community, second_code)
    issue_code(None, second)   # the slip was replaced meanwhile
    db.session.commit()
    question = client.get("/home/switch")
    assert question.headers["Location"].endswith("/home")
    assert household_in(client) == first.id


def test_a_browser_in_no_household_goes_straight_in(client, site):
    community, (first, _), (first_code, _) = site
    assert enter(client, community, first_code).headers["Location"].endswith("/home")
    assert household_in(client) == first.id
    assert client.get("/home/switch").headers["Location"].endswith("/home")
