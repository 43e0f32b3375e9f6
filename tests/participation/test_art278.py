"""民法典第二百七十八条: the decision rule on its exact boundaries, with integer arithmetic (no database)."""
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale

from participation.votes.art278 import (MATTERS, ORDINARY, SPECIAL, VoteRule, decide, hundredths, matter_class,
                                        matter_name)

D = Decimal


@pytest.mark.parametrize("matter", range(1, 10))
def test_every_matter_has_its_class(matter):
    """民法典第二百七十八条第二款: items (六)–(八) need 双四分之三 (special); (一)–(五) and (九) 双过半 (ordinary),
    including (五) 使用维修资金 and (四) 选聘物业 (the repealed 物权法第七十六条 had 筹集和使用 together)."""
    assert matter_class(matter) == ("special" if matter in (6, 7, 8) else "ordinary")
    assert matter_name(matter)


def test_matters_are_the_nine_items_and_nothing_else():
    """民法典第二百七十八条第一款 lists nine items; anything else is refused."""
    assert sorted(MATTERS) == list(range(1, 10))
    assert matter_class(5) == "ordinary" and matter_class(6) == "special"
    for wrong in (0, 10, -1):
        with pytest.raises(ValueError):
            matter_class(wrong)


def test_quorum_met_with_equality_on_both_measures():
    """民法典第二百七十八条第二款: 面积占比三分之二以上 且 人数占比三分之二以上 — 以上 includes equality (Art. 1259)."""
    decision = decide(D("300.00"), D("200.00"), D("200.00"), 9, 6, 6, "ordinary")
    assert decision.quorum_met and decision.passed


def test_quorum_one_hundredth_short_by_area_fails():
    """民法典第二百七十八条第二款: two thirds of 300.01 m² is 200.006̅ m², so 200.00 is short and 200.01 enough."""
    assert not decide(D("300.01"), D("200.00"), D("200.00"), 9, 9, 9).quorum_met
    assert decide(D("300.01"), D("200.01"), D("200.01"), 9, 9, 9).quorum_met


def test_quorum_one_owner_short_by_headcount_fails():
    """民法典第二百七十八条第二款: 5 of 9 owners is below two thirds even when their area is enough."""
    decision = decide(D("900.00"), D("900.00"), D("900.00"), 9, 5, 5)
    assert not decision.quorum_met and not decision.passed
    assert decision.failed == ["quorum_headcount"]


def test_special_met_with_equality_three_quarters():
    """民法典第二百七十八条第二款: items 6–8 need 参与表决专有部分面积四分之三以上 且 参与表决人数四分之三以上 — equality passes."""
    decision = decide(D("400.00"), D("400.00"), D("300.00"), 8, 8, 6, "special")
    assert decision.passed and decision.failed == []


def test_special_one_hundredth_below_three_quarters_fails():
    """民法典第二百七十八条第二款 (四分之三以上): 299.99 of 400.00 participating m² is below three quarters."""
    decision = decide(D("400.00"), D("400.00"), D("299.99"), 8, 8, 6, "special")
    assert not decision.passed and decision.failed == ["yes_area"]


def test_ordinary_half_with_equality_fails():
    """民法典第二百七十八条第二款: ordinary matters need 过半数 — strictly more than half; exactly half fails."""
    decision = decide(D("400.00"), D("400.00"), D("200.00"), 8, 8, 4, "ordinary")
    assert decision.quorum_met and not decision.passed
    assert decision.failed == ["yes_area", "yes_headcount"]
    assert decide(D("400.00"), D("400.00"), D("200.01"), 8, 8, 5, "ordinary").passed


def test_area_and_headcount_disagreeing_fails_on_the_one_that_misses():
    """民法典第二百七十八条第二款 requires both measures (面积 且 人数): many small owners for, one large owner against."""
    by_heads = decide(D("1000.00"), D("1000.00"), D("400.00"), 10, 10, 9, "ordinary")
    assert not by_heads.passed and by_heads.failed == ["yes_area"]
    by_area = decide(D("1000.00"), D("1000.00"), D("900.00"), 10, 10, 3, "ordinary")
    assert not by_area.passed and by_area.failed == ["yes_headcount"]


def test_abstentions_count_as_participating():
    """民法典第二百七十八条第二款: abstaining owners 参与表决, so they raise the base the yes share is taken of."""
    # 6 of 9 take part (quorum), 4 yes, 2 abstain: 4/6 > 1/2 passes the ordinary rule but 4/6 < 3/4 fails special.
    assert decide(D("90.00"), D("60.00"), D("40.00"), 9, 6, 4, "ordinary").passed
    assert decide(D("90.00"), D("60.00"), D("40.00"), 9, 6, 4, "special").failed == ["yes_area", "yes_headcount"]


