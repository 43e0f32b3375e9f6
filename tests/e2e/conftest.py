"""Browser journeys: Debian's Chromium driven by Playwright on a phone viewport, against a live server.

The server is prepared the way `make run` prepares it — `flask db upgrade` and `flask seed-demo --json` on a fresh
SQLite file — and then served from a thread of this process.
"""
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests/e2e/screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    phone = dict(playwright.devices["Pixel 7"])
    phone.pop("default_browser_type", None)
    return {**browser_context_args, **phone, "locale": "zh-CN"}


def _flask(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{instance / 'e2e.db'}", "SECRET_KEY": "e2e-secret",
           "HOUSEHOLD_CODE_KEY": "e2e-code-key", "UPLOAD_FOLDER": str(instance / "uploads"),
           "QUEUE_FILE": str(instance / "queue.db")}   # the demo's tasks stay out of a developer's instance/
    env.pop("TEST_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo's logins and household codes, as `flask seed-demo --json` prints them."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    _flask(instance, "db", "upgrade")
    seeded = json.loads(_flask(instance, "seed-demo", "--json").stdout)
    seeded["instance"] = instance
    return seeded


@pytest.fixture(scope="session")
def live_server(demo):
    instance = demo["instance"]
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'e2e.db'}", "SECRET_KEY": "e2e-secret",
        "HOUSEHOLD_CODE_KEY": "e2e-code-key", "UPLOAD_FOLDER": str(instance / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://", "QUEUE_FILE": str(instance / "queue.db"),
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def e2e_app(demo):
    """The e2e database opened from the test process, for a test's own data shortcut or to read what a page saved
    (the live server has its own app on the same file)."""
    instance = demo["instance"]
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'e2e.db'}", "SECRET_KEY": "e2e-secret",
                       "HOUSEHOLD_CODE_KEY": "e2e-code-key", "UPLOAD_FOLDER": str(instance / "uploads")})


@pytest.fixture
def shot():
    """Save a full-page screenshot under tests/e2e/screenshots/NAME.png (looked at by a person, not asserted)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(live_server, demo):
    def sign_in(page, role: str):
        user = next(u for u in demo["users"] if u["role"] == role)
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill(user["username"])
        page.get_by_label("密码").fill(user["password"])
        page.get_by_role("button", name="登录").click()
        return user

    return sign_in
