"""Issue 12 point 9: the regex() time budget is one per evaluation of a whole form, not one per call, so a form
with sixty catastrophic patterns costs one budget per submission; a search that runs out of time refuses the
answer (never lets it through, never a 500). Counted in searches and budgets, not in wall time."""
import pytest

from surveys.answering import expression_regex
from surveys.answering.checks import clean_answers, hidden_questions
from tests.surveys.test_answers import make_survey

CATASTROPHIC = "(a|aa)+$"          # the regex module cannot optimise this one away: it backtracks exponentially
HOSTILE = "a" * 60 + "b"


@pytest.fixture
def community(make_community):
    return make_community("220102001", buildings=1, units=1, floors=2)


@pytest.fixture
def budgets(monkeypatch):
    """Every RegexBudget created while the test runs."""
    created = []

    class Recorded(expression_regex.RegexBudget):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(expression_regex, "RegexBudget", Recorded)
    return created


def _form(community, pattern: str, count: int = 60):
    return make_survey(community, [("p1", f"q{n}", "text", {
        "constraint": f"regex(., '{pattern}')",
        "constraint_message": {"zh": "格式不对", "en": "Wrong format"}}) for n in range(count)])


def test_sixty_catastrophic_constraints_share_one_budget_and_refuse_the_answers(community, budgets):
    survey = _form(community, CATASTROPHIC)
    values, errors = clean_answers(survey, None, {f"q{n}": HOSTILE for n in range(60)})
    assert len(budgets) == 1                       # one budget for the whole form, not one per regex() call
    budget = budgets[0]
    assert budget.left <= 0 and budget.timed_out == 60
    assert budget.searches == 1                    # after the first time-out no other pattern runs at all
    assert values == {}                            # nothing that could not be checked is let through
    assert errors == {f"q{n}": "格式不对" for n in range(60)}


def test_a_submission_to_an_ordinary_form_runs_every_pattern_within_the_budget(community, budgets):
    survey = _form(community, "^1[3-9][0-9]{9}$")
    raw = {f"q{n}": "13912345678" if n % 2 else "12345" for n in range(60)}
    values, errors = clean_answers(survey, None, raw)
    assert len(budgets) == 1 and budgets[0].searches == 60 and budgets[0].timed_out == 0
    assert budgets[0].left > 0
    assert set(values) == {f"q{n}" for n in range(1, 60, 2)}
    assert set(errors) == {f"q{n}" for n in range(0, 60, 2)}


def test_relevance_that_runs_out_of_time_hides_and_each_submission_gets_a_fresh_budget(community, budgets):
    survey = make_survey(community, [("p1", "code", "text", {}),
                                     *[("p1", f"q{n}", "text", {"relevant": f"regex(${{code}}, '{CATASTROPHIC}')"})
                                       for n in range(30)]])
    raw = {"code": HOSTILE, **{f"q{n}": "x" for n in range(30)}}
    assert hidden_questions(survey, None, raw) == {f"q{n}" for n in range(30)}
    assert clean_answers(survey, None, {"code": "aaaa"})[1] == {}
    assert len(budgets) == 2 and budgets[1].timed_out == 0 and budgets[1].searches == 30
