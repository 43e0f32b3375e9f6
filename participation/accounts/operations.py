"""Staff accounts: passwords and their strength, roles and the scope each account sees, organisations.

Signing in (throttles, device cookies) is in ``sign_in``."""
import logging
import re

from flask_babel import gettext as _
from sqlalchemy import select
from zxcvbn import zxcvbn

from participation import throttle
from participation.accounts.queries import organisation_in_use
from participation.audit import apply_changes, record
from participation.extensions import db
from participation.handlers import Refused
from participation.jointreview.operations import clean_speciality
from participation.models import ORGANISATION_KINDS, ROLES, District, Organisation, User
from participation.permissions import CITY_WIDE_ROLES, scope_district_ids

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
# zxcvbn's score (0–4) a new password needs: 3 is "safely unguessable: moderate protection from offline slow-hash
# scenario" (about 10^8 guesses or more), far beyond what the sign-in throttle lets anyone try online.
MIN_PASSWORD_SCORE = 3
# Words anyone guessing a staff password here would try first, besides the account's own username and name.
SITE_WORDS = ("minhu", "woying", "minhuwoying", "changchun", "jilin", "renovation", "participation")


class AccountError(Refused):
    """A refused account change; the message is shown to the user, next to ``field`` when one is named."""

    @property
    def field(self) -> str | None:
        """The field the refusal names, or None when it is about the whole request."""
        return next(iter(self.errors), "") or None


def create_user(actor: User | None, *, username: str, password: str, role: str, display_name: str | None = None,
                district=None, organisation=None, communities=(), buildings=(), is_demo: bool = False) -> User:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(_("Unknown role: %(role)s", role=role))
    if not username or len(username) > 40:
        raise AccountError(_("A username has 1 to 40 characters."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("That username is taken."))
    if role == "agency" and organisation is None:
        raise AccountError(_("An agency account must belong to an organisation."))
    user = User(username=username, display_name=display_name or username, role=role, district=district,
                organisation=organisation, communities=list(communities), buildings=list(buildings),
                is_demo=is_demo)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, role=role)
    return user


# --- accounts managed by admins ---------------------------------------------------------------------------------

def check_password_strength(password: str, user_inputs=()) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH or one zxcvbn scores below MIN_PASSWORD_SCORE, saying why.

    ``user_inputs`` (the username, the name shown) count as guessable words, like the site's own words.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password")
    words = [word for word in (*user_inputs, *SITE_WORDS) if word]
    # zxcvbn refuses to rate past 72 characters (its matching is quadratic); the start decides weakness anyway.
    result = zxcvbn(password[:72], user_inputs=words)
    if result["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(_("This password is too easy to guess (strength %(score)d of 4, at least %(needed)d "
                             "is needed). %(reason)s A few uncommon words together make a strong password.",
                             score=result["score"], needed=MIN_PASSWORD_SCORE, reason=_weakness(result)),
                           field="password")


def _weakness(result: dict) -> str:
    """Why zxcvbn finds a password guessable, in our words: its longest match decides, as in zxcvbn's feedback."""
    match = max(result["sequence"], key=lambda m: len(m["token"]), default={})
    pattern, dictionary = match.get("pattern"), match.get("dictionary_name")
    if pattern == "dictionary" and dictionary == "passwords":
        return _("It is one of the most common passwords, or close to one.")
    if pattern == "dictionary" and dictionary == "user_inputs":
        return _("It contains the username, the name or the site's name.")
    if pattern == "dictionary" and dictionary in ("surnames", "male_names", "female_names"):
        return _("Names are easy to guess.")
    if pattern == "dictionary":
        return _("Common words on their own are easy to guess.")
    if pattern == "spatial":
        return _("Keyboard patterns such as qwerty or 1qaz2wsx are easy to guess.")
    if pattern == "repeat":
        return _("Repeated characters or groups such as 1111 or abcabc are easy to guess.")
    if pattern == "sequence":
        return _("Sequences such as abcd or 654321 are easy to guess.")
    if pattern in ("regex", "date"):
        return _("Dates and years are easy to guess.")
    return _("It is too short or too simple for its length.")


