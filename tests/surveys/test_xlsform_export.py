"""XLSForm export: the workbook imports back to the same survey and pyxform accepts it; the CLI commands."""
import io
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2xform import convert
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, CatalogueItem
from surveys.builder.itemblock import add_item_block
from surveys.models import Section, Survey
from surveys.xlsform.export import export_xlsform
from surveys.xlsform.imports import import_xlsform

CORPUS = Path(__file__).parent / "corpus"
FORM = """| survey |
| | type | name | label::Chinese (zh) | label::English (en) | hint::Chinese (zh) | required | relevant | constraint | constraint_message::Chinese (zh) | item | sensitive | appearance | parameters | top_n | role |
| | note | intro | 欢迎 | Welcome | | | | | | | | | | | |
| | begin_group | s1 | 第一页 | Page 1 | | | ${intro} = '' | | | | | | | | |
| | select_one need | need_B01 | 屋面 | Roof | 选一个 | yes | | | | B01 | | | | | |
| | select_one yn | share_B01 | 分摊？ | Share? | | | ${need_B01} = 'need' | | | B01 | | | | | |
| | rank pr | priorities | 排序 | Rank | | | | | | | | | | 2 | |
| | select_multiple fav | fav | 多选 | | | | | count-selected(.) <= 2 | 最多两项 | | | minimal | randomize=true | | |
| | range | rate | 打分 | | | | | | | | | rating | start=1 end=5 step=1 | | |
| | integer | age | 年龄 | | | yes | | . >= 0 and . < 130 | 年龄不对 | | yes | | | | |
| | decimal | area | 面积 | | | | | | | | | | | | |
| | text | comment | 意见 | | | | | | | | | multiline | | | |
| | phone number | phone | 电话 | | | | | | | | | | | | |
| | date | day | 日期 | | | | | | | | | | | | |
| | image | pic | 照片 | | | | | | | | | | max-pixels=1024 | | |
| | select_one band | cofunding_band | 出资 | | | | | | | | | | | | cofunding_band |
| | end_group | | | | | | | | | | | | | | |
| choices |
| | list_name | name | label::Chinese (zh) | label::English (en) |
| | need | need | 需要 | Need |
| | need | neutral | 无所谓 | |
| | need | no | 不需要 | |
| | yn | yes | 愿意 | Yes |
| | yn | no | 不愿意 | No |
| | pr | B01 | 屋面 | |
| | pr | B02 | 外墙 | |
| | fav | a | 甲 | A |
| | fav | b | 乙 | B |
| | band | none | 不出 | |
| | band | low | 少量 | |
| settings |
| | form_title | form_title_en | description_zh | default_language | version |
| | 改造调查 | Renovation survey | 请每户填一份 | Chinese (zh) | 2024 |
"""


@pytest.fixture
def community(make_community, reference_data):
    return make_community("XF2", buildings=1, units=1, floors=1, per_floor=1)


def normalised(survey: Survey) -> dict:
    """What the round trip must keep: sections, names, types, texts, choices, logic, flags, item links, settings."""
    return {
        "title": survey.title, "description": survey.description,
        "sections": [(section.name, section.label, section.relevant,
                      [(q.name, q.type, q.role, q.item.code if q.item else None, q.label, q.hint, q.required,
                        q.relevant, q.constraint, q.constraint_message, q.sensitive, q.settings,
                        [(choice.name, choice.label) for choice in q.choices]) for q in section.questions])
                     for section in survey.sections],
    }


def round_trip(community, survey: Survey) -> Survey:
    return import_xlsform(None, community, export_xlsform(survey), "export.xlsx").survey


def test_an_imported_form_exports_and_imports_back_the_same(community):
    first = import_xlsform(None, community, FORM.encode(), "form.md").survey
    assert first.title == {"zh": "改造调查", "en": "Renovation survey"}
    second = round_trip(community, first)
    assert second.id != first.id
    assert normalised(second) == normalised(first)
    assert [q.type for q in first.questions] == ["note", "select_one", "yes_no", "rank", "select_multiple", "rating",
                                                "integer", "decimal", "long_text", "phone", "date", "photo",
                                                "select_one"]


