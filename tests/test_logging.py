"""Logs that reach the operator (participation/logs.py): what the configured handler really writes to stderr — one
JSON object per line with the request's id and who acted — for a failed staff login, a wrong household code, a
refused ballot and an export; the request id header; LOG_LEVEL; the masking of phone numbers."""
import json
import logging
import re
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import select

from app import create_app
from participation import logs
from participation.extensions import db
from participation.models import Household
from participation.roster.codes import issue_code
from participation.roster.files import RosterImportError
from participation.roster.imports import id_tail_hash, import_roster
from participation.votes.operations import create_vote
from tests.conftest import PASSWORD, AuthActions, IsolatedClient, csrf_token
from tests.participation.test_entry_views import accept_notice, enter
from tests.participation.test_roster_import import csv_bytes, roster_rows

PHONE = "13812345678"
TYPED_PASSWORD = "not-the-Passw0rd-41"


@pytest.fixture
def logging_app(app):
    """Factory: a second app on the suite's database, made by ``create_app`` with these settings (JSON lines, as
    under gunicorn, unless told otherwise); the suite's own logging is put back afterwards."""
    made = []

    def make(**settings):
        new = create_app({**app.config, "LOG_FORMAT": "json", **settings})
        new.test_client_class = IsolatedClient
        made.append(new)
        return new

    yield make
    logs.configure(logs.log_level(app.config), logs.log_format(app.config))
    for new in made:
        with new.app_context():
            db.engine.dispose()


def json_lines(capfd) -> tuple[list[dict], str]:
    """The JSON objects written to stderr (fd 2) since the last read, and everything written there."""
    err = capfd.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")], err


def only(lines: list[dict], **fields) -> dict:
    found = [line for line in lines if all(line.get(name) == value for name, value in fields.items())]
    assert len(found) == 1, (fields, lines)
    return found[0]


def failed_login(client, username: str, password: str = TYPED_PASSWORD):
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


# --- what a failed login writes -------------------------------------------------------------------------------------

def test_a_failed_staff_login_is_one_json_line_on_stderr_without_the_typed_name_or_password(logging_app, capfd):
    client = logging_app().test_client()
    capfd.readouterr()
    response = failed_login(client, PHONE)
    assert response.status_code == 401
    lines, err = json_lines(capfd)
    line = only(lines, event="login.failed")
    assert line["level"] == "INFO" and line["logger"] == "participation.accounts.sign_in"
    assert line["message"] == "failed staff login: unknown_account"
    assert line["reason"] == "unknown_account" and line["account_id"] is None
    assert line["address"] == "127.0.0.0/24" and line["device_cookie"] is False
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert "user_id" not in line and "household_id" not in line
    # Neither the typed username (a phone number here) nor the password, on any line: the audit mirror's included.
    assert PHONE not in err and PHONE[:3] + "****" + PHONE[-4:] not in err and TYPED_PASSWORD not in err
    assert only(lines, logger="participation.audit")["request_id"] == line["request_id"]   # its mirror


def test_a_wrong_password_names_the_account_by_id_and_a_lockout_is_logged(logging_app, capfd, make_user):
    organiser = make_user("organiser", username=PHONE)
    db.session.commit()
    client = logging_app().test_client()
    capfd.readouterr()
    for _attempt in range(6):   # the account's five free failures from this address, then one that must wait
        response = failed_login(client, PHONE)
    assert response.status_code == 429
    lines, err = json_lines(capfd)
    failures = [line for line in lines if line.get("event") == "login.failed"]
    assert len(failures) == 5
    assert {(line["reason"], line["account_id"]) for line in failures} == {("wrong_password", organiser.id)}
    locked = only(lines, event="login.locked")
    assert locked["level"] == "INFO" and locked["throttle"] == "account_address" and locked["wait_seconds"] > 0
    assert PHONE not in err and TYPED_PASSWORD not in err


# --- a resident's wrong code, a refused ballot, an export -----------------------------------------------------------

def test_a_wrong_household_code_is_logged_without_the_code(logging_app, capfd, make_community):
    community = make_community("220102001")
    issue_code(None, community.buildings[0].units[0].households[0])
    db.session.commit()
    client = logging_app().test_client()
    capfd.readouterr()
    response = enter(client, community.code, "K7M-4PX-2QH")
    assert response.status_code != 302
    lines, err = json_lines(capfd)
    line = only(lines, event="entry.refused")
    assert (line["level"], line["reason"], line["community"]) == ("INFO", "wrong_code", "220102001")
    assert line["address"] == "127.0.0.0/24" and line["request_id"] == response.headers["X-Request-ID"]
    assert "K7M4PX2QH" not in err and "K7M-4PX-2QH" not in err


