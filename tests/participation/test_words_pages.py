"""Words people read (issue 17, items 4, 5 and 11): weeks and months in words, vote figures written one way on every
vote page, the elevator page saying which year's rule it uses and reflowing on a phone, dates that never break, and
the photo picker's labelled button."""
from datetime import date
from fractions import Fraction
from unittest import mock

import pytest
from flask import render_template_string
from flask_babel import force_locale

from participation.extensions import db
from participation.formatting import day_range, month_label, period_label, week_label
from participation.models import CommunityBudget
from participation.votes import art278
from participation.votes.words import (_requirement, area_words, fraction_words, owners_words, share_words,
                                       thresholds)
from tests.participation.test_elevators import _household, _resident, _unit, site  # noqa: F401  (site: a fixture)


@pytest.mark.parametrize(("key", "chinese", "english"), [
    ("2026-W50", "2026年第50周（12月7日—13日）", "Week 50 of 2026 (7–13 December)"),
    ("2026-W49", "2026年第49周（11月30日—12月6日）", "Week 49 of 2026 (30 November – 6 December)"),
    ("2026-W01", "2026年第1周（2025年12月29日—2026年1月4日）",
     "Week 1 of 2026 (29 December 2025 – 4 January 2026)"),
    ("2025-W54", "2025-W54", "2025-W54"),       # not a week: shown as it is, never a 500
    ("", "", ""),
])
def test_a_week_in_words(app, key, chinese, english):
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert week_label(key) == chinese
        with force_locale("en"):
            assert week_label(key) == english


def test_months_and_periods_in_words(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert month_label("2025-11") == "2025年11月" == period_label("2025-11")
        assert period_label("2026-W50").startswith("2026年第50周")
        assert month_label("2025-13") == "2025-13"
        assert day_range(date(2026, 12, 7), date(2026, 12, 13)) == "12月7日—13日"
    with app.test_request_context(), force_locale("en"):
        assert month_label("2025-11") == "November 2025"


@pytest.mark.parametrize(("share", "text"), [
    (Fraction(18154, 35649), "50.9%"),      # 50.92…: cut to one decimal
    (Fraction(6666, 10000), "66.6%"),       # never rounded up to the 66.7% a two-thirds threshold shows
    (Fraction(3, 4), "75.0%"), (Fraction(1), "100.0%"), (Fraction(0), "0.0%"), (None, "—"),
])
def test_a_share_is_cut_never_rounded_up(share, text):
    assert share_words(share) == text


def test_vote_figures_in_chinese(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert area_words("18154.37") == "18,154.37 平方米"
        assert owners_words(204) == "204 人"
        assert fraction_words(3, 4) == "四分之三" and fraction_words(2, 3) == "三分之二"
        assert _requirement(art278.SPECIAL) == "四分之三以上（75%）"
        assert _requirement(art278.ORDINARY) == "超过二分之一（50%）"
        assert _requirement(art278.QUORUM) == "三分之二以上（约66.7%）"
    with app.test_request_context(), force_locale("en"):
        assert _requirement(art278.QUORUM) == "at least 2/3 (about 66.7%)"


def test_the_thresholds_read_with_units_and_a_cut_share(app):
    """What the resident's vote page, the staff result page and the notice print (one function for all three)."""
    counts = {"area_total": "35649.00", "area_participating": "30000.00", "area_yes": "18154.00",
              "headcount_total": 292, "headcount_participating": 250, "headcount_yes": 204, "failed": ["yes_area"]}
    with app.test_request_context(), force_locale("zh_Hans_CN"), \
            mock.patch("participation.votes.words.rule_of", return_value=art278.SPECIAL):
        rows = {row["code"]: row for row in thresholds(None, counts)}
    assert rows["quorum_area"]["reached"] == "30,000.00 平方米 / 35,649.00 平方米"
    assert rows["quorum_area"]["share"] == "84.1%" and rows["quorum_area"]["requirement"] == "三分之二以上（约66.7%）"
    assert rows["yes_area"]["reached"] == "18,154.00 平方米 / 30,000.00 平方米" and not rows["yes_area"]["met"]
    assert rows["yes_headcount"]["reached"] == "204 人 / 250 人" and rows["yes_headcount"]["share"] == "81.6%"


def test_the_elevator_page_says_why_an_earlier_years_rule_applies(app, site):
    community, _, _ = site
    db.session.add(CommunityBudget(community=community, plan_year=2025))
    client = _resident(app, _household(_unit(community), "301"))
    with mock.patch("participation.elevators.views.current_year", return_value=2026):
        html = client.get(f"/r/{community.code}/elevator").text
    assert 'id="elevator-rule-year"' in html and "本小区改造预算的计划年度是2025年" in html and "今年（2026年）" in html
    assert "2024–2025年适用的规定" in html and "适用年份" not in html
    assert 'class="list elevator-floors reflow"' in html and 'data-label="每户分摊"' in html
    assert '<span class="badge">您家所在楼层</span>' in html


def test_the_elevator_page_says_nothing_of_the_year_when_it_is_this_year(app, site):
    community, _, _ = site
    db.session.add(CommunityBudget(community=community, plan_year=2026))
    client = _resident(app, _household(_unit(community), "301"))
    with mock.patch("participation.elevators.views.current_year", return_value=2026):
        html = client.get(f"/r/{community.code}/elevator").text
    assert 'id="elevator-rule-year"' not in html


def test_dates_are_kept_whole_and_a_time_may_move(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        html = render_template_string('{% from "_macros/numbers.html" import nowrap %}'
                                      '{{ _("started %(when)s", when=nowrap("2026-12-07 10:00")) }}')
    assert html == '<span class="nowrap">2026-12-07</span> <span class="nowrap">10:00</span>发起'


def test_the_photo_picker_is_a_labelled_button_in_chinese(app, site):
    community, _, _ = site
    client = _resident(app, _household(_unit(community), "301"))
    html = client.get("/complaints/new").text
    assert 'class="button file-picker-button" for="photos"' in html and "选择照片（最多3张）" in html
    assert 'id="photos-names" aria-live="polite"' in html and "js/file-picker.js" in html
    assert 'data-chosen="已选 {n} 张：{names}"' in html
    start = html.index('class="button file-picker-button"')
    picker = html[start:html.index("</label>", start)]
    assert 'type="file"' in picker and 'aria-describedby="photos-names photos-hint"' in picker
