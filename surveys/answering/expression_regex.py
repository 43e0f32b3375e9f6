"""The regex() of surveys.answering.expressions: patterns from an XLSForm run on the maintained ``regex`` module, whose
``timeout=`` stops any backtracking, under one time budget shared by every regex() of one evaluation of a whole
form. A forged form with many catastrophic patterns therefore costs one budget per submission, not one per call,
and a pattern that runs out of time counts as not matching (the constraint refuses the answer), never a 500."""
import contextvars
import functools
import time

import regex
from flask_babel import lazy_gettext as _l

from surveys.answering.expression_tokens import ExpressionError

MAX_PATTERN = 300               # characters of a regex() pattern
FORM_BUDGET_SECONDS = 0.02      # all regex() searches of one evaluation of a form together (the regex
                                # module counts CPU time: under load the wall clock runs 3–4 times longer)


class PatternRefused(ValueError):
    """Why a pattern is refused: "length" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RegexTimeout(ExpressionError):
    """A regex() search ran out of the evaluation's budget: the answer is refused as not matching."""

    def __init__(self):
        super().__init__(_l("This answer could not be checked against the form's pattern in time; it is not "
                            "accepted."))


def guard_pattern(pattern: str) -> regex.Pattern:
    """The compiled pattern, or PatternRefused."""
    if len(pattern) > MAX_PATTERN:
        raise PatternRefused("length")
    try:
        # VERSION0 is the re-compatible dialect; \d and \w are ASCII, as in Java and JavaScript.
        return regex.compile(pattern, regex.ASCII | regex.VERSION0)
    except (regex.error, RecursionError, OverflowError, ValueError):
        raise PatternRefused("invalid") from None


class RegexBudget:
    """Seconds left for regex() searches, and what was spent: one per evaluation of a form."""

    def __init__(self, seconds: float = FORM_BUDGET_SECONDS):
        self.seconds = seconds
        self.left = seconds
        self.searches = 0
        self.timed_out = 0

    def search(self, compiled: regex.Pattern, text: str) -> bool:
        if self.left <= 0:
            self.timed_out += 1
            raise RegexTimeout()
        self.searches += 1
        started = time.thread_time()   # CPU time, as the regex module's timeout: a preempted search costs nothing
        try:
            return compiled.search(text, timeout=self.left) is not None
        except TimeoutError:
            self.left = 0
            self.timed_out += 1
            raise RegexTimeout() from None
        finally:
            self.left -= time.thread_time() - started


_current: contextvars.ContextVar[RegexBudget | None] = contextvars.ContextVar("regex_budget", default=None)


def current_budget() -> RegexBudget | None:
    """The budget of the form evaluation under way, if any."""
    return _current.get()


def search(compiled: regex.Pattern, text: str) -> bool:
    """Search under the current form's budget; outside one, the call has a budget of its own."""
    return (_current.get() or RegexBudget()).search(compiled, text)


def one_budget(function):
    """Run ``function`` (an evaluation of a whole form) with one regex budget for all its expressions; a nested
    call shares the outer budget."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if _current.get() is not None:
            return function(*args, **kwargs)
        token = _current.set(RegexBudget())
        try:
            return function(*args, **kwargs)
        finally:
            _current.reset(token)
    return wrapper
