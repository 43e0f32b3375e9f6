"""XLSForm import: every file of the pyxform corpus (tests/surveys/corpus, BSD licence beside it), each refusal
reason with its row, languages, the item column, and files that are not XLSForms at all."""
import io
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem
from surveys.models import Question, Survey
from surveys.xlsform.common import XLSFormError, language_code
from surveys.xlsform.imports import import_xlsform

CORPUS = Path(__file__).parent / "corpus"
MUST_IMPORT = ["group.xlsx", "group.md", "text_and_integer.xlsx", "yes_or_no_question.xlsx", "specify_other.xlsx",
               "table-list.xls", "utf_csv.csv", "badly_named_choices_sheet.xls"]
# file → a fragment the refusal must contain (the row or sheet, and the reason), in Chinese
MUST_REFUSE = {
    "tutorial.xls": "第 2 行：不支持重复组",
    "loop.xlsx": "第 3 行：不支持循环",
    "UCL_Biomass_Plot_Form.xlsx": "第 32 行：不支持重复组",
    "calculate.xls": "第 2 行：不支持计算",
    "choice_filter_test.xlsx": "第 3 行：不支持 choice_filter 列",
    "cascading_select_test_equivalent.xls": "第 5 行：不支持计算",
    "widgets.xls": "第 11 行：不支持位置",
    "duplicate_columns.xlsx": "survey 表",
    "unknown_question_type.xls": "survey 表",
    "bad_calc.xlsx": "第 2 行：不支持计算",
    "or_other.xlsx": "第 3 行：不支持 choice_filter 列",
    "xlsform_spec_test.xlsx": "第 15 行：不支持重复组",
}


@pytest.fixture
def community(make_community, reference_data):
    return make_community("XF1", buildings=1, units=1, floors=1, per_floor=1)


def md(survey_rows: str, choices: str = "", settings: str = "") -> bytes:
    text = "| survey |\n" + survey_rows
    if choices:
        text += "| choices |\n" + choices
    if settings:
        text += "| settings |\n" + settings
    return text.encode()


def refused(community, data: bytes, name: str = "form.md") -> list[str]:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(None, community, data, name)
    db.session.rollback()
    return caught.value.errors


def test_the_corpus_is_tested_file_by_file():
    files = {path.name for path in CORPUS.iterdir() if path.name != "LICENSE-pyxform.txt"}
    assert files == set(MUST_IMPORT) | set(MUST_REFUSE)


@pytest.mark.parametrize("name", MUST_IMPORT)
def test_corpus_forms_import_as_draft_surveys(community, name):
    result = import_xlsform(None, community, (CORPUS / name).read_bytes(), name)
    survey = result.survey
    assert survey.status == "draft" and survey.community_id == community.id
    assert survey.questions and all(question.label for question in survey.questions)
    assert "instanceID" not in {question.name for question in survey.questions}
    assert all(question.section.survey_id == survey.id for question in survey.questions)


@pytest.mark.parametrize("name", sorted(MUST_REFUSE))
def test_corpus_forms_with_unsupported_features_are_refused_by_row_or_sheet(community, name):
    errors = refused(community, (CORPUS / name).read_bytes(), name)
    assert any(MUST_REFUSE[name] in error for error in errors), errors
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_group_form_maps_groups_phone_and_english_labels(community):
    survey = import_xlsform(None, community, (CORPUS / "group.xlsx").read_bytes(), "group.xlsx").survey
    assert [(section.name, [q.name for q in section.questions]) for section in survey.sections] == [
        ("page_1", ["family_name"]), ("father", ["phone_number", "age"])]
    assert [q.type for q in survey.questions] == ["text", "phone", "integer"]
    assert survey.questions[0].label == {"en": "What's your family name?"}
    assert survey.sections[1].label == {"en": "Father"}


def test_or_other_becomes_a_choice_and_a_text_shown_when_other_is_picked(community):
    survey = import_xlsform(None, community, (CORPUS / "specify_other.xlsx").read_bytes(), "s.xlsx").survey
    sex, other = survey.questions
    assert [choice.name for choice in sex.choices] == ["male", "female", "other"]
    assert sex.choices[-1].label == {"zh": "其他", "en": "Other"}
    assert other.name == "sex_other" and other.relevant == "selected(${sex}, 'other')"


def test_yes_no_list_becomes_a_yes_no_question_and_table_list_headers_are_dropped(community):
    survey = import_xlsform(None, community, (CORPUS / "table-list.xls").read_bytes(), "t.xls").survey
    names = [question.name for question in survey.questions]
    assert not any(name.startswith(("generated_", "reserved_name")) for name in names)
    assert {q.name: q.type for q in survey.questions}["table_list_3"] == "yes_no"
    yes = import_xlsform(None, community, (CORPUS / "yes_or_no_question.xlsx").read_bytes(), "y.xlsx").survey
    assert yes.questions[0].type == "yes_no" and [c.name for c in yes.questions[0].choices] == ["yes", "no"]


