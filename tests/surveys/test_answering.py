"""The answering pages at /s/<id>: the long form without JavaScript, drafts, submission and receipt, edits until
close, closed surveys read-only, JSON for the paged form, consent, assisted entry, and who may see what."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from participation.extensions import db
from participation.roster.codes import issue_code
from surveys.answering.operations import response_values
from surveys.models import Response
from tests.conftest import csrf_token
from tests.participation.test_entry_views import accept_notice, enter
from tests.surveys.test_answers import make_survey

SPEC = [
    ("home", "people", "integer", {"required": True, "label": {"zh": "家里住几口人？", "en": "How many live here?"}}),
    ("home", "stairs", "yes_no", {"required": True, "label": {"zh": "上下楼困难吗？", "en": "Are stairs hard?"}}),
    ("home", "why", "text", {"relevant": "${stairs} = 'yes'", "label": {"zh": "哪里困难？", "en": "What is hard?"}}),
    ("more", "health", "yes_no", {"sensitive": True, "label": {"zh": "家中有残疾人吗？", "en": "Disability?"}}),
    ("more", "fix", "select_multiple", {"choices": [("roof", "屋顶"), ("pipes", "管道")],
                                        "label": {"zh": "要修什么？", "en": "What to fix?"}}),
    ("more", "snap", "photo", {"label": {"zh": "照片", "en": "Photo"}}),
]


@pytest.fixture
def site(make_community):
    community = make_community("220102001", buildings=1, units=1, floors=3)
    survey = make_survey(community, SPEC)
    household = community.buildings[0].units[0].households[2]
    code = issue_code(None, household)
    db.session.commit()
    return community, survey, household, code


@pytest.fixture
def resident(client, site):
    community, _survey, _household, code = site
    enter(client, community.code, code)
    accept_notice(client)
    return client


def post(client, survey, data, action="submit", **kwargs):
    page = client.get(f"/s/{survey.id}")
    return client.post(f"/s/{survey.id}", data={"csrf_token": csrf_token(page.text), "action": action, **data},
                       **kwargs)


def the_response(survey) -> Response | None:
    db.session.expire_all()
    return db.session.scalar(select(Response).where(Response.survey_id == survey.id))


def test_without_javascript_the_whole_survey_is_one_form(resident, site):
    survey = site[1]
    page = resident.get(f"/s/{survey.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.text
    for label in ("家里住几口人？", "上下楼困难吗？", "哪里困难？", "家中有残疾人吗？", "要修什么？"):
        assert label in html
    assert html.count('class="survey-page"') == 2
    assert "保存草稿" in html and "提交答卷" in html
    assert 'name="sensitive_consent"' in html and 'enctype="multipart/form-data"' in html
    assert "<script>" not in html and "style=" not in html
    assert 'src="/static/js/survey.js"' in html


def test_a_draft_is_saved_without_required_answers_then_submitted_with_a_receipt(resident, site):
    survey = site[1]
    draft = post(resident, survey, {"people": "3"}, action="draft")
    assert draft.status_code == 302 and draft.headers["Location"].endswith(f"/s/{survey.id}")
    response = the_response(survey)
    assert (response.status, response_values(response)) == ("draft", {"people": 3})
    assert "草稿已保存" in resident.get(f"/s/{survey.id}").text

    missing = post(resident, survey, {"people": "3"})
    assert missing.status_code == 400 and "请回答这个问题。" in missing.text
    assert the_response(survey).status == "draft"

    done = post(resident, survey, {"people": "3", "stairs": "yes", "why": "膝盖不好", "fix": ["roof", "pipes"]})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/s/{survey.id}/receipt")
    response = the_response(survey)
    assert response.status == "submitted" and response.channel == "web" and response.staff_id is None
    receipt = resident.get(f"/s/{survey.id}/receipt")
    assert response.receipt in receipt.text and "请保存这个编号" in receipt.text


def test_editing_after_submit_keeps_it_submitted_and_hidden_answers_are_dropped(resident, site):
    survey = site[1]
    post(resident, survey, {"people": "3", "stairs": "yes", "why": "膝盖不好"})
    edited = post(resident, survey, {"people": "4", "stairs": "no", "why": "不会被保存"})
    assert edited.status_code == 302
    response = the_response(survey)
    assert (response.status, response.version) == ("submitted", 2)
    assert response_values(response) == {"people": 4, "stairs": "no"}
    page = resident.get(f"/s/{survey.id}").text
    assert "保存修改" in page and "保存草稿" not in page
    # Residents see when the answers were last saved, not the version history (staff acting for them keep it).
    assert "上次保存：" in page and "版本" not in page


def test_bad_and_forged_answers_change_nothing(resident, site):
    survey = site[1]
    bad = post(resident, survey, {"people": "三", "stairs": "maybe", "fix": "gold", "is_admin": "1"})
    assert bad.status_code == 400
    assert "请填数字" in bad.text and "请回答是或否。" in bad.text and "此答案不在选项中。" in bad.text
    assert 'value="三"' in bad.text   # what was typed is shown back next to its message
    assert the_response(survey) is None
    huge = post(resident, survey, {"people": "1" * 20_000, "stairs": "no"})
    assert huge.status_code == 400 and the_response(survey) is None


def test_sensitive_answers_need_the_separate_consent(resident, site):
    survey = site[1]
    post(resident, survey, {"people": "2", "stairs": "no", "health": "yes"})
    response = the_response(survey)
    assert "health" not in response_values(response) and response.sensitive_consent_at is None
    post(resident, survey, {"people": "2", "stairs": "no", "health": "yes", "sensitive_consent": "1"})
    response = the_response(survey)
    assert response_values(response)["health"] == "yes" and response.sensitive_consent_at is not None
    assert 'id="sensitive-consent" checked' in resident.get(f"/s/{survey.id}").text


def test_the_paged_form_gets_json(resident, site):
    survey = site[1]
    json_headers = {"Accept": "application/json"}
    check = post(resident, survey, {"stairs": "no"}, action="check", headers=json_headers)
    assert check.status_code == 200 and check.json["hidden"] == ["health", "why"]
    assert the_response(survey) is None
    refused = post(resident, survey, {"stairs": "no"}, headers=json_headers)
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {"people": "请回答这个问题。"}
    assert refused.json["error"]["code"] == "bad_request" and refused.json["hidden"] == ["health", "why"]
    done = post(resident, survey, {"people": "1", "stairs": "no"}, headers=json_headers)
    assert done.json["ok"] is True and done.json["receipt"] == the_response(survey).receipt
    assert done.json["next"] == f"/s/{survey.id}/receipt"


def test_closed_surveys_are_read_only(resident, site):
    survey = site[1]
    post(resident, survey, {"people": "3", "stairs": "yes", "fix": ["pipes"]})
    token = csrf_token(resident.get(f"/s/{survey.id}").text)
    survey.close()
    db.session.commit()
    page = resident.get(f"/s/{survey.id}")
    assert page.status_code == 200 and "调查已结束" in page.text
    assert "管道" in page.text and "<form" not in page.text.split("<main")[1].split("</main>")[0].replace(
        '<form method="post" action="/home/leave"', "")
    refused = resident.post(f"/s/{survey.id}", data={"csrf_token": token, "action": "submit", "people": "9",
                                                     "stairs": "no"})
    assert refused.status_code == 302
    by_script = resident.post(f"/s/{survey.id}", data={"csrf_token": token, "action": "submit", "people": "9",
                                                       "stairs": "no"}, headers={"Accept": "application/json"})
    assert by_script.status_code == 409 and by_script.json["error"] == {
        "code": "conflict", "message": "调查已结束，答案不能再修改。"}
    assert response_values(the_response(survey))["people"] == 3


def test_the_home_page_lists_the_survey_then_the_receipt(resident, site):
    survey = site[1]
    home = resident.get("/home").text
    assert "需求调查" in home and f'href="/s/{survey.id}"' in home and "请填写" in home
    post(resident, survey, {"people": "3", "stairs": "no"})
    home = resident.get("/home").text
    assert the_response(survey).receipt in home and "已提交" in home


def test_who_may_open_a_survey(client, site, make_community):
    community, survey, household, code = site
    assert client.get(f"/s/{survey.id}").status_code == 302                     # nobody entered
    away = client.get(f"/s/{survey.id}", headers={"Accept": "application/json"})
    assert away.status_code == 401 and away.json["error"]["code"] == "unauthorized"
    enter(client, community.code, code)
    assert client.get(f"/s/{survey.id}").headers["Location"].endswith("/home/notice")
    accept_notice(client)
    other = make_community("220102002")
    foreign = make_survey(other, SPEC)
    draft = make_survey(community, SPEC, status="draft")
    db.session.commit()
    assert client.get(f"/s/{foreign.id}").status_code == 404
    assert client.get(f"/s/{draft.id}").status_code == 404
    assert client.get("/s/99999").status_code == 404
    assert client.get(f"/s/{survey.id}").status_code == 200
    no_token = client.post(f"/s/{survey.id}", data={"action": "submit", "people": "1", "stairs": "no"})
    assert no_token.status_code == 400 and the_response(survey) is None


def test_a_photo_answer_is_served_only_to_its_household(resident, site, app):
    community, survey, household, _code = site
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(buffer, format="PNG")
    buffer.seek(0)
    post(resident, survey, {"people": "1", "stairs": "no", "snap": (buffer, "roof.png")},
         content_type="multipart/form-data")
    path = response_values(the_response(survey))["snap"]
    assert path.endswith(".jpg")
    image = resident.get(f"/s/{survey.id}/photo/snap")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["Cache-Control"] == "private, no-store"
    image.close()
    assert resident.get(f"/s/{survey.id}/photo/people").status_code == 404
    neighbour = community.buildings[0].units[0].households[3]
    other_code = issue_code(None, neighbour)
    db.session.commit()
    other = app.test_client()
    enter(other, community.code, other_code)
    accept_notice(other)
    assert other.get(f"/s/{survey.id}/photo/snap").status_code == 404


def test_staff_acting_for_a_household_record_channel_and_staff(client, site, make_user, auth):
    community, survey, household, _code = site
    grid = make_user("grid", username="grid1", buildings=[community.buildings[0]])
    db.session.commit()
    auth.login("grid1")
    url = f"/assist/households/{household.id}"
    client.post(url, data={"channel": "paper", "csrf_token": csrf_token(client.get(url).text)})
    assert client.get(f"/s/{survey.id}").headers["Location"].endswith("/home/notice")
    notice = client.get("/home/notice")   # the staff member reads the notice to the household first
    client.post("/home/notice", data={"confirm": "y", "csrf_token": csrf_token(notice.text)})
    page = client.get(f"/s/{survey.id}")
    assert page.status_code == 200 and "住户同意" in page.text
    post(client, survey, {"people": "5", "stairs": "no"})
    response = the_response(survey)
    assert (response.channel, response.staff_id) == ("paper", grid.id)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_the_receipt_page_waits_for_a_submission(resident, site):
    survey = site[1]
    assert resident.get(f"/s/{survey.id}/receipt").headers["Location"].endswith(f"/s/{survey.id}")
    post(resident, survey, {"people": "2"}, action="draft")
    assert resident.get(f"/s/{survey.id}/receipt").status_code == 302
    post(resident, survey, {"people": "2", "stairs": "no"})
    page = resident.get(f"/s/{survey.id}/receipt")
    assert re.search(r'id="receipt-number">R[2-9A-Z]{8}<', page.text)


def statements_during(request) -> list[str]:
    """The SQL statements one request runs (what a submission costs, not what the test setup does)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, seen


