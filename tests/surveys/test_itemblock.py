"""The renovation item block: question names, roles, choices and relevance per category, the slogans, extension."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem, Locality, LocalityRule
from surveys.builder.itemblock import ELEVATOR_AUDIENCE, add_elevator_question, add_item_block
from surveys.builder.operations import create_survey, set_block_items
from surveys.builder.questions import BuilderError, add_question, ordered_questions


def items(*codes):
    found = {item.code: item for item in db.session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(codes)))}
    return [found[code] for code in codes]


@pytest.fixture
def setup(reference_data, make_community, make_user):
    community = make_community(floors=1)
    user = make_user("organiser", communities=[community])
    survey = create_survey(user, community, {"title": {"zh": "需求调查"}})
    return user, survey


def names(survey):
    return [question.name for question in ordered_questions(survey)]


def test_block_for_basic_improvement_and_upgrade_items(setup):
    user, survey = setup
    add_item_block(survey, items("U01", "B02", "I02", "B01"), section=survey.sections[0])
    assert names(survey) == ["category_basic", "need_B01", "need_B02", "category_improvement", "need_I02",
                             "share_I02", "category_upgrade", "need_U01", "share_U01", "priorities",
                             "cofunding_band"]
    by_name = {question.name: question for question in survey.questions}
    need = by_name["need_B01"]
    assert (need.type, need.role, need.item.code) == ("select_one", "item_need", "B01")
    assert [(c.name, c.label["zh"]) for c in need.choices] == [("need", "需要"), ("neutral", "无所谓"), ("no", "不需要")]
    assert need.label["zh"] == "屋面防水及保温维修" and need.relevant is None
    assert "share_B01" not in by_name   # basic items: no cost-sharing question
    share = by_name["share_I02"]
    assert (share.type, share.role, share.item.code) == ("yes_no", "item_share", "I02")
    assert share.relevant == "${need_I02} = 'need'"
    assert [c.name for c in share.choices] == ["yes", "no"]
    assert by_name["share_U01"].relevant == "${need_U01} = 'need'"
    priorities = by_name["priorities"]
    assert (priorities.type, priorities.role, priorities.settings) == ("rank", "item_priority", {"top_n": 5})
    assert [c.name for c in priorities.choices] == ["B01", "B02", "I02", "U01"]
    band = by_name["cofunding_band"]
    assert (band.type, band.role) == ("select_one", "cofunding_band") and len(band.choices) == 5
    assert [q.position for q in ordered_questions(survey)] == list(range(1, 12))


def test_category_notes_carry_the_slogans_of_the_year(setup):
    user, survey = setup
    add_item_block(survey, items("B01", "I01", "U01"), section=survey.sections[0])
    labels = {q.name: q.label["zh"] for q in survey.questions if q.type == "note"}
    assert labels == {"category_basic": "基础类（应改尽改）", "category_improvement": "完善类（能改则改）",
                      "category_upgrade": "提升类（需改则改）"}


def test_no_slogan_configured_shows_the_category_alone(setup):
    user, survey = setup
    locality = db.session.scalar(select(Locality).filter_by(city="长春市"))
    db.session.execute(LocalityRule.__table__.delete().where(LocalityRule.locality_id == locality.id,
                                                             LocalityRule.key == "upgrade"))
    add_item_block(survey, items("U02"), section=survey.sections[0])
    assert ordered_questions(survey)[0].label == {"zh": "提升类", "en": "Upgrade items"}


def test_extending_the_block_keeps_its_order_and_adds_priority_choices(setup):
    user, survey = setup
    section = survey.sections[0]
    add_question(user, survey, section, {"name": "intro", "type": "note", "label": {"zh": "说明"}})
    add_item_block(survey, items("B02", "I02"), section=section)
    add_question(user, survey, section, {"name": "comment", "type": "long_text", "label": {"zh": "其他意见"}})
    added = add_item_block(survey, items("B01", "I02", "U03"), section=section)
    assert [q.name for q in added] == ["need_B01", "category_upgrade", "need_U03", "share_U03"]
    assert names(survey) == ["intro", "category_basic", "need_B01", "need_B02", "category_improvement", "need_I02",
                             "share_I02", "category_upgrade", "need_U03", "share_U03", "priorities",
                             "cofunding_band", "comment"]
    priorities = next(q for q in survey.questions if q.name == "priorities")
    assert [c.name for c in priorities.choices] == ["B02", "I02", "B01", "U03"]


def test_elevator_question(setup):
    user, survey = setup
    question = add_elevator_question(survey, section=survey.sections[0])
    assert (question.name, question.role, question.type) == ("elevator", "elevator", "select_one")
    assert question.settings == {"audience": ELEVATOR_AUDIENCE}
    assert [c.name for c in question.choices] == ["support", "neutral", "oppose"]
    with pytest.raises(BuilderError):
        add_elevator_question(survey, section=survey.sections[0])


def test_set_block_items_adds_and_removes(setup):
    user, survey = setup
    set_block_items(user, survey, items("B01", "I02", "U01"), elevator=True)
    changes = set_block_items(user, survey, items("B01", "U01"), elevator=False)
    assert sorted(changes["removed"]) == ["elevator", "need_I02", "share_I02"]
    assert names(survey) == ["category_basic", "need_B01", "category_upgrade", "need_U01", "share_U01",
                             "priorities", "cofunding_band"]
    priorities = next(q for q in survey.questions if q.name == "priorities")
    assert [c.name for c in priorities.choices] == ["B01", "U01"]


def test_removing_an_item_that_a_condition_uses_is_refused(setup):
    user, survey = setup
    set_block_items(user, survey, items("B01"), elevator=False)
    add_question(user, survey, survey.sections[0], {"name": "roof_detail", "type": "text", "label": {"zh": "漏在哪里"},
                                                      "relevant": "${need_B01} = 'need'"})
    with pytest.raises(BuilderError, match="need_B01"):
        set_block_items(user, survey, items("B02"), elevator=False)


def test_the_needs_survey_holds_every_active_item(reference_data, make_community, make_user):
    community = make_community(floors=1)
    user = make_user("organiser", communities=[community])
    retired = items("U09")[0]
    from participation.models.types import utcnow
    retired.retired_at = utcnow()
    survey = create_survey(user, community, {}, kind="needs")
    assert survey.title["zh"] == "小区改造需求调查"
    codes = [q.item.code for q in ordered_questions(survey) if q.role == "item_need"]
    active = db.session.scalars(select(CatalogueItem.code).where(CatalogueItem.retired_at.is_(None))).all()
    assert sorted(codes) == sorted(active) and "U09" not in codes
    assert names(survey)[-3:] == ["priorities", "cofunding_band", "elevator"]
