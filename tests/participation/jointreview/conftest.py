"""The joint-review world: community JR1 with an adopted plan version of two included items (and one left out), the
locality listing a department (规自) and a gas company as reviewers, an organiser, an admin, and one agency user
per party."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from participation.extensions import db
from participation.models import (CatalogueItem, Community, JointReview, Organisation, Plan, PlanItem, PlanVersion,
                                  ReviewParty, User)
from participation.models.types import utcnow


@pytest.fixture(autouse=True)
def _english(app, client):
    """The tests read the English words (the pages are Chinese by default, once the catalogue has them)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with force_locale("en"):
        yield


@dataclass
class World:
    community: Community
    version: PlanVersion
    items: list          # the included plan items
    excluded: PlanItem
    department: Organisation
    gas: Organisation
    organiser: User
    admin: User
    dept_user: User
    gas_user: User

    def review(self) -> JointReview | None:
        return db.session.scalar(select(JointReview).where(JointReview.version_id == self.version.id))


def add_version(community, catalogue, number: int = 1, *, status="adopted") -> PlanVersion:
    plan = db.session.scalar(select(Plan).where(Plan.community_id == community.id))
    if plan is None:
        plan = Plan(community=community)
        db.session.add(plan)
    version = PlanVersion(number=number, status=status, adopted_at=utcnow() if status != "draft" else None, items=[
        PlanItem(item=item, position=index, included=index < 2, quantity=Decimal("1"), unit_cost=Decimal("100"),
                 cost=Decimal("100")) for index, item in enumerate(catalogue)])
    plan.versions.append(version)
    db.session.flush()
    return version


@pytest.fixture
def catalogue(reference_data):
    return list(db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.code).limit(3)))


@pytest.fixture
def world(catalogue, make_community, make_user) -> World:
    community = make_community("JR1")
    version = add_version(community, catalogue)
    department = Organisation(name="规划和自然资源局", kind="department", speciality="planning")
    gas = Organisation(name="燃气集团", kind="pipeline", speciality="gas")
    db.session.add_all([department, gas])
    db.session.flush()
    locality_id = community.district.locality_id
    db.session.add_all([ReviewParty(locality_id=locality_id, organisation_id=department.id),
                        ReviewParty(locality_id=locality_id, organisation_id=gas.id)])
    organiser = make_user("organiser", username="org", communities=[community])
    admin = make_user("admin", username="boss")
    dept_user = make_user("agency", username="dept", organisation=department)
    gas_user = make_user("agency", username="gasman", organisation=gas)
    db.session.commit()
    included = [item for item in version.items if item.included]
    excluded = next(item for item in version.items if not item.included)
    return World(community, version, included, excluded, department, gas, organiser, admin, dept_user, gas_user)


def day(n: int) -> date:
    return date(2026, 5, n)
