"""``flask --app app backup``: the restore drill on SQLite (a copy taken while a thread writes opens in the app with
every row committed before it), and a clear refusal on PostgreSQL."""
import sqlite3
import threading
import time

from sqlalchemy import func, select

from app import create_app
from participation.extensions import db
from participation.models import Locality


def drill_app(path):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x",
                       "HOUSEHOLD_CODE_KEY": "k", "RATELIMIT_STORAGE_URI": "memory://"})


def test_restore_drill_backup_while_a_thread_writes(tmp_path):
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    app = drill_app(live)
    with app.app_context():
        db.create_all()
        db.session.add_all([Locality(province="吉林省", city=f"城市{n}") for n in range(50)])
        db.session.commit()
        db.engine.dispose()
    with sqlite3.connect(live) as connection:
        connection.execute("CREATE TABLE drill (n INTEGER PRIMARY KEY)")
    stop = threading.Event()

    def write():
        writer = sqlite3.connect(live, timeout=30)
        n = 0
        while not stop.is_set():
            n += 1
            writer.execute("INSERT INTO drill (n) VALUES (?)", (n,))
            writer.commit()
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.2)
    with app.app_context():   # the suite's autouse fixture has the test app's context pushed
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(copy)])
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    restored = sqlite3.connect(copy)
    assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    numbers = [n for (n,) in restored.execute("SELECT n FROM drill ORDER BY n")]
    restored.close()
    assert numbers and numbers == list(range(1, len(numbers) + 1))   # a consistent prefix of the writes
    reopened = drill_app(copy)
    with reopened.app_context():
        assert db.session.scalar(select(func.count(Locality.id))) == 50
        db.engine.dispose()
    with app.app_context():
        again = app.test_cli_runner().invoke(args=["backup", "--out", str(copy)])
    assert again.exit_code == 1 and str(copy) in again.output


def test_postgresql_is_refused_with_a_hint_to_pg_dump():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "x", "HOUSEHOLD_CODE_KEY": "k", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", "--out", "/tmp/never-written.db"])
    assert result.exit_code == 1 and "pg_dump" in result.output
