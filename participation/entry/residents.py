"""Whose household page this browser shows: a resident who entered with the household code, or a staff member
acting for the household (staff-assisted mode). Residents have no staff account; both live in the signed session.
"""
from dataclasses import dataclass

from flask import g, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from participation.entry.assisted import ASSIST_CHANNELS
from participation.extensions import db
from participation.models import Household, HouseholdCode, Unit, User
from participation.permissions import can_act_for_household

SESSION_KEY = "household_id"
CODE_KEY = "household_code_id"
ASSIST_KEY = "assist"
BROWSER_KEY = "entry_browser"
SWITCH_KEY = "switch_to"   # a household whose right code was given while this browser shows another one
# What survives entering as a household: the visitor's language and the browser id the entry throttle counts under.
KEPT_ON_ENTRY = ("lang", BROWSER_KEY)

# What residents read for each HouseholdActivity.action; later features add theirs here.
ACTIVITY_LABELS = {
    "notice.accept": _l("Accepted the notice on personal information"),
    "assist.start": _l("Staff opened the household's page to help"),
}


def activity_label(action: str) -> str:
    return str(ACTIVITY_LABELS.get(action, action))


@dataclass(frozen=True)
class Acting:
    """The household whose page this request shows, and how: the resident online (``staff`` None, channel "web"),
    or a staff member on the household's behalf through ``channel``."""

    household: Household
    channel: str = "web"
    staff: User | None = None

    @property
    def assisted(self) -> bool:
        return self.staff is not None


def current_household() -> Household | None:
    """The household this browser entered as, or None; cached for the request.

    A session made with a code that has since been regenerated ends here: revoking a code locks out whoever held it.
    """
    if "household" not in g:
        g.household = None
        household_id, code_id = session.get(SESSION_KEY), session.get(CODE_KEY)
        if isinstance(household_id, int) and isinstance(code_id, int):
            # One query for the code and the household's address: every household page reads the unit and
            # building (its community decides what the household may see).
            code = db.session.get(HouseholdCode, code_id, options=[
                joinedload(HouseholdCode.household).joinedload(Household.unit).joinedload(Unit.building)])
            if code is not None and code.revoked_at is None and code.household_id == household_id:
                g.household = code.household
    return g.household


def assisted_household() -> Acting | None:
    """The household a signed-in staff member is acting for, while they still may; cached for the request."""
    if "assisting" not in g:
        g.assisting = None
        data = session.get(ASSIST_KEY)
        if current_user.is_authenticated and isinstance(data, dict) and data.get("channel") in ASSIST_CHANNELS \
                and isinstance(data.get("household_id"), int):
            household = db.session.get(Household, data["household_id"])
            if household is not None and can_act_for_household(current_user, household):
                g.assisting = Acting(household, data["channel"], current_user._get_current_object())
    return g.assisting


def acting() -> Acting | None:
    """Staff acting for a household take precedence; otherwise the household this browser entered as."""
    assisted = assisted_household()
    if assisted is not None:
        return assisted
    household = current_household()
    return Acting(household) if household is not None else None


def enter_as(household: Household, *, code_id: int) -> None:
    """Start a resident session. Everything else in the session (a staff login, an assisted household) ends, so
    one browser is never a resident and a staff member at once."""
    kept = {key: session[key] for key in KEPT_ON_ENTRY if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = household.id
    session[CODE_KEY] = code_id
    session.permanent = True
    g.household = household


def propose_switch(household: Household, *, code_id: int) -> None:
    """Remember a household whose right code was given in a browser that shows another one, until asked."""
    session[SWITCH_KEY] = {"household_id": household.id, "code_id": code_id}


def proposed_switch() -> tuple[Household, int] | None:
    """The household (and code) waiting for the visitor's word, while that code is still live."""
    data = session.get(SWITCH_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("household_id"), int) \
            or not isinstance(data.get("code_id"), int):
        return None
    code = db.session.get(HouseholdCode, data["code_id"])
    if code is None or code.revoked_at is not None or code.household_id != data["household_id"]:
        return None
    return code.household, code.id


def drop_switch() -> None:
    session.pop(SWITCH_KEY, None)


def leave() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(CODE_KEY, None)
    g.pop("household", None)


def start_assisting(household: Household, channel: str) -> None:
    session[ASSIST_KEY] = {"household_id": household.id, "channel": channel}
    g.pop("assisting", None)


def stop_assisting() -> None:
    session.pop(ASSIST_KEY, None)
    g.pop("assisting", None)
