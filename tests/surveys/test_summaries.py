"""Survey summaries: participation by headcount and area with vacant units apart, per-question figures, Borda,
the item block, small-cell suppression and the follow-up list. Expected figures are computed here from the values
the fixture stored, independently of the code under test."""
from collections import Counter
from decimal import Decimal
from statistics import median

import pytest

from participation.extensions import db
from surveys.results.summaries import (SUPPRESSED, item_block, non_responders, participation, question_summary,
                                       survey_results, survey_summaries)
from tests.surveys.results_support import ITEMS, build_world


def _submitted(results_world):
    return [h for h in results_world.households if h.id in results_world.values]


def _question(results_world, name):
    return next(q for q in results_world.survey.questions if q.name == name)


def test_participation_overall_by_headcount_and_area(results_world):
    stats = participation(results_world.survey)
    households = results_world.households
    vacant = [h for h in households if h.occupancy == "vacant"]
    answered = [h for h in _submitted(results_world) if h.occupancy != "vacant"]
    assert (stats["households"], stats["vacant"], stats["eligible"]) == (48, 4, 44)
    assert stats["responded"] == len(answered) == 32
    assert stats["responded_vacant"] == 1
    assert stats["drafts"] == len([h for h in households if h.id in results_world.drafts and h.occupancy != "vacant"])
    assert stats["rate"] == round(32 / 44, 4)
    assert stats["rate_all"] == round(33 / 48, 4)
    area_all = sum(h.area for h in households)
    area_vacant = sum(h.area for h in vacant)
    area_answered = sum(h.area for h in answered)
    assert stats["area_total"] == area_all and isinstance(stats["area_total"], Decimal)
    assert stats["area_vacant"] == area_vacant
    assert stats["area_eligible"] == area_all - area_vacant
    assert stats["area_responded"] == area_answered
    assert stats["area_rate"] == round(float(area_answered / (area_all - area_vacant)), 4)


def test_participation_per_building_and_unit(results_world):
    stats = participation(results_world.survey)
    assert [b["label"] for b in stats["buildings"]] == ["1号楼", "2号楼", "3号楼"]
    for building, entry in zip(results_world.community.buildings, stats["buildings"]):
        mine = [h for unit in building.units for h in unit.households]
        answered = [h for h in mine if h.id in results_world.values and h.occupancy != "vacant"]
        eligible = [h for h in mine if h.occupancy != "vacant"]
        assert entry["households"] == len(mine)
        assert entry["responded"] == len(answered)
        assert entry["area_responded"] == sum(h.area for h in answered)
        assert entry["rate"] == round(len(answered) / len(eligible), 4)
        assert [u["label"] for u in entry["units"]] == ["1单元", "2单元"]
        assert sum(u["responded"] for u in entry["units"]) == entry["responded"]
        unit = building.units[1]
        unit_answered = [h for h in unit.households if h.id in results_world.values and h.occupancy != "vacant"]
        assert entry["units"][1]["area_responded"] == sum(h.area for h in unit_answered)


def test_participation_rows_limited_to_a_grid_workers_buildings_overall_kept(results_world, make_user):
    second = results_world.community.buildings[1]
    stats = participation(results_world.survey, make_user("grid", buildings=[second]))
    assert [b["id"] for b in stats["buildings"]] == [second.id]
    assert stats["households"] == 48


def test_choice_summaries_single_and_multiple(results_world):
    values = list(results_world.values.values())
    need = question_summary(_question(results_world, "need_B01"))
    counts = Counter(v["need_B01"] for v in values)
    assert need["total"] == len(values) == 33
    assert need["labels"] == ["需要", "无所谓", "不需要"]
    assert need["absolute"] == [counts["need"], counts["neutral"], counts["no"]]
    assert need["relative"] == [round(counts[c] / 33, 4) for c in ("need", "neutral", "no")]
    colours = question_summary(_question(results_world, "colours"))
    picked = Counter(c for v in values for c in v["colours"])
    assert colours["absolute"] == [picked["red"], picked["green"], picked["blue"]]
    # select_multiple: relative to respondents, so the shares add up to more than 1
    assert colours["relative"] == [round(picked[c] / 33, 4) for c in ("red", "green", "blue")]
    assert sum(colours["relative"]) > 1
    share = question_summary(_question(results_world, "share_I01"))
    assert share["labels"] == ["是", "否"]
    assert share["total"] == sum(1 for v in values if "share_I01" in v)


