"""Elevators per 单元 (issue 6 point 3): the estimate and shares each household sees before any vote, the request a
single household starts (一家牵头), the owners whose home the shaft would occupy and their own consent, the pages.

The 长春 figures (DESIGN §4, research/domain.md §3.2): subsidy per elevator 20万 (2021–22), 15万 (2023), 10万
(2024–25); reference coefficients 1–2F 0, 3F 1, 4F 1.5, 5F 2, 6F 2.5, 7F 3, each higher floor +0.5. The catalogue's
I14 加装电梯 costs 600000 per 单元. A 7-floor 单元 with 2 households a floor weighs 2 × (1 + 1.5 + 2 + 2.5 + 3) = 20.
"""
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.elevators.operations import (ElevatorRefused, elevator_overview, mark_shaft_households,
                                                open_consultation, record_shaft_consent, set_estimate,
                                                shaft_consent_summary, start_request, withdraw)
from participation.elevators.shares import allocate, coefficient_for, unit_estimate
from participation.extensions import db
from participation.models import (AuditEvent, CatalogueItem, CommunityBudget, ElevatorRequest, ElevatorShaftOwner,
                                  Household, Notification)
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter

CHANGCHUN = {1: Decimal(0), 2: Decimal(0), 3: Decimal(1), 4: Decimal("1.5"), 5: Decimal(2), 6: Decimal("2.5"),
             7: Decimal(3)}


@pytest.fixture
def site(reference_data, make_community, make_user):
    """A 1-building community of two 7-floor 单元 (2 households a floor), both able to take an elevator, and a
    second community; an organiser of the first."""
    community = make_community("EL001", buildings=1, units=2, floors=7, per_floor=2)
    other = make_community("EL002", buildings=1, units=1, floors=7, per_floor=2)
    for unit in community.buildings[0].units + other.buildings[0].units:
        unit.elevator_possible = True
    organiser = make_user("organiser", communities=[community])
    db.session.commit()
    return community, other, organiser


def _unit(community, number=0):
    return community.buildings[0].units[number]


def _household(unit, room) -> Household:
    return next(household for household in unit.households if household.room == room)


def _shares(estimate) -> dict[str, Decimal]:
    return {row["room"]: row["share"] for row in estimate["households"]}


def _per_floor(estimate) -> dict[int, tuple]:
    return {row["floor"]: (row["lowest"], row["highest"]) for row in estimate["floors"] if row["total"] is not None}


# --- the estimate ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("year, subsidy, per_weight", [
    (2024, Decimal(100000), Decimal(25000)),    # (600000 − 100000) / 20
    (2023, Decimal(150000), Decimal(22500)),    # (600000 − 150000) / 20
    (2021, Decimal(200000), Decimal(20000)),    # (600000 − 200000) / 20
])
def test_shares_of_a_7_floor_unit_by_hand(site, year, subsidy, per_weight):
    community, _, _ = site
    estimate = unit_estimate(_unit(community), year)
    assert estimate["cost"] == Decimal(600000) and estimate["cost_source"] == "catalogue"
    assert estimate["subsidy"] == subsidy and estimate["subsidy_configured"]
    assert "长春" in estimate["subsidy_source"]
    assert estimate["owners_part"] == Decimal(600000) - subsidy
    assert not estimate["shares_of_full_cost"] and estimate["problem"] is None
    expected = {floor: per_weight * coefficient for floor, coefficient in CHANGCHUN.items()}
    assert _per_floor(estimate) == {floor: (share, share) for floor, share in expected.items()}
    for row in estimate["households"]:
        assert row["coefficient"] == CHANGCHUN[row["floor"]]
        assert row["share"] == expected[row["floor"]] == row["exact"]
    assert sum(_shares(estimate).values()) == estimate["owners_part"]


def test_2024_figures_written_out(site):
    community, _, _ = site
    shares = _shares(unit_estimate(_unit(community), 2024))
    assert [shares[room] for room in ("101", "201", "301", "401", "501", "601", "701")] == \
        [0, 0, 25000, 37500, 50000, 62500, 75000]