def test_failed_thresholds_are_said_in_words():
    """民法典第二百七十八条第二款: the result names the threshold that failed, with the figures."""
    decision = decide(D("10000.00"), D("6500.00"), D("6500.00"), 100, 70, 70)
    with force_locale("en"):
        assert decision.reasons == ["Participation by area is below two thirds: 6,500.00 of 10,000.00 m² took "
                                    "part, 6,666.67 needed"]
    half = decide(D("400.00"), D("400.00"), D("200.00"), 8, 8, 4, "ordinary")
    with force_locale("en"):
        assert half.reasons == [
            "Yes by area is not more than half of the participating area: 200.00 of 400.00 m² voted yes, 200.01 "
            "needed",
            "Yes by headcount is not more than half of the participating owners: 4 of 8 owners voted yes, 5 needed"]


def test_no_owners_never_passes():
    """民法典第二百七十八条: a decision needs owners; an empty scope passes nothing even under 以上 comparisons."""
    decision = decide(D("0"), D("0"), D("0"), 0, 0, 0, "special")
    assert not decision.passed and "no_owners" in decision.failed


def test_impossible_counts_and_sub_hundredth_areas_are_refused():
    """民法典第二百七十八条 counts 不动产登记簿 areas to the hundredth of a m²; finer values are not guessed at."""
    with pytest.raises(ValueError):
        decide(D("100.00"), D("50.00"), D("60.00"), 4, 2, 2)
    with pytest.raises(ValueError):
        decide(D("100.005"), D("50.00"), D("50.00"), 4, 2, 2)
    assert hundredths(D("66783.97")) == 6678397 and hundredths(3) == 300


def test_locality_rule_of_all_owners_applies_on_top_of_the_quorum():
    """民法典第二百七十八条 quorum still applies; a city's stricter elevator rule (e.g. 90 % of all owners of the
    unit) must also be met and is shown with its source."""
    strict = VoteRule(9, 10, "all", source="某市加装电梯办法第X条")
    assert VoteRule.parse(strict.text, strict.source) == strict
    # 10 owners, 10 take part, 9 yes by headcount but only 89.99 % of the area.
    decision = decide(D("1000.00"), D("1000.00"), D("899.99"), 10, 10, 9, strict)
    assert not decision.passed and decision.failed == ["yes_area"]
    with force_locale("en"):
        assert decision.reasons[0].startswith("Yes by area is below 90% of all owners' area")
    assert decide(D("1000.00"), D("1000.00"), D("900.00"), 10, 10, 9, strict).passed
    unanimous = VoteRule(1, 1, "all", source="延吉自筹项目")
    assert not decide(D("70.00"), D("70.00"), D("60.00"), 7, 7, 6, unanimous).passed
    two_thirds_consent = VoteRule(2, 3, "all", source="菏泽2021征求意见稿：双三分之二同意")
    assert decide(D("300.00"), D("200.00"), D("200.00"), 9, 6, 6, two_thirds_consent).passed
    assert not decide(D("300.00"), D("250.00"), D("199.99"), 9, 9, 6, two_thirds_consent).passed
    headcount_only = VoteRule.parse("9/10 all headcount", "上海2014试点")
    assert headcount_only.measures == ("headcount",)
    assert decide(D("1000.00"), D("1000.00"), D("10.00"), 10, 10, 9, headcount_only).passed


def test_decide_agrees_with_fraction_arithmetic():
    """民法典第二百七十八条第二款 as rationals (Fraction) on random counts, boundaries included: the integer
    cross-multiplication gives the same answers."""
    rng = random.Random(278)
    for _ in range(3000):
        n_total = rng.randint(1, 30)
        n_part = rng.randint(0, n_total)
        n_yes = rng.randint(0, n_part)
        a_total = rng.randint(1, 3000)
        a_part = rng.choice([rng.randint(0, a_total), -(-2 * a_total // 3), 2 * a_total // 3])
        a_part = min(max(a_part, 0), a_total)
        a_yes = rng.choice([rng.randint(0, a_part), -(-3 * a_part // 4), a_part // 2, a_part // 2 + 1])
        a_yes = min(max(a_yes, 0), a_part)
        areas = [D(v) / 100 for v in (a_total, a_part, a_yes)]
        quorum = Fraction(a_part, a_total) >= Fraction(2, 3) and Fraction(n_part, n_total) >= Fraction(2, 3)
        for rule in ("ordinary", "special"):
            decision = decide(*areas, n_total, n_part, n_yes, rule)
            assert decision.quorum_met == quorum
            if a_part == 0 or n_part == 0:
                yes_ok = rule == "special" and a_yes == 0 and n_yes == 0 and a_part == 0 and n_part == 0
            elif rule == "special":
                yes_ok = Fraction(a_yes, a_part) >= Fraction(3, 4) and Fraction(n_yes, n_part) >= Fraction(3, 4)
            else:
                yes_ok = Fraction(a_yes, a_part) > Fraction(1, 2) and Fraction(n_yes, n_part) > Fraction(1, 2)
            assert decision.passed == (quorum and yes_ok)


def test_default_rules_cite_the_article():
    """民法典第二百七十八条第二款: the default rules carry the article as their source."""
    assert "第二百七十八条" in ORDINARY.source and "第二百七十八条" in SPECIAL.source
    assert ORDINARY.strict and not SPECIAL.strict
