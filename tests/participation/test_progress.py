"""The residents' progress page of the plan in force (问效于民, issue 15 point 6; participation/plans/progress.py and
progress_views.py): the adopted version's items with their works status and dates, items a failed vote took out,
the joint review done or not, acceptance results with counts under 5 suppressed, where to rate; the household's own
community only."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import (AcceptanceRating, AcceptanceRecord, CatalogueItem, JointReview, Plan, PlanItem,
                                  PlanVersion, PlanWork)
from participation.models.types import utcnow
from participation.plans.progress import progress_of
from tests.conftest import homes
from tests.participation.test_vote_pages import resident


def _items(*codes):
    return [db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in codes]


@pytest.fixture
def progress_site(app, reference_data, vote_site, make_community):
    """vote_site's community with version 2 of its plan adopted (B01 finished, B02 under way, B03 not started; I01
    left out with a reason), version 1 superseded; another community beside it."""
    community, unit, organiser, _rep = vote_site
    b01, b02, b03, i01 = _items("B01", "B02", "B03", "I01")

    def item(catalogue, position, included=True, reason=None):
        return PlanItem(item=catalogue, position=position, included=included, quantity=Decimal(1),
                        unit_cost=catalogue.unit_cost, cost=catalogue.unit_cost, suggestion="include",
                        change_reason=reason)

    old = PlanVersion(number=1, status="superseded", adopted_at=utcnow() - timedelta(days=90), items=[item(i01, 1)])
    adopted = PlanVersion(number=2, status="adopted", adopted_at=utcnow() - timedelta(days=40), items=[
        item(b01, 1), item(b02, 2), item(b03, 3), item(i01, 4, included=False, reason="预算不足，明年再议")])
    plan = Plan(community=community, versions=[old, adopted], works=[
        PlanWork(item=b01, status="finished", started_on=date(2026, 5, 1), finished_on=date(2026, 9, 30)),
        PlanWork(item=b02, status="in_progress", started_on=date(2026, 6, 1))])
    db.session.add(plan)
    other = make_community("220102999", buildings=1, units=1)
    db.session.commit()
    return {"community": community, "unit": unit, "organiser": organiser, "plan": plan, "version": adopted,
            "items": {"B01": b01, "B02": b02, "B03": b03, "I01": i01}, "other": other}


def _closed_round(site, item, number, responses, *, passed=True):
    satisfied = responses - 1
    round_ = AcceptanceRating(
        community_id=site["community"].id, plan_id=site["plan"].id, subject=f"item:{item.id}", item_id=item.id,
        number=number, opens_at=utcnow() - timedelta(days=10), closes_at=utcnow() - timedelta(days=3),
        status="closed", closed_at=utcnow() - timedelta(days=3), eligible=12, responses=responses,
        satisfied=satisfied, basically_satisfied=1, dissatisfied=0, result="passed" if passed else "failed",
        rule_text="满意率≥80%", rule_source="测试")
    db.session.add(round_)
    db.session.commit()
    return round_


def test_the_page_lists_the_adopted_items_with_their_status_and_dates(app, progress_site):
    client = resident(app, homes(progress_site["unit"])[0])
    response = client.get(f"/r/{progress_site['community'].code}/progress")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.text
    assert "Plan version 2" in html
    assert "Finished: 1" in html and "Under way: 1" in html and "Not started: 1" in html
    b01, b02, b03, i01 = (progress_site["items"][code] for code in ("B01", "B02", "B03", "I01"))
    section = html[html.index('id="progress-items"'):html.index('id="progress-acceptance"')]
    assert b01.name in section and b02.name in section and b03.name in section
    words = re.sub(r"<[^>]+>", "", section)                 # each date sits in its own nowrap span
    assert "Started on 2026-05-01" in words and "Finished on 2026-09-30" in words
    excluded = section[section.index('id="progress-excluded"'):]
    assert i01.name in excluded and "预算不足，明年再议" in excluded and b01.name not in excluded
    assert "Joint review not started yet" in html
    assert "No rating has finished yet." in html


def test_the_joint_review_done_shows_its_date(app, progress_site):
    db.session.add(JointReview(version_id=progress_site["version"].id, opened_at=utcnow() - timedelta(days=20),
                               closed_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    html = resident(app, homes(progress_site["unit"])[0]).get(f"/r/{progress_site['community'].code}/progress").text
    day = (utcnow() - timedelta(days=10) + timedelta(hours=8)).strftime("%Y-%m-%d")
    assert f"Joint review completed ({day})" in re.sub(r"<[^>]+>", "", html)
    assert progress_of(progress_site["community"])["joint_review"]["done"] is True


def test_acceptance_results_suppress_counts_under_five_and_show_the_signed_record(app, progress_site):
    b01, b02 = progress_site["items"]["B01"], progress_site["items"]["B02"]
    few = _closed_round(progress_site, b02, 1, 3, passed=False)
    many = _closed_round(progress_site, b01, 1, 8)
    now = utcnow()
    organiser = progress_site["organiser"]
    db.session.add(AcceptanceRecord(community_id=progress_site["community"].id, plan_id=progress_site["plan"].id,
                                    result_text="屋面防水工程验收合格", organiser_id=organiser.id,
                                    organiser_signed_at=now, owner_rep_id=organiser.id, owner_rep_signed_at=now,
                                    supervisor_id=organiser.id, supervisor_signed_at=now))
    db.session.commit()
    html = resident(app, homes(progress_site["unit"])[0]).get(f"/r/{progress_site['community'].code}/progress").text
    section = html[html.index('id="progress-acceptance"'):]
    few_row = section[section.index(f'id="round-{few.id}"'):]
    few_row = few_row[:few_row.index("</li>")]
    assert "Fewer than 5 households rated" in few_row and "did not pass" in few_row
    assert "3 households" not in section
    many_row = section[section.index(f'id="round-{many.id}"'):]
    many_row = many_row[:many_row.index("</li>")]
    assert "8 households rated" in many_row and "100.0%" in many_row and "passed" in many_row
    assert "屋面防水工程验收合格" in section and "Joint acceptance signed" in section
    rows = {row["id"]: row for row in progress_of(progress_site["community"])["ratings"]}
    assert rows[few.id]["responses"] is None and rows[few.id]["content_share"] is None
    assert rows[many.id]["responses"] == 8


def test_an_open_round_links_to_rating_for_households_in_its_scope(app, progress_site):
    b01 = progress_site["items"]["B01"]
    round_ = AcceptanceRating(community_id=progress_site["community"].id, plan_id=progress_site["plan"].id,
                              subject=f"item:{b01.id}", item_id=b01.id, number=1, opens_at=utcnow(),
                              closes_at=utcnow() + timedelta(days=5), status="open")
    b02 = progress_site["items"]["B02"]
    elsewhere = AcceptanceRating(community_id=progress_site["community"].id, plan_id=progress_site["plan"].id,
                                 subject=f"item:{b02.id}", item_id=b02.id, number=1, opens_at=utcnow(),
                                 closes_at=utcnow() + timedelta(days=5), status="open", scope="buildings",
                                 buildings=[progress_site["community"].buildings[1]])
    db.session.add_all([round_, elsewhere])
    db.session.commit()
    html = resident(app, homes(progress_site["unit"])[0]).get(f"/r/{progress_site['community'].code}/progress").text
    assert f'href="/r/rating/{round_.id}"' in html and "Not rated yet" in html
    assert f'href="/r/rating/{elsewhere.id}"' not in html          # building 2 rates that one


def test_a_failed_vote_takes_its_item_out_of_the_plan_in_force(app, progress_site, monkeypatch):
    code, passed = progress_site["items"]["B03"].code, progress_site["items"]["B01"].code
    monkeypatch.setattr("participation.plans.progress.item_outcomes", lambda community: {
        code: {"title": "改建车棚", "passed": False, "finalised_at": utcnow()},
        passed: {"title": "屋面改造", "passed": True, "finalised_at": utcnow()}})
    progress = progress_of(progress_site["community"])
    assert code not in [row["code"] for row in progress["planned"]]
    assert [row["code"] for row in progress["excluded"] if row["failed_vote"]] == [code]
    html = resident(app, homes(progress_site["unit"])[0]).get(f"/r/{progress_site['community'].code}/progress").text
    excluded = html[html.index('id="progress-excluded"'):]
    assert "The owner vote “改建车棚” did not pass." in excluded
    built = html[html.index(f'id="item-{passed}"'):]
    assert built[:built.index("</li>")].count("Owner vote “屋面改造”: passed") == 1


def test_without_an_adopted_plan_the_page_says_so(app, reference_data, vote_site):
    community, unit, _organiser, _rep = vote_site
    html = resident(app, homes(unit)[0]).get(f"/r/{community.code}/progress").text
    assert "No renovation plan has been adopted yet." in html


def test_another_communitys_page_is_404_and_a_visitor_goes_to_the_start(app, client, progress_site):
    other = progress_site["other"]
    household_client = resident(app, homes(progress_site["unit"])[0])
    assert household_client.get(f"/r/{other.code}/progress").status_code == 404
    assert household_client.get("/r/NOSUCH/progress").status_code == 404
    response = client.get(f"/r/{progress_site['community'].code}/progress")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
