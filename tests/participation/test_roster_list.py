"""The roster's households page as a long list: 50 a page read with LIMIT/OFFSET, the count, search by building,
单元, room, contact name and a phone's last four digits, filters, paging that never fails on a typed page number,
each row's actions on demand, and the scope (another community's organiser: 404; a grid worker: their building)."""
import re

import pytest
from sqlalchemy import event

from participation.extensions import db
from participation.roster.codes import issue_code
from participation.paging import page_number
from participation.roster.queries import RosterFilters, roster_page
from tests.conftest import csrf_token

URL = "/c/NG001/households"


@pytest.fixture
def site(make_community):
    """NG001: 3 buildings × 2 单元 × 6 floors × 2 rooms = 72 households; one with a phone of its own tail, two
    with contact names, one rented, one without a phone, one with a live code. CY001 elsewhere, for the scope."""
    community = make_community("NG001", buildings=3, units=2, floors=6, per_floor=2)
    other = make_community("CY001", district="朝阳区", buildings=1, units=1, floors=1)
    by_address = {(h.unit.building.name, h.unit.name, h.room): h
                  for b in community.buildings for u in b.units for h in u.households}
    marked = by_address[("2", "1", "302")]
    marked.phone, marked.contact_name, marked.occupancy = "13912345678", "欧阳娜娜", "rented"
    by_address[("3", "2", "601")].contact_name = "欧阳修"
    by_address[("1", "1", "101")].phone = None
    db.session.flush()
    issue_code(None, by_address[("1", "2", "202")])
    db.session.commit()
    return community, other, by_address


def rows(html: str) -> list[str]:
    """The ids of the households listed, in order."""
    return re.findall(r'<tr id="h(\d+)"', html)


def get(client, **args):
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- count and paging -------------------------------------------------------------------------------------------

def test_the_first_page_holds_fifty_in_roster_order_and_says_how_many(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    html = get(client)
    listed = rows(html)
    assert len(listed) == 50 and listed[0] == str(by_address[("1", "1", "101")].id)
    assert "共 72 户，显示 1–50" in html
    assert "第1页，共2页" in html and "page=2" in html and "下一页" in html and "上一页" not in html
    second = get(client, page="2")
    assert len(rows(second)) == 22 and "显示 51–72" in second and "上一页" in second
    assert rows(second)[-1] == str(by_address[("3", "2", "602")].id)
    assert not set(listed) & set(rows(second))


@pytest.mark.parametrize("typed, shown", [("0", 1), ("-1", 1), ("abc", 1), ("2.5", 1), ("", 1), ("٢", 1),
                                          ("99999999999999999999999", 2), ("3", 2), ("1e3", 1), (" 2 ", 2)])
def test_any_typed_page_number_is_clamped_never_an_error(client, login_as, site, typed, shown):
    login_as("organiser", site[0])
    html = get(client, page=typed)
    assert f"第{shown}页，共2页" in html
    assert len(rows(html)) == (50 if shown == 1 else 22)


def test_a_page_number_is_only_a_plain_whole_number():
    assert [page_number(v) for v in (None, "", "0", "-3", "x", "7", "٣", "10" * 20)] == [1, 1, 1, 1, 1, 7, 1, 10 ** 9]


def test_the_page_is_read_with_limit_and_offset_in_sql(app, site):
    community, _, _ = site
    from participation.models import User
    seen = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    system = User(username="system-reader", role="admin", password_hash="x", display_name="x")
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = roster_page(system, community, RosterFilters(), page=2, per_page=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert (page.total, page.pages, page.first, page.last, len(page.rows)) == (72, 4, 21, 40, 20)
    households = [s for s in seen if "FROM households" in s and "LIMIT" in s.upper()]
    assert households and "OFFSET" in households[-1].upper()


# --- search -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("2号楼", 24), ("2栋", 24), ("2#", 24), ("2单元", 36), ("2-1", 12), ("2号楼 1单元", 12),
    ("2-1-302", 1), ("２－１－３０２", 1), ("2号楼1单元302室", 1), ("302", 6), ("302室", 6),
    ("欧阳", 2), ("娜娜", 1), ("5678", 1), ("2号楼 欧阳", 1), ("9-9-999", 0), ("100%", 0), ("_", 0),
])
def test_search_by_building_unit_room_name_and_phone_tail(client, login_as, site, typed, expected):
    login_as("organiser", site[0])
    html = get(client, q=typed)
    assert len(rows(html)) == expected
    assert (f"找到 {expected} 户（共 72 户）" in html) if expected else ("没有符合条件的住户（共 72 户）" in html)


