"""The results pages in parts (issue 17, point 10): a summary first (the most needed items per category, the first
priorities, what comes next), the answers grouped by section and item category, question names never shown — for
staff and for residents. The expected figures come from the values results_support stored, not from the code."""
import re
from collections import Counter

import pytest

from participation.extensions import db
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from surveys.models import Section
from surveys.results.sections import question_parts, top_needs, top_priorities
from surveys.results.summaries import item_block, survey_summaries
from tests.conftest import csrf_token
from tests.surveys.results_support import ITEMS, _question, build_world


def _visible_text(html: str) -> str:
    """The page's words: no data blocks, no tags (attributes such as id="q-need_B01" are not text)."""
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _needs(world) -> dict[str, tuple[int, int]]:
    """Item code → (households that need it, households that answered its need question)."""
    needs = {}
    for code in ITEMS:
        answers = [values[f"need_{code}"] for values in world.values.values() if f"need_{code}" in values]
        needs[code] = (answers.count("need"), len(answers))
    return needs


def _points(world) -> Counter:
    points = Counter()
    for values in world.values.values():
        for position, code in enumerate(values["priorities"], start=1):
            points[code] += 5 + 1 - position
    return points


def test_a_section_of_items_splits_by_category_its_other_questions_after(results_world):
    summaries = survey_summaries(results_world.survey)
    parts = question_parts(results_world.survey, summaries)
    assert [(part["key"], part["category"]) for part in parts] == [
        ("main-basic", "basic"), ("main-improvement", "improvement"), ("main-upgrade", "upgrade"), ("main", None)]
    assert [[s["question"] for s in part["summaries"]] for part in parts] == [
        ["need_B01"], ["need_I01", "share_I01"], ["need_U01", "share_U01"],
        ["priorities", "colours", "persons", "comment", "visit"]]
    assert {part["section"] for part in parts} == {"问卷"}
    assert [part["others"] for part in parts] == [False, False, False, True]
    # every summary is in exactly one part, none lost
    assert sorted(s["question"] for part in parts for s in part["summaries"]) == sorted(s["question"] for s in summaries)


def test_a_section_of_one_category_stays_one_part(results_world):
    survey = results_world.survey
    lift = Section(survey=survey, position=2, name="lift", label={"zh": "加装电梯", "en": "Elevator"})
    db.session.add(lift)
    item = next(q.item for q in survey.questions if q.name == "need_I01")
    _question(survey, lift, "lift_wanted", "yes_no", role="elevator", item=item, label="是否同意加装电梯")
    db.session.flush()
    parts = question_parts(survey, survey_summaries(survey), lang="en")
    assert (parts[-1]["key"], parts[-1]["section"], parts[-1]["category"], parts[-1]["others"]) == (
        "lift", "Elevator", None, False)
    assert [s["question"] for s in parts[-1]["summaries"]] == ["lift_wanted"]


def test_top_needs_per_category_and_first_priorities(results_world):
    items = item_block(results_world.survey, suppress=False)
    needs = _needs(results_world)
    groups = top_needs(items)
    assert [group["category"] for group in groups] == ["basic", "improvement", "upgrade"]
    for group, code in zip(groups, ITEMS):
        (row,) = group["items"]
        need, answered = needs[code]
        assert (row["code"], row["need_share"]) == (code, round(need / answered, 4))
    points = _points(results_world)
    assert [(row["code"], row["priority_points"]) for row in top_priorities(items)] == sorted(
        points.items(), key=lambda pair: (-pair[1], pair[0]))


def test_residents_top_needs_leave_out_what_a_small_cell_would_reveal(results_world):
    need_u01, _answered = _needs(results_world)["U01"]
    assert 0 < need_u01 < 5                                   # the fixture's small cell
    groups = top_needs(item_block(results_world.survey, suppress=True))
    assert "upgrade" not in [group["category"] for group in groups]
    assert all(row["need_count"] != "<5" for group in groups for row in group["items"])


def test_staff_page_opens_on_the_summary_then_closed_parts(client, login_as, results_world):
    login_as("organiser", results_world.community)
    html = client.get(f"/surveys/{results_world.survey.id}/results").text
    summary = html.index('id="results-summary"')
    details = [match.start() for match in re.finditer(r"<details class=\"results-section\"", html)]
    assert summary < details[0]
    opened = re.findall(r'<details class="results-section" id="([^"]+)" open>', html)
    assert opened == ["results-participation"]                  # the one part whose chart is drawn at once
    for key in ("part-main-basic", "part-main-improvement", "part-main-upgrade", "part-main"):
        assert f'<details class="results-section" id="{key}">' in html
    need, answered = _needs(results_world)["B01"]
    top = html[html.index('id="results-top-needs"'):html.index('id="results-next"')]
    assert "B01" in top and f"{round(100 * need / answered)}%" in top
    assert "下一步" in html and f'href="/c/{results_world.community.code}/plan"' in html
    # every question chart still travels with its table, and the label only: no variable name in the words
    text = _visible_text(html)
    for question in results_world.survey.questions:
        if question.type != "note" and question.label["zh"] != question.name:   # share_…: labelled by its name
            assert question.name not in text, question.name
    assert 'href="/static/css/results.css"' in html


@pytest.fixture
def resident(client, app, reference_data):
    world = build_world("RP01")
    household = world.households[0]
    household.notice_accepted_at = utcnow()
    code = issue_code(None, household)
    world.survey.status = "closed"
    world.survey.results_visibility = "after_close"
    db.session.commit()
    page = client.get("/r/RP01")
    client.post("/r/RP01", data={"code": code, "csrf_token": csrf_token(page.text)})
    return world


def test_residents_page_summary_then_parts(client, resident):
    html = client.get(f"/s/{resident.survey.id}/results").text
    assert html.index('id="results-summary"') < html.index('<details class="results-section"')
    assert not re.search(r'<details class="results-section"[^>]*\bopen\b', html)   # every part starts closed
    assert html.count('<details class="results-section"') == 4
    need, answered = _needs(resident)["B01"]
    assert f"{round(100 * need / answered)}%" in html[html.index('id="results-summary"'):]
    assert "plotly" not in html and "<progress" in html
    text = _visible_text(html)
    for question in resident.survey.questions:
        if question.type != "note" and question.label["zh"] != question.name:
            assert question.name not in text, question.name
