"""Fixtures shared by the whole suite.

The same tests run on SQLite (default, a file in a temporary folder) and on PostgreSQL when TEST_DATABASE_URL is
set. The schema is created once per session; after each test every table is emptied, so tests never see each
other's rows on either database (the audit log's append-only guard is lifted for that one transaction only).
"""
import os
import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from app import create_app
from participation.accounts.operations import create_user
from participation.extensions import db, limiter
from participation.models import Building, Community, District, Household, Locality, Organisation, Unit
from participation.models.audit import append_only_lifted
from participation.reference.seed import seed_catalogue, seed_localities
from participation.roster.files import natural_key
from participation.roster.imports import id_tail_hash
from tests.surveys.results_support import build_world

PASSWORD = "correct-horse-battery"
ID_TAIL = "12345X"   # the last characters of every owner's ID number in ``vote_site``


def pytest_collection_modifyitems(config, items):
    # Browser journeys run in their own pytest invocation (tests/e2e has its own conftest and live server).
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g`` and its own DB session.

    What the test added so far is committed first, so the request sees it; the test's session starts a new
    transaction on its next query, so it sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "HOUSEHOLD_CODE_KEY": "test-code-key",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        # scrypt costs ~0.2 s a hash; tests make many accounts. Checking reads the method from the stored hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tasks wait in this process until a test runs them (participation.reach.queue.run_waiting).
        "QUEUE_BACKEND": "memory",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_every_table() -> None:
    """Delete every row of every table, audit rows included: the one maintenance path that lifts the audit log's
    append-only guard (``append_only_lifted``), for the length of its own transaction."""
    with append_only_lifted(db.session):
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))


@pytest.fixture(autouse=True)
def _clean_database(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        empty_every_table()
        db.session.remove()
    limiter.reset()
    app.extensions["reach.queue"].flush()   # the memory queue: tasks a test's commits handed over end with it


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def reference_data(app):
    """The catalogue and the 长春 locality rules, as a fresh deployment has them."""
    seed_catalogue()
    seed_localities()
    db.session.commit()


# make_community's complaint numbers, as posted on site: two landlines and a mobile written with spaces.
COMPLAINT_NUMBERS = {"quality_hotline": "0431-88881234", "supervisor_hotline": "139 0000 1111",
                     "community_hotline": "0431-85550000"}


@pytest.fixture
def make_community(app):
    """Factory: a community of ``buildings`` × ``units`` × ``floors`` × ``per_floor`` households (rooms 101, 102,
    201 …), built top-down so every child cascades into the session through its parent's collection.

    By default it lies in 南关区 (``district``: a District, or the name of one in the first locality; both are made
    when missing), is named "<code>小区", was built in 1995 and posts ``COMPLAINT_NUMBERS``; any other keyword sets
    a Community attribute (``status``, ``contractor`` …) or overrides these. Every household has ``area`` m² and,
    with ``phones``, its own 11-digit mobile; sort keys are the roster importer's (``natural_key``) unless
    ``sort_key`` computes them from the names another way.
    """
    counter = {"n": 0}

    def make(code=None, *, buildings=2, units=2, floors=3, per_floor=2, district=None, area=Decimal("60.50"),
             phones=True, sort_key=natural_key, **fields):
        counter["n"] += 1
        code = code or f"C{counter['n']:03d}"
        attributes = {"name": f"{code}小区", "year_built": 1995, **COMPLAINT_NUMBERS, **fields}
        community = Community(code=code, district=_district(district), **attributes)
        db.session.add(community)
        for b in range(1, buildings + 1):
            building = Building(name=str(b), sort_key=sort_key(str(b)))
            community.buildings.append(building)
            for u in range(1, units + 1):
                unit = Unit(name=str(u), sort_key=sort_key(str(u)))
                building.units.append(unit)
                for floor in range(1, floors + 1):
                    for door in range(1, per_floor + 1):
                        room = f"{floor}{door:02d}"
                        unit.households.append(Household(
                            room=room, sort_key=sort_key(room), floor=floor, area=area,
                            phone=f"138{b:02d}{u:02d}{floor:02d}{door:02d}" if phones else None))
        db.session.flush()
        return community

    return make


def _district(district: District | str | None) -> District:
    if isinstance(district, District):
        return district
    name = district or "南关区"
    locality = db.session.scalar(select(Locality).order_by(Locality.id)) or Locality(province="吉林省", city="长春市")
    return db.session.scalar(select(District).filter_by(name=name)) or District(locality=locality, name=name)


@pytest.fixture
def make_user(app):
    """Factory: a staff user of ``role`` with the given scope; the password is ``PASSWORD``."""
    counter = {"n": 0}

    def make(role="organiser", *, username=None, organisation=None, **scope):
        counter["n"] += 1
        if role == "agency" and organisation is None:
            organisation = Organisation(name=f"单位{counter['n']}", kind="contractor")
            db.session.add(organisation)
        user = create_user(None, username=username or f"{role}{counter['n']}", password=PASSWORD, role=role,
                           organisation=organisation, **scope)
        db.session.flush()
        return user

    return make


@pytest.fixture
def results_world(reference_data):
    """The survey-results world of ``tests/surveys/results_support.build_world`` as it comes (community R001, its
    answered survey, the values stored), committed: what the results, summary and export tests read."""
    world = build_world()
    db.session.commit()
    return world


def homes(unit) -> list[Household]:
    """A 单元's homes from the lowest floor up, as the vote pages list them."""
    return sorted(unit.households, key=lambda h: (h.floor, h.room))


@pytest.fixture
def vote_site(make_community, make_user):
    """The owner-vote world: community 220102901 of 2 buildings × 1 单元 × 6 homes (60.50 m²) whose owners' ID
    tails (``ID_TAIL``) are on the roster, its organiser "org" and owner representative "rep": (community, the
    first 单元, organiser, owner representative)."""
    community = make_community("220102901", buildings=2, units=1, floors=3, per_floor=2)
    for building in community.buildings:
        for household in building.units[0].households:
            household.owner_id_tail_hash = id_tail_hash(community.code, ID_TAIL)
    organiser = make_user("organiser", username="org", communities=[community])
    rep = make_user("owner_rep", username="rep", communities=[community])
    db.session.commit()
    return community, community.buildings[0].units[0], organiser, rep


@pytest.fixture
def login_as(make_user, auth):
    """Factory: sign the client in as a new user named after its ``role``, scoped as that role usually is to
    ``community``: a grid worker to its first building, admins and hotline staff to nothing (they see the city),
    anyone else to the community. Other keywords go to ``make_user`` (``display_name`` …)."""
    def login(role, community=None, **fields):
        if role == "grid":
            fields["buildings"] = [community.buildings[0]]
        elif role not in ("admin", "hotline") and community is not None:
            fields["communities"] = [community]
        user = make_user(role, username=role, **fields)
        db.session.commit()
        auth.login(role)
        return user

    return login


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username, password=PASSWORD):
        page = self._client.get("/login")
        token = csrf_token(page.get_data(as_text=True))
        return self._client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        page = self._client.get("/staff")
        return self._client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
