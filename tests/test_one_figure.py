"""One figure everywhere (issue 15, point 7): one community read through every surface — the dashboard, the plan
page, the city overview, the plan workbook, the plan JSON, the /api/v1 plan inputs and the city's annual list —
shows the same labelled investment figures as ``plans.figures.community_estimates``, and the same response count.

The community: the survey-results world (48 households, 4 vacant, one vacant household answered, a needs survey),
field findings (B01 needing repair over 120 m², B02 missing, I01 good, five more measured by the roster), an
adopted version 1 with B01, B02 and I06 (停车位, an Art. 278 matter) whose owner vote then failed, and a newer
draft version 2. No figure is written here: each is computed from the rows, so the demo or the catalogue may
change without this test changing.
"""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import gettext
from openpyxl import load_workbook
from sqlalchemy import select

from participation.api.tokens import create_token
from participation.extensions import db
from participation.models import CatalogueItem, FieldFinding, Plan, PlanItem, PlanVersion
from participation.models.fieldsurvey import NEEDS_WORK
from participation.models.types import utcnow
from participation.plans.figures import KINDS, community_estimates, estimates_of, participation_counts
from participation.plans.inputs import plan_inputs
from participation.plans.vote_items import item_outcomes, link_items
from participation.reference.locality import current_year
from participation.survey_facts import facts as survey_facts
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, cosign, create_vote, finalise
from tests.surveys.results_support import build_world

CODE = "OF001"
MONEY = re.compile(r"^-?[\d,]+\.\d{2}$")    # every page writes money as 1,234.50


def _items() -> dict:
    return {item.code: item for item in db.session.scalars(select(CatalogueItem))}


def _version(plan, number, status, rows, items):
    version = PlanVersion(number=number, status=status, adopted_at=utcnow() if status == "adopted" else None)
    plan.versions.append(version)
    for position, (code, included, quantity) in enumerate(rows, 1):
        unit_cost = items[code].unit_cost
        version.items.append(PlanItem(item=items[code], position=position, included=included, quantity=quantity,
                                      unit_cost=unit_cost, cost=(quantity * unit_cost).quantize(Decimal("0.01"))))
    return version


@pytest.fixture
def world(reference_data, make_user):
    world = build_world(CODE)
    community = world.community
    community.status = "planning"
    organiser = make_user("organiser", username="fig-org", communities=[community])
    owner_rep = make_user("owner_rep", username="fig-rep", communities=[community])
    items = _items()
    db.session.add_all([
        FieldFinding(community=community, item=items["B01"], condition="needs_repair", quantity=Decimal("120"),
                     recorded_by=organiser),
        FieldFinding(community=community, item=items["B02"], condition="missing", recorded_by=organiser),
        FieldFinding(community=community, item=items["I01"], condition="good", recorded_by=organiser),
        # quantities from the roster: per household, per 单元, per building, lump sum, and an area one
        *(FieldFinding(community=community, item=items[code], condition="needs_repair", recorded_by=organiser)
          for code in ("B04", "B06", "B13", "B14", "I13"))])
    plan = Plan(community=community)
    db.session.add(plan)
    _version(plan, 1, "adopted", [("B01", True, Decimal("120")), ("B02", True, Decimal("3")),
                                  ("I06", True, Decimal("40")), ("I01", False, Decimal("1"))], items)
    _version(plan, 2, "draft", [("B01", True, Decimal("150")), ("I06", True, Decimal("40"))], items)
    db.session.flush()
    # the owners vote on I06 (Art. 278 item 8, special) and it fails: two of 48 say yes
    vote = create_vote(organiser, community, 8, "停车位施划", closes_at=utcnow() + timedelta(days=10), open_now=True)
    link_items(organiser, vote, [items["I06"]])
    for index, household in enumerate(sorted(world.households, key=lambda h: h.id)):
        cast_ballot(vote, household, "yes" if index < 2 else "no", "paper", organiser)
    close_vote(organiser, vote, objection_days=1)
    vote.objection_until = utcnow() - timedelta(seconds=1)
    cosign(owner_rep, vote)
    finalise(organiser, vote)
    db.session.commit()
    return world


def _money(text: str) -> Decimal | None:
    text = text.strip()
    if text == "—":
        return None
    assert MONEY.match(text), f"money written as {text!r}, not as 1,234.50"
    return Decimal(text.replace(",", ""))