@pytest.mark.parametrize("language, code", [
    ("Chinese (zh)", "zh"), ("中文", "zh"), ("zh", "zh"), ("zh-CN", "zh"), ("chinese", "zh"),
    ("English (en)", "en"), ("en", "en"), ("english", "en"), ("English", "en"), ("Swahili (sw)", None),
    ("French", None)])
def test_language_names_map_to_our_codes(language, code):
    assert language_code(language) == code


def test_labels_by_language_and_the_untranslated_column(community):
    data = md("| | type | name | label | label::中文 | label::English (en) | hint::zh | label::Français (fr) |\n"
              "| | text | a | 默认 | 问题 | Question | 提示 | Question fr |\n"
              "| | text | b | 只有默认 | | | | |\n")
    result = import_xlsform(None, community, data, "f.md")
    first, second = result.survey.questions
    assert first.label == {"zh": "问题", "en": "Question"} and first.hint == {"zh": "提示"}
    assert second.label == {"zh": "只有默认"}
    assert any("Français (fr)" in warning for warning in result.warnings)


def test_untranslated_english_text_is_english_and_default_language_decides(community):
    english = import_xlsform(None, community, md("| | type | name | label |\n| | text | a | Name? |\n"), "e.md")
    assert english.survey.questions[0].label == {"en": "Name?"}
    chosen = import_xlsform(None, community, md("| | type | name | label |\n| | text | b | Name? |\n",
                                                settings="| | form_title | default_language |\n"
                                                         "| | 调查 | Chinese (zh) |\n"), "z.md")
    assert chosen.survey.questions[0].label == {"zh": "Name?"}
    assert chosen.survey.title == {"zh": "调查"}


def test_columns_required_relevant_constraint_appearance_sensitive(community):
    data = md("| | type | name | label | required | relevant | constraint | constraint_message | "
              "required_message | appearance | sensitive | hint |\n"
              "| | integer | age | 年龄 | yes | | . >= 0 and . < 130 | 不对 | 必填 | | yes | 周岁 |\n"
              "| | text | note | 说明 | false | ${age} > 60 | | | | multiline | | |\n"
              "| | range | score | 打分 | | | | | | rating | | |\n")
    age, note, score = import_xlsform(None, community, data, "c.md").survey.questions
    assert (age.required, age.constraint, age.constraint_message, age.sensitive, age.hint) == (
        True, ". >= 0 and . < 130", {"zh": "不对"}, True, {"zh": "周岁"})
    assert age.settings == {"required_message": {"zh": "必填"}}
    assert (note.type, note.required, note.relevant, note.settings) == ("long_text", False, "${age} > 60", {})
    assert (score.type, score.settings) == ("rating", {"min": 1, "max": 10})


def test_nested_groups_join_their_top_level_section_with_their_condition(community):
    data = md("| | type | name | label | relevant |\n"
              "| | integer | n | 人数 | |\n"
              "| | begin_group | outer | 外 | ${n} > 0 |\n"
              "| | begin_group | inner | 内 | ${n} > 2 |\n"
              "| | text | t | 文 | ${n} < 9 |\n"
              "| | end_group | | | |\n"
              "| | end_group | | | |\n")
    survey = import_xlsform(None, community, data, "n.md").survey
    assert [section.name for section in survey.sections] == ["page_1", "outer"]
    assert survey.sections[1].relevant == "${n} > 0"
    assert survey.questions[-1].relevant == "(${n} > 2) and (${n} < 9)"


def test_item_column_gives_need_share_and_priority_roles(community):
    roof, wall = db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.code).limit(2)).all()
    data = md("| | type | name | label | item | role |\n"
              f"| | select_one need | need_{roof.code} | 屋面 | {roof.code} | |\n"
              f"| | select_one yn | share_{roof.code} | 分摊 | {roof.code} | |\n"
              "| | rank pr | priorities | 排序 | | |\n"
              "| | select_one band | band | 出资 | | cofunding_band |\n",
              "| | list_name | name | label |\n| | need | need | 需要 |\n| | need | neutral | 无所谓 |\n"
              "| | need | no | 不需要 |\n| | yn | yes | 愿意 |\n| | yn | no | 不愿意 |\n"
              f"| | pr | {roof.code} | 屋面 |\n| | pr | {wall.code} | 外墙 |\n| | band | low | 少 |\n")
    need, share, priorities, band = import_xlsform(None, community, data, "i.md").survey.questions
    assert (need.role, need.item_id) == ("item_need", roof.id)
    assert (share.type, share.role, share.item_id) == ("yes_no", "item_share", roof.id)
    assert [choice.label for choice in share.choices] == [{"zh": "愿意"}, {"zh": "不愿意"}]
    assert (priorities.role, priorities.item_id) == ("item_priority", None)
    assert band.role == "cofunding_band"


