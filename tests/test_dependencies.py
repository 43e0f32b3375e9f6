"""The lock files: every dependency pyproject.toml declares is pinned there, within its range and with hashes; the
app's lock agrees with the dev lock CI tests; this environment was installed from them; plotly matches the vendored
plotly.js; the vulnerability scan's ignore list gives a reason per entry; rate limits hold in a real Redis."""
import importlib.util
import re
import tomllib
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask_limiter import Limiter
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
APP_LOCK, DEV_LOCK = ROOT / "requirements.lock", ROOT / "requirements-dev.lock"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies_here(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def read_lock(path: Path) -> list[Pin]:
    """Every entry of a lock file as written by uv: `name==version ; marker` then its `--hash=` options."""
    pins = []
    for entry in path.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        requirement_text, *_ = entry.split(" --hash=", 1)
        requirement = Requirement(requirement_text)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version, \
            f"{path.name}: {requirement_text} is not an exact pin"
        pins.append(Pin(canonicalize_name(requirement.name), specifiers[0].version, requirement.marker,
                        tuple(re.findall(r"--hash=(\S+)", entry))))
    return pins


def pins_by_name(pins: list[Pin]) -> dict[str, list[Pin]]:
    grouped: dict[str, list[Pin]] = {}
    for pin in pins:
        grouped.setdefault(pin.name, []).append(pin)
    return grouped


def declared(*, extras=(), groups=()) -> list[Requirement]:
    """What pyproject.toml asks for: the project's dependencies, the named extras and dependency groups."""
    texts = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        texts += PYPROJECT["project"]["optional-dependencies"][extra]
    for group in groups:
        texts += PYPROJECT["dependency-groups"][group]
    return [Requirement(text) for text in texts]


LOCKS = {
    APP_LOCK: declared(groups=["install"]),
    DEV_LOCK: declared(extras=["test"], groups=["install", "dev"]),
}


@pytest.mark.parametrize("lock", LOCKS, ids=lambda path: path.name)
def test_every_entry_is_an_exact_pin_with_sha256_hashes(lock):
    pins = read_lock(lock)
    assert len(pins) > 40
    for pin in pins:
        assert pin.hashes, f"{lock.name}: {pin.name}=={pin.version} has no --hash"
        for digest in pin.hashes:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{lock.name}: {pin.name} has hash {digest}"


@pytest.mark.parametrize("lock", LOCKS, ids=lambda path: path.name)
def test_every_declared_dependency_is_pinned_within_its_range(lock):
    pinned = pins_by_name(read_lock(lock))
    for requirement in LOCKS[lock]:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is declared in pyproject.toml but not pinned in {lock.name}: make lock"
        for pin in pinned[name]:
            assert requirement.specifier.contains(pin.version, prereleases=True), \
                f"{lock.name} pins {name}=={pin.version}, outside pyproject.toml's {requirement}: make lock"


@pytest.mark.parametrize("lock", LOCKS, ids=lambda path: path.name)
def test_the_build_backend_is_locked_within_build_system_requires(lock):
    """The project installs with --no-build-isolation, so the setuptools that builds it is the locked one."""
    pinned = pins_by_name(read_lock(lock))
    for text in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(text)
        pins = pinned.get(canonicalize_name(requirement.name), [])
        assert pins and all(requirement.specifier.contains(pin.version) for pin in pins), \
            f"{lock.name} must pin {requirement} (build-system.requires)"
    assert "pip" in pinned, "the installer itself is pinned, so the same lock installs the same way on any day"


def test_the_app_lock_is_the_dev_lock_without_the_test_tools():
    """Production (requirements.lock) runs the very releases and files CI tested (requirements-dev.lock)."""
    dev = {(pin.name, pin.marker and str(pin.marker)): pin for pin in read_lock(DEV_LOCK)}
    for pin in read_lock(APP_LOCK):
        tested = dev.get((pin.name, pin.marker and str(pin.marker)))
        assert tested, f"{pin.name} is in requirements.lock but not in requirements-dev.lock"
        assert (tested.version, set(tested.hashes)) == (pin.version, set(pin.hashes)), \
            f"{pin.name}: requirements.lock has {pin.version}, requirements-dev.lock {tested.version}: make lock"


def test_this_environment_was_installed_from_the_dev_lock():
    """Each pinned release is the one installed here (make venv installs the lock into a new .venv)."""
    differing = []
    for pin in read_lock(DEV_LOCK):
        if not pin.applies_here():
            continue
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            differing.append(f"{pin.name}: locked {pin.version}, not installed")
            continue
        if Version(installed) != Version(pin.version):
            differing.append(f"{pin.name}: locked {pin.version}, installed {installed}")
    assert not differing, "this environment is not requirements-dev.lock (make venv):\n" + "\n".join(differing)


def test_locked_plotly_draws_with_the_vendored_plotly_js():
    """plotly is pinned to the release built against static/vendor's plotly.js; the bundle's header says which."""
    from plotly.offline import get_plotlyjs_version

    (bundle,) = (ROOT / "static" / "vendor").glob("plotly-basic-*.min.js")
    vendored = re.search(r"plotly\.js \(basic - minified\) v(\S+)", bundle.read_text(encoding="utf-8")[:300]).group(1)
    (locked,) = {pin.version for lock in LOCKS for pin in read_lock(lock) if pin.name == "plotly"}
    assert metadata.version("plotly") == locked
    assert get_plotlyjs_version() == vendored, (
        f"the lock's plotly {locked} is built against plotly.js {get_plotlyjs_version()}, static/vendor holds "
        f"{vendored}: pin plotly to the release that matches, or vendor its bundle")
    assert any(text == f"plotly=={locked}" for text in PYPROJECT["project"]["dependencies"]), \
        "pyproject.toml pins plotly exactly, to the release the vendored bundle belongs to"


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_accepted_vulnerability_says_why(tmp_path):
    audit = _audit_module()
    for vuln_id, reason in audit.read_ignores(ROOT / ".ci" / "audit-ignore.txt").items():
        assert re.fullmatch(r"[A-Z]+-[\w-]+", vuln_id) and len(reason.split()) >= 3, (vuln_id, reason)
    unexplained = tmp_path / "audit-ignore.txt"
    unexplained.write_text("# a comment\nGHSA-aaaa-bbbb-cccc because nothing imports it\nPYSEC-2026-1\n")
    with pytest.raises(ValueError, match="PYSEC-2026-1 has no reason"):
        audit.read_ignores(unexplained)


def test_the_audit_reads_the_pins_that_apply_here():
    """Where the universal lock forks a package by Python version, the audit looks up the release pip installs."""
    audit = _audit_module()
    applying = {pin.name: pin.version for pin in read_lock(DEV_LOCK) if pin.applies_here()}
    assert audit.locked_versions([APP_LOCK, DEV_LOCK]) == applying


@pytest.fixture
def redis_server():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.skip(f"no Redis server answers at {REDIS_URL} ({error}); .ci/run's machines start one")
    yield client
    client.close()


def _limited_app(prefix: str) -> tuple[Flask, Limiter]:
    """One gunicorn worker's view of the rate limits: its own app and Limiter, the shared Redis behind them."""
    app = Flask(__name__)
    limiter = Limiter(lambda: "203.0.113.7", app=app, storage_uri=REDIS_URL, key_prefix=prefix,
                      headers_enabled=True)

    @app.post("/login")
    @limiter.limit("3/minute")
    def login():
        return "ok"

    return app, limiter


def test_rate_limits_are_shared_through_the_real_redis(redis_server):
    """Flask-Limiter's storage (limits) with the locked redis-py against a real server: the budget is counted in
    Redis, so a second worker sees the first one's requests, and the fourth request of the minute is refused."""
    prefix = f"test-deps-{uuid.uuid4().hex}"
    first, first_limiter = _limited_app(prefix)
    second, _ = _limited_app(prefix)
    try:
        assert [first.test_client().post("/login").status_code for _ in range(2)] == [200, 200]
        response = second.test_client().post("/login")
        assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == "0"
        assert first.test_client().post("/login").status_code == 429
        assert list(redis_server.scan_iter(f"*{prefix}*")), "the counter lives in Redis, not in the worker"
        assert first_limiter.storage.check()
    finally:
        for key in redis_server.scan_iter(f"*{prefix}*"):
            redis_server.delete(key)
    assert metadata.version("redis") == next(pin.version for pin in read_lock(APP_LOCK) if pin.name == "redis")
