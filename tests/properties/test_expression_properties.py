"""The XLSForm expression evaluator (surveys/answering/expressions.py): any text either parses or raises ExpressionError,
a parsed expression evaluates on any answers without raising, and arithmetic and comparisons agree with Python."""
import datetime
import math
from decimal import Decimal

from hypothesis import given, strategies as st

from surveys.answering.expression_values import FUNCTIONS
from surveys.answering.expressions import ExpressionError, parse, validate

NAMES = ["a", "b", "age", "q1"]
PIECES = ["${a}", "${b}", "${age}", "${q1}", "${", "}", ".", "..", "(", ")", ",", "'x'", '"y z"', "'", "1", "2.5",
          ".5", "0", "-", "+", "*", " div ", " mod ", " and ", " or ", "=", "!=", "<", "<=", ">", ">=", " ",
          "‘", "regex(", "'^[0-9]+$'", "'(a+)+'", "'['", "not(", "today()", "true()", "false()", "foo(",
          "if(", "concat(", "selected(", "count-selected(", "string-length(", "coalesce(", "int(", "number(",
          "a", "é", "中文", "\n", "$", "1e5", "9" * 400]
ANSWER_VALUES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(), st.datetimes(), st.lists(st.sampled_from(["bench", "light", "lift", ""]), max_size=3))
ANSWERS = st.dictionaries(st.sampled_from(NAMES), ANSWER_VALUES, max_size=4)
TEXTS = st.one_of(st.text(max_size=60), st.lists(st.sampled_from(PIECES), max_size=25).map("".join))


def _call(name, draw_args):
    return name + "(" + ", ".join(draw_args) + ")"


@st.composite
def expressions(draw, depth=0):
    """Well-formed expressions over the whole language (every function, right number of arguments)."""
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(["${a}", "${b}", "${age}", "${q1}", ".", "'bench'", "''", "3", "0", "2.5",
                                     "-1", "'2024-01-31'", "true()", "false()", "today()"]))
    kind = draw(st.sampled_from(["binary", "call", "paren", "neg"]))
    if kind == "binary":
        operator = draw(st.sampled_from(["+", "-", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "and",
                                         "or"]))
        return f"{draw(expressions(depth + 1))} {operator} {draw(expressions(depth + 1))}"
    if kind == "paren":
        return f"({draw(expressions(depth + 1))})"
    if kind == "neg":
        return f"-{draw(expressions(depth + 1))}"
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    least, most = FUNCTIONS[name][:2]
    count = draw(st.integers(least, most if most is not None else least + 2))
    arguments = [draw(expressions(depth + 1)) for _ in range(count)]
    if name == "regex":
        arguments[1] = draw(st.sampled_from(["'^[0-9]+$'", "'^1[3-9][0-9]{9}$'", "'a|b'", "'(a+)+'"]))
    return _call(name, arguments)


@given(TEXTS, ANSWERS, ANSWER_VALUES)
def test_any_text_parses_or_raises_expression_error_and_never_anything_else(text, answers, current):
    try:
        expression = parse(text)
    except ExpressionError as error:
        assert str(error)
        return
    expression.evaluate(answers, current)
    expression.is_true(answers, current)
    assert isinstance(validate(text, set(NAMES)), list)


@given(expressions(), ANSWERS, ANSWER_VALUES)
def test_well_formed_expressions_evaluate_on_any_answers(text, answers, current):
    try:
        expression = parse(text)
    except ExpressionError:   # only a refused regex pattern may be refused
        assert "(a+)+" in text
        return
    result = expression.evaluate(answers, current)
    assert isinstance(result, (str, float, bool, datetime.date, list))
    assert isinstance(expression.is_true(answers, current), bool)


# --- a reference for the arithmetic and comparison subset ------------------------------------------------------

@st.composite
def arithmetic(draw, depth=0):
    """(text, value): integers with + - * in parentheses, evaluated by Python on exact integers."""
    if depth > 4 or draw(st.booleans()):
        number = draw(st.integers(0, 1000))
        return str(number), number
    operator = draw(st.sampled_from(["+", "-", "*"]))
    (left, a), (right, b) = draw(arithmetic(depth + 1)), draw(arithmetic(depth + 1))
    value = {"+": a + b, "-": a - b, "*": a * b}[operator]
    return f"({left} {operator} {right})", value


@given(arithmetic())
def test_integer_arithmetic_agrees_with_python(case):
    text, value = case
    assert parse(text).evaluate({}) == float(value)


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.sampled_from(["div", "mod"]))
def test_div_and_mod_follow_ieee_and_xpath(a, b, operator):
    result = parse(f"${{a}} {operator} ${{b}}").evaluate({"a": a, "b": b})
    if operator == "div":
        expected = a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a))
    else:
        expected = math.fmod(a, b) if b else math.nan
    assert (math.isnan(result) and math.isnan(expected)) or result == expected


COMPARE = {"=": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
           "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}


@given(st.one_of(st.integers(-10**6, 10**6), st.decimals(-1000, 1000, places=2)),
       st.one_of(st.integers(-10**6, 10**6), st.decimals(-1000, 1000, places=2)),
       st.sampled_from(sorted(COMPARE)), st.booleans())
def test_comparisons_agree_with_python_for_numbers_and_numeric_text(a, b, operator, as_text):
    answers = {"a": a, "b": str(b) if as_text else b}
    assert parse(f"${{a}} {operator} ${{b}}").evaluate(answers) is COMPARE[operator](Decimal(a), Decimal(b))


@given(st.sampled_from(sorted(COMPARE)), st.integers(-100, 100))
def test_an_unanswered_question_is_never_less_or_greater_than_a_number(operator, number):
    result = parse(f"${{a}} {operator} {number}").evaluate({})
    assert result is (operator == "!=")


@given(st.lists(st.booleans(), min_size=1, max_size=6), st.sampled_from(["and", "or"]))
def test_and_or_agree_with_python(flags, operator):
    text = f" {operator} ".join("true()" if flag else "false()" for flag in flags)
    assert parse(text).evaluate({}) is (all(flags) if operator == "and" else any(flags))