@pytest.mark.parametrize("rows, expected", [
    ("| | integer | a | A | ZZZ99 |\n", "第 2 行：目录里没有编码为 ZZZ99 的项目"),
    ("| | integer | a | A | B01 |\n", "第 2 行：item 列只用于"),
])
def test_item_column_problems_are_refused_by_row(community, rows, expected):
    errors = refused(community, md("| | type | name | label | item |\n" + rows))
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("row, expected", [
    ("| | geopoint | a | 位置 | | | |", "第 3 行：不支持位置"),
    ("| | calculate | a | | | | |", "第 3 行：不支持计算"),
    ("| | integer | a | 数 | 3 | | |", "第 3 行：不支持 default 列"),
    ("| | integer | a | 数 | | yes | |", "第 3 行：不支持 read_only 列"),
    ("| | integer | a | 数 | | | pulldata('x', 'y', 'z', 'w') |", "第 3 行"),
    ("| | integer | a | 数 | | | ${nobody} > 1 |", "第 3 行"),
    ("| | time | a | 时间 | | | |", "第 3 行：不支持题型 time"),
    ("| | barcode | a | 条码 | | | |", "第 3 行：不支持条码"),
    ("| | audio | a | 录音 | | | |", "第 3 行：不支持录音"),
    ("| | range | a | 范围 | | | |", "第 3 行：范围题只支持"),
    ("| | hidden | a | 隐藏 | | | |", "第 3 行：不支持隐藏题"),
    ("| | acknowledge | a | 确认 | | | |", "第 3 行：不支持确认"),
    ("| | text | a | 您好 ${q} | | | |", "第 3 行：不支持在题目里显示答案"),
])
def test_each_unsupported_feature_is_refused_with_its_row(community, row, expected):
    data = md("| | type | name | label | default | read_only | relevant |\n| | integer | q | 数 | | | |\n"
              + row + "\n")
    errors = refused(community, data)
    assert any(expected in error for error in errors), errors
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_repeat_and_required_expression_are_refused(community):
    errors = refused(community, md("| | type | name | label | required |\n"
                                   "| | begin_repeat | r | 成员 | |\n| | text | n | 姓名 | ${x} = 1 |\n"
                                   "| | end_repeat | | | |\n| | integer | x | 数 | |\n"))
    assert any("第 2 行：不支持重复组" in error for error in errors), errors


def test_metadata_rows_are_left_out_with_a_warning(community):
    result = import_xlsform(None, community, md("| | type | name | label |\n| | start | start | |\n"
                                                "| | deviceid | deviceid | |\n| | text | a | 问 |\n"), "m.md")
    assert [question.name for question in result.survey.questions] == ["a"]
    assert any("start" in warning for warning in result.warnings)


def test_duplicate_names_across_groups_are_refused(community):
    errors = refused(community, md("| | type | name | label |\n| | begin_group | g1 | 一 |\n| | text | a | 问 |\n"
                                   "| | end_group | | |\n| | begin_group | g2 | 二 |\n| | text | a | 问 |\n"
                                   "| | end_group | | |\n"))
    assert any("第 6 行：名称 a 用了两次" in error for error in errors), errors


def test_pyxform_errors_become_messages_with_the_row(community):
    errors = refused(community, md("| | type | name | label | relevant |\n| | text | a | 问 | ${missing} = 1 |\n"))
    assert errors and "第 2 行" in errors[0] and "missing" in errors[0]
    errors = refused(community, md("| | type | name | label |\n| | select_one nolist | a | 问 |\n"))
    assert errors == ["表格没有导入：表里用到了选项列表，但没有 choices 表。"]
    errors = refused(community, md("| | type | name | label |\n| | select_one nolist | a | 问 |\n",
                                   "| | list_name | name | label |\n| | other | x | 甲 |\n"))
    assert errors and "第 2 行" in errors[0] and "nolist" in errors[0]


@pytest.mark.parametrize("data, name, expected", [
    (b"", "empty.xlsx", "文件是空的"),
    (b"just some text, not a workbook", "notes.xlsx", "不是 XLSForm 表格"),
    (b"\x00\x01garbage", "form.xls", "不是 XLSForm 表格"),
    (b"a,b\n1,2\n", "form.txt", "请上传 XLSForm"),
    (b"x" * (2 * 1024 * 1024 + 1), "big.xlsx", "文件太大"),
])
def test_garbage_files_are_refused_cleanly(community, data, name, expected):
    errors = refused(community, data, name)
    assert any(expected in error for error in errors), errors


def test_a_huge_sheet_is_refused_quickly(community):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    for n in range(5000):
        sheet.append(["text", f"q{n}", f"问题{n}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.perf_counter()
    errors = refused(community, buffer.getvalue(), "huge.xlsx")
    assert any("表格太长" in error for error in errors), errors
    assert time.perf_counter() - started < 10


def test_import_is_audited(community):
    survey = import_xlsform(None, community, (CORPUS / "group.md").read_bytes(), "group.md", channel="cli").survey
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.import_xlsform"))
    assert (event.object_id, event.community_id, event.channel) == (str(survey.id), community.id, "cli")
    assert event.detail["filename"] == "group.md" and event.detail["questions"] == 3
