"""clean_answers: every question type on the server, skip logic, constraints, audiences, consent, forged input."""
import io
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from participation.extensions import db
from participation.models import CatalogueItem
from surveys.answering.checks import clean_answers
from surveys.models import Choice, Question, Section, Survey

YES_NO = [("yes", "是"), ("no", "否")]


def make_survey(community, spec: list, *, status="open", sections=None) -> Survey:
    """A survey from ``spec``: (section name, question name, type, fields) tuples; ``fields`` may hold
    ``choices`` as [(name, zh label)]. ``sections`` maps a section name to its relevant expression."""
    survey = Survey(community_id=community.id, title={"zh": "需求调查", "en": "Needs survey"}, status=status)
    db.session.add(survey)
    db.session.flush()
    section_rows: dict[str, Section] = {}
    for position, (section_name, name, type_, fields) in enumerate(spec, start=1):
        if section_name not in section_rows:
            section_rows[section_name] = Section(survey_id=survey.id, position=len(section_rows) + 1,
                                                 name=section_name, label={"zh": f"第{len(section_rows) + 1}页"},
                                                 relevant=(sections or {}).get(section_name))
            db.session.add(section_rows[section_name])
            db.session.flush()
        fields = dict(fields)
        choices = fields.pop("choices", [])
        label = fields.pop("label", {"zh": f"问题{name}", "en": f"Question {name}"})
        question = Question(survey_id=survey.id, section_id=section_rows[section_name].id, position=position,
                            name=name, type=type_, label=label, **fields)
        db.session.add(question)
        db.session.flush()
        for index, (choice_name, choice_label) in enumerate(choices, start=1):
            db.session.add(Choice(question_id=question.id, position=index, name=choice_name,
                                  label={"zh": choice_label, "en": choice_name}))
    db.session.flush()
    db.session.expire(survey)
    return survey


@pytest.fixture
def community(make_community):
    return make_community("220102001", buildings=1, units=2, floors=3)


@pytest.fixture
def household(community):
    return community.buildings[0].units[0].households[2]   # 201, second floor


def one(community, type_, household=None, raw=None, **fields):
    survey = make_survey(community, [("p1", "q", type_, fields)])
    return clean_answers(survey, household, {"q": raw} if raw is not None else {})


# --- types ---------------------------------------------------------------------------------------------------------

def test_select_one_accepts_only_its_choices(community):
    choices = [("a", "甲"), ("b", "乙")]
    assert one(community, "select_one", raw="b", choices=choices) == ({"q": "b"}, {})
    values, errors = one(community, "select_one", raw="z", choices=choices)
    assert values == {} and errors["q"] == "此答案不在选项中。"
    values, errors = one(community, "select_one", raw=["a", "b"], choices=choices)
    assert values == {} and errors["q"] == "只能选一个答案。"


def test_select_multiple_counts_picks_within_its_settings(community):
    choices = [("a", "甲"), ("b", "乙"), ("c", "丙")]
    settings = {"min_picks": 1, "max_picks": 2}
    assert one(community, "select_multiple", raw=["a", "c"], choices=choices, settings=settings)[0] == \
        {"q": ["a", "c"]}
    assert one(community, "select_multiple", raw="a c", choices=choices)[0] == {"q": ["a", "c"]}   # ODK cell
    assert one(community, "select_multiple", raw=["a", "a"], choices=choices)[0] == {"q": ["a"]}
    assert one(community, "select_multiple", raw=["a", "b", "c"], choices=choices,
               settings=settings)[1] == {"q": "最多选 2 项。"}
    assert one(community, "select_multiple", raw=["a", "x"], choices=choices)[1] == {"q": "此答案不在选项中。"}


def test_rank_keeps_the_order_and_refuses_repeats_and_more_than_top_n(community):
    choices = [(c, c) for c in "abcdefg"]
    assert one(community, "rank", raw=["c", "a"], choices=choices)[0] == {"q": ["c", "a"]}
    assert one(community, "rank", raw="c a b", choices=choices)[0] == {"q": ["c", "a", "b"]}
    assert one(community, "rank", raw=["", "c", "", "a"], choices=choices)[0] == {"q": ["c", "a"]}
    assert one(community, "rank", raw=["c", "c"], choices=choices)[1] == {"q": "每项只能排一次。"}
    assert one(community, "rank", raw=list("abcdef"), choices=choices)[1] == {"q": "最多排 5 项。"}
    assert one(community, "rank", raw=list("abc"), choices=choices, settings={"top_n": 2})[1] == {"q": "最多排 2 项。"}


