"""What the staff JSON API reads beyond what the staff pages' queries already answer."""
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Building, Community, Household, Unit, User
from participation.permissions import visible_buildings


def roster_page(user: User, community: Community, page: int, per_page: int) -> tuple[int, list]:
    """The households of ``community`` in the buildings ``user`` sees: how many, and page ``page`` of ``per_page``
    (household, unit, building) rows in roster order."""
    buildings = visible_buildings(user, community).with_only_columns(Building.id).order_by(None)
    query = (select(Household, Unit, Building).join(Unit, Household.unit_id == Unit.id)
             .join(Building, Unit.building_id == Building.id).where(Building.id.in_(buildings)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(Building.sort_key, Unit.sort_key, Household.sort_key)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return total, rows
