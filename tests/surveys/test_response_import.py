"""Paper and ODK/Kobo answers: columns, metadata, group prefixes, every row through clean_answers, all-or-nothing,
households that already answered reported and kept, closed surveys refused, one audit row per import."""
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent
from surveys.answering.imports import ResponseImportError, import_responses
from surveys.answering.operations import response_values, save_response
from surveys.models import Answer, Choice, Question, Response, Section, Survey

HEADER = ["楼栋", "单元", "房号", "need", "items", "order", "age", "moved_in", "note1", "photo1"]


def choices(*names):
    return [Choice(position=i, name=name, label={"zh": label, "en": name}) for i, (name, label) in enumerate(names)]


def make_survey(community, *, status="open", sensitive=False) -> Survey:
    survey = Survey(community=community, title={"zh": "需求调查", "en": "Needs survey"})
    section = Section(position=1, name="main", label={"zh": "第一页"})
    survey.sections.append(section)
    specs = [
        dict(name="need", type="select_one", required=True, label={"zh": "需要加装扶手吗"},
             choices=choices(("need", "需要"), ("neutral", "无所谓"), ("no", "不需要"))),
        dict(name="items", type="select_multiple", label={"zh": "还需要什么"},
             choices=choices(("bench", "座椅"), ("light", "路灯"), ("lift", "电梯"))),
        dict(name="order", type="rank", label={"zh": "先后顺序"}, settings={"top_n": 2},
             choices=choices(("bench", "座椅"), ("light", "路灯"), ("lift", "电梯"))),
        dict(name="age", type="integer", label={"zh": "年龄"}, settings={"min": 0, "max": 120}),
        dict(name="moved_in", type="date", label={"zh": "入住日期"}),
        dict(name="note1", type="note", label={"zh": "谢谢"}),
        dict(name="photo1", type="photo", label={"zh": "照片"}),
        dict(name="disabled", type="yes_no", label={"zh": "家中有残疾人吗"}, sensitive=sensitive),
    ]
    for position, spec in enumerate(specs, 1):
        question = Question(position=position, section=section, **spec)
        survey.questions.append(question)
    db.session.add(survey)
    db.session.flush()
    if status != "draft":
        survey.open()
    if status == "closed":
        survey.close()
    db.session.commit()
    return survey


@pytest.fixture
def community(make_community):
    return make_community("NG001", buildings=2, units=2, floors=3, per_floor=2)


@pytest.fixture
def survey(app, community):
    return make_survey(community)


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def household(community, building="1", unit="1", room="101"):
    b = next(x for x in community.buildings if x.name == building)
    u = next(x for x in b.units if x.name == unit)
    return next(h for h in u.households if h.room == room)


def responses() -> list[Response]:
    return db.session.scalars(select(Response).order_by(Response.id)).all()


def run(survey, data, filename="answers.csv", actor=None):
    return import_responses(actor, survey, data, filename=filename)


def errors_of(survey, data, filename="answers.csv") -> list[str]:
    with pytest.raises(ResponseImportError) as caught:
        run(survey, data, filename)
    db.session.rollback()
    assert responses() == []
    return caught.value.errors


GOOD_ROWS = [
    ["1", "1", "101", "need", "bench light", "light bench", 67, "1995-06-01", "", ""],
    ["1", "1", "102", "no", "", "", "", "", "", ""],
    ["2", "2", "301", "neutral", "lift", "lift", 45, "", "", ""],
]


def test_csv_rows_become_submitted_responses_with_channel_import_and_one_audit_row(survey, community):
    result = run(survey, csv_bytes(GOOD_ROWS))
    db.session.commit()
    assert (result.rows, result.imported, result.already_answered) == (3, 3, [])
    saved = responses()
    assert len(saved) == 3
    assert {(r.status, r.channel, r.staff_id) for r in saved} == {("submitted", "import", None)}
    assert all(r.receipt and r.submitted_at for r in saved)
    first = next(r for r in saved if r.household_id == household(community).id)
    assert response_values(first) == {"need": "need", "items": ["bench", "light"], "order": ["light", "bench"],
                                      "age": 67, "moved_in": date(1995, 6, 1)}
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.channel, e.detail["imported"], e.detail["rows"]) for e in events] == \
        [("survey.responses_import", "cli", 3, 3)]