def _labelled(html: str) -> dict:
    """{kind: figure} of the ``id="estimate-<kind>"`` entries of a page."""
    found = dict(re.findall(r'id="estimate-(\w+)"><strong>([^<]*)</strong>', html))
    return {kind: _money(found[kind]) for kind in KINDS}


def _xlsx_row(sheet, name: str):
    return next(row[1] for row in sheet.iter_rows(values_only=True) if row[0] == name)


def test_the_figures_follow_the_rows(world):
    """community_estimates against the plan rows, the findings and item_outcomes, computed here."""
    community = world.community
    estimates = community_estimates(community)
    inputs = plan_inputs(community)
    found = sum((row["estimated_cost"] for row in inputs["items"]
                 if row["finding"] and row["finding"]["condition"] in NEEDS_WORK), Decimal("0.00"))
    assert estimates["field_survey"] == found > 0
    adopted = db.session.scalar(select(PlanVersion).where(PlanVersion.status == "adopted"))
    assert estimates["version_in_force"] == adopted.total_cost
    outcomes = item_outcomes(community)
    assert outcomes["I06"]["passed"] is False
    failed = [item for item in adopted.items if item.included and not outcomes.get(item.item.code, {"passed": True})
              ["passed"]]
    assert [item.item.code for item in failed] == estimates["failed_items"] == ["I06"]
    assert estimates["after_votes"] == adopted.total_cost - sum(item.cost for item in failed)
    assert estimates["after_votes"] < estimates["version_in_force"]
    assert (estimates["version"], estimates["adopted"], estimates["headline"]) == (1, True, "after_votes")
    # the set-based variant the city uses gives the same for this community
    assert estimates_of([community.id])[community.id] == estimates


