"""The builder's pages through the client: who may do what (403/404), CSRF, every action, the phone preview."""
import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEvent, District
from surveys.builder.operations import create_survey, open_survey
from surveys.builder.questions import add_choice, add_question, ordered_questions
from surveys.models import Choice, Question, Section, Survey
from tests.conftest import csrf_token


@pytest.fixture
def world(reference_data, make_community, make_user):
    home = make_community("A001", floors=2)
    other = make_community("B001", floors=1)
    far = make_community("Z001", floors=1, district=District(locality=home.district.locality, name="朝阳区"))
    organiser = make_user("organiser", username="org", communities=[home, other])
    survey = create_survey(organiser, home, {"title": {"zh": "居民意见调查"}})
    q = add_question(organiser, survey, survey.sections[0], {"name": "color", "type": "select_one",
                                                               "label": {"zh": "喜欢的颜色"}})
    add_choice(organiser, q, "red", {"zh": "红色"})
    foreign = create_survey(organiser, far, {"title": {"zh": "别处的调查"}})
    db.session.commit()
    return {"home": home, "other": other, "far": far, "organiser": organiser, "survey": survey, "foreign": foreign,
            "question": q}


def login(client, auth, make_user, role, **scope):
    make_user(role, username=f"v_{role}", **scope)
    db.session.commit()
    auth.login(f"v_{role}")


def post(client, url, data=None, page=None):
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def test_organiser_lists_creates_and_edits(client, auth, world):
    auth.login("org")
    page = client.get("/c/A001/surveys").get_data(as_text=True)
    assert "居民意见调查" in page and "草稿" in page
    response = post(client, "/c/A001/surveys/new", {"kind": "needs", "title_zh": "", "results_visibility": "never"})
    assert response.status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.title["zh"].as_string() == "小区改造需求调查"))
    assert survey.community.code == "A001" and survey.results_visibility == "never"
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "基础类（应改尽改）" in page and "need_B01" in page and "cofunding_band" in page
    response = post(client, f"/surveys/{survey.id}/settings", {"title_zh": "2025年需求调查", "title_en": "Needs 2025",
                                                              "closes_at": "2030-05-01 18:00",
                                                              "results_visibility": "after_close"})
    assert response.status_code == 302
    db.session.expire_all()
    survey = db.session.get(Survey, survey.id)
    assert survey.title == {"zh": "2025年需求调查", "en": "Needs 2025"}
    assert survey.closes_at.isoformat() == "2030-05-01T10:00:00+00:00"   # 18:00 China time


def test_bad_settings_show_messages_in_chinese(client, auth, world):
    auth.login("org")
    survey = world["survey"]
    response = post(client, f"/surveys/{survey.id}/settings", {"title_zh": "", "closes_at": "明天",
                                                              "results_visibility": "after_close"})
    assert response.status_code == 400 and "日期" in response.get_data(as_text=True)