def test_staff_import_records_channel_paper_and_the_staff_member(survey, community, make_user):
    organiser = make_user("organiser", communities=[community])
    run(survey, csv_bytes(GOOD_ROWS[:1]), actor=organiser)
    saved = responses()
    assert [(r.channel, r.staff_id) for r in saved] == [("paper", organiser.id)]
    # One audit row for the whole import, not one per household.
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("survey%"))).all()
    assert actions == ["survey.responses_import"]


def test_gb18030_csv_and_xlsx_with_numbers_and_dates(survey, community):
    run(survey, csv_bytes(GOOD_ROWS[:1], encoding="gb18030"))
    row = ["1", "2", "201", "需要", "座椅", "lift light", 70, datetime(2001, 3, 4), None, None]
    result = run(survey, xlsx_bytes([row]), filename="answers.xlsx")
    assert result.imported == 1
    saved = db.session.scalar(select(Response).where(Response.household_id == household(community, "1", "2", "201").id))
    # A hand-typed label (需要, 座椅) is read as the choice's name; Excel's date cell as a date.
    assert response_values(saved) == {"need": "need", "items": ["bench"], "order": ["lift", "light"], "age": 70,
                                      "moved_in": date(2001, 3, 4)}


def test_odk_and_kobo_metadata_columns_are_ignored_and_group_prefixes_dropped(survey, community):
    header = ["start", "end", "楼栋", "单元", "房号", "grp_a/need", "grp_a/items", "grp_a/items/bench",
              "grp_a/items/light", "grp_b/age", "meta/instanceID", "_id", "_uuid", "_submission_time", "_index",
              "__version__", "_validation_status"]
    row = ["2025-05-01T09:00:00", "2025-05-01T09:05:00", "1", "1", "101", "need", "bench light", "1", "1", "50",
           "uuid:1234", "17", "abcd", "2025-05-01T09:06:00", "1", "vX", ""]
    result = run(survey, csv_bytes([row], header=header))
    assert result.imported == 1
    assert set(result.ignored_columns) >= {"start", "end", "meta/instanceID", "_id", "_uuid", "grp_a/items/bench"}
    assert response_values(responses()[0]) == {"need": "need", "items": ["bench", "light"], "age": 50}


def test_unknown_and_duplicated_columns_are_refused_by_name(survey):
    errors = errors_of(survey, csv_bytes([GOOD_ROWS[0][:4] + ["x"]], header=HEADER[:4] + ["colour"]))
    assert errors == ["未知的列 colour：它不是楼栋、单元、房号，不是本问卷的题目，也不是 ODK/Kobo 的元数据列。"]
    errors = errors_of(survey, csv_bytes([GOOD_ROWS[0][:4] + ["need"]], header=HEADER[:4] + ["g/need"]))
    assert errors == ["列 need 和 g/need 都是题目 need 的答案。"]
    errors = errors_of(survey, csv_bytes([["1", "101", "need"]], header=["楼栋", "房号", "need"]))
    assert errors == ["缺少列“单元”。"]


def test_one_bad_row_saves_nothing_and_every_error_names_its_row(survey):
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][6] = 130                      # above the bound
    rows[1][3] = ""                       # required
    rows[2][4] = "bench sofa"             # not a choice
    errors = errors_of(survey, csv_bytes(rows))
    assert len(errors) == 3
    assert errors[0].startswith("第2行：age：")
    assert errors[1] == "第3行：need：请回答这个问题。"
    assert errors[2].startswith("第4行：items：")


