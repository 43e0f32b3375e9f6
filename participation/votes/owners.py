"""The owner check a resident's browser keeps (DESIGN §4): before a web ballot the owner types the last 6
characters of the owner's ID number (``ballots.verify_owner``); the verification's id is kept in the signed session
under ``OWNER_KEY`` as {"household_id", "verification_id"}. It counts only for that household and that owner
identity, and entering as another household clears the whole session (``entry.residents.enter_as``)."""
from flask import session

from participation.extensions import db
from participation.models import Household, OwnerVerification
from participation.votes.operations import owner_of

OWNER_KEY = "vote_owner"


def remember_verification(household: Household, verification: OwnerVerification) -> None:
    session[OWNER_KEY] = {"household_id": household.id, "verification_id": verification.id}


def session_verification(household: Household) -> OwnerVerification | None:
    """The owner verification this session made for ``household``, while it still names the roster's owner."""
    data = session.get(OWNER_KEY)
    if not isinstance(data, dict) or data.get("household_id") != household.id \
            or not isinstance(data.get("verification_id"), int):
        return None
    verification = db.session.get(OwnerVerification, data["verification_id"])
    if verification is None or verification.household_id != household.id \
            or verification.owner != owner_of(household) or verification.vote_id is not None:
        return None
    return verification