def test_every_surface_shows_the_same_labelled_figures_and_counts(world, client, login_as, app):
    community = world.community
    login_as("admin")
    estimates = community_estimates(community)
    inputs = plan_inputs(community)
    stats = inputs["participation"]
    counts = participation_counts(stats["households"], stats["vacant"], stats["responded"],
                                  stats["responded_vacant"])
    # the one count: vacant units apart; the vacant unit that answered is beside it, and together they are
    # every submitted answer (what the survey's own pages count)
    assert counts["responded_vacant"] == 1 and counts["submitted"] == len(world.values)
    assert counts["rate"] == stats["rate"]
    # the hub and the 工作台 read the survey's participation through survey_facts: the same count
    needs = next(row for row in survey_facts().community_surveys(community.id) if row["is_needs_survey"])
    assert (needs["answered"], needs["households"]) == (counts["responded"], counts["eligible"])

    # the dashboard
    page = client.get(f"/c/{CODE}/dashboard")
    assert page.status_code == 200
    dashboard = page.text
    assert _labelled(dashboard) == {kind: estimates[kind] for kind in KINDS}
    for kind in KINDS:
        assert estimates["labels"][kind] in dashboard
    assert re.search(r'id="response-count">(\d+) / (\d+)<', dashboard).groups() == (
        str(counts["responded"]), str(counts["eligible"]))
    # the vacant unit's answer is said beside the count, with every submitted answer
    assert re.search(r'id="responded-vacant" data-vacant="(\d+)" data-submitted="(\d+)"', dashboard).groups() == (
        str(counts["responded_vacant"]), str(counts["submitted"]))

    # the plan page
    page = client.get(f"/c/{CODE}/plan")
    assert page.status_code == 200
    assert _labelled(page.text) == {kind: estimates[kind] for kind in KINDS}
    assert re.search(r'id="responded">(\d+)<', page.text).group(1) == str(counts["responded"])
    # the versions table, the version page and the printed notice give the version in force after the votes
    assert _money(re.search(r'id="version-1-total">([^<]*)<', page.text).group(1)) == estimates["after_votes"]
    version = client.get(f"/c/{CODE}/plan/versions/1").text
    assert _money(re.search(r'id="total-cost">([^<]*)<', version).group(1)) == estimates["after_votes"]
    notice = client.get(f"/c/{CODE}/plan/notice").text
    assert _money(re.search(r'id="notice-total"><strong>([^<]*)<', notice).group(1)) == estimates["after_votes"]

    # the city overview: the row shows after_votes (the community has a plan), named by its label
    page = client.get("/city")
    assert page.status_code == 200
    row = re.search(rf'<tr id="community-{CODE}".*?</tr>', page.text, re.S).group(0)
    assert _money(re.search(r'class="num investment">([^<]*)<', row).group(1)) == estimates["after_votes"]
    assert re.search(r'class="investment-kind">([^<]*)<', row).group(1) == estimates["labels"]["after_votes"]
    assert re.search(r'class="responded">(\d+)<', row).group(1) == str(counts["responded"])
    total = re.search(r'id="total-investment"><strong>([^<]*)</strong>', page.text).group(1)
    assert _money(total) == estimates["after_votes"]        # the only community this admin sees
    part = re.search(r'id="total-investment-after_votes">([^<]*)<', page.text).group(1)
    assert estimates["labels"]["after_votes"] in part

    # the plan workbook: 概况 has the three labelled rows and the same count
    sheet = load_workbook(io.BytesIO(client.get(f"/c/{CODE}/plan.xlsx").data))["概况"]
    for kind in KINDS:
        with app.test_request_context():     # the workbook's words are in the default language
            name = gettext("%(figure)s (yuan)", figure=estimates["labels"][kind])
        value = _xlsx_row(sheet, name)
        assert (None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))) == estimates[kind]
    with app.test_request_context():     # the workbook's words are in the default language
        answered = gettext("Households that answered (vacant apart)")
    assert _xlsx_row(sheet, answered) == counts["responded"]

    # the plan JSON and the API's plan inputs: the same keys, the figures as numbers
    token = _token(community)
    for body in (client.get(f"/c/{CODE}/plan.json").get_json(),
                 client.get(f"/api/v1/communities/{CODE}/plan-inputs",
                            headers={"Authorization": f"Bearer {token}"}).get_json()):
        assert {kind: _decimal(body["estimates"][kind]) for kind in KINDS} == {kind: estimates[kind] for kind in KINDS}
        assert body["estimates"]["labels"] == estimates["labels"]
        assert body["estimates"]["failed_items"] == ["I06"]
        assert (body["participation"]["responded"], body["participation"]["responded_vacant"]) == (
            counts["responded"], counts["responded_vacant"])
        assert body["budget"]["estimated_cost"] is not None          # no key taken away

    # the API's community, alone and in the list
    for path in (f"/api/v1/communities/{CODE}", "/api/v1/communities"):
        body = client.get(path, headers={"Authorization": f"Bearer {token}"}).get_json()
        shown = body if "code" in body else next(row for row in body["communities"] if row["code"] == CODE)
        assert {kind: _decimal(shown["estimates"][kind]) for kind in KINDS} == {kind: estimates[kind]
                                                                               for kind in KINDS}
        assert shown["estimates"]["headline"] == "after_votes" and shown["households"] == counts["households"]

    # the annual list: 计划投资 is the headline, 投资来源 its label, the three figures at the end
    sheet = load_workbook(io.BytesIO(client.get(f"/city/annual-list.xlsx?year={current_year()}").data)).active
    headers = [cell.value for cell in sheet[1]]
    line = next(dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == CODE)
    assert _decimal(line["计划投资（元）"]) == estimates["after_votes"] and line["投资来源"] == "表决后"
    assert [_decimal(line[name]) for name in ("摸底测算（元）", "现行方案（元）", "表决后（元）")] == [
        estimates[kind] for kind in KINDS]


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _token(community) -> str:
    _row, token = create_token(None, "figures", "organiser", communities=[community])
    db.session.commit()
    return token


def test_without_a_plan_the_field_survey_estimate_is_the_headline(reference_data, make_community, make_user):
    community = make_community("OF002")
    organiser = make_user("organiser", communities=[community])
    db.session.add(FieldFinding(community=community, item=_items()["B01"], condition="needs_repair",
                                quantity=Decimal("10"), recorded_by=organiser))
    db.session.flush()
    estimates = community_estimates(community)
    assert estimates["version_in_force"] is None and estimates["after_votes"] is None
    assert estimates["headline"] == "field_survey"
    assert estimates["field_survey"] == (Decimal("10") * _items()["B01"].unit_cost).quantize(Decimal("0.01"))


def test_the_pages_keep_their_scope(world, client, login_as, make_community):
    """An organiser of another community gets 404 on this one's dashboard and plan, and does not see it in the
    city overview; a grid worker may not open the dashboard."""
    other = make_community("OF003")
    login_as("organiser", other)
    assert client.get(f"/c/{CODE}/dashboard").status_code == 404
    assert client.get(f"/c/{CODE}/plan").status_code == 404
    assert f'id="community-{CODE}"' not in client.get("/city").text
