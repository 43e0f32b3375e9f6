"""Printable code slips per unit, per-household regeneration and the building poster: who may, what is printed,
and what the QR code really says (decoded from the served SVG)."""
import re

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, HouseholdCode
from participation.roster.codes import ALPHABET, issue_code
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter

SLIP_CODE = re.compile(r'<p class="code">([%s]{3}-[%s]{3}-[%s]{3})</p>' % ((ALPHABET,) * 3))


@pytest.fixture
def site(make_community):
    community, other = make_community("220102001"), make_community("220103009")
    db.session.commit()
    return community, other


def unit_url(community, building=0, unit=0) -> str:
    return f"/slips/{community.code}/units/{community.buildings[building].units[unit].id}"


def issue(client, url, **fields):
    token = csrf_token(client.get(url).text)
    return client.post(url, data={"csrf_token": token, "mode": "missing", **fields})


def live_codes() -> int:
    return db.session.query(HouseholdCode).filter(HouseholdCode.revoked_at.is_(None)).count()


def qr_payloads(html: str) -> list[str]:
    """Decode every inline QR code of a page: SVG path → module grid → image → zxing-cpp (else compare the grid)."""
    decoded = []
    for svg in re.findall(r'<svg class="qr".*?</svg>', html, flags=re.S):
        size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
        modules = set()
        for x1, y1, x2, y2 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg):
            modules |= {(x, y) for x in range(int(x1), int(x2)) for y in range(int(y1), int(y2))}
        scale, pad = 6, 24
        image = Image.new("L", (size * scale + 2 * pad,) * 2, 255)
        draw = ImageDraw.Draw(image)
        for x, y in modules:
            draw.rectangle([pad + x * scale, pad + y * scale, pad + (x + 1) * scale - 1, pad + (y + 1) * scale - 1],
                           fill=0)
        decoded.append((image, modules, size))
    try:
        import zxingcpp
    except ImportError:   # no decoder installed: the caller compares module grids instead
        return decoded
    return [zxingcpp.read_barcodes(image)[0].text for image, _, _ in decoded]


def assert_qr_says(html: str, expected: list[str]) -> None:
    payloads = qr_payloads(html)
    if payloads and not isinstance(payloads[0], str):   # fallback without a decoder: same grid as a fresh encoding
        import qrcode
        for (_, modules, size), text in zip(payloads, expected, strict=True):
            qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
            qr.add_data(text)
            qr.make(fit=True)
            grid = {(x, y) for y, row in enumerate(qr.get_matrix()) for x, dark in enumerate(row) if dark}
            assert (modules, size) == (grid, len(qr.get_matrix())), text
        return
    assert payloads == expected


# --- who may -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner_rep", "hotline", "agency"])
def test_roles_that_never_print_slips_get_403(client, login_as, site, role):
    community, _ = site
    login_as(role, community)
    building = community.buildings[0]
    for url in ("/slips/", f"/slips/{community.code}", unit_url(community),
                f"/slips/{community.code}/buildings/{building.id}/poster",
                f"/slips/{community.code}/households/{building.units[0].households[0].id}/regenerate"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/staff").text)
    assert client.post(unit_url(community), data={"csrf_token": token}).status_code == 403
    assert live_codes() == 0


def test_anonymous_visitors_are_sent_to_the_login(client, site):
    response = client.get(unit_url(site[0]))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_community_outside_the_organisers_scope_is_404(client, login_as, site):
    community, other = site
    login_as("organiser", community)
    assert client.get(f"/slips/{other.code}").status_code == 404
    assert client.get(unit_url(other)).status_code == 404
    assert client.get(f"/slips/{other.code}/buildings/{other.buildings[0].id}/poster").status_code == 404
    # A unit of another community under this community's code is 404 too.
    assert client.get(f"/slips/{community.code}/units/{other.buildings[0].units[0].id}").status_code == 404
    assert client.get("/slips/NO-SUCH").status_code == 404
    assert other.name not in client.get("/slips/").text


def test_a_grid_worker_prints_posters_of_their_buildings_but_issues_no_codes(client, login_as, site):
    community, _ = site
    login_as("grid", community)
    page = client.get(f"/slips/{community.code}").text
    assert "1号楼" in page and "2号楼" not in page
    assert "/units/" not in page
    assert client.get(f"/slips/{community.code}/buildings/{community.buildings[0].id}/poster").status_code == 200
    assert client.get(f"/slips/{community.code}/buildings/{community.buildings[1].id}/poster").status_code == 404
    assert client.get(unit_url(community)).status_code == 403
    assert issue(client, f"/slips/{community.code}").status_code == 405


# --- issuing and printing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_issue_and_print_the_slips_of_a_unit(client, login_as, site, role):
    community, _ = site
    unit = community.buildings[0].units[1]
    user = login_as(role, community)
    response = issue(client, unit_url(community, 0, 1))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.text
    printed = SLIP_CODE.findall(html)
    assert len(printed) == len(unit.households) == 6
    assert html.count('<article class="slip">') == 6 and 'class="slips"' in html
    assert community.name in html and "1号楼2单元101室" in html and "1号楼2单元302室" in html
    assert f"http://localhost/r/{community.code}" in html                      # written out for typing
    assert "0431-85550000" in html and "139 0000 1111" in html                # the complaint numbers
    assert "请保管好这张纸条" in html
    assert "<script>" not in html and "style=" not in html
    # Every QR code opens /r/<community>#<that slip's code>, and that code really opens that household.
    assert_qr_says(html, [f"http://localhost/r/{community.code}#{code.replace('-', '')}" for code in printed])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "household_code.issue")).all()
    assert len(events) == 6 and {e.actor_id for e in events} == {user.id}
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    resident = enter(client, community.code, printed[-1])
    assert resident.status_code == 302
    accept_notice(client)
    assert "1号楼2单元302室" in client.get("/home").text


