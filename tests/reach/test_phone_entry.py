"""Entry by phone and SMS code (issue 16, point 6): hashed, five minutes, single use, five wrong tries, throttled per
phone and per address, and the same answer whether or not the number is on the roster."""
import re
import threading
from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import select, update

from participation.entry import phone_codes
from participation.extensions import db
from participation.models import Delivery, EntryCode, Household, HouseholdActivity, Notification, Throttle
from participation.models.types import utcnow
from participation.roster.codes import issue_code, live_code
from tests.conftest import csrf_token

NOT_ON_ROSTER = "139 9999 0000"
WRONG_CODE = "The code is wrong or has expired. Please ask for a new one."
LATER = "Please try again later."
SENT = "If this number is registered in this community, a code has been sent to it. It is valid for 5 minutes."


@pytest.fixture
def community(make_community):
    """C001: 2 buildings × 2 单元 × 3 floors × 2 homes, each with its own mobile and a live slip code."""
    community = make_community("C001")
    for household in _households(community):
        issue_code(None, household)
    db.session.commit()
    return community


def _households(community) -> list[Household]:
    return [h for b in community.buildings for u in b.units for h in u.households]


def _said(app, message: str) -> str:
    """``message`` as the pages say it by default (Chinese once the catalogue has it)."""
    with app.test_request_context():
        return gettext(message)


def ask(client, community, phone, address="127.0.0.1"):
    page = client.get(f"/r/{community.code}/phone", environ_base={"REMOTE_ADDR": address})
    return client.post(f"/r/{community.code}/phone", data={"phone": phone, "csrf_token": csrf_token(page.text)},
                       environ_base={"REMOTE_ADDR": address})


def give(client, community, code, address="127.0.0.1"):
    page = client.get(f"/r/{community.code}/phone/code", environ_base={"REMOTE_ADDR": address})
    return client.post(f"/r/{community.code}/phone/code", data={"code": code, "csrf_token": csrf_token(page.text)},
                       environ_base={"REMOTE_ADDR": address})


def sent_code(household) -> str:
    """The code of the newest entry-code message to ``household``, as the SMS carries it."""
    message = db.session.scalars(select(Notification).where(Notification.household_id == household.id,
                                                            Notification.kind == "entry.code")
                                 .order_by(Notification.id.desc())).first()
    return message.params["code"]


def code_rows() -> list[EntryCode]:
    db.session.expire_all()
    return db.session.scalars(select(EntryCode).order_by(EntryCode.id)).all()


# --- sending ---------------------------------------------------------------------------------------------------

def test_a_roster_phone_gets_one_hashed_code_and_one_sms(client, community):
    household = _households(community)[0]
    response = ask(client, community, household.phone[:3] + "-" + household.phone[3:7] + " " + household.phone[7:])
    assert response.status_code == 302 and response.location.endswith(f"/r/{community.code}/phone/code")
    [row] = code_rows()
    message = db.session.scalars(select(Notification)).one()
    code = message.params["code"]
    assert re.fullmatch(r"[0-9]{6}", code)
    assert message.kind == "entry.code" and message.household_id == household.id
    assert code not in message.text                                # the in-app copy never shows it
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.channel == "sms" and delivery.notification_id == message.id
    # Only hashes are stored: neither the code nor the phone appears in any column of the row.
    stored = " ".join(str(getattr(row, column.key)) for column in EntryCode.__table__.columns)
    assert code not in stored and household.phone not in stored and household.phone[-8:] not in stored
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert row.used_at is None and row.failures == 0


