"""An owner vote's rule reads as words wherever the plan prints it (issue 17): the stored "3/4 participating" of
Art. 278's special class is 双四分之三 with the law's words, the ordinary class 双过半, and a locality's stricter
rule its fraction, base and measures — never the stored code (participation.votes.words.stored_rule_words, the
templates' ``vote_rule`` filter, and the plan workbook's elevator line)."""
import pytest
from flask import render_template_string
from flask_babel import force_locale

from participation.plans.export import elevator_words
from participation.votes import art278

FILTER = "{{ text|vote_rule }}"


def words(app, text, locale="zh_Hans_CN"):
    with app.test_request_context(), force_locale(locale):
        return render_template_string(FILTER, text=text).strip()


@pytest.mark.parametrize("rule, expected", [
    (art278.SPECIAL, "双四分之三：经参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意"),
    (art278.ORDINARY, "双过半：经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意"),
    (art278.VoteRule(9, 10, "all", source="长春市加装电梯办法"), "全体业主中9/10以上同意（按专有部分面积和人数）"),
    (art278.VoteRule(2, 3, "participating", strict=True, measures=("headcount",), source="某地规定"),
     "参与表决的业主中超过2/3同意（按人数）"),
])
def test_a_stored_rule_reads_as_words(app, rule, expected):
    assert words(app, rule.text) == expected
    assert rule.text not in words(app, rule.text)


def test_english_and_the_unknown(app):
    assert words(app, "3/4 participating", "en").startswith("Double three-quarters")
    assert words(app, "nonsense") == "nonsense"          # shown as it is rather than hidden
    assert words(app, None) == ""


def test_the_plan_workbook_says_the_rule_in_words_too(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        line = elevator_words({"status": None, "vote": {"passed": True, "rule": art278.SPECIAL.text,
                                                         "rule_source": "民法典第二百七十八条"},
                               "shaft": None, "cost": None, "subsidy": None})
    assert "双四分之三" in line and art278.SPECIAL.text not in line
