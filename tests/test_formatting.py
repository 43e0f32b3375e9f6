"""participation.formatting: each formatter at None, 0, negatives and rounding; Beijing time at a date boundary; the
Jinja filters that expose them to templates."""
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction
from unittest import mock

import pytest
from flask_babel import force_locale

from participation import formatting
from participation.formatting import (BEIJING, beijing, beijing_midnight, beijing_naive, beijing_today, number, percent,
                                      plain_number, yuan)


@pytest.mark.parametrize(("share", "digits", "text"), [
    (None, 1, "—"), (0, 1, "0.0%"), (0.125, 1, "12.5%"), (-0.5, 1, "-50.0%"), (Decimal("0.3333"), 1, "33.3%"),
    (Fraction(2, 3), 1, "66.7%"), (0.994, 0, "99%"), (0.996, 0, "100%"), (1, 0, "100%"),
])
def test_percent(share, digits, text):
    assert percent(share, digits) == text


@pytest.mark.parametrize(("value", "digits", "text"), [
    (None, 2, "—"), (0, 2, "0.00"), (1234567.891, 2, "1,234,567.89"), (-1234.5, 2, "-1,234.50"),
    (Decimal("2.345"), 2, "2.34"), (Decimal("2.355"), 2, "2.36"), (Decimal("1499.5"), 0, "1,500"), (12, 0, "12"),
])
def test_number(value, digits, text):
    assert number(value, digits) == text


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("150000.0000"), "150000"), (Decimal("35.50"), "35.5"), (Decimal("0.0000"), "0"), (0, "0"),
    (Decimal("-2.500"), "-2.5"), (Decimal("1E+5"), "100000"), (Decimal("0.0001"), "0.0001"),
])
def test_plain_number(value, text):
    assert plain_number(value) == text


@pytest.mark.parametrize(("amount", "chinese", "english"), [
    (None, "—", "—"), (Decimal("0"), "0元", "0 yuan"), (Decimal("150000.0000"), "15万元", "150,000 yuan"),
    (Decimal("9999.50"), "9999.5元", "9,999.5 yuan"), (Decimal("-200"), "-200元", "-200 yuan"),
    (Decimal("12345"), "1.2345万元", "12,345 yuan"),
])
def test_yuan_in_both_languages(app, amount, chinese, english):
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert yuan(amount) == chinese
        with force_locale("en"):
            assert yuan(amount) == english


def test_beijing_time_crosses_the_date_line_eight_hours_early():
    late_utc = datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc)     # already 1 January 00:30 in Beijing
    assert beijing(late_utc) == "2026-01-01 00:30"
    assert beijing(late_utc, "%Y-%m-%d %H:%M:%S") == "2026-01-01 00:30:00"
    assert beijing_naive(late_utc) == datetime(2026, 1, 1, 0, 30) and beijing_naive(late_utc).tzinfo is None
    assert beijing(datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc)) == "2025-12-31 23:59"
    assert beijing(None) == "" and beijing_naive(None) is None


def test_beijing_midnight_is_sixteen_hundred_utc_the_day_before():
    assert beijing_midnight(date(2026, 1, 1)).astimezone(timezone.utc) == datetime(2025, 12, 31, 16, tzinfo=timezone.utc)
    assert beijing_midnight(date(2026, 1, 1)).tzinfo is BEIJING


def test_today_is_beijings_date_not_the_servers():
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc).astimezone(tz)

    with mock.patch.object(formatting, "datetime", Clock):
        assert beijing_today() == date(2026, 1, 1)


def test_filters_render_in_a_template(app):
    source = ("{{ 0.1234|percent }} {{ 0.1234|percent(0) }} {{ none|percent }} {{ 1234.5|number }} {{ 1234.5|number(0) }} "
              "{{ amount|plain_number }} {{ amount|yuan }} {{ moment|beijing }}")
    with app.test_request_context(), force_locale("en"):
        text = app.jinja_env.from_string(source).render(
            amount=Decimal("150000.0000"), moment=datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc))
    assert text == "12.3% 12% — 1,234.50 1,234 150000 150,000 yuan 2026-01-01 00:30"
