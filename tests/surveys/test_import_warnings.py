"""Paper answers are not refused for a rule the form never states (issue 12 point 21).

An XLSForm without any constraint tying its ranking to the need questions must take a household that ranked an item
it marked 不需要: the answer is imported as written, listed as a warning (row, column, what looks odd) by the command
line and on the upload page, and the plan inputs count the priorities as given. The form's own constraints and
relevance still refuse or skip. Web answering holds the rule for the built-in item block only (the phone form offers
only needed items to rank)."""
import csv
import io

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import CatalogueItem
from participation.plans.inputs import plan_inputs
from surveys.answering.checks import clean_answers
from surveys.answering.imports import ResponseImportError, import_responses
from surveys.builder.operations import create_survey, open_survey
from surveys.models import Answer, Response
from surveys.xlsform.imports import import_xlsform
from tests.conftest import csrf_token

FORM = (
    "| survey |\n"
    "| | type | name | label | item | constraint | relevant |\n"
    "| | select_one need | need_B01 | 屋面防水 | B01 | | |\n"
    "| | select_one need | need_I01 | 绿化整治 | I01 | | |\n"
    "| | select_one yn | share_I01 | 愿意分摊绿化费用吗？ | I01 | | |\n"
    "| | select_one yn | share_B01 | 愿意分摊屋面费用吗？ | B01 | | ${need_B01} = 'need' |\n"
    "| | rank items | priorities | 最希望先做哪几项？ | | | |\n"
    "| | integer | persons | 家里几口人？ | | . < 20 | |\n"
    "| choices |\n"
    "| | list_name | name | label |\n"
    "| | need | need | 需要 |\n| | need | neutral | 无所谓 |\n| | need | no | 不需要 |\n"
    "| | yn | yes | 愿意 |\n| | yn | no | 不愿意 |\n"
    "| | items | B01 | 屋面防水 |\n| | items | I01 | 绿化整治 |\n"
)
HEADER = ["楼栋", "单元", "房号", "need_B01", "need_I01", "share_I01", "share_B01", "priorities", "persons"]
ROWS = [
    ["1", "1", "101", "需要", "不需要", "", "", "I01 B01", "3"],     # ranked I01 first though it is 不需要
    ["1", "1", "201", "need", "no", "yes", "", "B01", "2"],          # willing to share the cost of I01, not needed
    ["1", "1", "301", "no", "need", "", "yes", "I01", "4"],          # share_B01 is skipped by the form's relevance
]


def zh(text: str, **values) -> str:
    with force_locale("zh_Hans_CN"):
        return gettext(text, **values)


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@pytest.fixture
def community(make_community, reference_data):
    return make_community("IW001", buildings=1, units=1, floors=3, per_floor=1)


@pytest.fixture
def survey(community):
    survey = import_xlsform(None, community, FORM.encode(), "form.md").survey
    open_survey(None, survey)
    db.session.commit()
    return survey


def answers_of(survey, room: str) -> dict:
    response = next(r for r in db.session.scalars(select(Response).where(Response.survey_id == survey.id))
                    if r.household.room == room)
    values: dict = {}
    for answer in db.session.scalars(select(Answer).where(Answer.response_id == response.id)
                                     .order_by(Answer.question_id, Answer.rank)):
        name = answer.question.name
        if answer.rank is not None:
            values.setdefault(name, []).append(answer.choice)
        else:
            values[name] = answer.choice if answer.choice is not None else answer.number
    return values


def test_answers_the_form_does_not_forbid_are_imported_as_written_with_warnings(survey, community):
    result = import_responses(None, survey, io.BytesIO(csv_bytes(ROWS)), filename="answers.csv")
    db.session.commit()
    assert (result.rows, result.imported) == (3, 3)
    assert result.warnings == [
        {"row": 2, "column": "priorities",
         "message": zh("Ranked among the priorities but not marked as needed: %(items)s.", items="绿化整治")},
        {"row": 3, "column": "share_I01",
         "message": zh("Willing to share the cost of %(item)s, which is not marked as needed.", item="绿化整治")},
    ]
    assert answers_of(survey, "101")["priorities"] == ["I01", "B01"]
    assert answers_of(survey, "201")["share_I01"] == "yes"
    assert "share_B01" not in answers_of(survey, "301")      # the form's own relevance skips it, as ODK would

    # Borda from the top 5 as the residents ranked: I01 = 5 (101) + 5 (301); B01 = 4 (101) + 5 (201)
    items = {row["code"]: row for row in plan_inputs(community)["items"]}
    assert (items["I01"]["priority_points"], items["B01"]["priority_points"]) == (10, 9)
    assert items["I01"]["share_willing"] == 1