def test_a_submission_costs_the_same_few_queries_however_many_questions(resident, site):
    """The survey's structure is read once per worker (it cannot change while open), not a query per question's
    choices: ~110 statements a submission made the needs survey four times slower than it needed to be."""
    community, small, household, _code = site
    extra = [("more", f"q{number}", "select_one", {"choices": [("a", "甲"), ("b", "乙"), ("c", "丙")]})
             for number in range(30)]
    large = make_survey(community, SPEC + extra)
    db.session.commit()
    costs = {}
    for survey, answers in ((small, {}), (large, {f"q{number}": "b" for number in range(30)})):
        page = resident.get(f"/s/{survey.id}")
        data = {"csrf_token": csrf_token(page.text), "action": "submit", "people": "3", "stairs": "no", **answers}
        submitted, statements = statements_during(lambda: resident.post(f"/s/{survey.id}", data=data))
        assert submitted.status_code == 302
        costs[survey.id] = len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])
        again, statements = statements_during(lambda: resident.post(f"/s/{survey.id}", data=data))
        assert again.status_code == 302 and len(statements) <= costs[survey.id] + 2   # an edit: the DELETE
    assert costs[large.id] == costs[small.id] and costs[small.id] <= 15
    assert response_values(db.session.scalar(select(Response).where(Response.survey_id == large.id))) == {
        "people": 3, "stairs": "no", **{f"q{number}": "b" for number in range(30)}}
