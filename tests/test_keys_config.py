"""Where keys come from (issue 13 point 3): the environment, a secrets file, or — on SQLite only — instance/; the
refusal to start on PostgreSQL without keys from outside; a SECRET_KEY ring for Flask."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, session
from flask_babel import force_locale

from participation.accounts import sign_in
from participation.config import check_keys, load_config
from participation.entry import challenge as entry_challenge
from participation.keyring import KeyConfigError

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://nobody@127.0.0.1:1/nothing"     # never connected to: the refusal comes first
SECRET, CODE_KEY = "s" * 64, "c" * 64


@pytest.fixture(autouse=True)
def in_english():
    """These tests read the refusals in English; the suite's app context would give the default language, Chinese
    (``test_the_refusal_speaks_chinese_by_default`` reads that)."""
    with force_locale("en"):
        yield


@pytest.fixture
def environment(monkeypatch):
    """No key, no secrets file, no database URL from the shell running the tests."""
    for name in ("SECRET_KEY", "HOUSEHOLD_CODE_KEY", "SECRETS_FILE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def started(instance: Path, given: dict | None = None) -> Flask:
    """What create_app does with keys: load_config, the caller's config on top, check_keys."""
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(load_config(str(instance)))
    app.config.update(given or {})
    check_keys(app, given or {})
    return app


def secrets_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_postgresql_without_keys_refuses_to_start_and_says_how_to_make_them(tmp_path, environment):
    environment.setenv("DATABASE_URL", POSTGRES)
    with pytest.raises(KeyConfigError) as refused:
        started(tmp_path)
    message = refused.value.message
    assert "SECRET_KEY and HOUSEHOLD_CODE_KEY" in message
    assert "python -m participation.keyring" in message and "flask --app app keys new" in message
    assert "secrets.token_hex(32)" in message and "SECRETS_FILE=" in message and "chmod 600" in message
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "household_code_key").exists()


def test_one_missing_key_is_named(tmp_path, environment):
    environment.setenv("DATABASE_URL", POSTGRES)
    environment.setenv("SECRET_KEY", SECRET)
    with pytest.raises(KeyConfigError) as refused:
        started(tmp_path)
    assert "without HOUSEHOLD_CODE_KEY:" in refused.value.message


def test_keys_from_the_environment_start_postgresql(tmp_path, environment):
    environment.setenv("DATABASE_URL", POSTGRES)
    environment.setenv("SECRET_KEY", SECRET)
    environment.setenv("HOUSEHOLD_CODE_KEY", CODE_KEY)
    app = started(tmp_path)
    assert app.config["SECRET_KEY"] == SECRET and app.config["HOUSEHOLD_CODE_KEY"] == CODE_KEY
    assert app.config["KEY_SOURCES"] == {"SECRET_KEY": "environment", "HOUSEHOLD_CODE_KEY": "environment"}


def test_weak_keys_are_refused_on_postgresql(tmp_path, environment):
    environment.setenv("DATABASE_URL", POSTGRES)
    environment.setenv("SECRET_KEY", "changeme")
    environment.setenv("HOUSEHOLD_CODE_KEY", CODE_KEY)
    with pytest.raises(KeyConfigError) as refused:
        started(tmp_path)
    assert "SECRET_KEY" in refused.value.message and "too short" in refused.value.message
    assert "changeme" not in refused.value.message
    environment.setenv("SECRET_KEY", SECRET)
    environment.setenv("HOUSEHOLD_CODE_KEY", f"2:{CODE_KEY} 1:short")   # an old version counts too
    with pytest.raises(KeyConfigError, match="version 1"):
        started(tmp_path)


