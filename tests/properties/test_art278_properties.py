"""Art. 278 (participation/operations/art278.decide) against exact fractions, and the law's boundaries."""
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, strategies as st

from participation.votes.art278 import decide

HALF, TWO_THIRDS, THREE_QUARTERS = Fraction(1, 2), Fraction(2, 3), Fraction(3, 4)


@st.composite
def counts(draw):
    """(total, participating, yes) for area in Decimal m² with 2 places, and for headcount."""
    a_total = draw(st.integers(1, 10**9))
    a_part = draw(st.integers(0, a_total))
    a_yes = draw(st.integers(0, a_part))
    n_total = draw(st.integers(1, 5000))
    n_part = draw(st.integers(0, n_total))
    n_yes = draw(st.integers(0, n_part))
    area = [Decimal(value).scaleb(-2) for value in (a_total, a_part, a_yes)]
    return area, (n_total, n_part, n_yes)


def reference(area, heads, kind):
    """The law read with exact fractions: 双⅔ participation, then 双过半 (strictly more) or 双¾ (at least)."""
    pairs = [tuple(Fraction(value) for value in area), tuple(Fraction(value) for value in heads)]
    quorum = all(part / total >= TWO_THIRDS for total, part, _yes in pairs)
    if not quorum:
        return False, False
    if kind == "ordinary":
        passed = all(yes / part > HALF for _total, part, yes in pairs)
    else:
        passed = all(yes / part >= THREE_QUARTERS for _total, part, yes in pairs)
    return quorum, passed


@given(counts(), st.sampled_from(["ordinary", "special"]))
def test_decide_agrees_with_exact_fractions(values, kind):
    area, heads = values
    decision = decide(*area, *heads, rule=kind)
    assert (decision.quorum_met, decision.passed) == reference(area, heads, kind)
    assert decision.passed == (not decision.failed)


@given(st.integers(1, 10**7), st.integers(1, 2000), st.sampled_from(["ordinary", "special"]))
def test_exactly_two_thirds_participation_is_a_quorum_and_one_less_is_not(unit_area, owners, kind):
    area_total, area_part = Decimal(3 * unit_area).scaleb(-2), Decimal(2 * unit_area).scaleb(-2)
    decision = decide(area_total, area_part, area_part, 3 * owners, 2 * owners, 2 * owners, rule=kind)
    assert decision.quorum_met and decision.passed       # everyone taking part voted yes
    short = decide(area_total, area_part - Decimal("0.01"), area_part - Decimal("0.01"), 3 * owners,
                   2 * owners, 2 * owners, rule=kind)
    assert not short.quorum_met and "quorum_area" in short.failed
    short = decide(area_total, area_part, area_part, 3 * owners, 2 * owners - 1, 2 * owners - 1, rule=kind)
    assert not short.quorum_met and "quorum_headcount" in short.failed


@given(st.integers(1, 10**7), st.integers(1, 2000))
def test_exactly_half_yes_is_not_a_majority_but_one_more_is(unit_area, owners):
    area = Decimal(2 * unit_area).scaleb(-2)
    half = Decimal(unit_area).scaleb(-2)
    assert not decide(area, area, half, 2 * owners, 2 * owners, 2 * owners).passed
    assert not decide(area, area, area, 2 * owners, 2 * owners, owners).passed
    assert decide(area, area, half + Decimal("0.01"), 2 * owners, 2 * owners, owners + 1).passed


@given(st.integers(1, 10**7), st.integers(1, 2000))
def test_exactly_three_quarters_yes_passes_a_special_matter_and_one_less_does_not(unit_area, owners):
    area = Decimal(4 * unit_area).scaleb(-2)
    three = Decimal(3 * unit_area).scaleb(-2)
    assert decide(area, area, three, 4 * owners, 4 * owners, 3 * owners, rule="special").passed
    assert not decide(area, area, three - Decimal("0.01"), 4 * owners, 4 * owners, 3 * owners,
                      rule="special").passed
    assert not decide(area, area, three, 4 * owners, 4 * owners, 3 * owners - 1, rule="special").passed


@given(counts())
def test_impossible_counts_raise_value_error_only(values):
    area, heads = values
    assume(heads[1] < heads[0])
    try:
        decide(*area, heads[0], heads[0] + 1, heads[2])
    except ValueError:
        pass
    else:
        raise AssertionError("more participants than owners was accepted")
