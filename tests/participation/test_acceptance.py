"""Residents' satisfaction rating within joint acceptance (issue 6 point 5, point 6 for ratings): a failing rating
files a 整改 ticket for the contractor with a deadline, the ticket is handled, the re-rating passes, the record is
signed by organiser, owner representative and supervisor and prints; the pass rule (locality data, a default to be
confirmed) at its exact boundary; a year without the rule (未配置); hidden tallies; one rating per household; refusals
that change nothing; 403 and 404."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from participation.acceptance.operations import (AcceptanceRefused, PassRule, close_round, create_record, decide,
                                                 open_round, pass_rule, rate, sign_record)
from participation.acceptance.queries import visible_results
from participation.complaints.operations import act
from participation.extensions import db
from participation.lifecycle.overrides import GateRefused
from participation.models import AuditEvent, CatalogueItem, LocalityRule, Organisation, Plan, PlanWork, Ticket
from participation.models.acceptance import AcceptanceRating, AcceptanceRecord, RatingResponse
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from tests.conftest import PASSWORD, csrf_token
from tests.participation.test_entry_views import accept_notice, enter

GPS_IFD = 0x8825


@pytest.fixture
def site(make_community, make_user, reference_data):
    """AC001: two buildings of one 单元 and five floors (10 households), its contractor and supervisor; the plan's
    works: B01 finished, B02 in progress. Its staff, and an organiser of another community."""
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="吉林监理", kind="supervisor")
    pipeline = Organisation(name="燃气公司", kind="pipeline")
    db.session.add_all([contractor, supervisor, pipeline])
    community = make_community("AC001", buildings=2, units=1, floors=5, per_floor=1, contractor=contractor,
                               supervisor=supervisor)
    other = make_community("AC002", buildings=1, units=1, floors=1, per_floor=2, contractor=contractor)
    b01, b02 = (db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B01", "B02"))
    for where in (community, other):
        db.session.add(Plan(community=where, works=[
            PlanWork(item=b01, status="finished", started_on=date(2026, 5, 1), finished_on=date(2026, 9, 30)),
            PlanWork(item=b02, status="in_progress", started_on=date(2026, 6, 1))]))
    users = {
        "organiser": make_user("organiser", communities=[community]),
        "owner_rep": make_user("owner_rep", communities=[community]),
        "hotline": make_user("hotline"),
        "contractor": make_user("agency", organisation=contractor),
        "supervisor": make_user("agency", organisation=supervisor),
        "pipeline": make_user("agency", organisation=pipeline, communities=[community]),
        "grid": make_user("grid", buildings=[community.buildings[0]]),
        "other_organiser": make_user("organiser", communities=[other]),
    }
    households = [h for b in community.buildings for u in b.units for h in u.households]
    db.session.commit()
    return community, other, b01, b02, users, households


def staff(app, user):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    return client


def resident(app, community, household):
    client = app.test_client()
    code = issue_code(None, household)
    db.session.commit()
    assert enter(client, community.code, code).status_code == 302
    assert accept_notice(client).status_code == 302
    return client


def token(client, community) -> str:
    return csrf_token(client.get(f"/c/{community.code}/acceptance").text)


def subject(item) -> str:
    return f"item:{item.id}"


def opened(site, *, hide_tallies=True, buildings=None, now=None) -> AcceptanceRating:
    community, _other, b01, *_rest = site
    now = now or utcnow()
    round_ = open_round(site[4]["organiser"], community, subject(b01), closes_at=now + timedelta(days=7),
                        hide_tallies=hide_tallies, buildings=buildings, now=now)
    db.session.commit()
    return round_


def ratings(round_, households, choices: str) -> None:
    """One rating per household in order: s(atisfied), b(asically), d(issatisfied)."""
    words = {"s": "satisfied", "b": "basically_satisfied", "d": "dissatisfied"}
    for household, choice in zip(households, choices):
        rate(household, round_, words[choice])
    db.session.commit()


def audit(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (400, 300), (10, 120, 40))
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD)[2] = (43.0, 52.0, 59.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


# --- the whole story --------------------------------------------------------------------------------------------

def test_failing_rating_rectified_rerated_signed_and_printed(app, site):
    community, _other, b01, _b02, users, households = site
    organiser = staff(app, users["organiser"])
    page = organiser.get(f"/c/{community.code}/acceptance")
    assert page.status_code == 200 and "默认值，待确认" in page.text   # the rule's source says it is a default
    closes = (date.today() + timedelta(days=7)).isoformat()
    response = organiser.post(f"/c/{community.code}/acceptance/rounds", data={
        "subject": subject(b01), "closes_on": closes, "hide_tallies": "y", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    first = db.session.scalar(select(AcceptanceRating))
    assert (first.number, first.status, first.scope, first.hide_tallies) == (1, "open", "community", True)

    # A resident rates on the phone: the home page links the round; big buttons; comment and a photo (no EXIF).
    phone = resident(app, community, households[0])
    home = phone.get("/home").text
    assert f"/r/rating/{first.id}" in home
    form = phone.get(f"/r/rating/{first.id}")
    assert form.status_code == 200 and 'name="rating" value="dissatisfied"' in form.text
    sent = phone.post(f"/r/rating/{first.id}", data={
        "rating": "dissatisfied", "comment": "楼道墙面仍然渗水", "csrf_token": csrf_token(form.text),
        "photo": (io.BytesIO(jpeg_with_gps()), "wall.jpg")}, content_type="multipart/form-data")
    assert sent.status_code == 302
    stored = db.session.scalar(select(RatingResponse))
    assert stored.rating == "dissatisfied" and stored.photo_path
    with Image.open(app.config["UPLOAD_FOLDER"] + "/" + stored.photo_path) as photo:
        assert not photo.getexif().get_ifd(GPS_IFD)
    ratings(first, households[1:6], "ssbdd")          # 6 of 10 rated; 3 content of 6: 50 % < 80 %

    page = organiser.get(f"/c/{community.code}/acceptance")
    response = organiser.post(f"/c/{community.code}/acceptance/rounds/{first.id}/close",
                              data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    db.session.refresh(first)
    assert (first.status, first.result, first.responses, first.eligible) == ("closed", "failed", 6, 10)
    assert "默认值，待确认" in first.rule_source and first.rule_year == first.opens_at.year
    ticket = first.ticket
    assert ticket.state == "dispatched" and ticket.agency_id == community.contractor_id
    assert ticket.category.code == "construction_quality" and ticket.due_at > first.closed_at
    assert "楼道墙面仍然渗水" in ticket.description
    page = organiser.get(f"/c/{community.code}/acceptance").text
    assert f"/hotline/tickets/{ticket.receipt}" in page

    # No re-rating while the ticket is open: refused, nothing added.
    with pytest.raises(AcceptanceRefused):
        opened(site)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AcceptanceRating)) == 1

    # The contractor handles it; the desk completes it.
    act(users["contractor"], ticket, "sign")
    act(users["contractor"], ticket, "reply", note="已重新做防水并粉刷")
    act(users["hotline"], ticket, "complete")
    db.session.commit()

    page = organiser.get(f"/c/{community.code}/acceptance")
    response = organiser.post(f"/c/{community.code}/acceptance/rounds", data={
        "subject": subject(b01), "closes_on": closes, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    second = db.session.scalar(select(AcceptanceRating).where(AcceptanceRating.number == 2))
    assert second.previous_id == first.id and second.hide_tallies is False
    ratings(second, households, "ssssbbbd")              # 8 of 10; 7 of 8 content: 87.5 %
    close_round(users["organiser"], second)
    db.session.commit()
    assert second.result == "passed" and second.ticket is None

    # The record, signed by the three roles; a contractor may not sign.
    page = organiser.get(f"/c/{community.code}/acceptance")
    response = organiser.post(f"/c/{community.code}/acceptance/records", data={
        "subjects": subject(b01), "result_text": "外墙及楼道整改后复评通过，同意验收。",
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    record_ = db.session.scalar(select(AcceptanceRecord))
    sign_url = f"/c/{community.code}/acceptance/record/{record_.id}/sign"
    contractor = staff(app, users["contractor"])
    assert contractor.post(sign_url, data={"csrf_token": token(contractor, community)}).status_code == 403
    for role in ("organiser", "owner_rep", "supervisor"):
        client = organiser if role == "organiser" else staff(app, users[role])
        assert client.post(sign_url, data={"csrf_token": token(client, community)}).status_code == 302
    db.session.refresh(record_)
    assert record_.fully_signed and record_.supervisor_id == users["supervisor"].id
    assert audit("acceptance.sign") == 3
    printed = organiser.get(f"/c/{community.code}/acceptance/record/{record_.id}/print")
    assert printed.status_code == 200
    for text in ("外墙及楼道整改后复评通过", users["supervisor"].username, users["owner_rep"].username, "吉林监理"):
        assert text in printed.text
    assert audit("acceptance.open") == 2 and audit("acceptance.close") == 2 and audit("acceptance.rectification") == 1


# --- the pass rule ------------------------------------------------------------------------------------------------

RULE = PassRule(2026, Decimal("0.8"), Decimal("0.5"), "默认值，待确认")


@pytest.mark.parametrize("eligible, responses, content, passed", [
    (10, 5, 4, True),      # participation exactly 50 %, content exactly 80 %: both met with equality
    (10, 5, 3, False),     # 60 % content
    (10, 4, 4, False),     # 40 % participation, all content
    (1000, 500, 400, True),
    (1000, 499, 499, False),
    (1000, 500, 399, False),   # 79.8 %
    (3, 2, 2, True),       # 2/3 ≥ 1/2 exactly, no rounding
    (10, 0, 0, False),     # nothing to be satisfied with
])
def test_pass_rule_at_its_exact_boundary(eligible, responses, content, passed):
    assert decide(RULE, eligible=eligible, responses=responses, content=content) is passed


def test_closing_exactly_on_the_boundary_passes(site):
    community, _other, _b01, _b02, users, households = site
    round_ = opened(site)
    ratings(round_, households, "sbbsd")                 # 5 of 10, 4 of 5 content
    close_round(users["organiser"], round_)
    db.session.commit()
    assert (round_.result, round_.responses, round_.satisfied, round_.basically_satisfied) == ("passed", 5, 2, 2)
    assert "80 %" in round_.rule_text and "50 %" in round_.rule_text


def test_a_year_without_the_rule_is_not_configured_and_cannot_close(app, site):
    community, _other, _b01, _b02, users, households = site
    rule = pass_rule(community, 2026)
    assert rule.configured and "默认值，待确认" in rule.source
    db.session.execute(delete(LocalityRule).where(LocalityRule.kind == "acceptance_pass"))
    db.session.commit()
    assert not pass_rule(community, 2026).configured
    round_ = opened(site)
    ratings(round_, households, "sssss")
    client = staff(app, users["organiser"])
    page = client.get(f"/c/{community.code}/acceptance")
    assert "未配置" in page.text
    with pytest.raises(AcceptanceRefused, match="not configured|未配置"):
        close_round(users["organiser"], round_)
    db.session.rollback()
    response = client.post(f"/c/{community.code}/acceptance/rounds/{round_.id}/close",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    db.session.refresh(round_)
    assert round_.status == "open" and round_.result is None and round_.ticket_id is None
    assert audit("acceptance.close") == 0 and db.session.scalar(select(func.count()).select_from(Ticket)) == 0


# --- hidden tallies -----------------------------------------------------------------------------------------------

def test_hidden_tallies_show_participation_only_until_close(app, site):
    community, _other, _b01, _b02, users, households = site
    round_ = opened(site, hide_tallies=True)
    ratings(round_, households, "ddddss")
    shown = visible_results(round_, users["owner_rep"])
    assert shown["hidden"] and (shown["responses"], shown["eligible"]) == (6, 10)
    assert "dissatisfied" not in shown and "content_share" not in shown
    page = staff(app, users["owner_rep"]).get(f"/c/{community.code}/acceptance").text
    assert "tallies-hidden" in page and 'class="tallies"' not in page
    close_round(users["organiser"], round_)
    db.session.commit()
    shown = visible_results(round_, users["owner_rep"])
    assert not shown["hidden"] and shown["dissatisfied"] == 4 and shown["result"] == "failed"


def test_open_tallies_are_shown_while_open(site):
    _community, _other, _b01, _b02, users, households = site
    round_ = opened(site, hide_tallies=False)
    ratings(round_, households, "sd")
    shown = visible_results(round_, users["owner_rep"])
    assert (shown["satisfied"], shown["dissatisfied"]) == (1, 1) and "result" not in shown


# --- one rating per household -------------------------------------------------------------------------------------

def test_one_rating_per_household_changeable_until_close(site):
    _community, _other, _b01, _b02, users, households = site
    round_ = opened(site)
    rate(households[0], round_, "dissatisfied")
    rate(households[0], round_, "satisfied", comment="修好了")
    db.session.commit()
    rows = db.session.scalars(select(RatingResponse)).all()
    assert len(rows) == 1 and rows[0].rating == "satisfied"
    assert audit("acceptance.rate") == 1 and audit("acceptance.rate_change") == 1
    db.session.add(RatingResponse(round_id=round_.id, household_id=households[0].id, rating="dissatisfied"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    close_round(users["organiser"], round_)
    db.session.commit()
    with pytest.raises(AcceptanceRefused):
        rate(households[0], round_, "dissatisfied")
    db.session.rollback()
    assert db.session.scalar(select(RatingResponse.rating)) == "satisfied"


# --- refusals change nothing --------------------------------------------------------------------------------------

def test_refusals_change_nothing(app, site):
    community, other, b01, b02, users, households = site
    organiser = users["organiser"]
    before = audit("acceptance.open")
    with force_locale("en"), pytest.raises(GateRefused, match="not finished"):   # the gate rating_finished_items
        open_round(organiser, community, subject(b02), closes_at=utcnow() + timedelta(days=3))
    with force_locale("en"), pytest.raises(GateRefused) as refused:
        open_round(organiser, community, "project", closes_at=utcnow() + timedelta(days=3))   # B02 unfinished
    assert len(refused.value.missing) == 1 and "are not finished" in refused.value.missing[0]
    with pytest.raises(AcceptanceRefused):
        open_round(users["owner_rep"], community, subject(b01), closes_at=utcnow() + timedelta(days=3))
    with pytest.raises(AcceptanceRefused):
        open_round(organiser, community, subject(b01), closes_at=utcnow() - timedelta(days=1))
    with pytest.raises(AcceptanceRefused):
        open_round(organiser, community, subject(b01), closes_at=utcnow() + timedelta(days=3),
                   buildings=[other.buildings[0]])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AcceptanceRating)) == 0
    assert audit("acceptance.open") == before

    round_ = opened(site, buildings=[community.buildings[0]])
    assert round_.scope == "buildings"
    with pytest.raises(AcceptanceRefused):
        opened(site)                                       # one open round per subject
    db.session.rollback()
    outside = community.buildings[1].units[0].households[0]
    with pytest.raises(AcceptanceRefused):
        rate(outside, round_, "satisfied")                 # not in scope
    with pytest.raises(AcceptanceRefused):
        rate(households[0], round_, "great")
    with pytest.raises(AcceptanceRefused):
        rate(households[0], round_, "satisfied", comment="长" * 501)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RatingResponse)) == 0

    ratings(round_, households, "dd")
    close_round(organiser, round_)
    db.session.commit()
    with pytest.raises(AcceptanceRefused):
        close_round(organiser, round_)
    record_ = create_record(organiser, community, [subject(b01)], "待整改")
    db.session.commit()
    with force_locale("en"), pytest.raises(AcceptanceRefused, match="not passed"):
        sign_record(organiser, record_)                    # the last round failed
    with pytest.raises(AcceptanceRefused):
        sign_record(users["contractor"], record_)          # not a signing role
    db.session.rollback()
    db.session.refresh(record_)
    assert record_.organiser_id is None and audit("acceptance.sign") == 0

    # Through the web: a bad form is 400 with the message, nothing added.
    client = staff(app, organiser)
    page = client.get(f"/c/{community.code}/acceptance")
    response = client.post(f"/c/{community.code}/acceptance/rounds", data={
        "subject": subject(b01), "closes_on": "not a date", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    response = client.post(f"/c/{community.code}/acceptance/rounds", data={
        "subject": subject(b01), "closes_on": (date.today() + timedelta(days=3)).isoformat(),
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400 and round_.ticket.receipt in response.text   # its 整改 ticket is still open
    assert db.session.scalar(select(func.count()).select_from(AcceptanceRating)) == 1


def test_resident_refusals_and_other_households(app, site):
    community, other, _b01, _b02, users, households = site
    round_ = opened(site, buildings=[community.buildings[0]])
    outside = resident(app, community, community.buildings[1].units[0].households[0])
    assert outside.get(f"/r/rating/{round_.id}").status_code == 404
    assert f"/r/rating/{round_.id}" not in outside.get("/home").text
    elsewhere = resident(app, other, other.buildings[0].units[0].households[0])
    assert elsewhere.get(f"/r/rating/{round_.id}").status_code == 404
    inside = resident(app, community, households[0])
    page = inside.get(f"/r/rating/{round_.id}")
    bad = inside.post(f"/r/rating/{round_.id}", data={"rating": "great", "csrf_token": csrf_token(page.text)})
    assert bad.status_code == 400
    photo = inside.post(f"/r/rating/{round_.id}", data={
        "rating": "satisfied", "csrf_token": csrf_token(page.text), "photo": (io.BytesIO(b"not a photo"), "x.jpg")},
        content_type="multipart/form-data")
    assert photo.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RatingResponse)) == 0
    assert app.test_client().get(f"/r/rating/{round_.id}").status_code == 302   # nobody entered: start page


# --- 403 and 404 --------------------------------------------------------------------------------------------------

def test_roles_and_scopes(app, site):
    community, other, _b01, _b02, users, households = site
    round_ = opened(site)
    record_ = create_record(users["organiser"], community, [subject(_b01)], "待复评")
    db.session.commit()
    base = f"/c/{community.code}/acceptance"
    grid, pipeline = staff(app, users["grid"]), staff(app, users["pipeline"])
    assert grid.get(base).status_code == 403
    assert pipeline.get(base).status_code == 403
    for reader in ("owner_rep", "hotline", "contractor", "supervisor"):
        assert staff(app, users[reader]).get(base).status_code == 200, reader
    owner_rep = staff(app, users["owner_rep"])
    tok = token(owner_rep, community)
    assert owner_rep.post(f"{base}/rounds", data={"csrf_token": tok}).status_code == 403
    assert owner_rep.post(f"{base}/rounds/{round_.id}/close", data={"csrf_token": tok}).status_code == 403
    outsider = staff(app, users["other_organiser"])
    tok = csrf_token(outsider.get(f"/c/{other.code}/acceptance").text)
    assert outsider.get(base).status_code == 404
    assert outsider.post(f"{base}/rounds/{round_.id}/close", data={"csrf_token": tok}).status_code == 404
    assert outsider.get(f"{base}/record/{record_.id}/print").status_code == 404
    # A's round and record under B's code: 404 even for B's organiser, who runs B.
    other_base = f"/c/{other.code}/acceptance"
    assert outsider.post(f"{other_base}/rounds/{round_.id}/close", data={"csrf_token": tok}).status_code == 404
    assert outsider.get(f"{other_base}/record/{record_.id}/print").status_code == 404
    assert outsider.post(f"{other_base}/record/{record_.id}/sign", data={"csrf_token": tok}).status_code == 404
    db.session.refresh(round_)
    assert round_.status == "open"
