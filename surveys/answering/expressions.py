"""A small, safe evaluator for the XLSForm expression subset used by relevant, constraint and required.

Every submission is checked on the server with it, so it must never trust the expression text: a tokenizer and
a recursive-descent parser build a small tuple tree that a closed set of functions interprets. No eval/exec, no
attribute access, no Python names; length, nesting depth and regular expressions are bounded so that a forged
XLSForm cannot hang a worker.

Semantics follow XPath 1.0 as ODK Collect and Enketo apply it: an unanswered question is the empty string;
`=`/`!=` compare as numbers when one side is a number, as booleans when one side is a boolean, else as strings;
`<`, `>`… and arithmetic convert both sides to numbers (the empty string becomes NaN, so they are false); a date
counts as days since 1970-01-01 wherever a number is needed; a select_multiple (a list) compares as its
space-separated form, as XLSForm stores it (the conversions and the functions are in
surveys.answering.expression_values).
"""
import functools

from flask_babel import lazy_gettext as _l

from surveys.answering.expression_regex import (MAX_PATTERN, PatternRefused, RegexTimeout, guard_pattern, one_budget,
                                                search)
from surveys.answering.expression_tokens import ExpressionError, tokenize
from surveys.answering.expression_values import (FUNCTIONS, arithmetic, compare, normalise, number_text, to_bool,
                                                 to_number, to_string)

__all__ = ["Expression", "ExpressionError", "RegexTimeout", "evaluate", "is_true", "one_budget", "parse", "validate"]

MAX_LENGTH = 2000          # characters of expression text
MAX_DEPTH = 32             # nested parentheses, function calls and unary minus


# --- parser ----------------------------------------------------------------------------------------------------

# Binary operators by increasing precedence (XPath 1.0); each level is left-associative and parsed into one
# n-ary ("chain", first, [(op, operand), …]) node so long flat expressions do not make deep trees.
_LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.references: list[tuple[str, int]] = []

    def peek(self):
        return self.tokens[self.index]

    def at(self, *operators) -> bool:
        kind, value, _ = self.tokens[self.index]
        return kind == "op" and value in operators

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, value):
        if not self.at(value):
            raise _unexpected(self.peek(), expected=value)
        self.take()

    def parse(self):
        tree = self.level(0, 0)
        if self.peek()[0] != "end":
            raise _unexpected(self.peek())
        return tree

    def level(self, number: int, depth: int):
        if number == len(_LEVELS):
            return self.unary(depth)
        operators = _LEVELS[number]
        first = self.level(number + 1, depth)
        rest = []
        while self.at(*operators):
            operator = self.take()[1]
            rest.append((operator, self.level(number + 1, depth)))
        if not rest:
            return first
        if operators[0] in ("or", "and"):
            return (operators[0], [first] + [operand for _, operand in rest])
        return ("chain", first, rest)

    def unary(self, depth: int):
        minuses = 0
        while self.at("-"):
            minuses += 1
            self.take()
        if minuses:
            return ("neg", self.primary(self.deeper(depth)), minuses % 2 == 1)
        return self.primary(depth)

    def deeper(self, depth: int) -> int:
        if depth + 1 > MAX_DEPTH:
            position = self.peek()[2]
            raise ExpressionError(_l("The expression is nested too deeply (character %(position)s).",
                                     position=position), position)
        return depth + 1

    def primary(self, depth: int):
        kind, value, position = token = self.take()
        if kind in ("num", "str"):
            return ("lit", value)
        if kind == "ref":
            self.references.append((value, position))
            return ("ref", value)
        if kind == "dot":
            return ("current",)
        if kind == "op" and value == "(":
            inner = self.level(0, self.deeper(depth))
            self.expect(")")
            return inner
        if kind == "name":
            if self.at("("):
                return self.call(value, position, depth)
            raise ExpressionError(_l("%(name)s at character %(position)s is not a function call; refer to a "
                                     "question as ${%(name)s}.", name=value, position=position), position)
        raise _unexpected(token)

    def call(self, name: str, position: int, depth: int):
        if name not in FUNCTIONS:
            raise ExpressionError(_l("Unknown function %(name)s() at character %(position)s.",
                                     name=name, position=position), position)
        inner = self.deeper(depth)
        self.expect("(")
        arguments = []
        if not self.at(")"):
            arguments.append(self.level(0, inner))
            while self.at(","):
                self.take()
                arguments.append(self.level(0, inner))
        self.expect(")")
        least, most = FUNCTIONS[name][:2]
        if not least <= len(arguments) <= (most if most is not None else len(arguments)):
            raise ExpressionError(_l("%(name)s() at character %(position)s cannot take %(count)s arguments.",
                                     name=name, position=position, count=len(arguments)), position)
        if name == "regex":
            return _regex_node(arguments, position)
        return ("call", name, arguments)