def test_the_final_configuration_decides(tmp_path, environment):
    """Tests and benches give their keys to create_app: accepted on PostgreSQL, short or not; a PostgreSQL URL
    given the same way makes the environment's short keys refused."""
    environment.setenv("DATABASE_URL", POSTGRES)
    app = started(tmp_path, {"SECRET_KEY": "test-secret", "HOUSEHOLD_CODE_KEY": "test-code-key"})
    assert app.config["SECRET_KEY"] == "test-secret"
    assert app.config["KEY_SOURCES"]["HOUSEHOLD_CODE_KEY"] == "application"
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    environment.setenv("SECRET_KEY", "short-secret")
    environment.setenv("HOUSEHOLD_CODE_KEY", "short-code-key")
    assert started(tmp_path).config["SECRET_KEY"] == "short-secret"     # SQLite: the operator's business
    with pytest.raises(KeyConfigError, match="too short"):
        started(tmp_path, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"})


def test_keys_generated_into_instance_do_not_carry_over_to_postgresql(tmp_path, environment):
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(KeyConfigError, match="SECRET_KEY and HOUSEHOLD_CODE_KEY"):
        started(tmp_path, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"})


def test_sqlite_still_makes_its_own_keys_and_keeps_them(tmp_path, environment):
    first = started(tmp_path)
    assert first.config["KEY_SOURCES"] == {"SECRET_KEY": "instance", "HOUSEHOLD_CODE_KEY": "instance"}
    assert (tmp_path / "household_code_key").read_text() == first.config["HOUSEHOLD_CODE_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert started(tmp_path).config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_a_secrets_file_gives_the_keys(tmp_path, environment):
    path = secrets_file(tmp_path / "secrets.toml", f'SECRET_KEY = "{SECRET}"\nHOUSEHOLD_CODE_KEY = "{CODE_KEY}"\n')
    environment.setenv("DATABASE_URL", POSTGRES)
    environment.setenv("SECRETS_FILE", str(path))
    app = started(tmp_path)
    assert app.config["SECRET_KEY"] == SECRET and app.config["HOUSEHOLD_CODE_KEY"] == CODE_KEY
    assert app.config["KEY_SOURCES"]["SECRET_KEY"] == "secrets file"
    environment.setenv("SECRET_KEY", "e" * 64)      # the environment wins over the file
    assert started(tmp_path).config["SECRET_KEY"] == "e" * 64


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_secrets_file_others_may_read_or_change_is_refused(tmp_path, environment, mode):
    path = secrets_file(tmp_path / "secrets.toml", f'SECRET_KEY = "{SECRET}"\n', mode)
    environment.setenv("SECRETS_FILE", str(path))
    with pytest.raises(KeyConfigError) as refused:
        load_config(str(tmp_path))
    assert f"chmod 600 {path}" in refused.value.message and SECRET not in refused.value.message


@pytest.mark.parametrize("text, message", [
    ("SECRET_KEY = ", "not valid TOML"),
    ("SECRET_KEY = 12345", "must be a string in quotes"),
])
def test_a_broken_secrets_file_is_refused_with_a_message(tmp_path, environment, text, message):
    environment.setenv("SECRETS_FILE", str(secrets_file(tmp_path / "secrets.toml", text)))
    with pytest.raises(KeyConfigError, match=message):
        load_config(str(tmp_path))


def test_a_missing_secrets_file_is_refused(tmp_path, environment):
    environment.setenv("SECRETS_FILE", str(tmp_path / "nowhere.toml"))
    with pytest.raises(KeyConfigError, match="cannot be read"):
        load_config(str(tmp_path))


def test_a_secret_key_ring_gives_flask_its_fallbacks(tmp_path, environment):
    older = "o" * 64
    environment.setenv("DATABASE_URL", POSTGRES)
    environment.setenv("SECRET_KEY", f"2:{SECRET} 1:{older}")
    environment.setenv("HOUSEHOLD_CODE_KEY", CODE_KEY)
    app = started(tmp_path)
    assert app.config["SECRET_KEY"] == SECRET and app.config["SECRET_KEY_FALLBACKS"] == [older]
    assert app.config["WTF_CSRF_SECRET_KEY"] == [older, SECRET]   # signs with the last, accepts both


def test_a_session_signed_with_the_old_secret_key_still_opens(tmp_path, environment):
    def app_with(secret_key: str) -> Flask:
        environment.setenv("SECRET_KEY", secret_key)
        app = started(tmp_path)
        app.add_url_rule("/set", "set", lambda: session.update(who="x") or "ok")
        app.add_url_rule("/get", "get", lambda: session.get("who", "-"))
        return app

    def seen_by(app: Flask, cookie: str) -> str:
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.get("/get").text

    older = "o" * 64
    cookie = app_with(older).test_client().get("/set").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert seen_by(app_with(f"2:{SECRET} 1:{older}"), cookie) == "x"
    assert seen_by(app_with(SECRET), cookie) == "-"      # once the old version is retired, the session is gone


def test_a_form_opened_before_a_secret_key_rotation_still_posts(tmp_path, environment):
    """Its CSRF token was signed with the old key: accepted while that key stays in the ring, as a fallback."""
    from flask_wtf.csrf import generate_csrf, validate_csrf
    from wtforms import ValidationError
    older = "o" * 64
    environment.setenv("SECRET_KEY", older)
    with started(tmp_path).test_request_context():
        token, raw = generate_csrf(), session["csrf_token"]
    for ring, accepted in ((f"2:{SECRET} 1:{older}", True), (SECRET, False)):
        environment.setenv("SECRET_KEY", ring)
        with started(tmp_path).test_request_context():
            session["csrf_token"] = raw
            if accepted:
                validate_csrf(token)
            else:
                with pytest.raises(ValidationError):
                    validate_csrf(token)


# --- through create_app and the command line (needs check_keys called in create_app) --------------------------

def test_create_app_refuses_postgresql_without_keys(environment):
    from app import create_app
    environment.setenv("DATABASE_URL", POSTGRES)
    with pytest.raises(KeyConfigError):
        create_app()


def test_the_command_line_prints_the_refusal_and_exits_non_zero():
    env = {name: value for name, value in os.environ.items()
           if name not in ("SECRET_KEY", "HOUSEHOLD_CODE_KEY", "SECRETS_FILE")}
    env["DATABASE_URL"] = POSTGRES
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "keys", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "python -m participation.keyring" in result.stderr and "Traceback" not in result.stderr


def test_python_m_participation_keyring_prints_new_keys_anywhere():
    result = subprocess.run([sys.executable, "-m", "participation.keyring"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    env_secret = next(line for line in lines if line.startswith("SECRET_KEY="))
    file_secret = next(line for line in lines if line.startswith("SECRET_KEY = "))
    assert len(env_secret.split("=", 1)[1]) == 64 and env_secret.split("=", 1)[1] in file_secret
    assert any(line.startswith("HOUSEHOLD_CODE_KEY=") for line in lines)


def test_what_was_signed_before_a_secret_key_rotation_still_reads(app):
    """Entry challenges (15 minutes) and staff device cookies signed with the old SECRET_KEY survive the rotation;
    after the old key leaves the ring they are refused, not misread."""
    with app.test_request_context():
        challenge = entry_challenge.issue()
        cookie = sign_in._serializer().dumps([["someone", "nonce", 2_000_000_000]])
    old = app.config["SECRET_KEY"]
    with app.test_request_context():
        app.config.update(SECRET_KEY="n" * 64, SECRET_KEY_FALLBACKS=[old])
        try:
            assert entry_challenge.read(challenge.token).nonce == challenge.nonce
            assert sign_in.read_devices(cookie) == {"someone": ("nonce", 2_000_000_000)}
            app.config["SECRET_KEY_FALLBACKS"] = []
            assert entry_challenge.read(challenge.token) is None and sign_in.read_devices(cookie) == {}
        finally:
            app.config.update(SECRET_KEY=old, SECRET_KEY_FALLBACKS=[])


def test_the_refusal_speaks_chinese_by_default(app, tmp_path, environment):
    environment.setenv("DATABASE_URL", POSTGRES)
    with app.app_context(), force_locale("zh_Hans_CN"), pytest.raises(KeyConfigError) as refused:
        started(tmp_path)
    assert "SECRET_KEY" in refused.value.message and "应用不能启动" in refused.value.message