def test_rating_defaults_to_one_to_five(community):
    assert one(community, "rating", raw="4") == ({"q": 4}, {})
    assert one(community, "rating", raw="6")[1] == {"q": "请填 1 到 5 之间的数。"}
    assert one(community, "rating", raw="10", settings={"min": 0, "max": 10})[0] == {"q": 10}
    assert one(community, "rating", raw="2.5")[1] == {"q": "请选择一个分数。"}


def test_yes_no(community):
    assert one(community, "yes_no", raw="yes") == ({"q": "yes"}, {})
    assert one(community, "yes_no", raw="maybe")[1] == {"q": "请回答是或否。"}


def test_integer_and_decimal_with_bounds_and_places(community):
    assert one(community, "integer", raw=" 3 ") == ({"q": 3}, {})
    assert one(community, "integer", raw="3.5")[1] == {"q": "请填整数。"}
    assert one(community, "integer", raw="abc")[1] == {"q": "请填数字，例如 3 或 2.5。"}
    assert one(community, "integer", raw="12", settings={"min": 0, "max": 10})[1] == {"q": "请填 0 到 10 之间的数。"}
    assert one(community, "integer", raw="-1", settings={"min": 0})[1] == {"q": "请填不小于 0 的数。"}
    assert one(community, "integer", raw="1e20")[1] == {"q": "这个数太大了。"}
    assert one(community, "integer", raw="NaN")[1] == {"q": "这个数太大了。"}
    assert one(community, "decimal", raw="2.50") == ({"q": Decimal("2.50")}, {})
    assert one(community, "decimal", raw="2.505")[1] == {"q": "小数点后最多 2 位。"}
    assert one(community, "decimal", raw="2.505", settings={"decimal_places": 3})[0] == {"q": Decimal("2.505")}
    assert one(community, "decimal", raw="99.5", settings={"max": "99.4"})[1] == {"q": "请填不大于 99.4 的数。"}


def test_text_and_long_text_have_a_length_limit(community):
    assert one(community, "text", raw="  三楼  漏水 ") == ({"q": "三楼 漏水"}, {})
    assert one(community, "long_text", raw="第一行\r\n第二行\x00")[0] == {"q": "第一行\n第二行"}
    values, errors = one(community, "text", raw="长" * 501)
    assert values == {} and errors["q"] == "最多写 500 个字（现在 501 个）。"
    assert one(community, "text", raw="长" * 11, settings={"max_length": 10})[1]["q"].startswith("最多写 10 个字")
    assert one(community, "long_text", raw="x" * 50_000)[1] == {"q": "这个回答太长了。"}


@pytest.mark.parametrize("typed, stored", [("138 0431 1234", "13804311234"), ("+86 13804311234", "13804311234"),
                                           ("0431-88881234", "043188881234"), ("010-12345678", "01012345678")])
def test_phone_accepts_mobiles_and_landlines(community, typed, stored):
    assert one(community, "phone", raw=typed) == ({"q": stored}, {})


@pytest.mark.parametrize("typed", ["12345", "23804311234", "1380431123", "88881234", "电话"])
def test_phone_refuses_what_cannot_be_dialled(community, typed):
    assert one(community, "phone", raw=typed)[1]["q"].startswith("请填 11 位手机号")


def test_date_is_iso_within_its_bounds(community):
    assert one(community, "date", raw="2024-05-01") == ({"q": date(2024, 5, 1)}, {})
    assert one(community, "date", raw="5/1/2024")[1] == {"q": "请填日期，例如 2024-05-01。"}
    assert one(community, "date", raw="2030-01-01", settings={"max": "2025-12-31"})[1] == \
        {"q": "请填 … 到 2025-12-31 之间的日期。"}


def test_a_note_is_never_answered(community):
    assert one(community, "note", raw="forged") == ({}, {})


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"   # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_is_checked_stripped_of_metadata_and_stored(community, app):
    survey = make_survey(community, [("p1", "photo", "photo", {})])
    upload = FileStorage(io.BytesIO(_jpeg_with_gps()), filename="leak.jpg", content_type="image/jpeg")
    values, errors = clean_answers(survey, None, {"photo": upload})
    assert errors == {}
    path = values["photo"]
    assert path.startswith(f"surveys/{survey.id}/") and path.endswith(".jpg")
    with Image.open(f"{app.config['UPLOAD_FOLDER']}/{path}") as stored:
        assert not stored.getexif()
    bad = FileStorage(io.BytesIO(b"%PDF-1.4 not a photo"), filename="x.jpg")
    assert clean_answers(survey, None, {"photo": bad})[1] == {"photo": "这个文件不是照片。请选择 JPEG、PNG 或 WebP 格式的图片。"}