def _unexpected(token, expected: str | None = None) -> ExpressionError:
    kind, value, position = token
    if kind == "end":
        if expected == ")":
            return ExpressionError(_l("A closing parenthesis is missing at the end."), position)
        return ExpressionError(_l("The expression ends too early."), position)
    shown = {"str": f"'{value}'", "ref": f"${{{value}}}"}.get(kind, value)
    if isinstance(shown, float):
        shown = number_text(shown)
    if expected is not None:
        return ExpressionError(_l("Expected %(expected)s but found %(found)s at character %(position)s.",
                                  expected=expected, found=shown, position=position), position)
    return ExpressionError(_l("Unexpected %(found)s at character %(position)s.", found=shown, position=position),
                           position)


# --- regular expressions ---------------------------------------------------------------------------------------

def _regex_node(arguments, position):
    """regex(value, 'pattern'): the pattern must be a literal, checked once here, so answers cannot supply one."""
    if arguments[1][0] != "lit" or not isinstance(arguments[1][1], str):
        raise ExpressionError(_l("regex() at character %(position)s needs its pattern written in quotes.",
                                 position=position), position)
    try:
        compiled = guard_pattern(arguments[1][1])
    except PatternRefused as refusal:
        messages = {
            "length": _l("The regex() pattern at character %(position)s is longer than %(limit)s characters.",
                         position=position, limit=MAX_PATTERN),
            "invalid": _l("The regex() pattern at character %(position)s is not a valid regular expression.",
                          position=position),
        }
        raise ExpressionError(messages[refusal.reason], position) from None
    return ("regex", arguments[0], compiled)


# --- evaluation ------------------------------------------------------------------------------------------------

def _evaluate(node, values: dict, current):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return normalise(values.get(node[1]))
    if kind == "current":
        return current
    if kind == "neg":
        number = to_number(_evaluate(node[1], values, current))
        return -number if node[2] else number
    if kind == "or":
        return any(to_bool(_evaluate(operand, values, current)) for operand in node[1])
    if kind == "and":
        return all(to_bool(_evaluate(operand, values, current)) for operand in node[1])
    if kind == "chain":
        result = _evaluate(node[1], values, current)
        for operator, operand in node[2]:
            right = _evaluate(operand, values, current)
            if operator in ("=", "!=", "<", "<=", ">", ">="):
                result = compare(operator, result, right)
            else:
                result = arithmetic(operator, result, right)
        return result
    if kind == "regex":
        text = to_string(_evaluate(node[1], values, current))
        # ODK Collect and Enketo both search (JavaRosa RE.match, JavaScript RegExp.test), so anchors are the
        # author's job: '^[0-9]+$' means the whole value. The search runs under the form's time budget and
        # raises RegexTimeout when that is spent.
        return search(node[2], text)
    name, arguments = node[1], node[2]
    if name == "if":
        chosen = arguments[1] if to_bool(_evaluate(arguments[0], values, current)) else arguments[2]
        return _evaluate(chosen, values, current)
    return FUNCTIONS[name][2](*(_evaluate(argument, values, current) for argument in arguments))


class Expression:
    """A parsed expression; immutable, so parse() may hand out the same object for the same text."""

    __slots__ = ("_tree", "reference_positions", "references", "text")

    def __init__(self, text: str, tree, reference_positions: list[tuple[str, int]]):
        self.text = text
        self._tree = tree
        self.reference_positions = tuple(reference_positions)
        self.references = frozenset(name for name, _ in reference_positions)

    def evaluate(self, values: dict[str, object], current=None):
        return _evaluate(self._tree, values, normalise(current))

    def is_true(self, values: dict[str, object], current=None) -> bool:
        return to_bool(self.evaluate(values, current))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def parse(text: str) -> Expression:
    """The expression for `text`; ExpressionError names the problem and the character where it is."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(_l("The expression is empty."))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_l("The expression is longer than %(limit)s characters.", limit=MAX_LENGTH))
    return _parse(text)


@functools.lru_cache(maxsize=2048)
def _parse(text: str) -> Expression:
    parser = _Parser(text)
    tree = parser.parse()
    return Expression(text, tree, parser.references)


def evaluate(text: str, values: dict[str, object], current=None):
    return parse(text).evaluate(values, current)


def is_true(text: str | None, values: dict[str, object], current=None) -> bool:
    """Whether the condition holds; an empty or missing expression always does (no relevant = always shown)."""
    if text is None or not text.strip():
        return True
    return parse(text).is_true(values, current)


def validate(text: str | None, known_names: set[str]) -> list[str]:
    """Messages (in the current language) for everything wrong with `text`; [] when it can be used."""
    if text is None or not text.strip():
        return []
    try:
        expression = parse(text)
    except ExpressionError as error:
        return [str(error)]
    messages, reported = [], set()
    for name, position in expression.reference_positions:
        if name not in known_names and name not in reported:
            reported.add(name)
            messages.append(str(_l("Unknown question ${%(name)s} at character %(position)s.",
                                   name=name, position=position)))
    return messages
