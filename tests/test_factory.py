import csv
from decimal import Decimal
from pathlib import Path

from participation.extensions import db
from participation.models import CatalogueItem, LocalityRule
from tests.conftest import csrf_token


def test_front_page_is_chinese_by_default(client):
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "工作人员登录" in html


def test_english_by_accept_language(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Staff sign-in" in html


def test_language_switch_is_remembered(client):
    page = client.get("/")
    client.post("/display/language", data={"lang": "en", "csrf_token": csrf_token(page.get_data(as_text=True)),
                                           "next": "/"})
    assert "Staff sign-in" in client.get("/").get_data(as_text=True)


def test_large_text_mode_is_kept_in_a_cookie(client):
    page = client.get("/")
    assert 'class="large-text' not in page.get_data(as_text=True)
    response = client.post("/display/large-text", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                         "next": "/"})
    assert response.status_code == 302
    assert "large_text=1" in response.headers["Set-Cookie"]
    assert 'class="large-text' in client.get("/").get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_post_without_csrf_is_refused_with_a_message(client):
    response = client.post("/display/large-text", data={})
    # The switch ignores a forged post: no cookie is set.
    assert "large_text" not in response.headers.get("Set-Cookie", "")
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "此页面不存在" in response.get_data(as_text=True)


def test_reference_data_is_seeded_exactly(reference_data, app):
    text = (Path(__file__).parents[1] / "participation/data/catalogue.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == 41
    items = {item.code: item for item in db.session.query(CatalogueItem)}
    assert set(items) == {row["code"] for row in rows}
    for row in rows:
        item = items[row["code"]]
        assert (item.name, item.category, item.quantity_unit) == (row["name"], row["category"], row["quantity_unit"])
        assert item.unit_cost == Decimal(row["reference_unit_cost_yuan"])
    rules = list(csv.DictReader((Path(__file__).parents[1] / "participation/data/locality_rules.csv")
                                .read_text(encoding="utf-8").splitlines()))
    # slogans 3, elevator subsidy 3, cost shares 7, complaint limits 4, thresholds 9, targets 4, acceptance pass 2
    assert len(rules) == 32
    assert db.session.query(LocalityRule).count() == len(rules)
    targets = {rule.key: rule.number_value for rule in db.session.query(LocalityRule).filter_by(kind="programme_target")}
    assert targets == {"communities": 1339, "buildings": 7273, "households": 430000, "investment": 12600000000}
