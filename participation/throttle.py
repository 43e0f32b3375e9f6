"""Back-off after failed guesses (household codes, staff passwords, owners' ID tails).

Each key — one browser, one address, one username — gets a few free failures, then waits twice as long after each
further one, up to a cap. A success clears its key. Nothing is keyed on a community, so no amount of failures from
one place can shut a whole community out, and successful entries (a grid worker going door to door) never count.

Counting is check-and-count in one statement: a try is counted as a failure *before* the secret is compared (an
upsert that adds one and returns the new count, refused by its own WHERE while the key must wait), and a success
clears the key afterwards. Forty guesses sent at the same moment therefore count forty and only the free allowance
is compared; reading the count first and writing it after the comparison let every parallel guess through.

The count is written on a connection of its own and committed at once, so it holds whatever the request does next
(a refusal that rolls the request back, an error page). One exception: on SQLite, when the request's own
connection already holds the write lock (it wrote something earlier), a second connection would wait for that lock
until the request ends; the count then rides on the request's transaction and commits with the request. So a
throttled view counts before it writes anything (all do): a refusal's rollback (``handlers.refuse_onto``) would
otherwise take the count with it.
"""
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import case, create_engine, delete, event, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from participation.extensions import db
from participation.models import Throttle
from participation.models.types import UTCDateTime, utcnow

FORGET_AFTER = timedelta(hours=24)

_table = Throttle.__table__


def wait_for(failures: int, *, free: int, cap_seconds: int) -> int:
    """The wait that the ``failures``-th failure starts: none within the free allowance, then 2, 4, 8 … seconds."""
    over = failures - free
    return 0 if over < 0 else min(cap_seconds, 2 ** (over + 1))


# --- where the count is written ----------------------------------------------------------------------------------

def _throttle_engine():
    """An engine of its own for the counts, so they commit apart from the request (None: use the request's)."""
    engines = current_app.extensions.setdefault("throttle_engines", {})
    url = db.engine.url
    if url not in engines:
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        engine = None
        if not in_memory:
            # Its own pool: a request holding its session's connection never waits for a second one from a pool
            # that other such requests have emptied; a count holds a connection for one statement only.
            engine = create_engine(url, pool_pre_ping=True)
            event.listen(db.engine, "engine_disposed", lambda _engine: engine.dispose())
        engines[url] = engine
    return engines[url]


def _request_holds_sqlite_write_lock() -> bool:
    if db.engine.dialect.name != "sqlite" or not db.session().in_transaction():
        return False
    return bool(db.session.connection().connection.dbapi_connection.in_transaction)


def _run(statement):
    """Execute ``statement`` and commit it at once (on the request's own connection when it must: see above, and
    for an in-memory SQLite database, which a second engine would not see); the first row it returns, or None."""
    engine = _throttle_engine()
    if engine is None or _request_holds_sqlite_write_lock():
        result = db.session.execute(statement)
        row = result.first() if result.returns_rows else None
        for instance in list(db.session.identity_map.values()):
            if isinstance(instance, Throttle):
                db.session.expire(instance)
        return row
    with engine.begin() as connection:
        result = connection.execute(statement)
        return result.first() if result.returns_rows else None


def _insert():
    dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
    return dialect.insert(_table)


def _at(moment):
    return literal(moment, type_=UTCDateTime()) if moment is not None else null()


def _blocked_until(failures, now, *, free: int, cap_seconds: int):
    """SQL for the end of the wait that the ``failures``-th failure starts (NULL within the free allowance): a CASE
    over the few possible steps, with the times computed here, reads the same on SQLite and PostgreSQL."""
    steps, over = [(failures < free, null())], 0
    while (wait := wait_for(free + over, free=free, cap_seconds=cap_seconds)) < cap_seconds:
        steps.append((failures == free + over, _at(now + timedelta(seconds=wait))))
        over += 1
    return case(*steps, else_=_at(now + timedelta(seconds=cap_seconds)))


def _claims() -> dict:
    """Keys claimed by ``wait_seconds`` in this request and not yet settled, with their free allowance."""
    if "throttle_claims" not in g:
        g.throttle_claims = {}
    return g.throttle_claims


# --- counting ----------------------------------------------------------------------------------------------------

