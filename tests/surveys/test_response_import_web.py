"""The upload page and ``flask surveys import-responses``: who may import (403/404), result and errors, template,
exit codes and output."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from surveys.models import Response
from tests.conftest import csrf_token
from tests.surveys.test_response_import import GOOD_ROWS, csv_bytes, make_survey


@pytest.fixture
def community(make_community):
    return make_community("NG001", buildings=2, units=2, floors=3, per_floor=2)


@pytest.fixture
def survey(app, community):
    return make_survey(community)


def count() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def sign_in(auth, make_user, role, **scope):
    user = make_user(role, username=f"{role}-x", **scope)
    db.session.commit()
    auth.login(f"{role}-x")
    return user


def upload(client, survey, data: bytes, name="answers.csv"):
    page = client.get(f"/surveys/{survey.id}/responses/import")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/surveys/{survey.id}/responses/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)})


def test_organiser_uploads_answers_and_sees_what_was_imported(client, auth, make_user, survey, community):
    organiser = sign_in(auth, make_user, "organiser", communities=[community])
    page = client.get(f"/surveys/{survey.id}/responses/import")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "导入答卷" in html and "需求调查" in html and "<code>items</code>" in html
    response = upload(client, survey, csv_bytes(GOOD_ROWS))
    assert response.status_code == 302
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "共 3 行，新保存答卷 3 份。" in result
    assert count() == 3
    assert {(r.channel, r.staff_id) for r in db.session.scalars(select(Response))} == {("paper", organiser.id)}
    again = client.get(upload(client, survey, csv_bytes(GOOD_ROWS)).headers["Location"]).get_data(as_text=True)
    assert "共 3 行，新保存答卷 0 份。" in again
    assert "有 3 户已经答过" in again and "第2行：1-1-101 已经答过。" in again
    assert count() == 3


def test_a_file_with_errors_is_listed_by_row_and_saves_nothing(client, auth, make_user, survey, community):
    sign_in(auth, make_user, "organiser", communities=[community])
    rows = [list(GOOD_ROWS[0]), ["9", "9", "909", "need", "", "", "", "", "", ""]]
    rows[0][3] = "maybe"
    response = upload(client, survey, csv_bytes(rows))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "没有导入任何内容" in html
    assert "第2行：need：" in html and "第3行：本小区名册中没有 9-9-909 这一户。" in html
    assert count() == 0


def test_an_upload_without_a_file_is_a_400_and_a_closed_survey_is_refused(client, auth, make_user, community):
    sign_in(auth, make_user, "admin")
    closed = make_survey(community, status="closed")
    page = client.get(f"/surveys/{closed.id}/responses/import")
    assert "这份问卷现在不收答卷" in page.get_data(as_text=True)
    empty = client.post(f"/surveys/{closed.id}/responses/import",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert empty.status_code == 400
    refused = upload(client, closed, csv_bytes(GOOD_ROWS))
    assert refused.status_code == 422 and "这份问卷已结束，不能再添加答卷。" in refused.get_data(as_text=True)


def test_the_answer_sheet_template_has_the_household_and_question_columns(client, auth, make_user, survey,
                                                                          community):
    sign_in(auth, make_user, "organiser", communities=[community])
    response = client.get(f"/surveys/{survey.id}/responses/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    header = [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]
    assert header == ["楼栋", "单元", "房号", "need", "items", "order", "age", "moved_in", "disabled"]
    guide = {row[0]: row for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert guide["items"][3] == "填选项名称，多个之间用空格隔开：bench = 座椅；light = 路灯；lift = 电梯"


@pytest.mark.parametrize("role", ["owner_rep", "grid", "hotline", "agency"])
def test_roles_that_never_import_get_403(client, auth, make_user, survey, community, role):
    scope = {"buildings": [community.buildings[0]]} if role == "grid" else \
        {} if role in ("hotline", "agency") else {"communities": [community]}
    sign_in(auth, make_user, role, **scope)
    assert client.get(f"/surveys/{survey.id}/responses/import").status_code == 403
    assert client.get(f"/surveys/{survey.id}/responses/template.xlsx").status_code == 403


def test_another_communitys_survey_and_unknown_surveys_answer_404(client, auth, make_user, make_community,
                                                                   survey):
    other = make_community("CY001", district="朝阳区")
    sign_in(auth, make_user, "organiser", communities=[other])
    assert client.get(f"/surveys/{survey.id}/responses/import").status_code == 404
    assert client.get(f"/surveys/{survey.id}/responses/template.xlsx").status_code == 404
    page = client.get("/staff")
    posted = client.post(f"/surveys/{survey.id}/responses/import", content_type="multipart/form-data",
                         data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                               "file": (io.BytesIO(csv_bytes(GOOD_ROWS)), "a.csv")})
    assert posted.status_code == 404 and count() == 0
    assert client.get("/surveys/999999/responses/import").status_code == 404


def test_anonymous_visitors_go_to_the_login_page(client, survey):
    response = client.get(f"/surveys/{survey.id}/responses/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------------------------------------------- CLI

def test_cli_imports_and_reports(runner, survey, tmp_path):
    path = tmp_path / "纸质答卷.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    result = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id)])
    assert result.exit_code == 0, result.output
    assert "共 3 行，新保存答卷 3 份。" in result.stdout
    assert count() == 3
    again = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id)])
    assert again.exit_code == 0
    assert "有 3 户已经答过，他们原来的答案保持不变" in again.stdout
    assert "第4行：2-2-301 已经答过。" in again.stdout
    assert count() == 3


def test_cli_errors_exit_1_and_change_nothing(runner, survey, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([GOOD_ROWS[0], GOOD_ROWS[0]]))
    result = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id)])
    assert result.exit_code == 1
    assert "第3行：1-1-101 这一户已在第2行。" in result.stderr and "没有导入任何内容。" in result.stderr
    assert count() == 0
    missing = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", "424242"])
    assert missing.exit_code != 0 and "没有编号为 424242 的问卷。" in missing.output


def test_cli_as_user_records_paper_and_refuses_users_out_of_scope(runner, make_user, make_community, survey,
                                                                  community, tmp_path):
    make_user("organiser", username="mine", communities=[community])
    make_user("organiser", username="theirs", communities=[make_community("CY001", district="朝阳区")])
    db.session.commit()
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS[:1]))
    refused = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id),
                                  "--as-user", "theirs"])
    assert refused.exit_code != 0 and "theirs 无权为这份问卷导入答卷。" in refused.output
    done = runner.invoke(args=["surveys", "import-responses", str(path), "--survey", str(survey.id),
                               "--as-user", "mine"])
    assert done.exit_code == 0, done.output
    assert [r.channel for r in db.session.scalars(select(Response))] == ["paper"]
