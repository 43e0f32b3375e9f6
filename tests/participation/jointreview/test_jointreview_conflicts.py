"""Conflicts: two works on one place (same building, the same place words, or the same item where one covers the
whole item) with overlapping dates; adjacent dates do not conflict."""
import pytest

from participation.extensions import db
from participation.jointreview.operations import (GATE, ReviewRefused, close_review, delete_work, open_review,
                                                  record_work, sign_off, update_work)
from participation.jointreview.queries import conflicts, normalised_place, todo_for
from participation.lifecycle.overrides import GateRefused
from participation.models import Organisation, Plan, PlanWork
from tests.participation.jointreview.conftest import day


@pytest.fixture
def water(world, make_user):
    organisation = Organisation(name="供水公司", kind="pipeline", speciality="water")
    db.session.add(organisation)
    db.session.flush()
    return make_user("agency", username="water", organisation=organisation)


def work(user, world, start, end, **fields):
    return record_work(user, world.community, {"starts_on": day(start), "ends_on": day(end), **fields})


def test_overlapping_works_in_one_building_conflict(world, water):
    building = world.community.buildings[0]
    work(world.gas_user, world, 1, 10, building=building)
    work(water, world, 10, 20, building=building)
    found = conflicts(world.community)
    assert len(found) == 1
    assert (found[0]["starts_on"], found[0]["ends_on"]) == (day(10), day(10))
    assert {found[0]["first"]["organisation"], found[0]["second"]["organisation"]} == {"燃气集团", "供水公司"}


def test_adjacent_dates_and_other_buildings_do_not_conflict(world, water):
    first, second = world.community.buildings[:2]
    work(world.gas_user, world, 1, 10, building=first)
    work(water, world, 11, 20, building=first)        # starts the day after
    work(water, world, 1, 10, building=second)        # same days, another building
    assert conflicts(world.community) == []


def test_the_same_place_words_conflict_as_written_differently(world, water):
    assert normalised_place("北门至 3号楼道路。") == normalised_place("北门至３号楼道路")
    work(world.gas_user, world, 1, 10, place="北门至 3号楼道路。")
    work(water, world, 5, 6, place="北门至３号楼道路")
    work(water, world, 5, 6, place="南门广场")
    found = conflicts(world.community)
    assert len(found) == 1 and found[0]["place"] == "北门至 3号楼道路。"


def test_the_same_item_without_a_place_covers_the_whole_item(world, water):
    item = world.items[0].item
    work(world.gas_user, world, 1, 10, item=item)                                   # the whole item
    work(water, world, 3, 4, item=item, building=world.community.buildings[0])
    work(water, world, 3, 4, item=world.items[1].item, building=world.community.buildings[1])
    found = conflicts(world.community)
    assert len(found) == 1 and found[0]["first"]["item"] == item.name


def test_plan_works_started_on_an_item_conflict_with_pipeline_works_on_it(world):
    plan = db.session.get(Plan, world.version.plan_id)
    item = world.items[0].item
    db.session.add(PlanWork(plan=plan, item_id=item.id, status="in_progress", started_on=day(5)))
    work(world.gas_user, world, 1, 4, item=item)      # ends before the plan's works started
    assert conflicts(world.community) == []
    work(world.gas_user, world, 20, 25, item=item)    # the plan's works go on: open-ended
    found = conflicts(world.community)
    assert len(found) == 1 and {found[0]["first"]["kind"], found[0]["second"]["kind"]} == {"plan", "pipeline"}


def test_a_conflict_keeps_the_review_open_until_the_works_move(world, water):
    review = open_review(world.organiser, world.community)
    for user in (world.dept_user, world.gas_user):
        for item in world.items:
            sign_off(user, review, item, "approved")
    building = world.community.buildings[0]
    gas_work = work(world.gas_user, world, 1, 10, building=building)
    work(water, world, 8, 12, building=building)
    assert todo_for(world.gas_user)["conflicting_works"] == 1
    with pytest.raises(GateRefused) as refused:
        close_review(world.organiser, review)
    assert refused.value.missing == [
        "Works overlap at 1号楼 from 2026-05-08 to 2026-05-10: 燃气集团 (no item) and 供水公司 (no item)."]
    update_work(world.gas_user, gas_work, {"starts_on": day(1), "ends_on": day(7), "building": building})
    close_review(world.organiser, review)
    assert review.closed_at is not None and GATE == "works_joint_review"


def test_works_are_checked_and_changed_only_by_their_company(world, water):
    with pytest.raises(ReviewRefused) as refused:
        work(world.gas_user, world, 10, 9)
    assert refused.value.errors == {"ends_on": "The works cannot end before they start."}
    gas_work = work(world.gas_user, world, 1, 2, place="东门")
    with pytest.raises(ReviewRefused, match="Only the company that recorded"):
        delete_work(water, gas_work)
    with pytest.raises(ReviewRefused, match="Only pipeline companies"):
        work(world.dept_user, world, 1, 2)
    delete_work(world.gas_user, gas_work)
    assert conflicts(world.community) == []