def test_the_answer_is_the_same_whether_or_not_the_number_is_on_the_roster(app, community):
    """Two visitors from two addresses (so the rate-limit headers count alike): the same status, redirect,
    headers and pages but for the CSRF tokens and the masked number each typed; only the roster number gets mail."""
    roster, other = app.test_client(), app.test_client()
    roster_phone = _households(community)[0].phone
    answers = [ask(roster, community, roster_phone, "10.0.0.1"), ask(other, community, NOT_ON_ROSTER, "10.0.0.2")]
    pages = [roster.get(answers[0].location, environ_base={"REMOTE_ADDR": "10.0.0.1"}),
             other.get(answers[1].location, environ_base={"REMOTE_ADDR": "10.0.0.2"})]
    for first, second in (answers, pages):
        assert first.status_code == second.status_code
        assert first.location == second.location
        assert _headers(first) == _headers(second)
    assert answers[0].text == answers[1].text
    assert _body(pages[0].text, roster_phone) == _body(pages[1].text, NOT_ON_ROSTER)
    assert _said(app, SENT) in pages[0].text
    assert db.session.scalar(select(db.func.count(Notification.id))) == 1
    assert len(code_rows()) == 1
    # The session holds the same shape either way (a hash of the number, its masked digits, the community).
    assert _session_shape(roster) == _session_shape(other)


def _session_shape(client) -> dict:
    with client.session_transaction() as session:
        return {key: ({name: len(str(part)) for name, part in value.items()} if isinstance(value, dict)
                      else len(str(value))) for key, value in session.items()}


# Headers that tell the time (the rate limit's window ends a second later for the second visitor), not the number.
CLOCK_HEADERS = {"Date", "Retry-After", "X-RateLimit-Reset"}


def _headers(response) -> list:
    def shape(name, value):     # the cookie's name and attributes; a request id's length
        if name == "Set-Cookie":
            return value.split("=", 1)[0] + ";" + value.split(";", 1)[1]
        return len(value) if name == "X-Request-ID" else value
    return sorted((name, shape(name, value)) for name, value in response.headers.items()
                  if name not in CLOCK_HEADERS)


def _body(html: str, phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    html = html.replace(f"{digits[:3]}****{digits[-4:]}", "PHONE")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "TOKEN", html)


def test_a_bad_number_is_told_and_writes_nothing(client, community):
    response = ask(client, community, "12345")
    assert response.status_code == 400
    assert "138 1234 5678" in response.text
    assert code_rows() == [] and db.session.scalar(select(db.func.count(Throttle.key))) == 0


def test_csrf_is_required(client, community):
    client.get(f"/r/{community.code}/phone")
    response = client.post(f"/r/{community.code}/phone", data={"phone": _households(community)[0].phone})
    assert response.status_code == 400
    assert code_rows() == []


def test_a_household_without_a_live_code_gets_none_and_the_same_answer(client, community):
    household = _households(community)[0]
    live_code(household).revoked_at = utcnow()
    db.session.commit()
    response = ask(client, community, household.phone)
    assert response.status_code == 302 and response.location.endswith("/phone/code")
    assert code_rows() == []


def test_a_new_code_replaces_the_waiting_one_and_not_within_a_minute(app, community):
    household = _households(community)[0]
    now = utcnow()
    phone_codes.send_code(community, household.phone, remote_addr="10.0.0.1", now=now)
    phone_codes.send_code(community, household.phone, remote_addr="10.0.0.1", now=now + timedelta(seconds=30))
    assert len(code_rows()) == 1                                   # the first is still on its way
    phone_codes.send_code(community, household.phone, remote_addr="10.0.0.1", now=now + timedelta(seconds=61))
    first, second = code_rows()
    assert first.expires_at <= now + timedelta(seconds=61) < second.expires_at   # one live code per phone


# --- checking --------------------------------------------------------------------------------------------------

def test_the_right_code_enters_the_household_once(client, community):
    household = _households(community)[2]
    ask(client, community, household.phone)
    code = sent_code(household)
    response = give(client, community, code[:3] + " " + code[3:])
    assert response.status_code == 302 and response.location.endswith("/home")
    with client.session_transaction() as session:
        assert session["household_id"] == household.id
        assert "phone_entry" not in session
    assert code_rows()[0].used_at is not None
    activity = db.session.scalars(select(HouseholdActivity)).one()
    assert (activity.household_id, activity.action, activity.channel) == (household.id, "entry.sms", "web")
    assert client.get("/home").status_code in (200, 302)


