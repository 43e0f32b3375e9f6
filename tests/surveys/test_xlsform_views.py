"""The XLSForm upload and download pages: who may, CSRF, refusals shown in Chinese, never a 500."""
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from surveys.models import Survey
from surveys.xlsform.imports import import_xlsform
from tests.conftest import csrf_token

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def community(make_community, reference_data):
    return make_community("XFA", buildings=1, units=1, floors=1, per_floor=1)


def upload_url(community) -> str:
    return f"/c/{community.code}/surveys/import-xlsform"


def post_file(client, community, data: bytes, name: str, *, token=True):
    page = client.get(upload_url(community))
    form = {"file": (io.BytesIO(data), name)}
    if token:
        form["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post(upload_url(community), data=form, content_type="multipart/form-data")


def test_organiser_imports_a_form_as_a_draft_and_sees_the_result(client, login_as, community):
    login_as("organiser", community)
    response = post_file(client, community, (CORPUS / "group.xlsx").read_bytes(), "group.xlsx")
    assert response.status_code == 302
    survey = db.session.scalar(select(Survey))
    assert survey.status == "draft" and survey.community_id == community.id and len(survey.questions) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "问卷已导入为草稿" in page and "共 3 道题" in page
    assert f"/surveys/{survey.id}/xlsform.xlsx" in page


def test_refusal_lists_rows_in_chinese_and_creates_nothing(client, login_as, community):
    login_as("admin")
    response = post_file(client, community, (CORPUS / "widgets.xls").read_bytes(), "widgets.xls")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "没有导入任何内容" in page and "survey 表第 11 行：不支持位置" in page
    assert db.session.scalar(select(func.count(Survey.id))) == 0


@pytest.mark.parametrize("data, name", [(b"", "empty.xlsx"), (b"not a workbook at all", "renamed.xlsx"),
                                        (b"PK\x03\x04broken zip", "broken.xlsx"), (b"x,y", "list.txt")])
def test_garbage_uploads_get_a_message_not_a_500(client, login_as, community, data, name):
    login_as("organiser", community)
    response = post_file(client, community, data, name)
    assert response.status_code in (400, 422)
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_upload_without_csrf_token_is_refused(client, login_as, community):
    login_as("organiser", community)
    response = post_file(client, community, (CORPUS / "group.md").read_bytes(), "group.md", token=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Survey.id))) == 0


@pytest.mark.parametrize("role, status", [("owner_rep", 403), ("grid", 403), ("hotline", 403), ("agency", 403)])
def test_roles_that_never_import_get_403(client, login_as, community, role, status):
    login_as(role, community)
    assert client.get(upload_url(community)).status_code == status


def test_a_community_outside_the_scope_or_unknown_answers_404(client, login_as, make_community, community):
    other = make_community("XFB", buildings=1, units=1, floors=1, per_floor=1)
    login_as("organiser", community)
    assert client.get(upload_url(other)).status_code == 404
    assert client.get("/c/NOPE/surveys/import-xlsform").status_code == 404


def test_anonymous_is_sent_to_login(client, community):
    response = client.get(upload_url(community))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_download_gives_an_xlsform_of_the_survey(client, login_as, community):
    survey = import_xlsform(None, community, (CORPUS / "group.md").read_bytes(), "group.md").survey
    login_as("organiser", community)
    response = client.get(f"/surveys/{survey.id}/xlsform.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    names = [row[1] for row in workbook["survey"].iter_rows(min_row=2, values_only=True)]
    assert "phone_number" in names and "family_name" in names


def test_download_404_outside_scope_and_403_for_other_roles(client, login_as, make_community, community):
    other = make_community("XFC", buildings=1, units=1, floors=1, per_floor=1)
    hidden = import_xlsform(None, other, (CORPUS / "group.md").read_bytes(), "group.md").survey
    mine = import_xlsform(None, community, (CORPUS / "group.md").read_bytes(), "group.md").survey
    login_as("organiser", community)
    assert client.get(f"/surveys/{hidden.id}/xlsform.xlsx").status_code == 404
    assert client.get("/surveys/999999/xlsform.xlsx").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").get_data(as_text=True))})
    login_as("owner_rep", community)
    assert client.get(f"/surveys/{mine.id}/xlsform.xlsx").status_code == 403