def test_question_and_choice_pages(client, auth, world):
    auth.login("org")
    survey, section = world["survey"], world["survey"].sections[0]
    url = f"/surveys/{survey.id}/questions/new?section={section.id}"
    response = post(client, url, {"section": section.id, "type": "select_multiple", "name": "problems",
                                  "label_zh": "楼里有哪些问题", "label_en": "Problems", "max_picks": "2",
                                  "relevant": "${color} = 'red'"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#choices")
    question = db.session.scalar(select(Question).filter_by(name="problems"))
    assert question.settings == {"max_picks": 2} and question.relevant == "${color} = 'red'"
    qurl = f"/surveys/{survey.id}/questions/{question.id}"
    response = post(client, f"{qurl}/choices", {"name": "leak", "label_zh": "漏水"}, page=qurl)
    assert response.status_code == 302
    choice = db.session.scalar(select(Choice).filter_by(name="leak"))
    response = post(client, f"/surveys/{survey.id}/choices/{choice.id}", {"name": "leak", "label_zh": "屋顶漏水"})
    assert response.status_code == 302
    bad = post(client, url, {"section": section.id, "type": "text", "name": "x", "label_zh": "问",
                             "relevant": "${ghost} = 1"})
    assert bad.status_code == 400 and "ghost" in bad.get_data(as_text=True)
    post(client, f"/surveys/{survey.id}/questions/{question.id}/move", {"direction": "up"}, page=qurl)
    db.session.expire_all()
    assert [q.name for q in ordered_questions(db.session.get(Survey, survey.id))] == ["problems", "color"]
    assert db.session.get(Choice, choice.id).label == {"zh": "屋顶漏水"}
    post(client, f"/surveys/{survey.id}/questions/{question.id}/delete", page=qurl)
    assert db.session.scalar(select(Question).filter_by(name="problems")) is None


def test_pages_items_preview_and_lifecycle(client, auth, world):
    auth.login("org")
    survey = world["survey"]
    base = f"/surveys/{survey.id}"
    assert post(client, f"{base}/sections/new", {"label_zh": "第二页"}).status_code == 302
    section = db.session.scalar(select(Section).where(Section.survey_id == survey.id, Section.position == 2))
    section_id = section.id
    post(client, f"{base}/sections/{section.id}/move", {"direction": "up"}, page=base)
    db.session.expire_all()
    assert db.session.get(Section, section.id).position == 1
    post(client, f"{base}/sections/{section.id}/delete", page=base)
    assert db.session.scalar(select(Section).filter_by(id=section_id)) is None
    response = post(client, f"{base}/items", {"items": ["B01", "I02"], "elevator": "y"})
    assert response.status_code == 302
    preview = client.get(f"{base}/preview").get_data(as_text=True)
    assert "phone-frame" in preview and "屋面防水及保温维修" in preview and "您是否同意在本单元加装电梯" in preview
    assert post(client, f"{base}/open", page=base).status_code == 302
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "open"
    refused = post(client, f"{base}/questions/{world['question'].id}/delete", page=base)
    assert refused.status_code == 302
    assert "只有草稿状态的问卷才能修改题目" in client.get(base).get_data(as_text=True)
    assert db.session.get(Question, world["question"].id) is not None
    assert client.get(f"{base}/questions/new").status_code == 302   # the form is not even shown
    post(client, f"{base}/close", page=base)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "closed"
    refused = post(client, f"{base}/open", page=base)
    assert "只有草稿状态的问卷才能开始" in client.get(base).get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"survey.section_add", "survey.section_move", "survey.section_delete", "survey.items", "survey.open",
            "survey.close"} <= actions


def test_copy_to_managed_communities_only(client, auth, world):
    auth.login("org")
    survey = world["survey"]
    page = client.get(f"/surveys/{survey.id}/copy").get_data(as_text=True)
    assert "B001" in page and "Z001" not in page
    bad = post(client, f"/surveys/{survey.id}/copy", {"communities": [world["far"].id]})
    assert bad.status_code == 400
    response = post(client, f"/surveys/{survey.id}/copy", {"communities": [world["other"].id]})
    assert response.status_code == 302
    copy = db.session.scalar(select(Survey).where(Survey.community_id == world["other"].id))
    assert copy.copied_from_id == survey.id and [q.name for q in copy.questions] == ["color"]


def test_templates_admins_manage_organisers_copy(client, auth, world, make_user):
    admin = make_user("admin", username="v_admin")
    template = create_survey(admin, None, {"title": {"zh": "标准模板"}}, kind="needs")
    db.session.commit()
    auth.login("org")
    assert "标准模板" in client.get("/surveys/templates").get_data(as_text=True)
    assert client.get(f"/surveys/{template.id}").status_code == 200
    assert client.get(f"/surveys/{template.id}/settings").status_code == 403
    assert client.get("/surveys/templates/new").status_code == 403
    response = post(client, "/c/A001/surveys/new", {"kind": "template", "template": template.id,
                                                    "results_visibility": "after_close"})
    assert response.status_code == 302
    assert db.session.scalar(select(Survey).where(Survey.copied_from_id == template.id)).title["zh"] == "标准模板"
    auth.logout()
    auth.login("v_admin")
    assert post(client, "/surveys/templates/new", {"kind": "blank", "title_zh": "空模板",
                                                   "results_visibility": "after_close"}).status_code == 302
    assert db.session.scalar(select(Survey).where(Survey.is_template.is_(True), Survey.id != template.id))


def test_owner_rep_reads_but_cannot_change(client, auth, world, make_user):
    login(client, auth, make_user, "owner_rep", communities=[world["home"]])
    survey = world["survey"]
    page = client.get(f"/surveys/{survey.id}")
    assert page.status_code == 200 and "喜欢的颜色" in page.get_data(as_text=True)
    assert f"/surveys/{survey.id}/settings" not in page.get_data(as_text=True)
    assert client.get("/c/A001/surveys").status_code == 200
    assert client.get(f"/surveys/{survey.id}/paper").status_code == 200
    for url in (f"/surveys/{survey.id}/settings", f"/surveys/{survey.id}/items", "/c/A001/surveys/new",
                f"/surveys/{survey.id}/copy", "/surveys/templates"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(page.get_data(as_text=True))
    assert client.post(f"/surveys/{survey.id}/open", data={"csrf_token": token}).status_code == 403
    assert db.session.get(Survey, survey.id).status == "draft"


@pytest.mark.parametrize("role", ["grid", "hotline", "agency"])
def test_other_roles_get_403(client, auth, world, make_user, role):
    scope = {"buildings": [world["home"].buildings[0]]} if role == "grid" else {}
    login(client, auth, make_user, role, **scope)
    survey = world["survey"]
    for url in ("/c/A001/surveys", f"/surveys/{survey.id}", f"/surveys/{survey.id}/preview",
                f"/surveys/{survey.id}/paper"):
        assert client.get(url).status_code == 403, url


def test_outside_scope_is_404(client, auth, world):
    auth.login("org")
    foreign, survey = world["foreign"], world["survey"]
    for url in ("/c/Z001/surveys", "/c/Z001/surveys/new", f"/surveys/{foreign.id}", f"/surveys/{foreign.id}/settings",
                f"/surveys/{foreign.id}/preview", f"/surveys/{foreign.id}/paper", "/surveys/999999",
                f"/surveys/{survey.id}/questions/{foreign.id + 1000}",
                f"/surveys/{survey.id}/paper?unit={world['far'].buildings[0].units[0].id}"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client.get(f"/surveys/{survey.id}").get_data(as_text=True))
    assert client.post(f"/surveys/{foreign.id}/open", data={"csrf_token": token}).status_code == 404


def test_anonymous_goes_to_login_and_posts_need_csrf(client, auth, world):
    survey = world["survey"]
    assert client.get(f"/surveys/{survey.id}").headers["Location"].startswith("/login")
    auth.login("org")
    assert client.post(f"/surveys/{survey.id}/open").status_code == 400
    assert client.post(f"/surveys/{survey.id}/questions/{world['question'].id}/delete").status_code == 400
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "draft"
    assert db.session.get(Question, world["question"].id) is not None


def test_open_survey_list_counts(client, auth, world):
    survey = world["survey"]
    open_survey(world["organiser"], survey)
    db.session.commit()
    auth.login("org")
    page = client.get("/c/A001/surveys").get_data(as_text=True)
    assert "进行中" in page