def test_a_used_code_does_not_open_again(app, client, community):
    household = _households(community)[0]
    ask(client, community, household.phone)
    code = sent_code(household)
    assert give(client, community, code).status_code == 302
    other = app.test_client()
    with other.session_transaction() as session:
        session["phone_entry"] = {"community": community.id, "phone": code_rows()[0].phone_hash, "masked": "x"}
    again = give(other, community, code)
    assert again.status_code == 400 and _said(app, WRONG_CODE) in again.text


def test_two_parallel_tries_of_the_right_code_cannot_both_win(app, community):
    """Both read the code live, then both try to use it at the same moment, each in its own transaction: the one
    conditional UPDATE decides, so exactly one wins (on PostgreSQL the second waits for the first's row lock)."""
    household = _households(community)[0]
    phone_codes.send_code(community, household.phone, remote_addr=None)
    db.session.commit()
    code_id = code_rows()[0].id
    start, results = threading.Barrier(2), []

    def attempt():
        with app.app_context():
            assert db.session.get(EntryCode, code_id).used_at is None      # what each try read
            start.wait()
            results.append(phone_codes.consume(code_id, utcnow()))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert code_rows()[0].used_at is not None


def test_an_expired_code_does_not_open(app, client, community):
    household = _households(community)[0]
    ask(client, community, household.phone)
    code = sent_code(household)
    db.session.execute(update(EntryCode).values(created_at=utcnow() - timedelta(minutes=6),
                                                expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = give(client, community, code)
    assert response.status_code == 400 and _said(app, WRONG_CODE) in response.text
    with client.session_transaction() as session:
        assert "household_id" not in session


def test_the_code_lasts_five_minutes(app, community):
    household = _households(community)[0]
    sent_at = utcnow()
    digest = phone_codes.send_code(community, household.phone, remote_addr=None, now=sent_at)
    code = sent_code(household)
    late = phone_codes.check_code(community, digest, code, remote_addr=None, now=sent_at + timedelta(minutes=5))
    assert late.households == ()
    in_time = phone_codes.check_code(community, digest, code, remote_addr=None,
                                     now=sent_at + timedelta(minutes=4, seconds=59))
    assert in_time.households == (household,)


def test_five_wrong_codes_kill_the_code(app, client, community):
    household = _households(community)[0]
    ask(client, community, household.phone)
    code = sent_code(household)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [give(client, community, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [400] * 5
    assert all(_said(app, WRONG_CODE) in a.text for a in answers)
    assert code_rows()[0].failures == 5
    dead = give(client, community, code)                          # now even the right one is refused
    assert dead.status_code == 400 and _said(app, WRONG_CODE) in dead.text


def test_a_malformed_code_is_told_and_counts_nothing(app, client, community):
    household = _households(community)[0]
    ask(client, community, household.phone)
    response = give(client, community, "12a")
    assert response.status_code == 400 and code_rows()[0].failures == 0


def test_the_code_page_without_a_number_asks_for_one(client, community):
    response = client.get(f"/r/{community.code}/phone/code")
    assert response.status_code == 302 and response.location.endswith(f"/r/{community.code}/phone")


# --- several households on one phone ---------------------------------------------------------------------------

def test_households_sharing_the_phone_choose_after_the_code(app, client, community, make_community):
    first, second, third = _households(community)[1], _households(community)[5], _households(community)[0]
    elsewhere = _households(make_community("C002"))[0]
    issue_code(None, elsewhere)
    for household in (first, second, elsewhere):
        household.phone = "186 0000 1234"
    db.session.commit()
    ask(client, community, "18600001234")
    assert db.session.scalars(select(Notification)).one().household_id == first.id    # one SMS, the first home
    answer = give(client, community, sent_code(first))
    assert answer.status_code == 302 and answer.location.endswith(f"/r/{community.code}/phone/choose")
    page = client.get(answer.location)
    assert first.address in page.text and second.address in page.text
    assert third.address not in page.text                         # not sharing the phone
    token = csrf_token(page.text)
    refused = client.post(answer.location, data={"household": str(elsewhere.id), "csrf_token": token})
    assert refused.status_code == 400                             # another community's home is no choice
    chosen = client.post(answer.location, data={"household": str(second.id), "csrf_token": token})
    assert chosen.status_code == 302 and chosen.location.endswith("/home")
    with client.session_transaction() as session:
        assert session["household_id"] == second.id
    assert client.get(answer.location).status_code == 302         # the choice is made once


# --- throttles -------------------------------------------------------------------------------------------------

def test_sending_is_throttled_per_phone_with_the_same_answer(app, client, community):
    household = _households(community)[0]
    start = utcnow()
    for n in range(phone_codes.SEND_PHONE_FREE):                  # hours apart for the per-hour rule, other addresses
        phone_codes.send_code(community, household.phone, remote_addr=f"10.0.1.{n}", now=start + timedelta(hours=n))
    db.session.commit()
    assert len(code_rows()) == phone_codes.SEND_PHONE_FREE
    # The last free send started a wait on the phone's key (made long here, so a slow machine keeps it): the next
    # one is answered alike and sends nothing.
    key = phone_codes.send_keys(phone_codes.phone_hash(household.phone), None)["phone"]
    waiting = db.session.get(Throttle, key)
    assert waiting.blocked_until is not None
    waiting.blocked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    later = start + timedelta(hours=phone_codes.SEND_PHONE_FREE)
    phone_codes.send_code(community, household.phone, remote_addr="10.0.2.1", now=later)
    db.session.commit()
    assert len(code_rows()) == phone_codes.SEND_PHONE_FREE
    response = ask(client, community, household.phone, "10.0.2.2")
    assert response.status_code == 302 and response.location.endswith("/phone/code")
    assert len(code_rows()) == phone_codes.SEND_PHONE_FREE


def test_sending_is_throttled_per_address(client, community):
    households = _households(community)
    for household in households[:phone_codes.SEND_ADDRESS_FREE]:
        assert ask(client, community, household.phone).status_code == 302
    assert len(code_rows()) == phone_codes.SEND_ADDRESS_FREE
    blocked = ask(client, community, households[phone_codes.SEND_ADDRESS_FREE].phone)
    assert blocked.status_code == 302 and blocked.location.endswith("/phone/code")   # the same answer
    assert len(code_rows()) == phone_codes.SEND_ADDRESS_FREE                        # but no code
    assert ask(client, community, households[-1].phone, "10.9.9.9").status_code == 302
    assert len(code_rows()) == phone_codes.SEND_ADDRESS_FREE + 1                    # another address may


def test_checking_is_throttled_per_phone(app, client, community):
    with client.session_transaction() as session:
        session["phone_entry"] = {"community": community.id, "masked": "x",
                                  "phone": phone_codes.phone_hash("13912345678")}
    answers = [give(client, community, "000000", f"10.0.3.{n}") for n in range(phone_codes.CHECK_PHONE_FREE + 1)]
    assert [a.status_code for a in answers] == [400] * phone_codes.CHECK_PHONE_FREE + [429]
    assert _said(app, LATER) in answers[-1].text


def test_checking_is_throttled_per_address_and_a_right_code_still_enters_elsewhere(app, client, community):
    free = phone_codes.CHECK_ADDRESS_FREE
    answers = []
    for n in range(free + 1):            # a different number every few tries, so no phone's own key stops it
        with client.session_transaction() as session:
            session["phone_entry"] = {"community": community.id, "masked": "x",
                                      "phone": phone_codes.phone_hash(f"1391234{n // 5:04d}")}
        answers.append(give(client, community, "000000", "10.0.4.1"))
    assert [a.status_code for a in answers] == [400] * free + [429]
    assert _said(app, LATER) in answers[-1].text
    household = _households(community)[0]
    other = app.test_client()
    ask(other, community, household.phone, "10.0.4.2")
    assert give(other, community, sent_code(household), "10.0.4.2").location.endswith("/home")
