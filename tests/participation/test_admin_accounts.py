"""Admins manage staff accounts (scope per role, district admins limited to their district) and organisations."""
import pytest
from sqlalchemy import select

from participation.accounts.operations import AccountError, clean_scope
from participation.accounts.queries import manageable_users
from participation.extensions import db
from participation.models import AuditEvent, Organisation, User
from tests.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "a-fresh-password-1"


@pytest.fixture
def world(make_community):
    """Two districts of 长春 with a community each."""
    ng, cy = make_community("NG1"), make_community("CY1", district="朝阳区")
    return {"nanguan": ng.district, "chaoyang": cy.district, "ng": ng, "cy": cy}


@pytest.fixture
def city_admin(make_user, auth):
    user = make_user("admin", username="cityadmin")
    auth.login(user.username)
    return user


def _post(client, url: str, **fields):
    data = {key: value for key, value in fields.items()}
    data["csrf_token"] = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data=data)


def _new_user(client, **fields):
    data = {"username": "newbie", "display_name": "新同事", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            "district": "", "organisation": ""}
    data.update(fields)
    return _post(client, "/admin/users/new", **data)


def test_create_an_organiser_scoped_to_communities(client, city_admin, world):
    response = _new_user(client, role="organiser", communities=[str(world["ng"].id)])
    assert response.status_code == 302
    user = db.session.scalar(select(User).filter_by(username="newbie"))
    assert user.role == "organiser" and [c.code for c in user.communities] == ["NG1"] and user.district is None
    assert user.password_hash != NEW_PASSWORD and user.check_password(NEW_PASSWORD)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create",
                                                       AuditEvent.object_id == str(user.id)))
    assert event.actor_id == city_admin.id and "password" not in str(event.detail)


def test_fields_of_other_roles_are_ignored(client, city_admin, world):
    response = _new_user(client, role="hotline", district=str(world["chaoyang"].id),
                         communities=[str(world["ng"].id)])
    assert response.status_code == 302
    user = db.session.scalar(select(User).filter_by(username="newbie"))
    assert user.district == world["chaoyang"] and user.communities == []


@pytest.mark.parametrize("fields, message", [
    ({"role": "organiser"}, "请选择组织者负责的区或小区"),
    ({"role": "owner_rep"}, "请选择这位业主代表所在的小区"),
    ({"role": "grid"}, "请选择这位网格员负责的楼栋"),
    ({"role": "agency"}, "必须隶属于一个单位"),
    ({"role": "admin", "password": "short", "confirm": "short"}, "至少需要10个字符"),
    ({"role": "admin", "confirm": "not-the-same-one"}, "两次输入的密码不一致"),
    ({"role": "admin", "username": "张三"}, "用户名为1到40个英文字母"),
    ({"role": "wizard"}, "不是有效的选择"),
])
def test_create_refusals(client, city_admin, world, fields, message):
    response = _new_user(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username.in_(["newbie", "张三"]))) is None


def test_organiser_with_both_district_and_communities_is_refused(client, city_admin, world):
    response = _new_user(client, role="organiser", district=str(world["nanguan"].id),
                         communities=[str(world["ng"].id)])
    assert response.status_code == 400 and "二者只能选一种" in response.get_data(as_text=True)


def test_taken_username_is_refused(client, city_admin, world):
    response = _new_user(client, role="admin", username="cityadmin")
    assert response.status_code == 400 and "用户名已被使用" in response.get_data(as_text=True)


def test_grid_worker_picks_communities_then_buildings(client, city_admin, world):
    first = _new_user(client, role="grid", communities=[str(world["ng"].id)], show_buildings="1")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert f'<optgroup label="{world["ng"].name}">' in html and "1号楼" in html
    assert db.session.scalar(select(User).filter_by(username="newbie")) is None  # only re-rendered
    building = world["ng"].buildings[1]
    response = _new_user(client, role="grid", communities=[str(world["ng"].id)], buildings=[str(building.id)])
    assert response.status_code == 302
    user = db.session.scalar(select(User).filter_by(username="newbie"))
    assert [b.id for b in user.buildings] == [building.id] and user.communities == []


def test_a_building_outside_the_picked_communities_is_refused(client, city_admin, world):
    other = world["cy"].buildings[0]
    response = _new_user(client, role="grid", communities=[str(world["ng"].id)], buildings=[str(other.id)])
    assert response.status_code == 400
    assert db.session.scalar(select(User).filter_by(username="newbie")) is None


def test_agency_needs_an_organisation(client, city_admin, world):
    company = Organisation(name="长春建工", kind="contractor")
    db.session.add(company)
    db.session.flush()
    response = _new_user(client, role="agency", organisation=str(company.id))
    assert response.status_code == 302
    assert db.session.scalar(select(User).filter_by(username="newbie")).organisation == company


def test_edit_scope_reset_password_deactivate_reactivate(client, auth, city_admin, make_user, world):
    target = make_user("owner_rep", communities=[world["ng"]])
    url = f"/admin/users/{target.id}/edit"
    assert 'selected value="owner_rep"' in client.get(url).get_data(as_text=True)
    response = _post(client, url, display_name="业主代表老王", role="owner_rep", district="", organisation="",
                     communities=[str(world["cy"].id)])
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(User, target.id)
    assert target.display_name == "业主代表老王" and [c.code for c in target.communities] == ["CY1"]

    response = _post(client, f"/admin/users/{target.id}/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).check_password(NEW_PASSWORD)

    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    assert client.get(f"/admin/users/{target.id}/deactivate").status_code == 405
    assert client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).active is False
    assert "已停用" in client.get("/admin/users").get_data(as_text=True)
    assert client.post(f"/admin/users/{target.id}/reactivate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).active is True
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(target.id))))
    assert {"user.update", "user.password_reset", "user.deactivate", "user.reactivate"} <= actions


