"""Error pages: friendly, in the user's language, and a failure mid-request keeps nothing half-done."""
import pytest

from app import create_app
from participation.extensions import db
from participation.models import Organisation


@pytest.fixture
def failing_app(app):
    """A second app on the same database, with a route that writes and then fails, and production error handling."""
    broken = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @broken.get("/boom")
    def boom():
        db.session.add(Organisation(name="半途而废的单位", kind="contractor"))
        db.session.flush()
        raise RuntimeError("simulated failure")

    yield broken
    with broken.app_context():
        db.engine.dispose()  # its own connection pool: close it rather than leave it to the garbage collector


def test_500_page_is_friendly_and_rolls_back(failing_app, caplog):
    with failing_app.app_context():
        response = failing_app.test_client().get("/boom")
        assert response.status_code == 500
        html = response.get_data(as_text=True)
        assert "系统出了问题" in html
        assert "RuntimeError" not in html and "Traceback" not in html
    assert db.session.query(Organisation).filter_by(name="半途而废的单位").count() == 0
    assert "unhandled error on GET /boom" in caplog.text


def test_404_in_english_when_asked(client):
    response = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This page does not exist" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"] == "not_found"   # the one shape (test_error_shape.py)


def test_staff_pages_send_anonymous_visitors_to_login(client):
    response = client.get("/staff")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