def test_a_photo_path_sent_as_text_is_never_trusted(community):
    survey = make_survey(community, [("p1", "photo", "photo", {})])
    assert clean_answers(survey, None, {"photo": "fieldsurvey/1/other.jpg"}) == ({}, {})
    kept = {"photo": "surveys/1/mine.jpg"}
    assert clean_answers(survey, None, {"photo": "../../etc/passwd"}, previous=kept)[0] == kept
    assert clean_answers(survey, None, {"photo__remove": "1"}, previous=kept)[0] == {}


# --- required, relevance, constraints ------------------------------------------------------------------------------

def test_required_only_when_relevant_and_not_for_drafts(community):
    survey = make_survey(community, [
        ("p1", "has_car", "yes_no", {"required": True}),
        ("p1", "cars", "integer", {"required": True, "relevant": "${has_car} = 'yes'"}),
    ])
    assert clean_answers(survey, None, {"has_car": "no"}) == ({"has_car": "no"}, {})
    assert clean_answers(survey, None, {"has_car": "yes"})[1] == {"cars": "请回答这个问题。"}
    assert clean_answers(survey, None, {}, check_required=False) == ({}, {})


def test_answers_to_hidden_questions_are_dropped_even_if_invalid(community):
    survey = make_survey(community, [
        ("p1", "has_car", "yes_no", {}),
        ("p1", "cars", "integer", {"relevant": "${has_car} = 'yes'"}),
        ("p2", "where", "text", {}),
    ], sections={"p2": "${cars} > 1"})
    assert clean_answers(survey, None, {"has_car": "no", "cars": "3", "where": "院里"}) == ({"has_car": "no"}, {})
    assert clean_answers(survey, None, {"has_car": "no", "cars": "many"}) == ({"has_car": "no"}, {})
    assert clean_answers(survey, None, {"has_car": "yes", "cars": "2", "where": "院里"})[0] == \
        {"has_car": "yes", "cars": 2, "where": "院里"}
    # the section's relevance reads a hidden question as unanswered
    assert clean_answers(survey, None, {"has_car": "yes", "cars": "1", "where": "院里"})[0] == \
        {"has_car": "yes", "cars": 1}


def test_constraints_use_dot_and_their_message_in_the_users_language(community):
    survey = make_survey(community, [("p1", "people", "integer", {
        "constraint": ". > 0 and . < 20", "constraint_message": {"zh": "人数应在1到19之间", "en": "1 to 19 people"}})])
    assert clean_answers(survey, None, {"people": "4"}) == ({"people": 4}, {})
    assert clean_answers(survey, None, {"people": "25"})[1] == {"people": "人数应在1到19之间"}
    assert clean_answers(survey, None, {"people": "25"}, lang="en")[1] == {"people": "1 to 19 people"}
    no_message = make_survey(community, [("p1", "n", "integer", {"constraint": ". != 3"})])
    assert clean_answers(no_message, None, {"n": "3"})[1] == {"n": "这个答案不符合要求。"}
    assert clean_answers(no_message, None, {"n": "3"}, lang="en")[1] == {"n": "This answer is not accepted here."}


def test_default_messages_follow_the_language(community):
    survey = make_survey(community, [("p1", "q", "integer", {"required": True})])
    assert clean_answers(survey, None, {}, lang="en")[1] == {"q": "Please answer this question."}


# --- sensitive questions and audiences -----------------------------------------------------------------------------

def test_sensitive_answers_are_kept_only_with_consent(community):
    survey = make_survey(community, [("p1", "rooms", "integer", {}),
                                     ("p1", "disability", "yes_no", {"sensitive": True, "required": True})])
    assert clean_answers(survey, None, {"rooms": "2", "disability": "yes"}) == ({"rooms": 2}, {})
    assert clean_answers(survey, None, {"rooms": "2", "disability": "yes", "sensitive_consent": "1"})[0] == \
        {"rooms": 2, "disability": "yes"}
    assert clean_answers(survey, None, {"disability": "yes"}, consent=True)[0] == {"disability": "yes"}


def test_the_elevator_question_goes_only_above_the_ground_floor_where_one_is_possible(community):
    survey = make_survey(community, [("p1", "elevator", "select_one", {
        "role": "elevator", "settings": {"audience": "elevator_units_above_ground"}, "required": True,
        "choices": [("support", "同意"), ("oppose", "不同意")]})])
    unit, other_unit = community.buildings[0].units
    unit.elevator_possible = True
    ground, upstairs, elsewhere = unit.households[0], unit.households[2], other_unit.households[2]
    raw = {"elevator": "support"}
    assert clean_answers(survey, upstairs, raw) == ({"elevator": "support"}, {})
    assert clean_answers(survey, ground, raw) == ({}, {})
    assert clean_answers(survey, elsewhere, raw) == ({}, {})
    assert clean_answers(survey, upstairs, {})[1] == {"elevator": "请回答这个问题。"}


