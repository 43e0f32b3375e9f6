"""No answer that becomes a reported figure is chosen before a person chooses it (issue 12 point 6).

A call-back form pre-set to 已解决 + 满意 let a rushed operator inflate 解决率 and 满意率 in /rates and the weekly
bulletin. Every such form renders with nothing checked or selected (a select's first choice is an empty 请选择…,
which a browser would otherwise pick), and a form sent without its answer is refused with a message beside the field,
changing nothing: the call-back, the residents' acceptance rating, the field-survey finding, the shaft owner's
consent and the after-care proposal put to the owners."""
import re
from datetime import date, timedelta
from html import escape
from html.parser import HTMLParser

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from participation.acceptance.operations import open_round
from participation.complaints.operations import act, file_ticket
from participation.complaints.rates import complaint_rates
from participation.elevators.operations import mark_shaft_households, start_request
from participation.extensions import db
from participation.models import (AcceptanceRating, AfterCareProposal, CatalogueItem, ComplaintCategory,
                                  ElevatorShaftOwner, FieldFinding, Organisation, Plan, PlanWork, RatingResponse,
                                  Ticket, TicketEvent)
from participation.models.types import utcnow
from tests.conftest import csrf_token
from tests.participation.test_acceptance import resident


class _Controls(HTMLParser):
    """The radio buttons and selects of one piece of HTML: which are checked, and each select's options."""

    def __init__(self, html: str):
        super().__init__()
        self.radios: list[tuple[str, bool]] = []
        self.selects: dict[str, list[tuple[str, bool]]] = {}
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "radio":
            self.radios.append((attributes.get("name"), "checked" in attributes))
        elif tag == "select":
            self._select = attributes.get("name")
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append((attributes.get("value"), "selected" in attributes))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_html(page: str, marker: str) -> str:
    """The first <form> … </form> of the page whose opening tag contains ``marker``."""
    match = re.search(r"<form[^>]*" + re.escape(marker) + r"[^>]*>.*?</form>", page, re.S)
    assert match, f"no form with {marker}"
    return match.group(0)


def assert_nothing_chosen(html: str, *selects: str) -> None:
    controls = _Controls(html)
    assert not [name for name, checked in controls.radios if checked]
    for name in selects:
        options = controls.selects[name]
        assert options[0][0] == "", (name, options[0])               # the first option, which a browser shows, is 请选择…
        assert not [value for value, selected in options if selected], name
        assert len(options) > 1


def message(app, text: str) -> str:
    """The message as the page shows it (Chinese once the catalogue has it)."""
    with app.test_request_context():
        return escape(gettext(text))


# --- the hotline call-back ------------------------------------------------------------------------------------------

@pytest.fixture
def completed(make_community, make_user, reference_data):
    """A ticket the agency answered and the desk completed: the call-back is next."""
    contractor = Organisation(name="长春建工", kind="contractor")
    db.session.add(contractor)
    community = make_community("PS001", contractor=contractor)
    desk = make_user("hotline", username="desk")
    builder = make_user("agency", username="builder", organisation=contractor)
    category = db.session.scalar(select(ComplaintCategory).filter_by(code="construction_quality"))
    ticket = file_ticket(desk, community, category=category, household=community.buildings[0].units[0].households[0],
                         description="楼道墙皮脱落", channel="community_hotline")
    act(desk, ticket, "dispatch", agency=contractor)
    act(builder, ticket, "sign")
    act(builder, ticket, "reply", note="已修补")
    act(desk, ticket, "complete")
    db.session.commit()
    return ticket


def _totals() -> dict:
    now = utcnow()
    total = complaint_rates(now - timedelta(days=1), now + timedelta(days=1))["total"]
    return {key: total[key] for key in ("callbacks", "solved", "satisfied", "resolution_rate", "satisfaction_rate")}


def _post(client, ticket, action, **fields):
    page = client.get(f"/hotline/tickets/{ticket.receipt}").text
    return client.post(f"/hotline/tickets/{ticket.receipt}",
                       data={"csrf_token": csrf_token(page), "action": action} | fields)


def test_the_call_back_form_starts_with_nothing_chosen(client, auth, completed):
    auth.login("desk")
    page = client.get(f"/hotline/tickets/{completed.receipt}").text
    callback = form_html(page, 'id="act-callback"')
    assert_nothing_chosen(callback, "solved", "satisfaction")
    assert [value for value, _ in _Controls(callback).selects["satisfaction"]] == [
        "", "satisfied", "basically_satisfied", "dissatisfied"]


@pytest.mark.parametrize("answers, missing", [
    ({}, ("Choose whether the resident says the problem was solved.", "Choose how satisfied the resident is.")),
    ({"solved": "yes"}, ("Choose how satisfied the resident is.",)),
    ({"satisfaction": "satisfied", "solved": ""}, ("Choose whether the resident says the problem was solved.",)),
])
def test_a_call_back_without_its_answers_is_refused_and_no_rate_moves(app, client, auth, completed, answers, missing):
    before = _totals()
    assert before["callbacks"] == 0
    auth.login("desk")
    response = _post(client, completed, "callback", **answers)
    assert response.status_code == 400
    for text in missing:
        assert message(app, text) in response.text
    callback = _Controls(form_html(response.text, 'id="act-callback"'))
    for name, value in answers.items():   # what the operator did choose comes back, nothing else
        assert [v for v, selected in callback.selects[name] if selected] == ([value] if value else [])
    db.session.expire_all()
    ticket = db.session.get(Ticket, completed.id)
    assert (ticket.state, ticket.solved, ticket.satisfaction, ticket.callback_attempts) == ("completed", None, None, 0)
    assert db.session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == "callback")) == 0
    assert _totals() == before


