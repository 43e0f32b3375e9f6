"""The regex() guard of surveys.expressions: a pattern from an XLSForm is compiled only if it cannot backtrack
exponentially, and each pattern gets a cap on the length of the values it is tried on, so that a forged form
cannot hang a worker with a catastrophic pattern (Python's re has no time-out)."""
import math
import re

MAX_PATTERN = 300           # characters of a regex() pattern
REGEX_STEP_BUDGET = 10**7   # well under a second of backtracking at worst, see _value_cap


class PatternRefused(ValueError):
    """Why a pattern is refused: "length", "invalid" or "complex"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def guard_pattern(pattern: str) -> tuple[re.Pattern, int]:
    """(the compiled pattern, the longest value it may be tried on), or PatternRefused."""
    if len(pattern) > MAX_PATTERN:
        raise PatternRefused("length")
    try:
        compiled = re.compile(pattern, re.ASCII)   # \d and \w as in Java and JavaScript, not any script's digits
        tree = re._parser.parse(pattern)  # the stdlib's own parse tree, to judge backtracking
    except (re.error, RecursionError, OverflowError):
        raise PatternRefused("invalid") from None
    varying = _backtracking_repeats(tree, inside_repeat=False)
    if varying is None or varying > 5:
        raise PatternRefused("complex")
    anchored = pattern.startswith(("^", r"\A"))
    return compiled, _value_cap(varying + (0 if anchored else 1))


_C = re._constants
_REPEATS = {_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT}


def _backtracking_repeats(tree, inside_repeat: bool) -> int | None:
    """How many variable-length repeats the pattern has, or None when it can backtrack exponentially: a
    variable repeat or an alternation inside a repeat (`(a+)+`, `(a|ab)*`) or a back-reference."""
    count = 0
    for operator, argument in tree:
        if operator in (_C.GROUPREF, _C.GROUPREF_EXISTS) or (operator == _C.BRANCH and inside_repeat):
            return None
        if operator in _REPEATS:
            least, most, inner = argument
            if inside_repeat and least != most:
                return None
            count += least != most
            children, nested = [inner], inside_repeat or most > 1
        elif operator == _C.BRANCH:
            children, nested = argument[1], inside_repeat
        elif operator in (_C.SUBPATTERN, _C.ASSERT, _C.ASSERT_NOT):
            children, nested = [argument[-1]], inside_repeat
        elif operator == _C.ATOMIC_GROUP:
            children, nested = [argument], inside_repeat
        else:
            continue
        for child in children:
            sub = _backtracking_repeats(child, nested)
            if sub is None:
                return None
            count += sub
    return count


def _value_cap(degree: int) -> int:
    """The longest value a pattern is tried on: k varying repeats can backtrack about n**k / k! steps."""
    if degree <= 1:
        return 100_000
    return min(100_000, int((REGEX_STEP_BUDGET * math.factorial(degree)) ** (1 / degree)))
