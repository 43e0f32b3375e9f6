"""The command-line chain of DESIGN §8 (issue 12 point 20): ``surveys import-xlsform`` makes a draft, ``surveys open
ID`` opens it through the operation the web's button uses, ``surveys import-responses`` adds the paper answers and
``plan export CODE --format json`` counts them. ``open`` refuses an unknown id, an open and a closed survey (exit 1)."""
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from openpyxl import Workbook
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent
from surveys.builder.operations import close_survey
from surveys.models import Response, Survey

CORPUS = Path("/work/shared/corpus/xlsform")
LOCAL_CORPUS = Path(__file__).parent / "corpus"


def zh(text: str, **values) -> str:
    with force_locale("zh_Hans_CN"):
        return gettext(text, **values)


@pytest.fixture
def community(make_community, reference_data):
    community = make_community("CL001", buildings=1, units=1, floors=3, per_floor=1)   # rooms 101, 201, 301
    db.session.commit()
    return community


def needs_form(path: Path) -> Path:
    """An XLSForm as an ODK user would write it, with our ``item`` column: need of B01 and I01, and a ranking."""
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    for row in (["type", "name", "label", "item", "required"],
                ["select_one need", "need_B01", "屋面防水", "B01", "yes"],
                ["select_one need", "need_I01", "绿化整治", "I01", "yes"],
                ["rank items", "priorities", "最希望先做哪几项？", "", ""],
                ["text", "remarks", "其他意见", "", ""]):
        survey.append(row)
    choices = workbook.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["need", "need", "需要"], ["need", "neutral", "无所谓"],
                ["need", "no", "不需要"], ["items", "B01", "屋面防水"], ["items", "I01", "绿化整治"]):
        choices.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["纸质需求调查", "needs_paper"])
    workbook.save(path)
    return path


def answers_file(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["楼栋", "单元", "房号", *header])
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def test_import_open_answer_and_export_from_the_command_line(runner, community, tmp_path):
    made = runner.invoke(args=["surveys", "import-xlsform", str(needs_form(tmp_path / "needs.xlsx")),
                               "--community", community.code])
    assert made.exit_code == 0, made.output
    survey_id = int(made.stdout.strip())
    answers = answers_file(tmp_path / "answers.csv", ["need_B01", "need_I01", "priorities", "remarks"], [
        ["1", "1", "101", "need", "need", "B01 I01", "楼顶漏水"],
        ["1", "1", "201", "需要", "无所谓", "B01", ""],
        ["1", "1", "301", "need", "need", "I01 B01", ""],
    ])
    command = ["surveys", "import-responses", str(answers), "--survey", str(survey_id)]

    draft = runner.invoke(args=command)             # a draft takes no answers: the reason `open` exists
    assert draft.exit_code == 1 and zh("This survey is not open yet: open it before importing answers.") in \
        draft.stderr

    opened = runner.invoke(args=["surveys", "open", str(survey_id)])
    assert opened.exit_code == 0, opened.output
    assert zh("Survey %(id)d is open: households can answer now.", id=survey_id) in opened.stdout
    db.session.expire_all()
    survey = db.session.get(Survey, survey_id)
    assert survey.status == "open" and survey.opens_at is not None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.open"))
    assert (audit.object_id, audit.channel, audit.actor_id) == (str(survey_id), "cli", None)

    imported = runner.invoke(args=command)
    assert imported.exit_code == 0, imported.output
    assert len(db.session.scalars(select(Response).where(Response.survey_id == survey_id)).all()) == 3

    out = tmp_path / "plan.json"
    exported = runner.invoke(args=["plan", "export", community.code, "--format", "json", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["participation"]["households"] == 3 and plan["participation"]["responded"] == 3
    items = {item["code"]: item for item in plan["items"]}
    assert (items["B01"]["need_count"], items["I01"]["need_count"]) == (3, 2)
    assert items["B01"]["need_share"] == 1 and items["I01"]["need_share"] == pytest.approx(2 / 3, abs=1e-4)
    # Borda, top 5: B01 = 5 + 5 + 4, I01 = 4 + 5
    assert (items["B01"]["priority_points"], items["I01"]["priority_points"]) == (14, 9)


@pytest.mark.parametrize("name, header, row", [
    ("yes_or_no_question.xlsx", ["good_day"], ["yes"]),
    ("text_and_integer.xlsx", ["your_name", "your_age"], ["王秀兰", "67"]),
])
def test_real_xlsforms_go_through_the_same_chain(runner, community, tmp_path, name, header, row):
    source = CORPUS / name if (CORPUS / name).exists() else LOCAL_CORPUS / name
    form = tmp_path / name
    shutil.copy(source, form)
    made = runner.invoke(args=["surveys", "import-xlsform", str(form), "--community", community.code])
    assert made.exit_code == 0, made.output
    survey_id = int(made.stdout.strip())
    assert runner.invoke(args=["surveys", "open", str(survey_id)]).exit_code == 0
    answers = answers_file(tmp_path / "a.csv", header, [["1", "1", "101", *row]])
    imported = runner.invoke(args=["surveys", "import-responses", str(answers), "--survey", str(survey_id)])
    assert imported.exit_code == 0, imported.output
    response = db.session.scalar(select(Response).where(Response.survey_id == survey_id))
    assert (response.status, response.channel) == ("submitted", "import")


def test_open_refuses_unknown_open_and_closed_surveys(runner, community, tmp_path, make_user):
    made = runner.invoke(args=["surveys", "import-xlsform", str(needs_form(tmp_path / "needs.xlsx")),
                               "--community", community.code])
    survey_id = int(made.stdout.strip())

    unknown = runner.invoke(args=["surveys", "open", "424242"])
    assert unknown.exit_code == 1 and zh("No survey has the id %(id)d.", id=424242) in unknown.stderr

    make_user("organiser", username="elsewhere")   # manages no community
    db.session.commit()
    outsider = runner.invoke(args=["surveys", "open", str(survey_id), "--as-user", "elsewhere"])
    assert outsider.exit_code == 1 and db.session.get(Survey, survey_id).status == "draft"

    assert runner.invoke(args=["surveys", "open", str(survey_id)]).exit_code == 0
    again = runner.invoke(args=["surveys", "open", str(survey_id)])
    assert again.exit_code == 1 and zh("Survey %(id)d is already open.", id=survey_id) in again.stderr

    db.session.expire_all()
    close_survey(None, db.session.get(Survey, survey_id))
    db.session.commit()
    closed = runner.invoke(args=["surveys", "open", str(survey_id)])
    assert closed.exit_code == 1
    assert zh("Survey %(id)d is closed; a closed survey does not open again.", id=survey_id) in closed.stderr
    db.session.expire_all()
    assert db.session.get(Survey, survey_id).status == "closed"
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey.open")).all()) == 1


def test_open_refuses_an_empty_draft_with_the_webs_message(runner, community):
    survey = Survey(community=community, title={"zh": "空问卷"}, status="draft")
    db.session.add(survey)
    db.session.commit()
    result = runner.invoke(args=["surveys", "open", str(survey.id)])
    assert result.exit_code == 1
    assert zh("A survey needs at least one question before it opens.") in result.stderr
