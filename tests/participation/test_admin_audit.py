"""The audit log for admins: filters, newest first, 50 a page, district scope, CSV export for Excel."""
import base64
import csv
import hashlib
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.models import AuditEvent

START = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
SETUP_EVENTS = 4   # what _login_admin leaves besides the scene: three accounts made, the admin's sign-in


@pytest.fixture
def scene(make_user, make_community):
    ng, cy = make_community("NG1"), make_community("CY1", district="朝阳区")
    organiser = make_user("organiser", username="ng_org", communities=[ng])
    far_organiser = make_user("organiser", username="cy_org", communities=[cy])
    events = [
        record(organiser, "household_code.issue", ng.buildings[0], community=ng, channel="web", room="101室"),
        record(organiser, "household.phone_reveal", ng.buildings[0], community=ng, channel="phone"),
        record(far_organiser, "household_code.issue", cy.buildings[0], community=cy, channel="web"),
        record(organiser, "login", organiser),
        record(far_organiser, "login", far_organiser),
        record(None, "catalogue_item.update", object_type="catalogue_items", object_id=3,
               changes={"name": ["旧名", "=HYPERLINK(\"x\")"]}),
    ]
    for offset, event in enumerate(events):
        event.created_at = START + timedelta(days=offset)
    db.session.commit()
    return {"ng": ng, "cy": cy, "chaoyang": cy.district, "organiser": organiser}


def _login_admin(auth, make_user, **scope):
    """Sign in a new admin. The log cannot be edited, so what setting up wrote stays in it: the three accounts
    made (system events, ``user.create``) and the admin's own sign-in at the real time, the newest event."""
    admin = make_user("admin", username=f"admin{len(scope)}", **scope)
    auth.login(admin.username)
    return admin


def _rows(html: str) -> list[str]:
    return [chunk.split("</tr>")[0] for chunk in html.split('<tr id="event-')[1:]]


def test_city_admin_sees_everything_newest_first(client, auth, make_user, scene):
    admin = _login_admin(auth, make_user)
    html = client.get("/admin/audit").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) == 6 + SETUP_EVENTS
    assert "login" in rows[0] and admin.username in rows[0]
    assert sum("user.create" in row for row in rows) == 3
    scene_rows = rows[SETUP_EVENTS:]
    assert "catalogue_item.update" in scene_rows[0] and "household_code.issue" in scene_rows[-1]
    assert "旧名" in scene_rows[0]  # detail shown readably, Chinese as is
    assert "2026" in scene_rows[0]


@pytest.mark.parametrize("query, expected", [
    ("actor=ng_org", 3),
    ("actor=ORG", 5),
    ("action=household_code.", 2),
    ("action=household_code.issue&community=NG1", 1),
    ("community=CY1", 1),
    ("channel=phone", 1),
    ("date_from=2026-03-02&date_to=2026-03-03", 2),
    ("date_to=2026-03-01", 1),  # the scene's first event
    ("action=%25", 0),  # LIKE wildcards are taken literally
])
def test_filters(client, auth, make_user, scene, query, expected):
    _login_admin(auth, make_user)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert len(_rows(response.get_data(as_text=True))) == expected


def test_a_bad_date_is_shown_and_ignored(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    response = client.get("/admin/audit?date_from=yesterday")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error"' in html and len(_rows(html)) == 6 + SETUP_EVENTS


def test_pages_of_fifty(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    for n in range(60):
        record(scene["organiser"], "test.bulk", object_type="x", object_id=n, community=scene["ng"])
    db.session.commit()
    first = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert len(_rows(first)) == 50 and "第1页，共2页" in first
    assert "page=2" in first and "action=test." in first
    assert len(_rows(client.get("/admin/audit?action=test.&page=2").get_data(as_text=True))) == 10
    assert len(_rows(client.get("/admin/audit?action=test.&page=9").get_data(as_text=True))) == 0


def test_district_admin_sees_their_district_only(client, auth, make_user, scene):
    _login_admin(auth, make_user, district=scene["ng"].district)
    html = client.get("/admin/audit").get_data(as_text=True)
    rows = _rows(html)
    text = "".join(rows)
    # NG1's two events, the NG organiser's sign-in, the admin's own sign-in; nothing of 朝阳区, no city-wide event
    assert len(rows) == 4
    assert "CY1" not in text and "cy_org" not in text and "catalogue_item.update" not in text
    assert _rows(client.get("/admin/audit?community=CY1").get_data(as_text=True)) == []
    body = client.get("/admin/audit.csv").get_data(as_text=True)
    assert "CY1" not in body and "cy_org" not in body


def test_csv_export_has_a_bom_and_the_filtered_rows(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    response = client.get("/admin/audit.csv?actor=ng_org")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["time", "actor", "action"]
    assert [row[2] for row in rows[1:]] == ["login", "household.phone_reveal", "household_code.issue"]
    assert rows[-1][0] == "2026-03-01 10:00:00"  # Beijing time
    assert rows[-1][5] == "NG1" and "101室" in rows[-1][7]


def test_csv_cells_cannot_run_as_formulas(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    record(None, "=cmd|' /C calc'!A0", object_type="x")
    db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").get_data().decode("utf-8-sig"))))
    actions = [row[2] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in actions
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- the archive download -----------------------------------------------------------------------------------------

def test_city_admin_downloads_every_event_of_the_days_for_archiving(client, auth, make_user, scene):
    admin = _login_admin(auth, make_user)
    with client.get("/admin/audit/archive.jsonl?date_from=2026-03-02&date_to=2026-03-03&actor=nobody") as response:
        body = response.get_data()   # the file is streamed from a temporary file, closed with the response
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    events = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    # 2 and 3 March (Beijing), every event of those days: the actor filter is not applied to an archive
    assert [event["action"] for event in events] == ["household.phone_reveal", "household_code.issue"]
    assert [event["community"] for event in events] == ["NG1", "CY1"]
    digest = hashlib.sha256(body).digest()
    assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    download = db.session.scalar(select(AuditEvent).filter_by(action="audit.export"))
    assert (download.actor_id, download.channel) == (admin.id, "web")
    assert download.detail == {"rows": 2, "sha256": digest.hex(), "since": "2026-03-02", "until": "2026-03-04"}


def test_the_audit_page_offers_the_archive_to_city_admins_only(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    assert "/admin/audit/archive.jsonl?date_from=2026-03-02" in \
        client.get("/admin/audit?date_from=2026-03-02").get_data(as_text=True)
    auth.logout()
    _login_admin(auth, make_user, district=scene["ng"].district)
    assert "archive.jsonl" not in client.get("/admin/audit").get_data(as_text=True)
    assert client.get("/admin/audit/archive.jsonl").status_code == 403
    assert db.session.scalar(select(AuditEvent).filter_by(action="audit.export")) is None


def test_an_archive_of_no_days_is_refused_with_a_message(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    response = client.get("/admin/audit/archive.jsonl?date_from=2026-03-05&date_to=2026-03-01")
    assert response.status_code == 302 and "/admin/audit?" in response.headers["Location"]
    assert "2026-03-05" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).filter_by(action="audit.export")) is None


def test_an_archive_of_a_mistyped_day_is_not_guessed(client, auth, make_user, scene):
    _login_admin(auth, make_user)
    response = client.get("/admin/audit/archive.jsonl?date_from=yesterday")
    assert response.status_code == 302 and "date_from=yesterday" in response.headers["Location"]
    assert 'class="error"' in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).filter_by(action="audit.export")) is None
