"""``flask bench-data``: a small city's counts, the same city from the same seed, and refusal on other data."""
import math

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import (Building, CatalogueItem, Community, CommunityBudget, FieldFinding, Household, Plan,
                                  PlanVersion, Unit)
from surveys.models import Answer, Response, Survey, Tally
from tests.conftest import empty_every_table

PER_COMMUNITY = 70      # 5 单元 × 6 floors × 2 = 60 a building: 2 buildings, 6 单元 (12 households each, the last 10)


def _run(runner, *extra):
    return runner.invoke(args=["bench-data", "--communities", "3", "--households-per-community",
                               str(PER_COMMUNITY), "--seed", "5", *extra])


def test_counts_of_a_small_city(app, runner):
    result = _run(runner)
    assert result.exit_code == 0, result.output
    codes = db.session.scalars(select(Community.code).order_by(Community.code)).all()
    assert codes == ["BX0001", "BX0002", "BX0003"]
    for community in db.session.scalars(select(Community)):
        households = db.session.scalar(select(func.count(Household.id)).join(Unit).join(Building)
                                       .where(Building.community_id == community.id))
        assert households == PER_COMMUNITY
        assert len(community.buildings) == math.ceil(PER_COMMUNITY / 60)
        assert sum(len(b.units) for b in community.buildings) == math.ceil(PER_COMMUNITY / 12)
    items = db.session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.retired_at.is_(None)))
    assert db.session.scalar(select(func.count(FieldFinding.id))) == 3 * items
    not_reserve = db.session.scalar(select(func.count(Community.id)).where(Community.status != "reserve"))
    assert db.session.scalar(select(func.count(CommunityBudget.id))) == not_reserve
    with_plan = db.session.scalar(select(func.count(Community.id)).where(
        Community.status.not_in(("reserve", "annual_plan"))))
    assert db.session.scalar(select(func.count(Plan.id))) == with_plan
    assert db.session.scalar(select(func.count(Survey.id))) == 3
    responses = db.session.scalar(select(func.count(Response.id)).where(Response.status == "submitted"))
    occupied = db.session.scalar(select(func.count(Household.id)).where(Household.occupancy != "vacant"))
    assert 0.4 * occupied <= responses <= 0.8 * occupied
    assert db.session.scalar(select(func.count(Answer.id))) == responses
    # one single-valued question per survey: its tallies' counts add up to the responses, their areas to theirs
    assert db.session.scalar(select(func.sum(Tally.count))) == responses
    answered_area = db.session.scalar(select(func.sum(Household.area)).join(Response,
                                                                            Response.household_id == Household.id))
    assert db.session.scalar(select(func.sum(Tally.area))) == answered_area
    assert f"{3 * PER_COMMUNITY} households" in result.output


def _snapshot() -> dict:
    return {
        "communities": db.session.execute(select(Community.code, Community.status, Community.year_built)
                                          .order_by(Community.code)).all(),
        "households": db.session.execute(
            select(Community.code, Building.name, Unit.name, Household.room, Household.area, Household.occupancy)
            .join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
            .join(Community, Building.community_id == Community.id)
            .order_by(Community.code, Building.name, Unit.name, Household.room)).all(),
        "findings": db.session.execute(select(FieldFinding.condition, FieldFinding.quantity)
                                       .order_by(FieldFinding.community_id, FieldFinding.item_id)).all(),
        "versions": db.session.execute(select(PlanVersion.number, PlanVersion.status)
                                       .order_by(PlanVersion.plan_id, PlanVersion.number)).all(),
        "answers": db.session.scalars(select(Answer.choice).order_by(Answer.id)).all(),
        "budgets": db.session.execute(select(CommunityBudget.plan_year, CommunityBudget.envelope)
                                      .order_by(CommunityBudget.community_id)).all(),
    }


def _wipe():
    empty_every_table()


def test_same_seed_same_city(app, runner):
    assert _run(runner).exit_code == 0
    first = _snapshot()
    _wipe()
    assert _run(runner).exit_code == 0
    assert _snapshot() == first
    _wipe()
    assert runner.invoke(args=["bench-data", "--communities", "3", "--households-per-community",
                               str(PER_COMMUNITY), "--seed", "6"]).exit_code == 0
    assert _snapshot()["households"] != first["households"]


def test_refuses_a_database_with_other_data(app, runner, reference_data, make_community):
    make_community("NG900")
    db.session.commit()
    result = _run(runner)
    assert result.exit_code != 0 and "not bench data" in result.output
    assert db.session.scalar(select(func.count(Community.id))) == 1
    assert db.session.scalar(select(func.count(Household.id))) == 24


def test_refuses_a_second_city(app, runner):
    assert _run(runner).exit_code == 0
    again = _run(runner)
    assert again.exit_code != 0 and "already holds a bench city" in again.output
    assert db.session.scalar(select(func.count(Community.id))) == 3


def test_full_survey_for_the_first_community(app, runner):
    assert _run(runner, "--full-surveys", "1").exit_code == 0
    first = db.session.scalar(select(Community).filter_by(code="BX0001"))
    survey = db.session.scalar(select(Survey).filter_by(community_id=first.id))
    assert len(survey.questions) > 30   # the whole item block, not the one-question survey
    assert db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey.id)) > 0