def test_a_year_without_a_subsidy_rule_shows_not_configured_and_shares_of_the_full_cost(site):
    community, _, _ = site
    estimate = unit_estimate(_unit(community), 2026)
    assert estimate["subsidy"] is None and not estimate["subsidy_configured"]
    assert estimate["subsidy_text"] in ("未配置", "Not configured")
    assert estimate["owners_part"] is None and estimate["shares_of_full_cost"]
    assert estimate["amount_shared"] == Decimal(600000)
    assert _per_floor(estimate) == {1: (0, 0), 2: (0, 0), 3: (30000, 30000), 4: (45000, 45000), 5: (60000, 60000),
                                    6: (75000, 75000), 7: (90000, 90000)}
    assert sum(_shares(estimate).values()) == Decimal(600000)


def test_rounding_remainders_go_to_the_largest_fractions_and_the_sum_is_exact(site):
    """500007 / 20 = 25000.35 a unit of weight: exact shares 3F 25000.35, 4F 37500.525, 5F 50000.7, 6F 62500.875,
    7F 75001.05. Rounded down they leave 5 yuan, which go to 6F, 6F, 5F, 5F (largest fractions) and the first
    household of 4F (a tie on the floor goes by roster order)."""
    community, _, organiser = site
    request = start_request(_household(_unit(community), "301"))
    set_estimate(organiser, request, "600007")
    estimate = unit_estimate(_unit(community), 2024)
    assert estimate["cost"] == Decimal(600007) and estimate["cost_source"] == "estimate"
    assert estimate["owners_part"] == Decimal(500007)
    shares = _shares(estimate)
    assert shares == {"101": 0, "102": 0, "201": 0, "202": 0, "301": 25000, "302": 25000, "401": 37501,
                      "402": 37500, "501": 50001, "502": 50001, "601": 62501, "602": 62501, "701": 75001,
                      "702": 75001}
    assert sum(shares.values()) == Decimal(500007)
    exact = {row["room"]: row["exact"] for row in estimate["households"]}
    assert exact["301"] == Decimal("25000.35") and exact["401"] == Decimal("37500.525")


def test_one_yuan_left_goes_to_the_top_floor_first_household(site):
    community, _, organiser = site
    request = start_request(_household(_unit(community), "301"))
    set_estimate(organiser, request, "600001")
    shares = _shares(unit_estimate(_unit(community), 2024))
    assert shares["701"] == 75001 and shares["702"] == 75000 and sum(shares.values()) == 500001


def test_allocate_in_fen_when_the_amount_has_fen():
    exact, shares = allocate(Decimal("100.01"), [Decimal(1)] * 3, [0, 1, 2])
    assert shares == [Decimal("33.34"), Decimal("33.34"), Decimal("33.33")] and sum(shares) == Decimal("100.01")


def test_coefficients_above_the_last_rule_add_half_a_floor(reference_data, make_community):
    community = make_community("EL009", buildings=1, units=1, floors=9, per_floor=1)
    estimate = unit_estimate(_unit(community), 2024)
    coefficients = {row["floor"]: row["coefficient"] for row in estimate["households"]}
    assert coefficients[7] == 3 and coefficients[8] == Decimal("3.5") and coefficients[9] == 4
    # weights 1 + 1.5 + 2 + 2.5 + 3 + 3.5 + 4 = 17.5; 500000 / 17.5 is not whole: the sum still is
    assert sum(_shares(estimate).values()) == Decimal(500000)
    assert _shares(estimate)["101"] == 0 and _shares(estimate)["201"] == 0


def test_coefficient_for_gaps_and_basements():
    assert coefficient_for(12, CHANGCHUN) == Decimal("5.5")
    assert coefficient_for(-1, CHANGCHUN) == 0
    assert coefficient_for(5, {3: Decimal(1), 7: Decimal(3)}) == 1     # between rules: the lower floor's
    assert coefficient_for(5, {}) is None


def test_no_shares_when_nobody_pays_or_there_is_no_cost(reference_data, make_community):
    low = make_community("EL010", buildings=1, units=1, floors=2, per_floor=2)
    estimate = unit_estimate(_unit(low), 2024)
    assert estimate["problem"] == "nobody_pays" and all(row["share"] is None for row in estimate["households"])
    db.session.scalar(select(CatalogueItem).filter_by(code="I14")).retired_at = utcnow()
    assert unit_estimate(_unit(low), 2024)["problem"] == "no_cost"


# --- the request -------------------------------------------------------------------------------------------------

