"""Issue 13 point 5: every JSON error has one shape, /api/v1's {"error": {"code", "message"}} (participation.errors
says why), whatever the status: pages asked for JSON, /api/v1, a CSRF failure, 413, Flask-Limiter's 429, a crash.
A blueprint whose specification fixes its errors (Open311) answers its own, unknown URLs under its prefix included;
browsers still get the HTML pages."""
import pytest
from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from app import create_app
from participation.api import error_response
from participation.errors import answers_its_own_errors
from participation.extensions import db
from participation.models import Organisation
from tests.api.conftest import call, make_token  # noqa: F401  (a fixture)
from tests.conftest import csrf_token

JSON = {"Accept": "application/json"}
ENGLISH_JSON = {**JSON, "Accept-Language": "en"}


def shape(response, status: int, code: str) -> dict:
    """The error object of a response in the one shape; its message is text for people, never empty."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"] and {"code", "message"} <= set(body["error"]) <= {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    return body["error"]


def html(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


# --- ordinary pages asked for JSON -------------------------------------------------------------------------------

def test_an_unknown_page_is_a_json_404_in_the_users_language(client):
    assert shape(client.get("/nowhere", headers=JSON), 404, "not_found")["message"] == "此页面不存在，或您无权查看。"
    english = shape(client.get("/nowhere", headers=ENGLISH_JSON), 404, "not_found")
    assert english["message"] == "This page does not exist, or you may not see it."


def test_a_page_the_user_may_not_see_is_a_json_403(client, login_as):
    login_as("agency")
    shape(client.get("/roster/", headers=JSON), 403, "forbidden")


def test_a_form_sent_without_its_csrf_token_is_a_json_400_that_says_reload(client):
    error = shape(client.post("/login", data={"username": "x", "password": "y"}, headers=ENGLISH_JSON), 400,
                  "csrf_failed")
    assert "reload the page" in error["message"]


def test_a_wrong_method_is_a_json_405_with_the_allowed_methods(client):
    response = client.put("/login", headers=JSON)
    shape(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_body_over_the_size_limit_is_a_json_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "x" * 5000, "password": "y"},
                           headers=JSON)
    shape(response, 413, "too_large")


def test_flask_limiters_429_on_a_page_is_json_with_retry_after(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for _attempt in range(30):   # views/auth.py: 30 sign-ins a minute from one address (refused by the form)
        assert client.post("/login", data={"csrf_token": token, "username": "nobody", "password": "x"}).status_code \
            < 500
    response = client.post("/login", data={"csrf_token": token, "username": "nobody", "password": "x"}, headers=JSON)
    shape(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0


def test_browsers_still_get_the_html_pages(client):
    assert "此页面不存在" in html(client.get("/nowhere"), 404)
    html(client.put("/login"), 405)
    assert "表单已过期" in html(client.post("/login", data={"username": "x"}), 400)
    html(client.get("/nowhere", headers={"Accept": "text/html,application/json;q=0.9"}), 404)


# --- /api/v1 ---------------------------------------------------------------------------------------------------

def test_api_errors_keep_their_shape_and_words(client, make_token):
    shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    error = shape(client.get("/api/v1/communities", headers={"Accept-Language": "en"}), 401, "unauthorized")
    assert "API token" in error["message"]   # the API's own words, not a page's
    shape(call(client, "GET", "/api/v1/communities/NOPE/households", make_token("agency")), 403, "forbidden")
    response = client.delete("/api/v1/communities")
    shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_an_api_body_that_is_refused_is_a_400_in_the_shape(client, make_token):
    response = call(client, "POST", "/api/v1/complaints", make_token("hotline"), {"descripton": "typo"})
    assert "descripton" in shape(response, 400, "bad_request")["message"]


def test_api_anonymous_budget_spent_is_a_json_429(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ANONYMOUS_READ_LIMIT", "2/minute")
    for _attempt in range(2):
        shape(client.get("/api/v1/communities"), 401, "unauthorized")
    shape(client.get("/api/v1/communities"), 429, "too_many_requests")


# --- a crash, and a blueprint that answers its own errors ----------------------------------------------------------

@pytest.fixture
def failing_app(app):
    """A second app on the same database with production error handling: routes that write and then crash (a page,
    an API URL, one under a prefix whose blueprint answers its own errors) and one refusing a form as JSON."""
    spec = Blueprint("spec", __name__, url_prefix="/spec")

    @answers_its_own_errors(spec)
    def _spec_error(error: HTTPException):
        return f"spec {error.code}: {error.description}", error.code

    @spec.get("/known")
    def known():
        return "known"

    @spec.get("/boom")
    def spec_boom():
        raise RuntimeError("simulated failure")

    broken = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    broken.register_blueprint(spec)

    def boom():
        db.session.add(Organisation(name="半途而废的单位", kind="contractor"))
        db.session.flush()
        raise RuntimeError("simulated failure")

    broken.add_url_rule("/boom", "boom", boom)
    broken.add_url_rule("/api/v1/boom", "api_boom", boom)
    broken.add_url_rule("/refuse", "refuse", lambda: error_response(400, _l("Check the answers marked."), fields={
        "age": _l("Enter a number.")}, hidden=["q2"]))
    yield broken
    with broken.app_context():
        db.engine.dispose()


def test_a_crash_is_a_json_500_that_keeps_nothing(failing_app, caplog):
    client = failing_app.test_client()   # each request in its own app context, as in production
    error = shape(client.get("/boom", headers=JSON), 500, "server_error")
    assert "RuntimeError" not in error["message"]
    shape(client.get("/api/v1/boom"), 500, "server_error")
    assert "系统出了问题" in html(client.get("/boom"), 500)
    assert db.session.query(Organisation).filter_by(name="半途而废的单位").count() == 0
    assert "unhandled error on GET /api/v1/boom" in caplog.text


def test_refused_fields_travel_in_the_error_and_page_state_beside_it(failing_app):
    response = failing_app.test_client().get("/refuse", headers=ENGLISH_JSON)
    assert response.status_code == 400 and response.get_json() == {
        "error": {"code": "bad_request", "message": "Check the answers marked.", "fields": {"age": "Enter a number."}},
        "hidden": ["q2"]}


def test_a_blueprint_that_answers_its_own_errors_answers_them_under_its_whole_prefix(failing_app):
    client = failing_app.test_client()
    assert client.get("/spec/known").get_data(as_text=True) == "known"
    unknown = client.get("/spec/nowhere", headers=ENGLISH_JSON)   # routed to no view: the app hands it over
    assert unknown.status_code == 404
    assert unknown.get_data(as_text=True) == "spec 404: This page does not exist, or you may not see it."
    wrong = client.post("/spec/known")
    assert wrong.status_code == 405 and wrong.get_data(as_text=True).startswith("spec 405")
    assert "GET" in wrong.headers["Allow"]
    crash = client.get("/spec/boom")
    assert crash.status_code == 500 and crash.get_data(as_text=True).startswith("spec 500: 系统出了问题")
    shape(client.get("/nowhere", headers=JSON), 404, "not_found")   # outside the prefix: the one shape


def test_a_blueprint_without_a_prefix_cannot_answer_its_own_errors():
    loose = Blueprint("loose", __name__)
    answers_its_own_errors(loose)(lambda error: ("", 400))
    with pytest.raises(ValueError, match="URL prefix"):
        Flask(__name__).register_blueprint(loose)


# --- Open311: GeoReport v2's own format under the whole prefix ----------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_unknown_urls_and_wrong_methods_in_the_spec_format(client, fmt):
    unknown = client.get(f"/open311/v2/nothing.{fmt}")
    wrong = client.delete(f"/open311/v2/services.{fmt}")
    assert (unknown.status_code, wrong.status_code) == (404, 405) and "GET" in wrong.headers["Allow"]
    for response in (unknown, wrong):
        if fmt == "json":
            assert response.mimetype == "application/json"
            [error] = response.get_json()
            assert error["code"] == response.status_code and error["description"]
        else:
            assert response.mimetype == "text/xml" and b"<errors><error><code>" in response.data
