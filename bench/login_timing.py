"""Staff sign-in time for a known username with a wrong password against an unknown username (issue 12, point 11):
a difference tells an attacker which usernames exist.

Builds a fresh SQLite database with one staff account hashed with the production method (scrypt), then posts
``--repeat`` (20) wrong passwords for the known and for an unknown username, in turns, through the test client (CSRF
included, rate limits off, the back-off rows removed between tries and not timed). Prints the median of each and
their ratio (goal: ≈ 1).

    .venv/bin/python bench/login_timing.py
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete  # noqa: E402

from app import create_app  # noqa: E402
from participation.accounts.operations import create_user  # noqa: E402
from participation.extensions import db  # noqa: E402
from participation.models import Throttle  # noqa: E402

PASSWORD = "correct-horse-battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="login-bench-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "HOUSEHOLD_CODE_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}", "RATELIMIT_ENABLED": False,
                      "SERVER_NAME": "localhost", "PASSWORD_HASH_METHOD": "scrypt"})
    with app.app_context():
        db.create_all()
        create_user(None, username="organiser", password=PASSWORD, role="organiser", display_name="organiser")
        db.session.commit()
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]

    def attempt(username: str) -> float:
        with app.app_context():
            db.session.execute(delete(Throttle))
            db.session.commit()
        started = time.perf_counter()
        response = client.post("/login", data={"username": username, "password": "wrong-password-123",
                                                "csrf_token": token})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 401, response.status_code
        return elapsed

    attempt("organiser"), attempt("nobody-here")   # warm up: templates, the dummy hash
    known, unknown = [], []
    for _ in range(args.repeat):
        known.append(attempt("organiser"))
        unknown.append(attempt("nobody-here"))
    known_ms, unknown_ms = statistics.median(known), statistics.median(unknown)
    print(f"known username, wrong password: {known_ms:.1f} ms (median of {args.repeat})")
    print(f"unknown username:               {unknown_ms:.1f} ms (median of {args.repeat})")
    print(f"ratio unknown/known: {unknown_ms / known_ms:.2f}")


if __name__ == "__main__":
    main()
