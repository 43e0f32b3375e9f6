"""The needs survey's pages without JavaScript (issue 17): a page per item category with a progress bar, one answer
grid per category, the follow-ups and the ranking on a later page showing only the items marked 需要, "next page"
as a server-side step that saves a draft, "rows not answered yet" answered at once, and no version history shown
to residents."""
import re

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem
from participation.roster.codes import issue_code
from surveys.answering.operations import response_values
from surveys.builder.itemblock import add_item_block
from surveys.models import Response
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter
from tests.surveys.test_answers import make_survey

CODES = ("B01", "B02", "I01", "I02", "U01")


@pytest.fixture
def needs(reference_data, make_community):
    """About the household on page 1, then the item block for five items (two basic, two improvement, one upgrade)
    in a section of its own, under an introduction."""
    community = make_community("220102001", buildings=1, units=1, floors=3)
    survey = make_survey(community, [
        ("about", "people", "integer", {"required": True, "label": {"zh": "家里住几口人？"}}),
        ("items", "intro", "note", {"label": {"zh": "请告诉我们每一项您家是否需要。"}})], status="draft")
    items = list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(CODES))))
    add_item_block(survey, items, section=sorted(survey.sections, key=lambda s: s.position)[1])
    survey.status = "open"
    household = community.buildings[0].units[0].households[2]
    code = issue_code(None, household)
    db.session.commit()
    return community, survey, code


@pytest.fixture
def resident(client, needs):
    community, _survey, code = needs
    enter(client, community.code, code)
    accept_notice(client)
    return client


def page_html(client, survey, number=None):
    return client.get(f"/s/{survey.id}" + (f"?page={number}" if number else "")).text


def step(client, survey, data, *, page, go=None, fill=None):
    html = page_html(client, survey, page)
    form = {"csrf_token": csrf_token(html), "page": str(page), **data}
    if go is not None:
        form["go"] = str(go)
    if fill is not None:
        form["fill"] = fill
    return client.post(f"/s/{survey.id}", data=form)


def saved(survey):
    db.session.expire_all()
    response = db.session.scalar(select(Response).where(Response.survey_id == survey.id))
    return response, response_values(response) if response is not None else {}


def shown_page(html) -> str:
    """The number of the page the server shows (the others carry ``hidden``)."""
    return re.search(r'<section class="survey-page" data-page="(\d+)" aria-labelledby="[^"]+">', html).group(1)


def box_hidden(html, name) -> bool:
    return bool(re.search(rf'id="q-{name}-box" hidden', html))


def test_a_page_per_category_with_a_progress_bar_and_grids(resident, needs):
    survey = needs[1]
    html = page_html(resident, survey)
    titles = re.findall(r'<h2 id="page-\d+">([^<]+)</h2>', html)
    assert titles[0] == "第1页" and [t.split("（")[0] for t in titles[1:4]] == ["基础类", "完善类", "提升类"]
    assert titles[4] == "您需要的项目" and len(titles) == 5
    assert "第 1 页，共 5 页" in html and '<progress max="5" value="1"' in html
    assert shown_page(html) == "1"
    # consecutive questions with the same choices: one grid per category, the follow-ups out of the category pages
    assert html.count('class="answer-grid') == 3   # 基础类, 完善类, and the cost-sharing follow-ups
    grid = html[html.index('data-grid="need_I01"'):]
    assert grid.index('data-name="need_I02"') < grid.index('data-name="share_I01"')
    # every row a fieldset with its item as legend; nothing chosen beforehand
    assert re.search(r'<fieldset[^>]*>\s*<legend><span id="q-need_B01-text">屋面防水及保温维修</span>', html)
    assert " checked" not in html
    assert 'data-read-target="#q-need_B01-text"' in html and 'data-read-target="#q-people-text"' in html
    assert "提交答卷" not in html.split('class="survey-actions"')[1].split("</div>")[0].replace(" hidden>", "")\
        or 'survey-submit" hidden' in html   # submitting waits for the last page
    assert 'survey-submit"' in page_html(resident, survey, 5) and 'survey-submit" hidden' not in \
        page_html(resident, survey, 5)


def test_next_page_saves_a_draft_and_shows_the_follow_ups_only_for_needed_items(resident, needs):
    survey = needs[1]
    moved = step(resident, survey, {"people": "3", "need_B01": "need", "need_B02": "no", "need_I01": "need",
                                    "need_I02": "neutral", "need_U01": "no"}, page=2, go=3)
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/s/{survey.id}?page=3#survey-form")
    response, values = saved(survey)
    assert response.status == "draft" and values["need_I01"] == "need" and values["people"] == 3
    last = page_html(resident, survey, 5)
    assert shown_page(last) == "5"
    assert not box_hidden(last, "share_I01")                 # needed: asked whether it would share the cost
    assert box_hidden(last, "share_I02") and box_hidden(last, "share_U01")
    # the ranking offers only the needed items (B01 and I01), in numbered places as many as there are
    ranking = last[last.index('class="rank-selects"'):last.index('class="rank-taps"')]
    assert set(re.findall(r'<option value="(\w*)"', ranking)) == {"", "B01", "I01"}
    assert ranking.count("<select") == 2
    # the page script follows a simple condition at once (offline too); the server's check follows and wins
    assert re.search(r'id="q-share_I02-box" hidden data-if-name="need_I02" data-if-value="need"', last)
    # the tap list carries every item with the question saying whether it is needed, for the page script
    assert 'data-choice="B02" data-need="need_B02"' in last
    # the chosen answers show again, in the grid
    assert re.search(r'name="need_I01" value="need" checked', last)