def test_a_refused_ballot_says_why_for_which_vote_and_household(logging_app, capfd, make_community, make_user):
    community = make_community("220102901", buildings=1, units=1, floors=1, per_floor=2)
    household = community.buildings[0].units[0].households[0]
    household.owner_id_tail_hash = id_tail_hash(community.code, "12345X")
    organiser = make_user("organiser", communities=[community])
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=community.buildings[0].units[0],
                       open_now=True)
    code = issue_code(None, household)
    db.session.commit()
    client = logging_app().test_client()
    assert enter(client, community.code, code).status_code == 302
    assert accept_notice(client).status_code == 302
    url = f"/r/{community.code}/votes/{vote.id}"
    capfd.readouterr()
    # confirmed without the owner's check: the cast itself refuses
    response = client.post(f"{url}/ballot", data={"choice": "yes", "confirmed": "1",
                                                  "csrf_token": csrf_token(client.get(url).text)})
    assert response.status_code == 400
    response = client.post(f"{url}/verify", data={"tail": "99999X", "csrf_token": csrf_token(client.get(url).text)})
    assert response.status_code == 400
    lines, err = json_lines(capfd)
    refused = [line for line in lines if line.get("event") == "ballot.refused"]
    assert [line["reason"] for line in refused] == ["owner_not_verified", "wrong_tail"]
    for line in refused:
        assert line["level"] == "INFO" and line["channel"] == "web"
        assert line["household_id"] == household.id and "user_id" not in line
    # the owner's check online holds for every vote of the session, so it names none
    assert (refused[0]["vote_id"], refused[1]["vote_id"]) == (vote.id, None)
    assert refused[1]["request_id"] == response.headers["X-Request-ID"] != refused[0]["request_id"]
    assert "99999X" not in err and "12345X" not in err


def test_an_export_is_logged_with_who_what_and_where(logging_app, capfd, make_community, make_user):
    community = make_community("NG001")
    organiser = make_user("organiser", username="org", communities=[community])
    db.session.commit()
    client = logging_app().test_client()
    assert AuthActions(client).login("org", PASSWORD).status_code == 302
    capfd.readouterr()
    response = client.get("/roster/NG001/export.xlsx")
    assert response.status_code == 200
    lines, err = json_lines(capfd)
    line = only(lines, event="export")
    assert line["level"] == "INFO" and line["endpoint"] == "roster.export" and line["community_code"] == "NG001"
    assert line["file"].endswith(".xlsx") and line["bytes"] == len(response.data)
    assert line["user_id"] == organiser.id and line["request_id"] == response.headers["X-Request-ID"]
    mirror = only(lines, logger="participation.audit")   # the audit row's mirror: ids and counts
    assert mirror["user_id"] == mirror["actor_id"] == organiser.id and mirror["action"] == "roster.export"
    assert mirror["detail_households"] > 0 and "username" not in str(mirror)
    # The export holds the households' phones; the log holds none of them, nor anything shaped like one (outside the
    # random hex of a request id, where eleven digits in a row turn up now and then).
    phones = list(db.session.scalars(select(Household.phone).where(Household.phone.is_not(None))))
    assert phones and not [phone for phone in phones if phone in err]
    assert not re.search(r"(?<![0-9a-f])1[3-9][0-9]{9}(?![0-9a-f])", err)


