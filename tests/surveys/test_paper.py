"""The printable paper version: one A4 page per household of a 单元, address pre-filled, names small for typing in."""
import pytest

from participation.extensions import db
from surveys.builder.operations import create_survey
from surveys.builder.questions import add_question


@pytest.fixture
def printed(reference_data, make_community, make_user, client, auth):
    community = make_community("P001", buildings=1, units=2, floors=3, per_floor=2)
    unit = community.buildings[0].units[0]
    unit.elevator_possible = True
    user = make_user("organiser", username="printer", communities=[community])
    survey = create_survey(user, community, {"title": {"zh": "需求调查"}}, kind="needs")
    add_question(user, survey, survey.sections[0], {"name": "visit_date", "type": "date", "label": {"zh": "填写日期"}})
    db.session.commit()
    auth.login("printer")
    return community, unit, survey


def test_a_unit_prints_one_page_per_household(client, printed):
    community, unit, survey = printed
    page = client.get(f"/surveys/{survey.id}/paper?unit={unit.id}").get_data(as_text=True)
    assert page.count('class="paper-page"') == 6
    for room in ("101", "102", "201", "302"):
        assert f"1号楼1单元{room}室" in page
        assert f"楼栋 1 · 单元 1 · 房号 {room}" in page
    assert page.count("P001小区") >= 6
    assert f"问卷 {survey.id}" in page                             # the survey number, for typing the paper in
    assert "need_B01" in page and "share_I02" in page and "priorities" in page and "cofunding_band" in page
    assert "○ 需要" in page and "○ 无所谓" in page and "○ 不需要" in page
    assert "基础类（应改尽改）" in page
    assert "走访记录" in page and "年" in page                       # volunteer's notes, the date boxes
    # The elevator question only for households above the ground floor (the unit can have one).
    assert page.count("您是否同意在本单元加装电梯") == 4


def test_no_elevator_question_where_none_is_possible(client, printed):
    community, unit, survey = printed
    other = community.buildings[0].units[1]
    page = client.get(f"/surveys/{survey.id}/paper?unit={other.id}").get_data(as_text=True)
    assert page.count('class="paper-page"') == 6 and "加装电梯？" not in page


def test_index_lists_units_and_a_blank_form(client, printed):
    community, unit, survey = printed
    index = client.get(f"/surveys/{survey.id}/paper").get_data(as_text=True)
    assert f"?unit={unit.id}" in index or f"unit={unit.id}" in index
    blank = client.get(f"/surveys/{survey.id}/paper?blank=1").get_data(as_text=True)
    assert blank.count('class="paper-page"') == 1 and "您是否同意在本单元加装电梯" in blank


def test_unknown_unit_is_404(client, printed):
    community, unit, survey = printed
    assert client.get(f"/surveys/{survey.id}/paper?unit=999999").status_code == 404