def test_rank_borda_points_and_first_choices(results_world):
    summary = question_summary(_question(results_world, "priorities"))
    points, first, picked = Counter(), Counter(), Counter()
    for v in results_world.values.values():
        for rank, code in enumerate(v["priorities"], start=1):
            points[code] += 5 + 1 - rank   # top 5: 5, 4, 3, 2, 1
            picked[code] += 1
        first[v["priorities"][0]] += 1
    assert summary["names"] == list(ITEMS) and summary["top_n"] == 5
    assert summary["points"] == [points[code] for code in ITEMS]
    assert summary["first"] == [first[code] for code in ITEMS]
    assert summary["absolute"] == [picked[code] for code in ITEMS]


def test_number_text_and_date_summaries(results_world):
    values = [v["persons"] for v in results_world.values.values()]
    persons = question_summary(_question(results_world, "persons"))
    assert persons["count"] == len(values)
    assert persons["mean"] == (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"))
    assert persons["median"] == Decimal(str(median(values)))
    assert (persons["min"], persons["max"]) == (min(values), max(values))
    assert persons["labels"] == ["1", "2", "3", "4", "5", "6"]
    assert persons["absolute"] == [values.count(n) for n in range(1, 7)]
    comment = question_summary(_question(results_world, "comment"))
    assert comment["count"] == sum(1 for v in results_world.values.values() if "comment" in v)
    assert 0 < len(comment["latest"]) <= 5
    visit = question_summary(_question(results_world, "visit"))
    dates = [v["visit"] for v in results_world.values.values()]
    assert (visit["min"], visit["max"]) == (min(dates), max(dates))


def test_survey_summaries_cover_every_question_but_notes(results_world):
    summaries = survey_summaries(results_world.survey)
    assert [s["question"] for s in summaries] == [q.name for q in results_world.survey.questions if q.type != "note"]
    assert summaries[0] == question_summary(_question(results_world, summaries[0]["question"]))


def test_item_block_need_share_by_headcount_and_area_and_cost_share(results_world):
    rows = {row["code"]: row for row in item_block(results_world.survey)}
    assert list(rows) == ["B01", "I01", "U01"]   # basic, improvement, upgrade
    answered = _submitted(results_world)
    supporters = [h for h in answered if results_world.values[h.id]["need_I01"] == "need"]
    willing = [h for h in supporters if results_world.values[h.id].get("share_I01") == "yes"]
    i01 = rows["I01"]
    assert i01["respondents"] == len(answered)
    assert i01["need_count"] == len(supporters)
    assert i01["need_share"] == round(len(supporters) / len(answered), 4)
    area = sum(h.area for h in answered)
    assert i01["need_area"] == sum(h.area for h in supporters)
    assert i01["need_share_area"] == round(float(sum(h.area for h in supporters) / area), 4)
    assert i01["share_willing"] == len(willing)
    assert i01["share_rate"] == round(len(willing) / len(supporters), 4)
    assert rows["B01"]["share_asked"] is False and rows["B01"]["share_rate"] is None
    points = Counter()
    for h in answered:
        for rank, code in enumerate(results_world.values[h.id]["priorities"], start=1):
            points[code] += 6 - rank
    assert [rows[code]["priority_points"] for code in ITEMS] == [points[code] for code in ITEMS]
    # staff on a non-confidential survey see the small cell of 3 supporters
    assert rows["U01"]["need_count"] == 3 and rows["U01"]["share_willing"] == 3


def test_confidential_survey_suppresses_small_cells(reference_data):
    results_world = build_world(confidential=True)
    rows = {row["code"]: row for row in item_block(results_world.survey)}
    u01 = rows["U01"]
    assert u01["need_count"] == SUPPRESSED and u01["need_share"] is None and u01["need_share_area"] is None
    assert u01["share_willing"] == SUPPRESSED and u01["share_rate"] is None
    assert rows["I01"]["need_count"] == sum(1 for v in results_world.values.values() if v["need_I01"] == "need")
    need = question_summary(next(q for q in results_world.survey.questions if q.name == "need_U01"))
    counts = Counter(v["need_U01"] for v in results_world.values.values())
    assert counts["need"] == 3
    # the lone small cell plus the next smallest, so subtraction from the total reveals nothing
    assert need["absolute"].count(SUPPRESSED) == 2 and need["absolute"][0] == SUPPRESSED
    persons = question_summary(next(q for q in results_world.survey.questions if q.name == "persons"))
    assert persons["min"] is None and persons["max"] is None and persons["mean"] is not None
    comment = question_summary(next(q for q in results_world.survey.questions if q.name == "comment"))
    assert comment["latest"] == []


def test_residents_view_suppresses_under_five_even_when_not_confidential(results_world):
    rows = {row["code"]: row for row in item_block(results_world.survey, suppress=True)}
    assert rows["U01"]["need_count"] == SUPPRESSED


def test_everything_suppressed_below_five_respondents(reference_data):
    results_world = build_world(confidential=True, answer=lambda index, household: index in (0, 1, 2))
    summary = question_summary(next(q for q in results_world.survey.questions if q.name == "need_B01"))
    assert summary["total"] == SUPPRESSED
    assert all(cell in (SUPPRESSED, 0) for cell in summary["absolute"])
    assert all(share is None for share in summary["relative"])
    persons = question_summary(next(q for q in results_world.survey.questions if q.name == "persons"))
    assert persons["mean"] is None and persons["median"] is None


def test_drafts_are_not_counted_as_answers(results_world):
    draft = next(h for h in results_world.households if h.id in results_world.drafts)
    assert draft.id not in results_world.values
    summary = question_summary(next(q for q in results_world.survey.questions if q.name == "need_B01"))
    assert summary["total"] == len(results_world.values)


def test_non_responders_masked_and_scoped(results_world, make_user):
    organiser = make_user("organiser", communities=[results_world.community])
    grid = make_user("grid", buildings=[results_world.community.buildings[1]])
    db.session.flush()
    everyone = non_responders(results_world.survey, organiser)
    expected = [h for h in results_world.households if h.id not in results_world.values and h.occupancy != "vacant"]
    assert everyone["count"] == len(expected)
    assert everyone["vacant_skipped"] == sum(1 for h in results_world.households
                                             if h.occupancy == "vacant" and h.id not in results_world.values)
    listed = [h for b in everyone["buildings"] for u in b["units"] for h in u["households"]]
    assert [h["id"] for h in listed] == [h.id for h in expected]
    assert all("****" in h["phone"] for h in listed)
    started = {h["id"] for h in listed if h["started"]}
    assert started == {h.id for h in expected if h.id in results_world.drafts}
    mine = non_responders(results_world.survey, grid)
    assert [b["label"] for b in mine["buildings"]] == ["2号楼"]
    assert mine["count"] == sum(1 for h in expected if h.unit.building_id == results_world.community.buildings[1].id)


@pytest.mark.parametrize("confidential", [False, True])
def test_the_results_page_figures_match_the_separate_summaries(app, reference_data, confidential):
    results_world = build_world("RS01", confidential=confidential)
    db.session.commit()
    summaries, items = survey_results(results_world.survey)
    assert summaries == survey_summaries(results_world.survey)
    assert items == item_block(results_world.survey)
    assert items and summaries