def clean_scope(actor: User, role: str, *, district: District | None = None, communities=(), buildings=(),
                organisation: Organisation | None = None) -> dict:
    """The scope fields that apply to ``role``, checked; fields of other roles are dropped.

    admin, hotline: a district or none (the whole city); organiser: a district or communities; owner_rep:
    communities; grid: buildings; agency: an organisation and optionally communities. A district admin may only
    give scopes wholly inside their own district.
    """
    if role not in ROLES:
        raise AccountError(_("Choose a role."), field="role")
    communities, buildings = list(communities), list(buildings)
    scope = {"district": None, "communities": [], "buildings": [], "organisation": None}
    if role in CITY_WIDE_ROLES:
        scope["district"] = district
    elif role == "organiser":
        if district is not None and communities:
            raise AccountError(_("Choose either a district or communities for an organiser, not both."),
                               field="communities")
        if district is None and not communities:
            raise AccountError(_("Choose the organiser's district or communities."), field="district")
        scope.update(district=district, communities=communities)
    elif role == "owner_rep":
        if not communities:
            raise AccountError(_("Choose the communities this owner representative speaks for."), field="communities")
        scope["communities"] = communities
    elif role == "grid":
        if not buildings:
            raise AccountError(_("Choose the buildings this grid worker covers."), field="buildings")
        scope["buildings"] = buildings
    else:
        if organisation is None:
            raise AccountError(_("An agency account must belong to an organisation."), field="organisation")
        scope.update(organisation=organisation, communities=communities)
    if actor.district_id is not None:
        districts = scope_district_ids(scope["district"], scope["communities"], scope["buildings"])
        if districts != {actor.district_id}:
            raise AccountError(_("You may only give accounts a scope inside your own district."), field="district")
    return scope


def create_staff_user(actor: User, *, username: str, password: str, role: str, display_name: str | None = None,
                      **scope) -> User:
    """An account created by an admin, with the scope its role needs."""
    clean = clean_scope(actor, role, **scope)
    check_password_strength(password, (username, display_name))
    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,40}", (username or "").strip()):
        raise AccountError(_("A username has 1 to 40 Latin letters, digits, or . _ @ -."), field="username")
    if db.session.scalar(select(User.id).where(User.username == username.strip())) is not None:
        raise AccountError(_("That username is taken."), field="username")
    return create_user(actor, username=username, password=password, role=role,
                       display_name=(display_name or "").strip()[:40] or None, **clean)


def _scope_summary(user: User) -> dict:
    return {"role": user.role, "district": user.district_id, "organisation": user.organisation_id,
            "communities": sorted(c.code for c in user.communities),
            "buildings": sorted(b.id for b in user.buildings)}


def update_user(actor: User, user: User, *, display_name: str, role: str, **scope) -> User:
    """Change an account's name, role and scope. Admins cannot change their own role or scope."""
    clean = clean_scope(actor, role, **scope)
    before = _scope_summary(user)
    if user.id == actor.id and (role != user.role or clean["district"] != user.district):
        raise AccountError(_("You cannot change your own role or district; ask another administrator."), field="role")
    display_name = (display_name or "").strip()[:40]
    if not display_name:
        raise AccountError(_("Enter the name shown to others."), field="display_name")
    changed_name = display_name != user.display_name
    user.display_name, user.role = display_name, role
    user.district, user.organisation = clean["district"], clean["organisation"]
    user.communities, user.buildings = clean["communities"], clean["buildings"]
    db.session.flush()
    after = _scope_summary(user)
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changed_name:
        changes["display_name"] = True
    record(actor, "user.update", user, username=user.username, changes=changes)
    return user


def set_password(actor: User, user: User, password: str) -> None:
    """An admin sets a new password (the person lost theirs); the old one and every session of the account stop
    working at once."""
    check_password_strength(password, (user.username, user.display_name))
    user.set_password(password)
    user.end_sessions()
    db.session.flush()
    record(actor, "user.password_reset", user, username=user.username)