def test_printing_again_skips_households_that_have_a_code(client, login_as, site):
    community, _ = site
    unit = community.buildings[0].units[0]
    issue_code(None, unit.households[0])
    db.session.commit()
    login_as("organiser", community)
    html = issue(client, unit_url(community)).text
    assert len(SLIP_CODE.findall(html)) == 5
    again = issue(client, unit_url(community)).text
    assert SLIP_CODE.findall(again) == [] and "已经有户码" in again
    assert live_codes() == 6


def test_reissuing_every_code_needs_a_confirmation(client, login_as, site):
    community, _ = site
    unit = community.buildings[0].units[0]
    old = [issue_code(None, household) for household in unit.households]
    db.session.commit()
    login_as("organiser", community)
    confirm = issue(client, unit_url(community), mode="all")
    assert confirm.status_code == 200
    assert "以前发的纸条全部作废" in confirm.text and 'name="confirmed" value="yes"' in confirm.text
    assert live_codes() == 6 and db.session.query(HouseholdCode).count() == 6   # nothing changed yet
    printed = client.post(unit_url(community), data={"csrf_token": csrf_token(confirm.text), "mode": "all",
                                                      "confirmed": "yes"})
    new = SLIP_CODE.findall(printed.text)
    assert len(new) == 6 and not {code.replace("-", "") for code in new} & set(old)
    assert live_codes() == 6 and db.session.query(HouseholdCode).count() == 12
    assert enter(client, community.code, old[0]).status_code == 400


def test_issuing_needs_the_csrf_token(client, login_as, site):
    community, _ = site
    login_as("organiser", community)
    response = client.post(unit_url(community), data={"mode": "missing"})
    assert response.status_code == 400
    assert live_codes() == 0


def test_the_unit_page_lists_households_and_whether_they_have_a_code(client, login_as, site):
    community, _ = site
    unit = community.buildings[0].units[0]
    issue_code(None, unit.households[0])
    db.session.commit()
    login_as("organiser", community)
    html = client.get(unit_url(community)).text
    assert html.count('<span class="badge warn">还没有户码</span>') == 5 and "已发" in html
    assert html.count("/regenerate") == 6


# --- regenerating one household's code -------------------------------------------------------------------------

def test_regenerate_shows_the_new_code_once_and_signs_out_the_old_sessions(client, app, login_as, site):
    community, _ = site
    household = community.buildings[0].units[0].households[2]
    old = issue_code(None, household)
    db.session.commit()
    resident = app.test_client()
    enter(resident, community.code, old)
    accept_notice(resident)
    assert resident.get("/home").status_code == 200

    organiser = login_as("organiser", community)
    url = f"/slips/{community.code}/households/{household.id}/regenerate"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "旧户码会马上作废" in confirm.text
    assert live_codes() == 1 and db.session.query(HouseholdCode).count() == 1
    response = client.post(url, data={"csrf_token": csrf_token(confirm.text)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (new,) = SLIP_CODE.findall(response.text)
    assert_qr_says(response.text, [f"http://localhost/r/{community.code}#{new.replace('-', '')}"])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_code.regenerate"))
    assert event.actor_id == organiser.id and event.object_id == str(household.id)

    assert resident.get("/home").status_code == 302          # the old session ended
    assert enter(resident, community.code, old).status_code == 400
    assert enter(resident, community.code, new).status_code == 302
    assert client.post(url, data={}).status_code == 400       # CSRF needed


def test_regenerating_a_household_of_another_community_is_404(client, login_as, site):
    community, other = site
    login_as("organiser", community)
    foreign = other.buildings[0].units[0].households[0]
    assert client.get(f"/slips/{community.code}/households/{foreign.id}/regenerate").status_code == 404
    assert client.get(f"/slips/{other.code}/households/{foreign.id}/regenerate").status_code == 404
    assert client.get(f"/slips/{community.code}/households/999999/regenerate").status_code == 404


# --- the building poster --------------------------------------------------------------------------------------

def test_the_poster_has_the_url_its_qr_and_the_complaint_numbers_but_no_code(client, login_as, site):
    community, _ = site
    issue_code(None, community.buildings[1].units[0].households[0])
    db.session.commit()
    login_as("organiser", community)
    html = client.get(f"/slips/{community.code}/buildings/{community.buildings[1].id}/poster").text
    assert "2号楼" in html and community.name in html
    url = f"http://localhost/r/{community.code}"
    assert url in html
    assert_qr_says(html, [url])
    for number in ("tel:043188881234", "tel:13900001111", "tel:043185550000"):
        assert f'href="{number}"' in html
    assert not SLIP_CODE.search(html) and "#" not in html.split(url, 1)[1][:1]