def test_an_unhandled_error_is_logged_with_its_traceback_and_the_id_the_page_was_sent_with(logging_app, capfd):
    broken = logging_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @broken.get("/boom")
    def boom():
        raise RuntimeError(f"lost the row of {PHONE}")

    capfd.readouterr()
    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    lines, err = json_lines(capfd)
    line = only(lines, level="ERROR")
    assert line["message"] == "unhandled error on GET /boom" and line["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError: lost the row of 138****5678" in line["exception"] and PHONE not in err
    # the page shows it, for the caller to quote, in groups of four
    assert " ".join(line["request_id"][i:i + 4] for i in range(0, 32, 4)) in response.get_data(as_text=True)


# --- the request id, the level, the masking, the configuration ----------------------------------------------------

@pytest.mark.parametrize("offered, kept", [
    ("7f3c9a0e4b2d4e1f8a6b5c4d3e2f1a0b", True), ("nginx-req.0042_ab", True),
    ("short", False), ("x" * 65, False), ("bad id", False), ('a"}{\\n"level":"ERROR', False), ("", False),
])
def test_the_request_id_from_nginx_is_kept_only_when_sane(logging_app, offered, kept):
    client = logging_app().test_client()
    response = client.get("/", headers={"X-Request-ID": offered} if offered else {})
    sent = response.headers["X-Request-ID"]
    assert (sent == offered) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", sent)
    assert client.get("/").headers["X-Request-ID"] != sent


def test_a_request_made_with_an_api_token_names_its_service_account(logging_app, capfd, make_user):
    service = make_user("agency", username="api-client")
    db.session.commit()
    new = logging_app()
    capfd.readouterr()
    with new.test_request_context("/api/v1/requests"):
        new.preprocess_request()
        g.api_user = service   # as token_required sets it
        logging.getLogger("participation.test").info("listed")
    lines, _err = json_lines(capfd)
    assert only(lines, message="listed")["user_id"] == service.id


def test_log_level_warning_keeps_info_lines_out(logging_app, capfd):
    client = logging_app(LOG_LEVEL="WARNING").test_client()
    capfd.readouterr()
    assert failed_login(client, "nobody").status_code == 401
    logging.getLogger("participation.test").warning("disk nearly full")
    lines, _err = json_lines(capfd)
    assert [line["message"] for line in lines] == ["disk nearly full"]
    assert lines[0]["level"] == "WARNING"


def test_phone_and_id_numbers_are_masked_in_messages_fields_and_tracebacks(logging_app, capfd):
    logging_app()
    log = logging.getLogger("participation.test")
    capfd.readouterr()
    log.info("call %s or +86 %s; ref 138123456789; sent to +8613712345678 and 008613612345678", PHONE, "13912345678",
             extra={"contact": "15900001111", "numbers": ["17700002222"], "id_number": "22010219900307123X"})
    try:
        raise ValueError(f"duplicate phone {PHONE}")
    except ValueError:
        log.exception("import failed")
    lines, err = json_lines(capfd)
    assert lines[0]["message"] == ("call 138****5678 or +86 139****5678; ref 138123456789; sent to +86137****5678 and "
                                   "0086136****5678")
    assert lines[0]["contact"] == "159****1111" and lines[0]["numbers"] == ["177****2222"]
    assert lines[0]["id_number"] == "220102************"
    assert "duplicate phone 138****5678" in lines[1]["exception"] and lines[1]["level"] == "ERROR"
    for raw in (PHONE, "13912345678", "15900001111", "17700002222", "19900307123X"):
        assert not re.search(rf"(?<![0-9]){raw}(?![0-9])", err)


def test_text_lines_for_a_terminal_carry_the_same_fields(logging_app, capfd):
    logging_app(LOG_FORMAT="text")
    capfd.readouterr()
    logging.getLogger("participation.test").info("imported %d rows", 3, extra={"event": "import", "phone": PHONE})
    err = capfd.readouterr().err
    assert re.search(r'INFO participation\.test imported 3 rows event="import" phone="138\*\*\*\*5678"$', err.strip())


def test_configuring_again_replaces_its_handler_and_keeps_pytests(logging_app, caplog):
    logging_app()
    logging_app(LOG_LEVEL="DEBUG")
    root = logging.getLogger()
    assert [handler.get_name() for handler in root.handlers].count(logs.HANDLER) == 1
    assert caplog.handler in root.handlers and root.level == logging.DEBUG
    logging.getLogger("participation.test").info("still captured")
    assert "still captured" in caplog.text


def test_a_log_level_nobody_meant_stops_the_start(app):
    with pytest.raises(ValueError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        create_app({**app.config, "LOG_LEVEL": "verbose"})
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, text"):
        create_app({**app.config, "LOG_FORMAT": "xml"})


def test_a_refused_import_is_logged_with_its_count_never_its_rows(logging_app, capfd, reference_data):
    rows = roster_rows(buildings=(1,), units=(1,), floors=1, per_floor=2)
    for row in rows:
        row[6] = "不是面积"                     # the area column: every row refused
    with logging_app().test_request_context():
        capfd.readouterr()
        with pytest.raises(RosterImportError) as refused:
            import_roster(None, csv_bytes(rows), filename="roster.csv")
    lines, err = json_lines(capfd)
    line = only(lines, event="import.refused")
    assert (line["level"], line["kind"], line["problems"]) == ("INFO", "roster", len(refused.value.errors))
    assert line["problems"] >= 2 and "1380000" not in err and "不是面积" not in err
