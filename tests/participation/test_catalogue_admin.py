"""The item catalogue: the JSON export (CLI and web), the admin list with slogans, edit / add / retire / restore."""
import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem, Locality
from participation.reference.catalogue import ItemInvalid, create_item, update_item
from participation.reference.locality import create_rule
from tests.conftest import csrf_token

SEED_CSV = Path(__file__).parents[2] / "participation/data/catalogue.csv"
ITEM_FIELDS = ("name", "category", "group", "quantity_unit", "unit_cost", "owner_matter", "note")


@pytest.fixture
def admin(reference_data, login_as):
    return login_as("admin")


def _item_form(client, url: str, **fields) -> dict:
    data = {"name": "新项目", "category": "improvement", "group": "", "quantity_unit": "per_unit",
            "unit_cost": "1000", "owner_matter": "", "note": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client.get(url).get_data(as_text=True))
    return data


def test_cli_export_matches_the_seeded_csv(runner, reference_data):
    result = runner.invoke(args=["catalogue", "export", "--json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    rows = list(csv.DictReader(SEED_CSV.read_text(encoding="utf-8").splitlines()))
    assert [item["code"] for item in exported] == sorted(row["code"] for row in rows)
    by_code = {item["code"]: item for item in exported}
    for row in rows:
        item = by_code[row["code"]]
        assert {key: item[key] for key in ("name", "category", "group", "quantity_unit")} == \
            {key: row[key] or None for key in ("name", "category", "group", "quantity_unit")}
        assert Decimal(str(item["unit_cost"])) == Decimal(row["reference_unit_cost_yuan"])


def test_cli_export_leaves_retired_items_out_unless_asked(runner, reference_data):
    db.session.scalar(select(CatalogueItem).filter_by(code="U09")).retired_at = db.func.now()
    db.session.commit()
    codes = [item["code"] for item in json.loads(runner.invoke(args=["catalogue", "export", "--json"]).output)]
    assert "U09" not in codes and len(codes) == 40
    everything = json.loads(runner.invoke(args=["catalogue", "export", "--json", "--include-retired"]).output)
    assert {item["code"]: item["retired"] for item in everything}["U09"] is True


def test_web_download_is_the_same_json(client, runner, admin):
    response = client.get("/admin/catalogue.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    cli = json.loads(runner.invoke(args=["catalogue", "export", "--json"]).output)
    assert json.loads(response.get_data(as_text=True)) == cli


def test_list_groups_by_category_with_this_years_slogan(client, admin):
    html = client.get("/admin/catalogue").get_data(as_text=True)
    assert "基础类 · 应改尽改" in html and "完善类 · 能改则改" in html and "提升类 · 需改则改" in html
    assert html.index("基础类 · 应改尽改") < html.index("B01") < html.index("完善类 · 能改则改") < html.index("I01")


def test_an_extra_category_of_the_locality_is_offered_and_listed(client, admin):
    locality = db.session.scalar(select(Locality))
    base = {"valid_from": "2020", "valid_to": "", "source": "成都市方案", "number_value": "", "unit": "", "note": ""}
    create_rule(admin, locality, "extra_category", {**base, "key": "safety", "text_value": "安全类"})
    create_rule(admin, locality, "category_slogan", {**base, "key": "safety", "text_value": "应改必改"})
    db.session.commit()
    url = "/admin/catalogue/new"
    assert '<option value="safety">安全类</option>' in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_item_form(client, url, code="s01", category="safety", name="消防通道改造"))
    assert response.status_code == 302
    assert db.session.scalar(select(CatalogueItem).filter_by(code="S01")).category == "safety"
    assert "安全类 · 应改必改" in client.get("/admin/catalogue").get_data(as_text=True)


def test_edit_an_item_is_audited(client, admin):
    url = "/admin/catalogue/I03/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="60000"' in page
    response = client.post(url, data=_item_form(client, url, name="加装电梯（含井道）", category="improvement",
                                                quantity_unit="per_unit", unit_cost="650000.5", owner_matter="7",
                                                group="改善房屋功能"))
    assert response.status_code == 302
    item = db.session.scalar(select(CatalogueItem).filter_by(code="I03"))
    assert (item.name, item.unit_cost, item.owner_matter) == ("加装电梯（含井道）", Decimal("650000.50"), 7)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue_item.update"))
    assert event.detail["changes"]["unit_cost"][1] == "650000.5"


@pytest.mark.parametrize("fields, message", [
    ({"unit_cost": "-1"}, "费用不能是负数"),
    ({"unit_cost": "一千"}, "请填写单价"),
    ({"unit_cost": "10.005"}, "最多保留2位小数"),
    ({"name": ""}, "请填写项目名称"),
    ({"category": "safety"}, "不是有效的选择"),
    ({"owner_matter": "10"}, "不是有效的选择"),
])
def test_bad_edits_are_refused_and_change_nothing(client, admin, fields, message):
    url = "/admin/catalogue/B01/edit"
    response = client.post(url, data=_item_form(client, url, **fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    item = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
    assert (item.name, item.unit_cost) == ("屋面防水及保温维修", Decimal("30.00"))


@pytest.mark.parametrize("code, message", [("B01", "已被其他项目使用"), ("BB1", "一个英文字母加数字"),
                                           ("7", "一个英文字母加数字"), ("", "一个英文字母加数字")])
def test_new_item_code_is_checked(client, admin, code, message):
    url = "/admin/catalogue/new"
    response = client.post(url, data=_item_form(client, url, code=code))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(CatalogueItem).count() == 41


def test_retire_and_restore(client, runner, admin):
    token = csrf_token(client.get("/admin/catalogue").get_data(as_text=True))
    assert client.get("/admin/catalogue/U09/retire").status_code == 405
    assert client.post("/admin/catalogue/U09/retire", data={"csrf_token": token}).status_code == 302
    html = client.get("/admin/catalogue").get_data(as_text=True)
    row = html[html.index('id="item-U09"'):]
    assert "已停用" in row[:row.index("</tr>")]
    assert "U09" not in [i["code"] for i in json.loads(client.get("/admin/catalogue.json").get_data(as_text=True))]
    assert client.post("/admin/catalogue/U09/restore", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(CatalogueItem).filter_by(code="U09")).retired_at is None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("catalogue_item.%"))).all()
    assert sorted(actions) == ["catalogue_item.restore", "catalogue_item.retire"]
    assert client.post("/admin/catalogue/Z99/retire", data={"csrf_token": token}).status_code == 404


def test_operations_validate_without_http(app, reference_data, make_user):
    admin = make_user("admin")
    with app.test_request_context("/"):
        with pytest.raises(ItemInvalid) as refused:
            create_item(admin, {"code": "I01", "name": "x", "category": "basic", "quantity_unit": "lump_sum",
                                "unit_cost": "5"}, allowed_categories=("basic",))
        assert "code" in refused.value.errors
        item = db.session.scalar(select(CatalogueItem).filter_by(code="B01"))
        item.category = "expired_class"
        # an item keeps a category that is no longer offered
        update_item(admin, item, {field: getattr(item, field) for field in ITEM_FIELDS},
                    allowed_categories=("basic",))
        assert item.category == "expired_class"