@pytest.mark.parametrize("name", ["group.xlsx", "table-list.xls", "specify_other.xlsx", "utf_csv.csv"])
def test_corpus_forms_survive_the_round_trip(community, name):
    first = import_xlsform(None, community, (CORPUS / name).read_bytes(), name).survey
    assert normalised(round_trip(community, first)) == normalised(first)


def test_a_builder_item_block_survives_the_round_trip(community):
    survey = Survey(community=community, title={"zh": "需求调查"}, status="draft")
    section = Section(survey=survey, position=1, name="items", label={"zh": "改造项目"})
    db.session.add(survey)
    db.session.flush()
    items = db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.code)).all()
    chosen = [item for item in items if item.category == "basic"][:2] + \
        [item for item in items if item.category == "improvement"][:1]
    add_item_block(survey, chosen, section=section)
    db.session.flush()
    db.session.refresh(survey)
    roles = {question.role for question in survey.questions}
    assert {"item_need", "item_share", "item_priority", "cofunding_band"} <= roles
    assert normalised(round_trip(community, survey)) == normalised(survey)


def test_the_export_is_an_xlsform_pyxform_accepts(community, tmp_path):
    survey = import_xlsform(None, community, FORM.encode(), "form.md").survey
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_xlsform(survey))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        form = parse_file_to_json(str(path), warnings=[])
        xform = convert(str(path)).xform
    assert form["title"] == "改造调查"
    assert "<odk:rank" in xform and 'appearance="rating"' in xform
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    header = [cell.value for cell in workbook["survey"][1]]
    assert {"label::Chinese (zh)", "label::English (en)", "item", "sensitive", "relevant"} <= set(header)


# --- the CLI ---

def test_cli_import_prints_only_the_new_id(community, runner, tmp_path):
    path = tmp_path / "group.xlsx"
    path.write_bytes((CORPUS / "group.xlsx").read_bytes())
    result = runner.invoke(args=["surveys", "import-xlsform", str(path), "--community", community.code])
    assert result.exit_code == 0, result.output
    survey = db.session.scalar(select(Survey))
    assert result.stdout.strip() == str(survey.id)
    assert survey.status == "draft" and survey.community_id == community.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.import_xlsform"))
    assert event.channel == "cli" and event.object_id == str(survey.id)


def test_cli_refusal_goes_to_stderr_with_the_row_and_exit_1(community, runner):
    result = runner.invoke(args=["surveys", "import-xlsform", str(CORPUS / "tutorial.xls"), "--community",
                                 community.code])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "第 2 行：不支持重复组" in result.stderr and "没有导入任何内容" in result.stderr
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_cli_unknown_community_and_missing_file(community, runner):
    result = runner.invoke(args=["surveys", "import-xlsform", str(CORPUS / "group.md"), "--community", "NOPE"])
    assert result.exit_code == 1 and "NOPE" in result.stderr and result.stdout == ""
    result = runner.invoke(args=["surveys", "import-xlsform", "/no/such/file.xlsx", "--community", community.code])
    assert result.exit_code != 0 and result.stdout == ""


def test_cli_export_writes_a_workbook_that_imports_back(community, runner, tmp_path):
    survey = import_xlsform(None, community, FORM.encode(), "form.md").survey
    db.session.commit()
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["surveys", "export-xlsform", str(survey.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    again = import_xlsform(None, community, out.read_bytes(), "out.xlsx").survey
    assert normalised(again) == normalised(survey)
    missing = runner.invoke(args=["surveys", "export-xlsform", "999999", "--out", str(out)])
    assert missing.exit_code == 1 and "999999" in missing.stderr