def test_a_household_that_needs_nothing_is_not_asked_to_rank(resident, needs):
    survey = needs[1]
    step(resident, survey, {"need_B01": "no", "need_B02": "neutral"}, page=2, go=5)
    last = page_html(resident, survey, 5)
    assert "您没有把任何项目选为“需要”" in last and "<select" not in last[last.index('class="rank-selects"'):
                                                                           last.index('class="rank-taps"')]


def test_rows_not_answered_yet_are_answered_at_once(resident, needs):
    survey = needs[1]
    filled = step(resident, survey, {"need_B01": "need"}, page=2, fill="need_B01:no")
    assert filled.status_code == 302 and "?page=2" in filled.headers["Location"]
    _response, values = saved(survey)
    assert (values["need_B01"], values["need_B02"]) == ("need", "no")   # the answered row kept its answer
    assert "need_I01" not in values                                     # another grid is left alone
    forged = step(resident, survey, {"need_B01": "need"}, page=2, fill="need_B01:gold")
    assert forged.status_code == 302 and "need_B02" not in saved(survey)[1]   # not a choice: nothing filled
    nothing = step(resident, survey, {"need_B01": "need"}, page=2, go="abc")
    assert nothing.status_code == 302 and saved(survey)[0].status == "draft"


def test_ranking_an_item_not_marked_needed_is_refused_on_its_page(resident, needs):
    survey = needs[1]
    refused = step(resident, survey, {"people": "2", "need_B01": "need", "need_B02": "no",
                                      "priorities": ["B02"]}, page=5, go=4)
    assert refused.status_code == 400 and "只有标为“需要”的项目才能排进优先顺序" in refused.text
    assert shown_page(refused.text) == "5"


def test_submitted_answers_show_the_last_saved_time_not_versions(resident, needs):
    survey = needs[1]
    data = {"people": "3", "need_B01": "need", "priorities": ["B01"]}
    html = page_html(resident, survey, 5)
    done = resident.post(f"/s/{survey.id}", data={"csrf_token": csrf_token(html), "action": "submit", **data})
    assert done.status_code == 302
    # a page step with nothing changed saves no new version
    step(resident, survey, data, page=1, go=2)
    response, _values = saved(survey)
    assert response.version == 1
    step(resident, survey, {**data, "need_B02": "no"}, page=2, go=3)
    response, values = saved(survey)
    assert (response.status, response.version, values["need_B02"]) == ("submitted", 2, "no")
    page = page_html(resident, survey)
    assert "上次保存：" in page and "版本" not in page
    assert not re.search(r"R[2-9A-Z]{8}</strong>\s*\.", page)   # no ASCII period after the code
    receipt = resident.get(f"/s/{survey.id}/receipt").text
    assert "版本" not in receipt and "上次保存：" in receipt and response.receipt in receipt


def test_a_follow_up_on_the_same_page_is_asked_before_moving_on(client, make_community):
    """Without JavaScript a question made relevant by an answer on its own page appears after "next page": the
    same page again, at that question, instead of the next page."""
    community = make_community("220102002", buildings=1, units=1, floors=1)
    survey = make_survey(community, [
        ("home", "stairs", "yes_no", {"label": {"zh": "上下楼困难吗？"}}),
        ("home", "why", "text", {"relevant": "${stairs} = 'yes'", "label": {"zh": "哪里困难？"}}),
        ("more", "comment", "long_text", {"label": {"zh": "还有什么？"}})])
    code = issue_code(None, community.buildings[0].units[0].households[0])
    db.session.commit()
    enter(client, community.code, code)
    accept_notice(client)
    assert box_hidden(page_html(client, survey), "why")
    again = step(client, survey, {"stairs": "yes"}, page=1, go=2)
    assert again.headers["Location"].endswith(f"/s/{survey.id}?page=1#q-why-box")
    assert not box_hidden(page_html(client, survey, 1), "why")
    onward = step(client, survey, {"stairs": "yes", "why": "膝盖"}, page=1, go=2)
    assert onward.headers["Location"].endswith(f"/s/{survey.id}?page=2#survey-form")
    assert step(client, survey, {"stairs": "no"}, page=1, go=2).headers["Location"].endswith("?page=2#survey-form")