def test_a_deactivated_user_is_signed_out_at_once(app, make_user, world):
    admin = make_user("admin", username="boss")
    target = make_user("organiser", communities=[world["ng"]])
    target_client, admin_client = app.test_client(), app.test_client()
    for client, user in ((target_client, target), (admin_client, admin)):
        token = csrf_token(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert target_client.get("/staff").status_code == 200
    token = csrf_token(admin_client.get("/admin/users").get_data(as_text=True))
    admin_client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": token})
    assert target_client.get("/staff").status_code == 302


def test_admins_cannot_lock_themselves_out(client, city_admin, world):
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    client.post(f"/admin/users/{city_admin.id}/deactivate", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(User, city_admin.id).active is True
    response = _post(client, f"/admin/users/{city_admin.id}/edit", display_name="x", role="organiser",
                     district=str(world["nanguan"].id), organisation="")
    assert response.status_code == 400 and "不能修改自己的角色" in response.get_data(as_text=True)


def test_missing_user_is_404(client, city_admin):
    assert client.get("/admin/users/9999/edit").status_code == 404
    assert client.get("/admin/users/9999/password").status_code == 404


# --- district admins ---------------------------------------------------------------------------------------------

@pytest.fixture
def district_admin(make_user, auth, world):
    user = make_user("admin", username="ngadmin", district=world["nanguan"])
    auth.login(user.username)
    return user


def test_district_admin_lists_and_manages_only_their_district(client, make_user, district_admin, world):
    inside = make_user("organiser", username="inside", communities=[world["ng"]])
    outside = make_user("organiser", username="outside", communities=[world["cy"]])
    city_hotline = make_user("hotline", username="cityhotline")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "inside" in html and "outside" not in html and "cityhotline" not in html
    for user in (outside, city_hotline):
        assert client.get(f"/admin/users/{user.id}/edit").status_code == 404
        assert client.get(f"/admin/users/{user.id}/password").status_code == 404
        token = csrf_token(html)
        assert client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/admin/users/{inside.id}/edit").status_code == 200
    assert [user.username for user in manageable_users(district_admin)] == ["inside", "ngadmin"]


def test_district_admin_offers_only_their_district_and_communities(client, district_admin, world):
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert "南关区" in html and "朝阳区" not in html
    assert "NG1" in html and "CY1" not in html


def test_district_admin_cannot_create_city_wide_or_foreign_accounts(client, district_admin, world):
    city_wide = _new_user(client, role="hotline", district="")
    assert city_wide.status_code == 400 and "只能给账号分配本区范围内的权限" in city_wide.get_data(as_text=True)
    foreign = _new_user(client, role="organiser", communities=[str(world["cy"].id)])
    assert foreign.status_code == 400
    assert db.session.scalar(select(User).filter_by(username="newbie")) is None
    inside = _new_user(client, role="hotline", district=str(world["nanguan"].id))
    assert inside.status_code == 302


def test_scope_rules_without_http(app, make_user, world):
    district_admin = make_user("admin", district=world["nanguan"])
    with app.test_request_context("/"):
        with pytest.raises(AccountError):
            clean_scope(district_admin, "owner_rep", communities=[world["cy"]])
        with pytest.raises(AccountError):
            clean_scope(district_admin, "grid", buildings=[world["cy"].buildings[0]])
        scope = clean_scope(district_admin, "grid", buildings=[world["ng"].buildings[0]],
                            communities=[world["cy"]], district=world["chaoyang"])
        assert scope["communities"] == [] and scope["district"] is None


# --- organisations -------------------------------------------------------------------------------------------

def test_organisation_create_edit_delete(client, city_admin):
    response = _post(client, "/admin/organisations/new", name="长春市政监理", kind="supervisor", phone="0431-8888 1234")
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation).filter_by(name="长春市政监理"))
    assert "监理单位" in client.get("/admin/organisations").get_data(as_text=True)
    response = _post(client, f"/admin/organisations/{organisation.id}/edit", name="长春市政监理公司",
                     kind="supervisor", phone="")
    assert response.status_code == 302
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation.id)
    assert organisation.name == "长春市政监理公司" and organisation.phone is None
    organisation_id = organisation.id
    token = csrf_token(client.get("/admin/organisations").get_data(as_text=True))
    assert client.post(f"/admin/organisations/{organisation_id}/delete", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, organisation_id) is None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("organisation.%"))).all()
    assert sorted(actions) == ["organisation.create", "organisation.delete", "organisation.update"]


@pytest.mark.parametrize("fields, message", [
    ({"name": "", "kind": "contractor"}, "该字段是必填字段"),
    ({"name": "某单位", "kind": "bank"}, "不是有效的选择"),
    ({"name": "某单位", "kind": "contractor", "phone": "call me"}, "电话号码只能包含数字"),
    ({"name": "已有单位", "kind": "contractor"}, "已有同名的单位"),
])
def test_organisation_refusals(client, city_admin, fields, message):
    db.session.add(Organisation(name="已有单位", kind="property"))
    response = _post(client, "/admin/organisations/new", **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Organisation).count() == 1


def test_an_organisation_in_use_is_kept(client, city_admin, make_user):
    agency = make_user("agency")
    token = csrf_token(client.get("/admin/organisations").get_data(as_text=True))
    response = client.post(f"/admin/organisations/{agency.organisation_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Organisation, agency.organisation_id) is not None
    assert "不能删除" in client.get("/admin/organisations").get_data(as_text=True)
    assert client.get("/admin/organisations/9999/edit").status_code == 404
