"""Errors under /api/v1 have one JSON shape, {"error": {"code", "message"}}, for unknown URLs and wrong methods too;
the HTML error pages elsewhere are unchanged."""
from tests.api.conftest import call
from tests.conftest import csrf_token


def _shape(response, status, code):
    assert response.status_code == status
    assert response.content_type.startswith("application/json")
    body = response.get_json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_unknown_url_under_api_is_json_404(client, make_token):
    _shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    _shape(call(client, "GET", "/api/v1/communities/x/nothing", make_token("admin")), 404, "not_found")


def test_wrong_method_is_json_405(client, make_token):
    _shape(client.delete("/api/v1/communities"), 405, "method_not_allowed")
    _shape(client.get("/api/v1/complaints"), 405, "method_not_allowed")
    _shape(call(client, "PUT", "/api/v1/openapi.json", make_token("admin")), 405, "method_not_allowed")


def test_post_without_csrf_token_is_not_refused_as_a_form(client, make_token):
    response = call(client, "POST", "/api/v1/complaints", make_token("hotline"), {"community": "NOPE"})
    _shape(response, 404, "not_found")


CHINESE_401 = "请提供有效的接口令牌：Authorization: Bearer <token>。"
ENGLISH_401 = "Send a valid API token: Authorization: Bearer <token>."


def _message(response) -> str:
    _shape(response, 401, "unauthorized")
    return response.get_json()["error"]["message"]


def test_messages_follow_the_language(client):
    """Chinese by default and for a Chinese browser; English for an English browser or after the language switch
    (which wins over the browser); the code stays the same word for programs."""
    assert _message(client.get("/api/v1/communities")) == CHINESE_401
    assert _message(client.get("/api/v1/communities", headers={"Accept-Language": "zh-CN,zh;q=0.9"})) == CHINESE_401
    assert _message(client.get("/api/v1/communities", headers={"Accept-Language": "en-GB,en;q=0.9"})) == ENGLISH_401
    page = client.get("/login")
    client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(page.text)})
    assert _message(client.get("/api/v1/communities", headers={"Accept-Language": "zh-CN"})) == ENGLISH_401
    client.post("/display/language", data={"lang": "zh_Hans_CN", "csrf_token": csrf_token(page.text)})
    assert _message(client.get("/api/v1/communities", headers={"Accept-Language": "en"})) == CHINESE_401


def test_html_error_pages_elsewhere_unchanged(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.content_type.startswith("text/html")
    response = client.get("/apiv1/x")
    assert response.content_type.startswith("text/html")