def test_a_phone_is_found_by_its_last_four_digits_only_and_stays_masked(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    html = get(client, q="5678")
    assert rows(html) == [str(by_address[("2", "1", "302")].id)]
    assert "139****5678" in html and "13912345678" not in html
    for longer in ("13912345678", "12345678", "345678", "45678"):   # a longer number would confirm a full phone
        assert rows(get(client, q=longer)) == []


def test_filters_by_place_occupancy_phone_and_code(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    building, unit = community.buildings[1], community.buildings[1].units[0]
    assert len(rows(get(client, place=f"b:{building.id}"))) == 24
    assert len(rows(get(client, place=f"u:{unit.id}"))) == 12
    assert rows(get(client, occupancy="rented")) == [str(by_address[("2", "1", "302")].id)]
    assert rows(get(client, phone="no")) == [str(by_address[("1", "1", "101")].id)]
    assert len(rows(get(client, phone="yes"))) == 50 and "找到 71 户" in get(client, phone="yes")
    assert rows(get(client, code="yes")) == [str(by_address[("1", "2", "202")].id)]
    assert "找到 71 户" in get(client, code="no")
    combined = get(client, place=f"b:{building.id}", occupancy="rented", q="欧阳")
    assert rows(combined) == [str(by_address[("2", "1", "302")].id)]
    assert "显示全部住户" in combined


@pytest.mark.parametrize("args", [{"place": "b:x"}, {"place": "z:1"}, {"place": "b:99999999999999999999"},
                                  {"occupancy": "owner"}, {"phone": "maybe"}, {"code": "1"}, {"q": "x" * 200},
                                  {"q": "\u3000"}])
def test_wrong_filter_values_show_everyone_never_an_error(client, login_as, site, args):
    login_as("organiser", site[0])
    html = get(client, **args)
    assert len(rows(html)) == 50 and "72" in html


def test_paging_keeps_the_search(client, login_as, site):
    login_as("organiser", site[0])
    html = get(client, q="2单元")
    assert len(rows(html)) == 36
    html = get(client, phone="yes")
    assert re.search(r'href="[^"]*page=2[^"]*"', html) and "phone=yes" in re.search(
        r'href="([^"]*page=2[^"]*)"', html).group(1)


# --- scope and actions ------------------------------------------------------------------------------------------

def test_another_communitys_organiser_gets_404(client, make_user, auth, site):
    _, other, _ = site
    make_user("organiser", username="elsewhere", district=other.district)
    db.session.commit()
    auth.login("elsewhere")
    assert client.get(URL).status_code == 404
    assert client.get(URL, query_string={"q": "302", "page": "2"}).status_code == 404
    assert client.get("/c/CY001/households").status_code == 200


def test_a_place_of_another_community_is_no_choice_and_shows_nothing_of_it(client, login_as, site):
    community, other, _ = site
    login_as("organiser", community)
    html = get(client, place=f"b:{other.buildings[0].id}")
    assert "不是有效的选择" in html and len(rows(html)) == 50   # the choice is dropped: this community's households
    assert not set(rows(html)) & {str(h.id) for h in other.buildings[0].units[0].households}


def test_a_grid_worker_sees_and_searches_only_their_building(client, login_as, site):
    community, _, _ = site
    login_as("grid", community)   # the first building
    html = get(client)
    assert "共 24 户" in html and "2号楼" not in html
    assert rows(get(client, q="欧阳")) == [] and rows(get(client, q="5678")) == []
    theirs = {str(h.id) for u in community.buildings[0].units for h in u.households}
    not_theirs = get(client, place=f"b:{community.buildings[1].id}")   # not among their choices: dropped
    assert set(rows(not_theirs)) == theirs and "2号楼" not in not_theirs


def test_each_rows_actions_open_on_demand_for_those_who_may_use_them(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    html = get(client, q="2-1-302")
    assert html.count("<details class=\"roster-row-actions\"") == 1
    target = by_address[("2", "1", "302")]
    for link in (f"/assist/households/{target.id}", f"/slips/NG001/households/{target.id}/regenerate"):
        assert link in html
    assert "显示号码" in html


def test_owner_representatives_get_no_row_actions(client, login_as, site):
    login_as("owner_rep", site[0])
    html = get(client)
    assert "roster-row-actions" not in html and "显示号码" not in html and "138****" in html


def test_showing_a_number_comes_back_to_the_same_search(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    target = by_address[("2", "1", "302")]
    html = get(client, q="欧阳", occupancy="rented")
    response = client.post("/c/NG001/phone", data={"csrf_token": csrf_token(html), "household_id": target.id,
                                                   "q": "欧阳", "occupancy": "rented"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith(f"#h{target.id}") and "occupancy=rented" in location
    shown = client.get(location.split("#")[0]).get_data(as_text=True)
    assert "13912345678" in shown and rows(shown) == [str(target.id)]


def test_showing_a_number_on_page_two_comes_back_to_page_two(client, login_as, site):
    community, _, by_address = site
    login_as("organiser", community)
    target = by_address[("3", "2", "602")]   # the last household: page 2
    html = get(client, page="2")
    assert f'name="household_id" value="{target.id}"' in html and 'name="page" value="2"' in html
    response = client.post("/c/NG001/phone", data={"csrf_token": csrf_token(html), "household_id": target.id,
                                                   "page": "2"})
    assert "page=2" in response.headers["Location"]
    assert str(target.id) in rows(client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True))