def test_the_forms_own_constraint_still_refuses_the_file(survey):
    rows = [ROWS[0], ["1", "1", "201", "need", "no", "", "", "B01", "25"]]
    with pytest.raises(ResponseImportError) as refused:
        import_responses(None, survey, io.BytesIO(csv_bytes(rows)), filename="answers.csv")
    db.session.rollback()
    assert any(message.startswith(zh("Row %(row)d: %(column)s: %(message)s", row=3, column="persons",
                                     message="")) for message in refused.value.errors)
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_the_command_line_prints_the_warnings(runner, survey, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(csv_bytes(ROWS))
    result = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id)])
    assert result.exit_code == 0, result.output
    heading = zh("Warning: %(n)d answers were imported as the residents wrote them but look inconsistent; please "
                 "check them:", n=2)
    line = zh("Row %(row)d: %(column)s: %(message)s", row=2, column="priorities", message=zh(
        "Ranked among the priorities but not marked as needed: %(items)s.", items="绿化整治"))
    assert heading in result.stdout and "  " + line in result.stdout
    assert db.session.scalar(select(func.count(Response.id))) == 3


def test_the_upload_page_shows_the_warnings(client, auth, make_user, survey, community):
    make_user("organiser", username="importer", communities=[community])
    db.session.commit()
    auth.login("importer")
    page = client.get(f"/surveys/{survey.id}/responses/import")
    posted = client.post(f"/surveys/{survey.id}/responses/import", content_type="multipart/form-data",
                         data={"csrf_token": csrf_token(page.text), "file": (io.BytesIO(csv_bytes(ROWS)), "a.csv")})
    assert posted.status_code == 302
    html = client.get(posted.headers["Location"]).text
    assert 'class="card flash-warning response-import-warnings"' in html
    assert zh("Willing to share the cost of %(item)s, which is not marked as needed.", item="绿化整治") in html
    assert html.count("<li>") >= 2


def test_web_answering_holds_the_rule_for_the_built_in_block_only(survey, community):
    household = community.buildings[0].units[0].households[0]
    raw = {"need_B01": "need", "need_I01": "no", "priorities": ["I01", "B01"], "persons": "3"}
    assert clean_answers(survey, household, raw) == (  # the imported form states no such rule
        {"need_B01": "need", "need_I01": "no", "priorities": ["I01", "B01"], "persons": 3}, {})

    block = create_survey(None, community, {}, kind="needs")        # the standard needs survey's item block
    db.session.flush()
    i01 = db.session.scalar(select(CatalogueItem).filter_by(code="I01"))
    raw = {"need_B01": "need", "need_I01": "no", "share_I01": "yes", "priorities": ["I01", "B01"]}
    values, errors = clean_answers(block, household, raw, check_required=False)
    assert errors == {"priorities": zh("Only items you marked as needed can be among your priorities: %(items)s.",
                                       items=i01.name)}
    assert "share_I01" not in values
    noted: list = []                                                  # the same answers on paper: kept, noted
    values, errors = clean_answers(block, household, raw, check_required=False, warnings=noted)
    assert errors == {} and values["priorities"] == ["I01", "B01"] and [name for name, _ in noted] == ["priorities"]
    assert "share_I01" not in values                                  # the block's own relevance skips it


def test_many_warnings_fit_the_page_and_the_rest_are_counted(client, auth, make_user, make_community,
                                                             reference_data):
    big = make_community("IW002", buildings=1, units=1, floors=10, per_floor=4)
    survey = import_xlsform(None, big, FORM.encode(), "form.md").survey
    open_survey(None, survey)
    make_user("organiser", username="bulk", communities=[big])
    db.session.commit()
    rows = [["1", "1", household.room, "need", "no", "yes", "", "I01 B01", "3"]
            for household in big.buildings[0].units[0].households]          # two warnings a row, 80 in all
    auth.login("bulk")
    page = client.get(f"/surveys/{survey.id}/responses/import")
    posted = client.post(f"/surveys/{survey.id}/responses/import", content_type="multipart/form-data",
                         data={"csrf_token": csrf_token(page.text), "file": (io.BytesIO(csv_bytes(rows)), "a.csv")})
    assert posted.status_code == 302 and len(posted.headers.getlist("Set-Cookie")[0]) < 4093
    html = client.get(posted.headers["Location"]).text
    assert zh("Warning: %(n)d answers were imported as the residents wrote them but look inconsistent; please "
              "check them:", n=80) in html
    assert zh("… and %(n)d more.", n=70) in html
    assert db.session.scalar(select(func.count(Response.id))) == 40