def test_households_outside_the_roster_or_twice_in_the_file_are_errors(survey):
    rows = [GOOD_ROWS[0], ["9", "1", "101", "need", "", "", "", "", "", ""], GOOD_ROWS[0], ["1", "", "101"]]
    errors = errors_of(survey, csv_bytes(rows))
    assert errors == ["第3行：本小区名册中没有 9-1-101 这一户。",
                      "第4行：1-1-101 这一户已在第2行。",
                      "第5行：单元不能为空"]


def test_a_household_that_already_answered_is_reported_and_kept_as_it_was(survey, community):
    mine = household(community)
    save_response(None, survey, mine, {"need": "no"}, channel="web", submit=True)
    started = household(community, "1", "1", "102")
    save_response(None, survey, started, {"need": "neutral"}, channel="web", submit=False)
    db.session.commit()
    result = run(survey, csv_bytes(GOOD_ROWS))
    assert result.imported == 1
    assert [(e["row"], e["room"], e["status"]) for e in result.already_answered] == \
        [(2, "101", "submitted"), (3, "102", "draft")]
    kept = db.session.scalar(select(Response).where(Response.household_id == mine.id))
    assert (kept.channel, kept.version, response_values(kept)) == ("web", 1, {"need": "no"})
    assert db.session.scalar(select(func.count(Response.id))) == 3
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.responses_import"))
    assert (event.detail["imported"], event.detail["already_answered"]) == (1, 2)


@pytest.mark.parametrize("status, message", [("closed", "这份问卷已结束，不能再添加答卷。"),
                                             ("draft", "这份问卷还没有开始：请先开始问卷，再导入答卷。")])
def test_a_survey_that_is_not_open_is_refused(community, status, message):
    survey = make_survey(community, status=status)
    assert errors_of(survey, csv_bytes(GOOD_ROWS)) == [message]


def test_sensitive_answers_need_the_households_consent(community):
    survey = make_survey(community, sensitive=True)
    header = ["楼栋", "单元", "房号", "need", "disabled"]
    errors = errors_of(survey, csv_bytes([["1", "1", "101", "need", "是"]], header=header))
    assert errors == ["第2行：disabled 是敏感问题：只有住户同意后才能导入这些答案（在 sensitive_consent 列填 1）。"]
    result = run(survey, csv_bytes([["1", "1", "101", "need", "是", "1"]], header=header + ["sensitive_consent"]))
    assert result.imported == 1
    saved = responses()[0]
    assert response_values(saved) == {"need": "need", "disabled": "yes"}
    assert saved.sensitive_consent_at is not None


def test_unreadable_and_empty_files_are_refused(survey):
    assert errors_of(survey, b"") == ["文件是空的。"]
    assert errors_of(survey, csv_bytes([])) == ["文件只有表头，没有答卷。"]
    assert errors_of(survey, b"PK\x03\x04 not really a workbook", filename="a.xlsx")[0].startswith("无法打开")


def test_photo_columns_must_stay_empty(survey):
    row = list(GOOD_ROWS[0])
    row[9] = "IMG_001.jpg"
    assert errors_of(survey, csv_bytes([row])) == ["第2行：photo1：表格不能导入照片，请让这一列空着。"]


def test_english_messages_for_an_english_user(survey):
    with pytest.raises(ResponseImportError) as caught, force_locale("en"):
        import_responses(None, survey, csv_bytes([["1", "1", "101", "", "", "", "", "", "", ""]]),
                         filename="a.csv", lang="en")
    assert caught.value.errors == ["Row 2: need: Please answer this question."]


def test_answers_are_stored_one_row_per_value(survey):
    run(survey, csv_bytes(GOOD_ROWS[:1]))
    rows = db.session.execute(select(Answer.choice, Answer.rank, Answer.number).join(Question)
                              .where(Question.name == "order").order_by(Answer.rank)).all()
    assert [tuple(r) for r in rows] == [("light", 1, None), ("bench", 2, None)]
    age = db.session.scalar(select(Answer.number).join(Question).where(Question.name == "age"))
    assert age == Decimal(67)