def test_an_unreached_call_back_still_counts_as_an_attempt_and_an_answered_one_counts(client, auth, completed):
    auth.login("desk")
    assert _post(client, completed, "callback_unreachable").status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, completed.id)
    assert (ticket.state, ticket.callback_attempts, ticket.solved) == ("completed", 1, None)
    assert _totals()["callbacks"] == 0
    assert _post(client, completed, "callback", solved="no", satisfaction="basically_satisfied").status_code == 302
    totals = _totals()
    assert (totals["callbacks"], totals["solved"], totals["satisfied"]) == (1, 0, 1)


# --- the residents' acceptance rating -------------------------------------------------------------------------------

@pytest.fixture
def rating_round(make_community, make_user, reference_data):
    contractor = Organisation(name="长春建工", kind="contractor")
    db.session.add(contractor)
    community = make_community("PS002", buildings=1, units=1, floors=2, per_floor=1, contractor=contractor)
    roof = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    db.session.add(Plan(community=community, works=[PlanWork(item=roof, status="finished",
                                                             started_on=date(2026, 5, 1),
                                                             finished_on=date(2026, 9, 30))]))
    organiser = make_user("organiser", communities=[community])
    round_ = open_round(organiser, community, f"item:{roof.id}", closes_at=utcnow() + timedelta(days=7))
    db.session.commit()
    return community, round_


def test_the_rating_page_chooses_nothing_and_a_rating_without_a_choice_is_refused(app, rating_round):
    community, round_ = rating_round
    phone = resident(app, community, community.buildings[0].units[0].households[0])
    page = phone.get(f"/r/rating/{round_.id}").text
    form = form_html(page, 'method="post"')
    assert_nothing_chosen(form)
    assert "chosen" not in form and "checked" not in form
    refused = phone.post(f"/r/rating/{round_.id}", data={"comment": "还行", "csrf_token": csrf_token(page)})
    assert refused.status_code == 400 and message(app, "Tap 满意, 基本满意 or 不满意.") in refused.text
    assert db.session.scalar(select(func.count()).select_from(RatingResponse)) == 0
    assert db.session.get(AcceptanceRating, round_.id).status == "open"


# --- the field survey ------------------------------------------------------------------------------------------------

def test_a_new_finding_has_no_condition_until_one_is_chosen(app, client, auth, make_community, make_user,
                                                            reference_data):
    community = make_community("PS003", buildings=1, units=1, floors=1, per_floor=1)
    make_user("organiser", username="surveyor", communities=[community])
    db.session.commit()
    auth.login("surveyor")
    page = client.get(f"/c/{community.code}/field-survey/B01")
    assert page.status_code == 200
    assert_nothing_chosen(form_html(page.text, 'method="post"'))
    refused = client.post(f"/c/{community.code}/field-survey/B01",
                          data={"csrf_token": csrf_token(page.text), "quantity": "12", "note": "屋面渗水"})
    assert refused.status_code == 400
    assert message(app, "Choose the condition of the item.") in refused.text
    assert db.session.scalar(select(func.count()).select_from(FieldFinding)) == 0


# --- the shaft owner's consent and the after-care proposal ----------------------------------------------------------

def test_the_shaft_owner_consent_form_chooses_neither_answer_nor_channel(app, client, auth, make_community,
                                                                        make_user, reference_data):
    community = make_community("PS004", buildings=1, units=1, floors=7, per_floor=2)
    unit = community.buildings[0].units[0]
    unit.elevator_possible = True
    organiser = make_user("organiser", username="elevator-org", communities=[community])
    request = start_request(unit.households[-1])
    mark_shaft_households(organiser, request, [unit.households[0]])
    db.session.commit()
    auth.login("elevator-org")
    page = client.get(f"/c/{community.code}/elevators").text
    consent = form_html(page, f"/elevators/{unit.id}/consent")
    assert_nothing_chosen(consent, "channel")
    refused = client.post(f"/c/{community.code}/elevators/{unit.id}/consent", data={
        "csrf_token": csrf_token(page), "household": unit.households[0].id, "consent": "yes", "channel": ""})
    assert refused.status_code == 400
    assert message(app, "Choose how the owner gave the answer.") in refused.text
    owner = db.session.scalar(select(ElevatorShaftOwner))
    assert owner.consent is None and owner.consent_channel is None


def test_the_aftercare_proposal_names_no_mode_until_one_is_chosen(app, client, login_as, make_community,
                                                                 reference_data):
    community = make_community("PS005", buildings=1, units=1, floors=2, per_floor=1)
    login_as("organiser", community)
    page = client.get(f"/c/{community.code}/aftercare").text
    assert_nothing_chosen(form_html(page, "/aftercare"), "mode")
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/c/{community.code}/aftercare",
                          data={"csrf_token": csrf_token(page), "mode": "", "fee": "0.30", "closes_at": closes})
    assert refused.status_code == 400 and message(app, "Choose the management mode.") in refused.text
    assert db.session.scalar(select(func.count()).select_from(AfterCareProposal)) == 0
