"""Helpers shared by the admin tests (test_admin_*.py)."""
from decimal import Decimal

from sqlalchemy import select


from participation.extensions import db
from participation.models import Building, Community, District, Household, Locality, Unit


def build_community(code: str, district: District | None = None, *, buildings: int = 2) -> Community:
    """A small community built top-down (2 units × 2 floors × 2 households a building).

    conftest's ``make_community`` attaches children through the many-to-one side, which SQLAlchemy 2.1 warns
    about (and warnings are errors here), so these tests build their own.
    """
    if district is None:
        locality = db.session.scalar(select(Locality)) or Locality(province="吉林省", city="长春市")
        district = db.session.scalar(select(District).filter_by(name="南关区")) or \
            District(locality=locality, name="南关区")
    community = Community(code=code, name=f"{code}小区", district=district, year_built=1995)
    db.session.add(community)
    for b in range(1, buildings + 1):
        building = Building(name=str(b), sort_key=f"{b:05d}")
        community.buildings.append(building)
        for u in (1, 2):
            unit = Unit(name=str(u), sort_key=f"{u:05d}")
            building.units.append(unit)
            for floor in (1, 2):
                for door in (1, 2):
                    unit.households.append(Household(room=f"{floor}{door:02d}", sort_key=f"{floor:03d}{door:03d}",
                                                     floor=floor, area=Decimal("60.50")))
    db.session.flush()
    return community