# --- the renovation item block -------------------------------------------------------------------------------------

def item_block(community):
    """need_ for B01 (basic), I01 and I02 (improvement); share_ for the improvements; priorities; all required.
    As the built-in block writes them, the need questions carry their category: the web holds the block's rules."""
    items = [db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B01", "I01", "I02")]
    need = [("need", "需要"), ("neutral", "无所谓"), ("no", "不需要")]
    spec = [("items", f"need_{i.code}", "select_one", {"role": "item_need", "item_id": i.id, "choices": need,
                                                        "required": True, "settings": {"category": i.category}})
            for i in items]
    spec += [("items", f"share_{i.code}", "yes_no", {"role": "item_share", "item_id": i.id,
                                                     "relevant": f"${{need_{i.code}}} = 'need'"})
             for i in items[1:]]
    spec += [("priorities", "priorities", "rank", {"role": "item_priority", "settings": {"top_n": 5},
                                                   "required": True, "choices": [(i.code, i.name) for i in items]})]
    return make_survey(community, spec)


def test_sharing_the_cost_is_asked_only_for_needed_items(community, reference_data):
    survey = item_block(community)
    raw = {"need_B01": "need", "need_I01": "need", "need_I02": "no", "share_I01": "yes", "share_I02": "yes",
           "priorities": ["I01", "B01"]}
    values, errors = clean_answers(survey, None, raw)
    assert errors == {}
    assert values == {"need_B01": "need", "need_I01": "need", "need_I02": "no", "share_I01": "yes",
                      "priorities": ["I01", "B01"]}


def test_share_is_dropped_without_need_even_if_the_relevance_was_edited_away(community, reference_data):
    survey = item_block(community)
    for question in survey.questions:
        question.relevant = None
    values, _ = clean_answers(survey, None, {"need_I01": "neutral", "share_I01": "yes"}, check_required=False)
    assert values == {"need_I01": "neutral"}


def test_priorities_must_be_items_marked_needed(community, reference_data):
    survey = item_block(community)
    raw = {"need_B01": "need", "need_I01": "no", "need_I02": "neutral", "priorities": ["B01", "I01", "I02"]}
    values, errors = clean_answers(survey, None, raw)
    assert errors == {"priorities": "只有标为“需要”的项目才能排进优先顺序：拆除违法建设、绿化整治与补植。"}
    assert "priorities" not in values


def test_a_required_ranking_asks_nothing_of_a_household_that_needs_nothing(community, reference_data):
    survey = item_block(community)
    raw = {"need_B01": "no", "need_I01": "no", "need_I02": "neutral"}
    assert clean_answers(survey, None, raw) == (raw, {})
    assert clean_answers(survey, None, {**raw, "need_B01": "need"})[1] == {"priorities": "请回答这个问题。"}


# --- forged submissions --------------------------------------------------------------------------------------------

def test_forged_submissions_are_refused_or_ignored(community):
    survey = make_survey(community, [
        ("p1", "colour", "select_one", {"choices": [("red", "红"), ("blue", "蓝")]}),
        ("p1", "tags", "select_multiple", {"choices": [("a", "甲"), ("b", "乙")]}),
        ("p1", "n", "integer", {}),
    ])
    values, errors = clean_answers(survey, None, {"unknown": "x", "__class__": "y", "colour": "red"})
    assert values == {"colour": "red"} and errors == {}
    assert clean_answers(survey, None, {"tags": ["a"] * 500})[1] == {"tags": "此答案不在选项中。"}
    assert clean_answers(survey, None, {"tags": ["a", "b", "c"]})[1] == {"tags": "此答案不在选项中。"}
    assert clean_answers(survey, None, {"tags": [{"a": 1}]})[1] == {"tags": "此答案不在选项中。"}
    assert clean_answers(survey, None, {"n": {"$gt": 1}})[1] == {"n": "无法读取这个答案。"}
    assert clean_answers(survey, None, {"n": True})[1] == {"n": "无法读取这个答案。"}
    assert clean_answers(survey, None, {"n": 7})[0] == {"n": 7}   # a JSON number is fine
    assert clean_answers(survey, None, {"colour": "red" * 10_000})[1] == {"colour": "这个回答太长了。"}