def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_one_household_starts_the_request_and_the_unit_is_told(site):
    community, _, _ = site
    unit = _unit(community)
    request = start_request(_household(unit, "502"))
    db.session.commit()
    assert request.status == "started" and request.started_by.room == "502" and request.started_channel == "web"
    assert request.vote_id is None
    assert _count(Notification, Notification.kind == "elevator.request") == len(unit.households) == 14
    assert _count(AuditEvent, AuditEvent.action == "elevator.start") == 1


def test_start_is_refused_where_no_elevator_fits_or_one_is_under_way(site):
    community, _, organiser = site
    unit, second = _unit(community), _unit(community, 1)
    second.elevator_possible = False
    with pytest.raises(ElevatorRefused):
        start_request(_household(second, "101"))
    request = start_request(_household(unit, "101"))
    with pytest.raises(ElevatorRefused):
        start_request(_household(unit, "702"))
    assert _count(ElevatorRequest) == 1
    withdraw(organiser, request)
    assert start_request(_household(unit, "702")).status == "started"   # a closed request does not block
    db.session.commit()
    assert _count(ElevatorRequest) == 2


def test_the_database_keeps_one_active_request_per_unit(site):
    community, _, _ = site
    unit = _unit(community)
    db.session.add(ElevatorRequest(unit=unit, status="started"))
    db.session.flush()
    db.session.add(ElevatorRequest(unit=unit, status="consultation"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_lifecycle_refuses_steps_it_does_not_have(site):
    community, _, organiser = site
    request = start_request(_household(_unit(community), "301"))
    open_consultation(organiser, request)
    with pytest.raises(ElevatorRefused):
        open_consultation(organiser, request)
    withdraw(organiser, request)
    with pytest.raises(ElevatorRefused):
        withdraw(organiser, request)
    with pytest.raises(ElevatorRefused):
        set_estimate(organiser, request, "500000")


def test_only_the_starting_household_withdraws_its_own(site):
    community, _, _ = site
    unit = _unit(community)
    request = start_request(_household(unit, "301"))
    with pytest.raises(ElevatorRefused):
        withdraw(None, request, household=_household(unit, "302"))
    withdraw(None, request, household=_household(unit, "301"))
    assert request.status == "withdrawn"


def test_bad_estimates_are_refused(site):
    community, _, organiser = site
    request = start_request(_household(_unit(community), "301"))
    for text in ("abc", "-5", "0", "1.234", "1e12", "NaN"):
        with pytest.raises(ElevatorRefused):
            set_estimate(organiser, request, text)
    set_estimate(organiser, request, "580,000")
    assert request.cost_estimate == Decimal(580000)
    set_estimate(organiser, request, "")
    assert request.cost_estimate is None


def test_occupied_owners_consent_one_by_one(site):
    community, other, organiser = site
    unit = _unit(community)
    request = start_request(_household(unit, "301"))
    first, second = _household(unit, "101"), _household(unit, "102")
    change = mark_shaft_households(organiser, request, [first, second])
    assert change == {"added": ["101", "102"], "removed": []}
    assert _count(Notification, Notification.kind == "elevator.request",
                  Notification.household_id.in_([first.id, second.id])) == 2 + 2   # started, then the shaft
    assert shaft_consent_summary(request) == {"marked": 2, "yes": 0, "no": 0, "pending": 2, "all_agreed": False}
    owner = record_shaft_consent(organiser, request, first, True, "paper", "签字")
    assert owner.consent is True and owner.consent_channel == "paper" and owner.consent_at is not None
    assert owner.consent_recorded_by_id == organiser.id
    record_shaft_consent(organiser, request, second, False, "door_to_door")
    assert shaft_consent_summary(request)["no"] == 1 and not shaft_consent_summary(request)["all_agreed"]
    with pytest.raises(ElevatorRefused):                                 # never by phone (issue 12)
        record_shaft_consent(organiser, request, second, True, "phone")
    record_shaft_consent(organiser, request, second, True, "paper")    # changed their mind; the audit keeps both
    assert shaft_consent_summary(request)["all_agreed"]
    assert _count(AuditEvent, AuditEvent.action == "elevator.shaft_consent") == 3
    with pytest.raises(ElevatorRefused):                                # not marked
        record_shaft_consent(organiser, request, _household(unit, "201"), True, "paper")
    with pytest.raises(ElevatorRefused):                                # consent is taken in person
        record_shaft_consent(organiser, request, first, True, "web")
    with pytest.raises(ElevatorRefused):                                # another 单元's household
        mark_shaft_households(organiser, request, [_household(_unit(other), "101")])
    assert mark_shaft_households(organiser, request, [first]) == {"added": [], "removed": ["102"]}
    db.session.commit()
    assert _count(ElevatorShaftOwner) == 1


def test_the_overview_for_the_plan_inputs(site):
    community, _, organiser = site
    request = start_request(_household(_unit(community), "301"))
    mark_shaft_households(organiser, request, [_household(_unit(community), "101")])
    rows = elevator_overview(community, 2024)
    assert [row["status"] for row in rows] == ["started", None]
    assert rows[0]["owners_part"] == Decimal(500000) and rows[0]["shaft"]["pending"] == 1
    assert elevator_overview(community, 2026)[1]["subsidy"] is None


# --- the resident's page -----------------------------------------------------------------------------------------

def _resident(app, household):
    code = issue_code(None, household)
    db.session.commit()
    client = app.test_client()
    assert enter(client, household.community.code, code).status_code == 302
    assert accept_notice(client).status_code == 302
    return client


def test_the_resident_sees_the_estimate_and_their_share_before_any_vote(app, site):
    """The page uses the rules of the community's plan year (2024: 10万, so 7F pays 75000)."""
    community, _, _ = site
    db.session.add(CommunityBudget(community=community, plan_year=2024))
    client = _resident(app, _household(_unit(community), "701"))
    html = client.get(f"/r/{community.code}/elevator").text
    assert "75,000" in html and "长春市既有住宅加装电梯政策问答" in html and "90,000" not in html
    assert "加装电梯费用分摊参考系数" in html            # the coefficients' source
    assert 'action="/r/EL001/elevator/start"' in html


def test_without_a_subsidy_rule_the_resident_reads_not_configured_and_a_share_of_the_full_cost(app, site):
    community, _, _ = site
    db.session.add(CommunityBudget(community=community, plan_year=2026))
    client = _resident(app, _household(_unit(community), "701"))
    html = client.get(f"/r/{community.code}/elevator").text
    assert "未配置" in html and "90,000" in html and "长春市既有住宅加装电梯政策问答" not in html


def test_the_resident_home_links_to_the_elevator_page(app, site):
    community, _, _ = site
    client = _resident(app, _household(_unit(community), "701"))
    assert f'href="/r/{community.code}/elevator"' in client.get("/home").text


def test_a_resident_starts_the_request_once_and_sees_its_status(app, site):
    community, _, _ = site
    household = _household(_unit(community), "301")
    client = _resident(app, household)
    page = client.get(f"/r/{community.code}/elevator")
    response = client.post(f"/r/{community.code}/elevator/start",
                           data={"csrf_token": csrf_token(page.text), "note": "老人上下楼难"})
    assert response.status_code == 302
    request = db.session.scalar(select(ElevatorRequest))
    assert request.started_by_household_id == household.id and request.note == "老人上下楼难"
    html = client.get(f"/r/{community.code}/elevator").text
    assert 'id="request-status"' in html and "/elevator/withdraw" in html
    again = client.post(f"/r/{community.code}/elevator/start", data={"csrf_token": csrf_token(page.text)})
    assert again.status_code == 400 and _count(ElevatorRequest) == 1
    gone = client.post(f"/r/{community.code}/elevator/withdraw", data={"csrf_token": csrf_token(page.text)})
    assert gone.status_code == 302 and request.status == "withdrawn"


def test_a_resident_of_a_unit_without_an_elevator_cannot_start(app, site):
    community, _, _ = site
    unit = _unit(community, 1)
    unit.elevator_possible = False
    client = _resident(app, _household(unit, "301"))
    page = client.get(f"/r/{community.code}/elevator")
    assert page.status_code == 200 and "/elevator/start" not in page.text
    response = client.post(f"/r/{community.code}/elevator/start", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 400 and _count(ElevatorRequest) == 0


def test_the_resident_sees_their_own_unit_only(app, site):
    community, other, organiser = site
    started = start_request(_household(_unit(community), "301"))
    set_estimate(organiser, started, "700000")
    db.session.commit()
    db.session.add(CommunityBudget(community=community, plan_year=2024))
    client = _resident(app, _household(_unit(community, 1), "701"))
    html = client.get(f"/r/{community.code}/elevator").text
    assert "request-status" not in html and "75,000" in html     # unit 2: no request, the catalogue's cost
    assert client.get(f"/r/{other.code}/elevator").status_code == 404
    assert client.get("/r/NOPE/elevator").status_code == 404


def test_the_shaft_owner_reads_that_their_consent_is_needed(app, site):
    community, _, organiser = site
    unit = _unit(community)
    request = start_request(_household(unit, "301"))
    mark_shaft_households(organiser, request, [_household(unit, "101")])
    db.session.commit()
    html = _resident(app, _household(unit, "101")).get(f"/r/{community.code}/elevator").text
    assert "The shaft would occupy part of your home" in html or "井道" in html or "专有部分" in html


def test_staff_acting_for_a_household_start_it_on_its_behalf(client, site, auth):
    community, _, organiser = site
    household = _household(_unit(community), "601")
    household.notice_accepted_at = utcnow()
    db.session.commit()
    auth.login(organiser.username)
    page = client.get(f"/assist/households/{household.id}")
    token = csrf_token(page.text)
    assert client.post(f"/assist/households/{household.id}", data={"channel": "phone", "csrf_token": token}
                       ).status_code == 302
    assert client.post(f"/r/{community.code}/elevator/start", data={"csrf_token": token}).status_code == 302
    request = db.session.scalar(select(ElevatorRequest))
    assert request.started_by_household_id == household.id and request.started_channel == "phone"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elevator.start"))
    assert event.actor_id == organiser.id and event.channel == "phone"


def test_nobody_acting_goes_to_the_start_page(client, site):
    community, _, _ = site
    response = client.get(f"/r/{community.code}/elevator")
    assert response.status_code == 302 and response.location.endswith("/")


# --- the staff page ----------------------------------------------------------------------------------------------

def test_the_organiser_marks_the_shaft_and_records_consent_on_the_staff_page(client, site, auth):
    community, _, organiser = site
    db.session.add(CommunityBudget(community=community, plan_year=2024))
    unit = _unit(community)
    request = start_request(_household(unit, "301"))
    db.session.commit()
    auth.login(organiser.username)
    page = client.get(f"/c/{community.code}/elevators")
    assert page.status_code == 200 and f'id="unit-{unit.id}"' in page.text and "75,000" in page.text
    token = csrf_token(page.text)
    base = f"/c/{community.code}/elevators/{unit.id}"
    first = _household(unit, "101")
    assert client.post(f"{base}/shaft", data={"csrf_token": token, "households": [first.id]}).status_code == 302
    assert client.post(f"{base}/consent", data={"csrf_token": token, "household": first.id, "consent": "yes",
                                                "channel": "paper"}).status_code == 302
    assert shaft_consent_summary(request)["all_agreed"]
    assert client.post(f"{base}/estimate", data={"csrf_token": token, "cost_estimate": "x"}).status_code == 400
    assert client.post(f"{base}/consent", data={"csrf_token": token, "household": first.id}).status_code == 400
    assert client.post(f"{base}/consultation", data={"csrf_token": token}).status_code == 302
    assert request.status == "consultation"
    assert client.post(f"{base}/withdraw", data={"csrf_token": token}).status_code == 302
    assert request.status == "withdrawn"


def test_staff_page_403_and_404(client, site, auth, make_user, make_community):
    community, other, _ = site
    make_user("agency", username="ag")
    make_user("owner_rep", username="rep", communities=[community])
    make_user("organiser", username="other_org", communities=[other])
    db.session.commit()
    unit = _unit(community)
    auth.login("ag")
    assert client.get(f"/c/{community.code}/elevators").status_code == 403
    auth.logout()
    auth.login("rep")
    page = client.get(f"/c/{community.code}/elevators")
    assert page.status_code == 200 and "/shaft" not in page.text
    assert client.post(f"/c/{community.code}/elevators/{unit.id}/shaft",
                       data={"csrf_token": csrf_token(client.get("/account/password").text)}).status_code == 403
    auth.logout()
    auth.login("other_org")
    assert client.get(f"/c/{community.code}/elevators").status_code == 404
    token = csrf_token(client.get("/account/password").text)
    # a 单元 of another community under the organiser's own code
    assert client.post(f"/c/{other.code}/elevators/{unit.id}/shaft", data={"csrf_token": token}).status_code == 404
    assert client.get("/c/NOPE/elevators").status_code == 404