def claim(key: str, *, free: int = 5, cap_seconds: int = 900) -> int:
    """Count a try under ``key`` as a failure now, before the secret is compared, unless ``key`` must still wait.

    Returns 0 when the try may go ahead (it is counted: settle it with ``record_success`` when it succeeds), or the
    seconds to wait (nothing counted). One statement checks and counts, so parallel tries cannot all slip through.
    """
    now = utcnow()
    fresh = _table.c.updated_at < _at(now - FORGET_AFTER)
    failures = case((fresh, 1), else_=_table.c.failures + 1)
    statement = _insert().values(
        key=key, failures=1, updated_at=now,
        blocked_until=_blocked_until(literal(1), now, free=free, cap_seconds=cap_seconds))
    statement = statement.on_conflict_do_update(
        index_elements=[_table.c.key],
        set_={"failures": failures, "updated_at": _at(now),
              "blocked_until": _blocked_until(failures, now, free=free, cap_seconds=cap_seconds)},
        where=_table.c.blocked_until.is_(None) | (_table.c.blocked_until <= _at(now)) | fresh,
    ).returning(_table.c.failures)
    if _run(statement) is not None:
        return 0
    return max(1, current_wait(key, now))


def count(key: str) -> int:
    """Add one to ``key``'s count without ever making it wait; the new count (an address's free allowance)."""
    now = utcnow()
    fresh = _table.c.updated_at < _at(now - FORGET_AFTER)
    statement = _insert().values(key=key, failures=1, updated_at=now, blocked_until=None).on_conflict_do_update(
        index_elements=[_table.c.key],
        set_={"failures": case((fresh, 1), else_=_table.c.failures + 1), "updated_at": _at(now)},
    ).returning(_table.c.failures)
    return _run(statement).failures


def give_back(key: str, *, free: int = 5) -> None:
    """Undo one counted try that was never compared (refused on another key) or that turned out not to be a
    failure; the wait it may have started ends if the count falls back within the free allowance."""
    _claims().pop(key, None)
    failures = _table.c.failures - 1
    _run(update(_table).where(_table.c.key == key, _table.c.failures > 0).values(
        failures=failures, blocked_until=case((failures < free, null()), else_=_table.c.blocked_until)))


def counted(key: str) -> int:
    """Failures counted under ``key`` in the last day (read only)."""
    row = _run(select(_table.c.failures, _table.c.updated_at).where(_table.c.key == key))
    if row is None or row.updated_at < utcnow() - FORGET_AFTER:
        return 0
    return row.failures


def current_wait(key: str, now=None) -> int:
    """Seconds ``key`` must still wait (read only; 0 when it may try now)."""
    now = now or utcnow()
    row = _run(select(_table.c.blocked_until).where(_table.c.key == key))
    if row is None or row.blocked_until is None:
        return 0
    return max(0, int((row.blocked_until - now).total_seconds() + 0.999))


def used(key: str) -> bool:
    """Whether the one-time token ``key`` was used (read only)."""
    return _run(select(_table.c.key).where(_table.c.key == key)) is not None


def first_use(key: str, *, keep: timedelta) -> bool:
    """True the first time ``key`` is used, False ever after (a one-time token); rows older than ``keep`` go."""
    now = utcnow()
    _run(delete(_table).where(_table.c.key.startswith(key.split(":", 1)[0] + ":"),
                              _table.c.updated_at < _at(now - keep), _table.c.failures == 0))
    statement = _insert().values(key=key, failures=0, updated_at=now, blocked_until=None) \
        .on_conflict_do_nothing(index_elements=[_table.c.key]).returning(_table.c.key)
    return _run(statement) is not None


# --- the interface the sign-in and owner checks use ---------------------------------------------------------------

def wait_seconds(key: str, *, free: int = 5, cap_seconds: int = 900) -> int:
    """Seconds until ``key`` may try again; 0 when it may try now — and then the try is already counted (``claim``),
    so call it just before comparing the secret and follow with ``record_failure`` or ``record_success``.
    A refusal gives back the tries this request claimed on other keys: a refused try is counted nowhere."""
    wait = claim(key, free=free, cap_seconds=cap_seconds)
    claims = _claims()
    if wait:
        for other, other_free in list(claims.items()):
            give_back(other, free=other_free)
    else:
        claims[key] = free
    return wait


def record_failure(key: str, *, free: int = 5, cap_seconds: int = 900) -> int:
    """Count a failure under ``key`` (already counted if this request claimed it) and return the wait it now has."""
    if _claims().pop(key, None) is None and claim(key, free=free, cap_seconds=cap_seconds):
        # Compared without a claim while it had to wait: count it all the same.
        _run(update(_table).where(_table.c.key == key).values(failures=_table.c.failures + 1))
    return current_wait(key)


def record_success(key: str) -> None:
    """A right guess: the key starts afresh."""
    _claims().pop(key, None)
    _run(delete(_table).where(_table.c.key == key))
