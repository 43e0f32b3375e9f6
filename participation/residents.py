"""The resident's session: which household this browser entered as (residents have no staff account)."""
from flask import g, session

from participation.extensions import db
from participation.models import Household, HouseholdCode

SESSION_KEY = "household_id"


def current_household() -> Household | None:
    """The household this browser entered as, or None; cached for the request.

    A session made with a code that has since been regenerated ends here: revoking a code locks out whoever held it.
    """
    if "household" not in g:
        g.household = None
        household_id, code_id = session.get(SESSION_KEY), session.get("household_code_id")
        if isinstance(household_id, int) and isinstance(code_id, int):
            code = db.session.get(HouseholdCode, code_id)
            if code is not None and code.revoked_at is None and code.household_id == household_id:
                g.household = code.household
    return g.household


def enter_as(household: Household, *, code_id: int) -> None:
    session.clear()
    session[SESSION_KEY] = household.id
    session["household_code_id"] = code_id
    session.permanent = True
    g.household = household


def leave() -> None:
    session.pop(SESSION_KEY, None)
    session.pop("household_code_id", None)
    g.pop("household", None)
