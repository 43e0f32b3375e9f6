"""Configuration from the environment; secrets generated once into instance/ and kept."""
import stat

import pytest

from participation.config import load_config
from participation.extensions import db


def test_secrets_are_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("HOUSEHOLD_CODE_KEY", raising=False)
    first = load_config(str(tmp_path))
    second = load_config(str(tmp_path))
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["HOUSEHOLD_CODE_KEY"] == second["HOUSEHOLD_CODE_KEY"] != first["SECRET_KEY"]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_sqlite_in_instance_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'participation.db'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_postgresql_uses_psycopg3_and_redis_holds_the_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/minhu")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db.example/minhu"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/2"
    assert config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_cookie_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKIE_SECURE", "1")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_sqlite_connections_use_wal_full_sync_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; this run is on another database")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_engine_pings_pooled_connections_before_use(tmp_path, app):
    """After a database restart the pool's connections are dead; pre-ping replaces them instead of failing the
    first requests of every worker (bench/durability.py crashes PostgreSQL under load to check it)."""
    assert load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert db.engine.pool._pre_ping is True


@pytest.mark.parametrize("hops, expected", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_behind_a_proxy_the_client_address_is_the_forwarded_one(tmp_path, hops, expected):
    """PROXY_COUNT=1 behind nginx: throttles and rate limits key on the client, not on the proxy; without it a
    forged X-Forwarded-For changes nothing."""
    from flask import request

    from app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.db'}", "SECRET_KEY": "x",
                      "HOUSEHOLD_CODE_KEY": "y", "PROXY_COUNT": hops, "TESTING": True})
    app.add_url_rule("/_address", "address", lambda: f"{request.remote_addr} {request.scheme}")
    answer = app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.7",
                                                          "X-Forwarded-Proto": "https"}).get_data(as_text=True)
    assert answer == f"{expected} {'https' if hops else 'http'}"


def test_proxy_count_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_COUNT", "1")
    assert load_config(str(tmp_path))["PROXY_COUNT"] == 1
    monkeypatch.delenv("PROXY_COUNT")
    assert load_config(str(tmp_path))["PROXY_COUNT"] == 0
