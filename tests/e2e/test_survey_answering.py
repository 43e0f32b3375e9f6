"""A resident answers a needs survey on a phone: enters with the slip's code, answers page by page, loses the network
midway (the answers stay on the phone and say so), gets it back, submits and sees the receipt number."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem, Community
from participation.models.types import utcnow
from surveys.answering.operations import response_values
from surveys.models import Response
from tests.e2e.residents import agree_to_notice_if_asked
from tests.surveys.test_answers import make_survey

TITLE = "楼道和院子需求调查（测试）"


@pytest.fixture(scope="module")
def household(demo):
    return demo["households"][-1]


@pytest.fixture(scope="module")
def survey_id(e2e_app, household):
    """An open three-page survey in the household's community: about the home, the item block, priorities."""
    with e2e_app.app_context():
        community = db.session.scalar(select(Community).filter_by(code=household["community"]))
        items = {code: db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B04", "I02")}
        need = [("need", "需要"), ("neutral", "无所谓"), ("no", "不需要")]
        spec = [
            ("home", "intro", "note", {"label": {"zh": "感谢参与！大约需要3分钟。"}}),
            ("home", "people", "integer", {"required": True, "label": {"zh": "家里常住几口人？"},
                                           "settings": {"min": 1, "max": 20}}),
            ("home", "stairs", "yes_no", {"required": True, "label": {"zh": "家里有人上下楼困难吗？"}}),
            ("items", "need_B04", "select_one", {"role": "item_need", "item_id": items["B04"].id, "required": True,
                                                 "label": {"zh": items["B04"].name}, "choices": need}),
            ("items", "need_I02", "select_one", {"role": "item_need", "item_id": items["I02"].id, "required": True,
                                                 "label": {"zh": items["I02"].name}, "choices": need}),
            ("items", "share_I02", "yes_no", {"role": "item_share", "item_id": items["I02"].id,
                                              "relevant": "${need_I02} = 'need'",
                                              "label": {"zh": f"{items['I02'].name}：愿意分担一部分费用吗？"}}),
            ("last", "priorities", "rank", {"role": "item_priority", "settings": {"top_n": 5},
                                            "label": {"zh": "请按重要程度排序"},
                                            "choices": [(code, item.name) for code, item in items.items()]}),
            ("last", "health", "yes_no", {"sensitive": True, "label": {"zh": "家中有行动不便的老人或残疾人吗？"}}),
            ("last", "comment", "long_text", {"label": {"zh": "还有什么想说的？"}}),
        ]
        survey = make_survey(community, spec, sections={})
        survey.title = {"zh": TITLE}
        survey.opens_at = utcnow() - timedelta(minutes=5)
        for section, label in zip(sorted(survey.sections, key=lambda s: s.position),
                                  ("您家的情况", "改造项目", "优先顺序"), strict=True):
            section.label = {"zh": label}
        db.session.commit()
        return survey.id


def test_answering_across_pages_with_the_network_dropping_midway(page, context, live_server, household, survey_id,
                                                                  e2e_app, shot):
    page.goto(f"{live_server}/r/{household['community']}")
    page.get_by_label("户码").fill(household["code"])
    page.get_by_role("button", name="进入我家的页面").click()
    agree_to_notice_if_asked(page)
    page.locator(".survey-list li", has_text=TITLE).get_by_role("link", name="请填写").click()   # the survey's own button
    expect(page.get_by_text("第 1 页，共 3 页")).to_be_visible()
    expect(page.get_by_text("家里常住几口人？")).to_be_visible()
    expect(page.get_by_text("请按重要程度排序")).to_be_hidden()    # later pages wait their turn
    expect(page.get_by_role("button", name="提交答卷")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    page.get_by_label("家里常住几口人？").fill("3")
    page.locator("[data-name=stairs]").get_by_text("是", exact=True).click()
    shot(page, "30-survey-page-1")
    page.get_by_role("button", name="下一页").click()

    expect(page.get_by_text("第 2 页，共 3 页")).to_be_visible()
    share = page.locator("[data-name=share_I02]")
    expect(share).to_be_hidden()                                    # asked only when the item is needed
    page.locator("[data-name=need_I02]").get_by_text("需要", exact=True).click()
    expect(share).to_be_visible()                                   # the server said so
    context.set_offline(True)
    share.get_by_text("是", exact=True).click()
    page.locator("[data-name=need_B04]").get_by_text("无所谓", exact=True).click()
    offline_note = page.locator("#survey-offline")
    expect(offline_note).to_contain_text("已保存在这部手机上")
    shot(page, "31-survey-offline")
    page.get_by_role("button", name="下一页").click()

    expect(page.get_by_text("第 3 页，共 3 页")).to_be_visible()
    ranking = page.locator("[data-name=priorities]")
    expect(ranking.locator("button.rank-tap[data-choice=B04]")).to_be_hidden()   # only the needed items are ranked
    ranking.locator("button.rank-tap[data-choice=I02]").click()                 # the first tap is No. 1
    expect(ranking.locator("button.rank-tap[data-choice=I02]")).to_have_attribute("aria-pressed", "true")
    expect(ranking.locator("button.rank-tap[data-choice=I02] .rank-badge")).to_have_text("1")
    page.get_by_label("还有什么想说的？").fill("楼道灯晚上太暗。")
    expect(offline_note).to_contain_text("已保存在这部手机上")
    shot(page, "32-survey-last-page-offline")

    context.set_offline(False)                                      # back online: what waited is sent
    expect(offline_note).to_contain_text("答案已保存")
    with e2e_app.app_context():
        response = db.session.scalar(select(Response).where(Response.survey_id == survey_id))
        assert response is not None and response.status == "draft"
        assert response_values(response)["share_I02"] == "yes"     # answered while offline
    page.get_by_role("button", name="提交答卷").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("您的答案已收到")
    receipt = page.locator("#receipt-number").inner_text()
    assert re.fullmatch(r"R[2-9A-HJKMNP-Z]{8}", receipt)
    shot(page, "33-survey-receipt")
    with e2e_app.app_context():
        response = db.session.scalar(select(Response).where(Response.survey_id == survey_id))
        values = response_values(response)
        assert (response.status, response.receipt, response.channel) == ("submitted", receipt, "web")
        assert values == {"people": 3, "stairs": "yes", "need_B04": "neutral", "need_I02": "need",
                          "share_I02": "yes", "priorities": ["I02"], "comment": "楼道灯晚上太暗。"}

    page.get_by_role("link", name="回到我家的页面").click()
    expect(page.locator(".survey-list")).to_contain_text(receipt)
    shot(page, "34-home-with-receipt")

    # After submitting, the answers can still be changed; on a 360 px phone in large text nothing spills sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("button", name="大字模式").click()
    page.goto(f"{live_server}/s/{survey_id}")
    expect(page.get_by_role("button", name="下一页")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "35-survey-360px-large-text")


def test_the_organiser_sees_the_answer_in_the_charts(page, live_server, login, survey_id, shot):
    """Runs after the resident's submission above: the organiser's results page counts it and draws the charts."""
    login(page, "organiser")
    page.goto(f"{live_server}/surveys/{survey_id}/results")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.locator(".results-figures")).to_contain_text(re.compile(r"\b1\s*/\s*\d+"))
    page.wait_for_selector(".main-svg")                              # plotly.js drew from the JSON blocks
    assert page.locator(".main-svg").count() >= 2
    assert page.evaluate("typeof Plotly !== 'undefined' && Plotly.version") == "4.1.1"
    shot(page, "36-organiser-results-charts")
