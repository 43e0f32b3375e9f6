"""Builder operations without HTTP: settings, questions of every type, choices, pages, expressions, copies."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from participation.models.types import utcnow
from surveys.builder import questions as ops, sections as section_ops
from surveys.builder.operations import copy_survey, create_survey, delete_survey, open_survey, update_survey
from surveys.builder.questions import BuilderError, ordered_questions
from surveys.models import QUESTION_TYPES, Survey, SurveyStateError


@pytest.fixture
def draft(make_community, make_user):
    community = make_community(floors=1)
    user = make_user("organiser", communities=[community])
    return user, create_survey(user, community, {"title": {"zh": "问卷", "en": "Survey"}})


def question(name, kind="text", **fields):
    return {"name": name, "type": kind, "label": {"zh": f"问题{name}", "en": f"Question {name}"}, **fields}


def names(survey):
    return [q.name for q in ordered_questions(survey)]


def test_every_question_type_can_be_added(draft):
    user, survey = draft
    for kind in QUESTION_TYPES:
        ops.add_question(user, survey, survey.sections[0], question(f"q_{kind}", kind, required=True))
    by_name = {q.name: q for q in survey.questions}
    assert names(survey) == [f"q_{kind}" for kind in QUESTION_TYPES]
    assert by_name["q_rating"].settings == {"min": 1, "max": 5}
    assert [c.name for c in by_name["q_yes_no"].choices] == ["yes", "no"]
    assert by_name["q_note"].required is False and by_name["q_text"].required is True
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "survey.question_add")) == len(QUESTION_TYPES)


def test_settings_labels_hints_and_sensitive_flag_are_kept(draft):
    user, survey = draft
    q = ops.add_question(user, survey, survey.sections[0], question(
        "health", "select_multiple", hint={"zh": "可多选", "en": "Pick any"}, sensitive=True,
        settings={"min_picks": 1, "max_picks": 2, "top_n": 9, "min": None}))
    assert q.settings == {"min_picks": 1, "max_picks": 2}   # only the settings of its type
    assert q.hint == {"zh": "可多选", "en": "Pick any"} and q.sensitive and q.label["en"] == "Question health"


@pytest.mark.parametrize("fields, field, message", [
    ({"name": "1bad"}, "name", "不"),
    ({"name": "q1"}, "name", "q1"),
    ({"label": {"zh": " "}}, "label_zh", ""),
    ({"relevant": "${nowhere} = 'yes'"}, "relevant", "nowhere"),
    ({"constraint": "(. > 1"}, "constraint", ""),
    ({"type": "integer", "settings": {"min": 10, "max": 1}}, "max", ""),
    ({"type": "rating", "settings": {"min": 1, "max": 30}}, "max", ""),
])
def test_bad_questions_are_refused_with_a_message_per_field(draft, fields, field, message):
    user, survey = draft
    ops.add_question(user, survey, survey.sections[0], question("q1"))
    with pytest.raises(BuilderError) as refused:
        ops.add_question(user, survey, survey.sections[0], {**question("q2"), **fields})
    assert field in refused.value.errors and message in refused.value.errors[field]
    assert names(survey) == ["q1"]


def test_expressions_may_use_existing_questions_and_dot(draft):
    user, survey = draft
    ops.add_question(user, survey, survey.sections[0], question("car", "yes_no"))
    q = ops.add_question(user, survey, survey.sections[0], question(
        "cars", "integer", relevant="${car} = 'yes'", constraint=". >= 1 and . <= 5",
        constraint_message={"zh": "请填1到5"}))
    assert q.relevant == "${car} = 'yes'" and q.constraint_message == {"zh": "请填1到5"}
    with pytest.raises(BuilderError, match="car"):
        ops.delete_question(user, survey.questions[0])       # used by ${car} in cars' condition
    with pytest.raises(BuilderError):
        ops.update_question(user, survey.questions[0], question("has_car", "yes_no"))   # renaming it too


def test_edit_changes_type_and_resets_choices(draft):
    user, survey = draft
    q = ops.add_question(user, survey, survey.sections[0], question("pick", "select_one"))
    ops.add_choice(user, q, "a", {"zh": "甲"})
    ops.update_question(user, q, question("pick", "yes_no", label={"zh": "是否同意"}))
    assert q.type == "yes_no" and [c.name for c in q.choices] == ["yes", "no"] and q.label == {"zh": "是否同意"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.question_update"))
    assert event.detail["changes"]["type"] == ["select_one", "yes_no"]


def test_choices_add_edit_reorder_delete(draft):
    user, survey = draft
    q = ops.add_question(user, survey, survey.sections[0], question("color", "select_one"))
    a = ops.add_choice(user, q, "red", {"zh": "红", "en": "Red"})
    b = ops.add_choice(user, q, "blue", {"zh": "蓝"})
    with pytest.raises(BuilderError):
        ops.add_choice(user, q, "red", {"zh": "又红"})
    ops.update_choice(user, b, "green", {"zh": "绿"})
    ops.move_choice(user, b, "up")
    assert [(c.name, c.position) for c in sorted(q.choices, key=lambda c: c.position)] == [("green", 1), ("red", 2)]
    ops.delete_choice(user, a)
    assert [c.name for c in q.choices] == ["green"]
    text = ops.add_question(user, survey, survey.sections[0], question("free", "text"))
    with pytest.raises(BuilderError):
        ops.add_choice(user, text, "x", {"zh": "不行"})


def test_questions_and_pages_move(draft):
    user, survey = draft
    first = survey.sections[0]
    for name in ("a", "b", "c"):
        ops.add_question(user, survey, first, question(name))
    second = section_ops.add_section(user, survey, {"zh": "第二页"})
    ops.add_question(user, survey, second, question("d"))
    a, b, c, d = (next(q for q in survey.questions if q.name == n) for n in "abcd")
    ops.move_question(user, b, "up")
    assert names(survey) == ["b", "a", "c", "d"]
    ops.move_question(user, c, "down")             # past the end of page 1: first of page 2
    assert names(survey) == ["b", "a", "c", "d"] and c.section is second
    ops.move_question(user, d, "down")             # already last: nothing happens
    section_ops.move_section(user, second, "up")
    assert names(survey) == ["c", "d", "b", "a"]
    assert [q.position for q in ordered_questions(survey)] == [1, 2, 3, 4]
    with pytest.raises(BuilderError):
        section_ops.delete_section(user, second)           # not empty
    empty = section_ops.add_section(user, survey, {"zh": "空页"})
    section_ops.delete_section(user, empty)
    assert len(survey.sections) == 2


def test_only_drafts_change(draft):
    user, survey = draft
    q = ops.add_question(user, survey, survey.sections[0], question("q1", "select_one"))
    ops.add_choice(user, q, "a", {"zh": "甲"})
    open_survey(user, survey)
    for attempt in (lambda: ops.add_question(user, survey, survey.sections[0], question("q2")),
                    lambda: ops.update_question(user, q, question("q1", "select_one")),
                    lambda: ops.delete_question(user, q),
                    lambda: ops.move_question(user, q, "down"),
                    lambda: ops.add_choice(user, q, "b", {"zh": "乙"}),
                    lambda: section_ops.add_section(user, survey, {"zh": "新页"}),
                    lambda: update_survey(user, survey, {"title": {"zh": "新标题"}}),
                    lambda: delete_survey(user, survey)):
        with pytest.raises(SurveyStateError, match="only change while the survey is a draft"):
            attempt()
    assert names(survey) == ["q1"] and survey.title["zh"] == "问卷"


def test_settings_validation(draft):
    user, survey = draft
    start = utcnow()
    with pytest.raises(BuilderError) as refused:
        update_survey(user, survey, {"title": {"zh": ""}, "opens_at": start, "closes_at": start - timedelta(days=1)})
    assert set(refused.value.errors) == {"title_zh", "closes_at"}
    update_survey(user, survey, {"title": {"zh": "新", "en": "New"}, "description": {"zh": "说明"},
                                 "confidential": True, "results_visibility": "never", "closes_at": start})
    assert (survey.confidential, survey.results_visibility, survey.closes_at) == (True, "never", start)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.update"))
    assert event.detail["changes"]["title"][1] == {"zh": "新", "en": "New"}


def test_copy_to_communities_and_from_a_template(draft, make_community, make_user):
    user, survey = draft
    q = ops.add_question(user, survey, survey.sections[0], question("q1", "select_one", relevant=None))
    ops.add_choice(user, q, "a", {"zh": "甲"})
    update_survey(user, survey, {"title": {"zh": "问卷"}, "confidential": True, "closes_at": utcnow()})
    others = [make_community(floors=1), make_community(floors=1)]
    copies = copy_survey(user, survey, others)
    assert [c.community for c in copies] == others
    for copy in copies:
        assert copy.status == "draft" and copy.copied_from_id == survey.id and copy.confidential
        assert copy.closes_at is None and [x.name for x in copy.questions] == ["q1"]
        assert [c.name for c in copy.questions[0].choices] == ["a"]
    admin = make_user("admin")
    template = create_survey(admin, None, {"title": {"zh": "模板"}}, kind="needs")
    assert template.is_template and template.community is None
    made = create_survey(user, others[0], {}, kind="template", template=template)
    assert made.title == {"zh": "模板"} and names(made) == names(template) and made.copied_from_id == template.id
    with pytest.raises(BuilderError):
        copy_survey(user, survey, [])
    with pytest.raises(BuilderError):
        create_survey(user, others[0], {}, kind="template", template=survey)   # not a template


def test_delete_a_draft(draft):
    user, survey = draft
    ops.add_question(user, survey, survey.sections[0], question("q1", "yes_no"))
    survey_id = survey.id
    delete_survey(user, survey)
    assert db.session.get(Survey, survey_id) is None
