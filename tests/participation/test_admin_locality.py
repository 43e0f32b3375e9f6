"""Admin pages for locality rules: list by kind, create / edit / delete with validation, the by-year table."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, District, Locality, LocalityRule
from participation.reference.locality import rule_for
from tests.conftest import csrf_token


@pytest.fixture
def changchun(reference_data):
    return db.session.scalar(select(Locality).filter_by(city="长春市"))


@pytest.fixture
def admin(login_as, changchun):
    return login_as("admin")


def _form(client, url: str, **fields) -> dict:
    data = {"kind": "elevator_subsidy", "key": "", "text_value": "", "number_value": "", "unit": "",
            "valid_from": "", "valid_to": "", "source": "", "note": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client.get(url).get_data(as_text=True))
    return data


def test_rules_are_listed_by_kind_with_years_and_source(client, admin, changchun):
    page = client.get(f"/admin/localities/{changchun.id}/rules")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "吉林省长春市的本地规则" in html
    for heading in ("加装电梯补贴", "投诉办理时限"):
        assert heading in html
    assert "2021–2022" in html and "20万元" in html and "长春市既有住宅加装电梯政策问答" in html
    assert html.index('id="kind-category_slogan"') < html.index('id="kind-elevator_subsidy"')


def test_create_a_rule_through_the_form(client, admin, changchun):
    url = f"/admin/localities/{changchun.id}/rules/new?kind=elevator_subsidy"
    assert 'selected value="elevator_subsidy"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_form(client, url, number_value="80000", valid_from="2026", valid_to="2026",
                                           source="长春市2026年加装电梯补贴通知"))
    assert response.status_code == 302
    assert rule_for(changchun, "elevator_subsidy", "per_elevator", 2026).number_value == 80000
    year = client.get(f"/admin/localities/{changchun.id}/year?year=2026").get_data(as_text=True)
    assert "8万元" in year
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "locality_rule.create")) is not None


def test_bad_rule_is_refused_with_messages_and_saves_nothing(client, admin, changchun):
    url = f"/admin/localities/{changchun.id}/rules/new"
    before = db.session.query(LocalityRule).count()
    response = client.post(url, data=_form(client, url, kind="complaint_limit", key="general", number_value="-3",
                                           unit="hours", valid_from="2030", valid_to="2029"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "数值必须大于0" in html and "截止年份不能早于起始年份" in html and "请注明来源" in html
    assert db.session.query(LocalityRule).count() == before


def test_overlap_is_refused_naming_the_other_rule(client, admin, changchun):
    url = f"/admin/localities/{changchun.id}/rules/new"
    response = client.post(url, data=_form(client, url, number_value="90000", valid_from="2022", valid_to="2023",
                                           source="测试"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "年份与加装电梯补贴“per_elevator”的另一条规则重叠" in html and "2021–2022" in html


def test_edit_shows_the_rule_and_saves_changes(client, admin, changchun):
    rule = rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)
    url = f"/admin/rules/{rule.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'value="150000"' in html and 'value="2023"' in html
    response = client.post(url, data=_form(client, url, kind="complaint_limit", number_value="140000",
                                           valid_from="2023", valid_to="2023", source="更正后的文件"))
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.kind, rule.number_value, rule.source) == ("elevator_subsidy", 140000, "更正后的文件")


def test_delete_is_post_only_and_audited(client, admin, changchun):
    rule_id = rule_for(changchun, "elevator_subsidy", "per_elevator", 2023).id
    assert client.get(f"/admin/rules/{rule_id}/delete").status_code == 405
    token = csrf_token(client.get(f"/admin/localities/{changchun.id}/rules").get_data(as_text=True))
    assert client.post(f"/admin/rules/{rule_id}/delete", data={}).status_code == 400
    response = client.post(f"/admin/rules/{rule_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LocalityRule, rule_id) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "locality_rule.delete")) is not None
    assert client.post(f"/admin/rules/{rule_id}/delete", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("year, expected", [(2019, "未配置"), (2021, "20万元"), (2023, "15万元"), (2024, "10万元"),
                                            (2026, "未配置")])
def test_rules_by_year_show_not_configured_never_zero(client, admin, changchun, year, expected):
    html = client.get(f"/admin/localities/{changchun.id}/year?year={year}").get_data(as_text=True)
    row = html[html.index("per_elevator"):]
    row = row[:row.index("</tr>")]
    assert expected in row
    assert ">0<" not in row


def test_rules_by_year_refuses_a_bad_year(client, admin, changchun):
    response = client.get(f"/admin/localities/{changchun.id}/year?year=20x6")
    assert response.status_code == 400
    assert "年份须是2000到2100之间的整数" in response.get_data(as_text=True)


def test_district_admin_sees_only_their_own_locality(client, auth, make_user, changchun):
    chengdu = Locality(province="四川省", city="成都市")
    district = District(locality=chengdu, name="锦江区")
    db.session.add_all([chengdu, district])
    db.session.flush()
    user = make_user("admin", district=district)
    auth.login(user.username)
    rule = rule_for(changchun, "elevator_subsidy", "per_elevator", 2023)
    assert client.get(f"/admin/localities/{changchun.id}/rules").status_code == 404
    assert client.get(f"/admin/localities/{changchun.id}/year").status_code == 404
    assert client.get(f"/admin/rules/{rule.id}/edit").status_code == 404
    assert client.get(f"/admin/localities/{chengdu.id}/rules").status_code == 200
    assert client.get(f"/admin/localities/{changchun.id + chengdu.id + 99}/rules").status_code == 404
    token = csrf_token(client.get(f"/admin/localities/{chengdu.id}/rules").get_data(as_text=True))
    assert client.post(f"/admin/rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 404
    assert db.session.get(LocalityRule, rule.id) is not None


def test_every_rule_kind_has_its_units_and_a_form_that_answers(client, admin, changchun):
    """A kind added to the model without its units in the admin form would fail on save: each kind answers with the
    rule saved or a message, never a server error."""
    from participation.models.locality import RULE_KINDS
    from participation.reference.locality import UNITS_BY_KIND
    assert set(RULE_KINDS) == set(UNITS_BY_KIND)
    for kind in RULE_KINDS:
        url = f"/admin/localities/{changchun.id}/rules/new?kind={kind}"
        unit = (UNITS_BY_KIND[kind] or ("",))[0]
        response = client.post(url, data=_form(client, url, kind=kind, key="probe_key", number_value="0.5", unit=unit,
                                               text_value="试", valid_from="2031", valid_to="2031", source="测试"))
        assert response.status_code in (302, 400), (kind, response.status_code)
