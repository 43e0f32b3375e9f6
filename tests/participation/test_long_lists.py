"""Staff lists that grow without bound: the staff accounts under /admin/users, 50 a page read with LIMIT/OFFSET,
searched by username or name, a typed page number clamped; a district admin's page holds exactly the accounts
``can_manage_user`` lets them manage."""
import re

import pytest

from participation.accounts.queries import manageable_users
from participation.accounts.user_list import users_page
from participation.extensions import db
from participation.permissions import can_manage_user

URL = "/admin/users"


@pytest.fixture
def crowd(make_user, make_community, auth):
    """A city-wide admin and 120 grid workers of NG1's first building ("grid000" … "grid119", named 网格员0 …)."""
    community = make_community("NG1", buildings=1, units=1, floors=1)
    admin = make_user("admin", username="cityadmin", display_name="市管理员")
    for n in range(120):
        make_user("grid", username=f"grid{n:03d}", display_name=f"网格员{n}", buildings=[community.buildings[0]])
    db.session.commit()
    auth.login(admin.username)
    return admin


def listed(html: str) -> list[str]:
    return re.findall(r'<tr id="user-(\d+)"', html)


def get(client, **args):
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fifty_accounts_a_page_with_the_count(client, crowd):
    html = get(client)
    assert len(listed(html)) == 50 and "共 121 个账号，显示 1–50" in html and "第1页，共3页" in html
    last = get(client, page="3")
    assert len(listed(last)) == 21 and "显示 101–121" in last and "上一页" in last and "下一页" not in last


@pytest.mark.parametrize("typed, shown", [("0", 1), ("-2", 1), ("x", 1), ("", 1), ("3", 3), ("999999999999999", 3),
                                          ("1.5", 1)])
def test_a_typed_page_number_is_clamped(client, crowd, typed, shown):
    assert f"第{shown}页，共3页" in get(client, page=typed)


@pytest.mark.parametrize("args, count", [({"q": "grid11"}, 10), ({"q": "网格员7"}, 11), ({"q": "city"}, 1),
                                         ({"q": "GRID119"}, 1), ({"q": "%"}, 0), ({"q": "_"}, 0),
                                         ({"role": "grid"}, 120), ({"role": "grid", "q": "市"}, 0),
                                         ({"role": "nobody"}, 121), ({"q": "x" * 500}, 0)])
def test_search_by_username_or_name_and_role(client, crowd, args, count):
    html = get(client, **args)
    assert len(listed(html)) == min(count, 50)
    if count == 0:
        assert "没有符合条件的账号" in html


def test_the_pager_keeps_the_search(client, crowd):
    html = get(client, role="grid")
    link = re.search(r'href="([^"]*page=2[^"]*)"', html).group(1)
    assert "role=grid" in link
    assert "找到 120 个账号（共 121 个）" in html


def test_a_district_admin_pages_through_exactly_the_accounts_they_manage(make_user, make_community):
    ng, cy = make_community("NG1"), make_community("CY1", district="朝阳区")
    district_admin = make_user("admin", username="ngadmin", district=ng.district)
    made = [make_user("organiser", username="inside", communities=[ng]),
            make_user("organiser", username="outside", communities=[cy]),
            make_user("organiser", username="both", communities=[ng, cy]),
            make_user("grid", username="gridin", buildings=[ng.buildings[0]]),
            make_user("grid", username="gridmixed", buildings=[ng.buildings[0], cy.buildings[0]]),
            make_user("hotline", username="nghotline", district=ng.district),
            make_user("hotline", username="cityhotline"),
            make_user("admin", username="cyadmin", district=cy.district)]
    db.session.commit()
    page = users_page(district_admin, per_page=2)
    expected = [user.username for user in manageable_users(district_admin)]
    assert expected == ["gridin", "inside", "ngadmin", "nghotline"]
    assert page.everyone == 4 and page.pages == 2
    pages = [user.username for n in (1, 2) for user in users_page(district_admin, page=n, per_page=2).rows]
    assert pages == expected
    assert all(can_manage_user(district_admin, user) == (user.username in expected) for user in made)


def test_other_staff_get_403(client, make_user, auth):
    make_user("organiser", username="org")
    db.session.commit()
    auth.login("org")
    assert client.get(URL, query_string={"q": "a", "page": "2"}).status_code == 403


# --- the communities under /roster/ ------------------------------------------------------------------------------

@pytest.fixture
def city(make_community, make_user, auth):
    """60 communities of one household each (C001 …), five of them past 储备; a city-wide hotline user."""
    communities = [make_community(buildings=1, units=1, floors=1, per_floor=1) for _ in range(60)]
    for community in communities[:5]:
        community.status = "needs"
    make_community("ZZ9", district="朝阳区", name="青年小区", buildings=1, units=1, floors=1, per_floor=1)
    make_user("hotline", username="cityhotline")
    db.session.commit()
    auth.login("cityhotline")
    return communities


def codes(html: str) -> list[str]:
    return re.findall(r'<td><a href="/c/([^"/]+)"', html)


def test_the_communities_page_fifty_at_a_time_with_counts(client, city):
    html = client.get("/roster/").get_data(as_text=True)
    assert codes(html)[:2] == ["C001", "C002"] and len(codes(html)) == 50
    assert "共 61 个小区，显示 1–50" in html and "第1页，共2页" in html
    second = client.get("/roster/", query_string={"page": "2"}).get_data(as_text=True)
    assert codes(second) == [f"C{n:03d}" for n in range(51, 61)] + ["ZZ9"]
    for typed in ("0", "-1", "x", "9" * 30):
        assert client.get("/roster/", query_string={"page": typed}).status_code == 200


@pytest.mark.parametrize("args, found", [({"q": "c05"}, 10), ({"q": "青年"}, 1), ({"q": "C059小区"}, 1),
                                         ({"status": "needs"}, 5), ({"status": "needs", "q": "C003"}, 1),
                                         ({"status": "nope"}, 61), ({"q": "%"}, 0)])
def test_communities_are_found_by_code_name_and_stage(client, city, args, found):
    html = client.get("/roster/", query_string=args).get_data(as_text=True)
    assert len(codes(html)) == min(found, 50)


def test_an_organiser_pages_through_their_own_communities_only(client, city, make_user, auth):
    make_user("organiser", username="org", communities=city[:3])
    db.session.commit()
    auth.logout()
    auth.login("org")
    html = client.get("/roster/").get_data(as_text=True)
    assert codes(html) == ["C001", "C002", "C003"] and "共 3 个小区" in html
    assert codes(client.get("/roster/", query_string={"q": "ZZ9"}).get_data(as_text=True)) == []
