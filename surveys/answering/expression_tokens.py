"""Tokens of the XLSForm expression subset, and the error every part of surveys.answering.expressions raises."""
import re

from flask_babel import lazy_gettext as _l

from participation.handlers import Refused


class ExpressionError(Refused):
    """An expression that cannot be used; `position` is the 1-based character where the problem is (or None).

    The message is kept lazy (``message``, and ``errors[""]``), so it reads in the language of wherever it is
    shown: the builder's form, an XLSForm import's rows, the CLI."""

    def __init__(self, message, position: int | None = None):
        super().__init__(message)
        self.position = position

    @property
    def message(self):
        return self.errors[""]

    def __str__(self) -> str:
        return str(self.message)


# --- tokens ----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<ref>\$\{(?P<refname>[^\W\d][\w.-]*)\})
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<dot>\.\.?)
  | (?P<name>[^\W\d][\w.-]*(?::[^\W\d][\w.-]*)?)
""", re.VERBOSE)
_WORD_OPERATORS = {"and", "or", "div", "mod"}
_OPERAND_ENDS = {"ref", "num", "str", "dot"}


def tokenize(text: str) -> list[tuple[str, object, int]]:
    """(kind, value, 1-based position) triples; kinds: ref num str dot name op, and "end"."""
    tokens, index = [], 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        position = index + 1
        if match is None:
            char = text[index]
            if char in "‘’“”":
                raise ExpressionError(_l("Typographic quote %(char)s at character %(position)s: use straight quotes "
                                         "' or \".", char=char, position=position), position)
            if text.startswith("${", index):
                raise ExpressionError(_l("Malformed question reference at character %(position)s: write ${name}.",
                                         position=position), position)
            if char in "'\"":
                raise ExpressionError(_l("Unclosed quote at character %(position)s.", position=position), position)
            raise ExpressionError(_l("Unexpected character %(char)s at character %(position)s.",
                                     char=char, position=position), position)
        kind, index = match.lastgroup, match.end()
        if kind == "space":
            continue
        if kind == "ref":
            tokens.append(("ref", match.group("refname"), position))
        elif kind == "num":
            tokens.append(("num", float(match.group()), position))
        elif kind == "str":
            tokens.append(("str", match.group()[1:-1], position))
        elif kind == "dot":
            if match.group() == "..":
                raise ExpressionError(_l("Paths such as .. are not supported (character %(position)s).",
                                         position=position), position)
            tokens.append(("dot", ".", position))
        else:
            word = match.group()
            # XPath's rule: after an operand, and/or/div/mod are operators; anywhere else they would be names.
            previous = tokens[-1] if tokens else ("op", "(", 0)
            ends_operand = previous[0] in _OPERAND_ENDS or previous[:2] == ("op", ")")
            if kind == "name" and word in _WORD_OPERATORS and ends_operand:
                tokens.append(("op", word, position))
            else:
                tokens.append((kind, word, position))
    tokens.append(("end", None, len(text) + 1))
    return tokens