def change_own_password(user: User, current: str, new: str) -> None:
    """A staff member changes their own password; wrong current passwords are throttled like sign-ins."""
    key = f"password:user:{user.id}"
    wait = throttle.wait_seconds(key)
    if wait:
        raise AccountError(_("Too many failed attempts. Please wait %(seconds)d seconds and try again.",
                             seconds=wait), field="current")
    if not user.check_password(current or ""):
        throttle.record_failure(key)
        raise AccountError(_("The current password is wrong."), field="current")
    throttle.record_success(key)
    if new == current:
        raise AccountError(_("Choose a password different from the current one."), field="password")
    check_password_strength(new, (user.username, user.display_name))
    user.set_password(new)
    # Every session ends, this browser's too: the view signs it in again under the new session version.
    user.end_sessions()
    db.session.flush()
    record(user, "user.password_change", user, username=user.username)


def deactivate(actor: User, user: User) -> None:
    """The account can no longer sign in and its open sessions end; everything it did stays attributed."""
    if user.id == actor.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.active:
        user.active = False
        user.end_sessions()   # reactivating the account later does not bring its old sessions back
        db.session.flush()
        record(actor, "user.deactivate", user, username=user.username)


def reactivate(actor: User, user: User) -> None:
    if not user.active:
        user.active = True
        db.session.flush()
        record(actor, "user.reactivate", user, username=user.username)


# --- organisations ----------------------------------------------------------------------------------------------

PHONE = re.compile(r"^[0-9+\- ]{3,30}$")


def _clean_organisation(name: str, kind: str, phone: str | None, organisation: Organisation | None,
                        speciality: str | None = None) -> dict:
    name, phone = (name or "").strip(), (phone or "").strip() or None
    if not name or len(name) > 100:
        raise AccountError(_("An organisation's name has 1 to 100 characters."), field="name")
    if kind not in ORGANISATION_KINDS:
        raise AccountError(_("Choose what kind of organisation this is."), field="kind")
    if phone is not None and not PHONE.match(phone):
        raise AccountError(_("A phone number has digits, spaces, + or - only."), field="phone")
    taken = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
    if taken is not None and (organisation is None or taken != organisation.id):
        raise AccountError(_("Another organisation already has this name."), field="name")
    try:
        speciality = clean_speciality(kind, speciality)
    except Refused as refusal:
        raise AccountError(refusal.errors) from None
    return {"name": name, "kind": kind, "phone": phone, "speciality": speciality}


def create_organisation(actor: User, *, name: str, kind: str, phone: str | None = None,
                        speciality: str | None = None) -> Organisation:
    organisation = Organisation(**_clean_organisation(name, kind, phone, None, speciality))
    db.session.add(organisation)
    db.session.flush()
    record(actor, "organisation.create", organisation, name=organisation.name, kind=organisation.kind)
    return organisation


def update_organisation(actor: User, organisation: Organisation, *, name: str, kind: str,
                        phone: str | None = None, speciality: str | None = None) -> Organisation:
    clean = _clean_organisation(name, kind, phone, organisation, speciality)
    if clean["kind"] != organisation.kind and organisation_in_use(organisation):
        raise AccountError(_("This organisation has accounts or works assigned; its kind cannot change."), field="kind")
    changes = apply_changes(organisation, clean, clean.keys())
    if not changes:
        return organisation
    record(actor, "organisation.update", organisation, changes=changes)
    return organisation


def delete_organisation(actor: User, organisation: Organisation) -> None:
    """Only an organisation nothing refers to can go; one with history is kept for the record."""
    if organisation_in_use(organisation):
        raise AccountError(_("This organisation has accounts or works assigned, so it cannot be deleted."))
    record(actor, "organisation.delete", organisation, name=organisation.name, kind=organisation.kind)
    db.session.delete(organisation)
    db.session.flush()
