"""Bugs the property tests found, each pinned by an example."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Household
from participation.roster.files import HEADERS, RosterImportError
from participation.roster.imports import import_roster


@pytest.mark.parametrize("area", ["1e30", 1e300, "9" * 40])
def test_a_huge_area_is_refused_by_row_not_an_invalid_operation(make_community, area):
    make_community("NG001", name="幸福里", buildings=1, units=1, floors=1, per_floor=1)
    before = db.session.scalar(select(func.count(Household.id)))
    row = dict(zip(HEADERS, ["NG001", "幸福里", "1", "1", "101", 1, area]))
    with force_locale("en"), pytest.raises(RosterImportError) as caught:
        import_roster(None, [row])
    assert caught.value.errors == ["Row 2: the area is too large for one household."]
    assert db.session.scalar(select(func.count(Household.id))) == before
