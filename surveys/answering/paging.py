"""How the answer form is cut into pages and laid out, the way KoboToolbox/Enketo pages a form on a phone.

A page is a section of the survey, except the built-in item block's section, which becomes one page per category
(基础类, 完善类, 提升类 — each category note starts one) and, after them, one page for what the block asks about the
needed items: the cost-sharing follow-ups, the priorities and the co-funding band. The follow-ups move there so a
household sees them only for the items it marked 需要, with or without JavaScript (the server decides from the
saved answers which questions the next page shows).

On a page, consecutive single-choice questions with the same choices (each item's 需要 / 无所谓 / 不需要, each
follow-up's 是 / 否) are drawn as one answer grid: a row per question, the choices as cells.
"""
import re
from dataclasses import dataclass, field

from surveys.answering.checks import in_audience

TAIL_ROLES = ("item_priority", "cofunding_band")
SIMPLE_CONDITION = re.compile(r"\s*\$\{(\w+)\}\s*=\s*'([^'\\]*)'\s*")
GRID_TYPES = ("select_one", "yes_no")


@dataclass
class Page:
    number: int
    title: dict | None            # the section's or category's label; None: the block's needed-items page
    questions: list = field(default_factory=list)

    @property
    def blocks(self) -> list[tuple[str, list]]:
        """("grid", questions) for runs of at least two same-choice questions, ("one", [question]) otherwise."""
        blocks: list[tuple[str, list]] = []
        for question in self.questions:
            key = grid_key(question)
            last = blocks[-1] if blocks else None
            if key is not None and last is not None and last[0] == key:
                last[1].append(question)
            else:
                blocks.append((key, [question]))
        return [("grid" if key is not None and len(run) > 1 else "one", run) for key, run in blocks]


def grid_key(question) -> tuple | None:
    """What a question shares with its grid neighbours: its type and its choices (names and labels)."""
    if question.type not in GRID_TYPES or question.sensitive:
        return None
    return (question.type, tuple((choice.name, tuple(sorted((choice.label or {}).items())))
                                 for choice in question.choices))


def _category_note(question) -> str | None:
    if question.type == "note" and question.name.startswith("category_"):
        return (question.settings or {}).get("category")
    return None


def _block_follow_up(question) -> bool:
    return question.role == "item_share" and "category" in (question.settings or {})


def answer_pages(survey, household) -> list[Page]:
    """The pages this household is asked, in order; audiences leave questions (and empty pages) out."""
    pages: list[Page] = []
    for section in sorted(survey.sections, key=lambda s: s.position):
        questions = [q for q in sorted(section.questions, key=lambda q: q.position) if in_audience(q, household)]
        if not any(_category_note(q) for q in questions):
            pages.append(Page(0, section.label, questions))
            continue
        current = Page(0, section.label)
        split = [current]
        needed_page = Page(0, None)
        for question in questions:
            if _category_note(question):
                current = Page(0, question.label)
                split.append(current)
            elif _block_follow_up(question):
                needed_page.questions.append(question)
            elif question.role in TAIL_ROLES:
                needed_page.questions.append(question)
            else:
                current.questions.append(question)
        if split[0].questions and all(q.type == "note" for q in split[0].questions) and len(split) > 1:
            split[1].questions[:0] = split.pop(0).questions   # an introduction opens the first category's page
        pages.extend(split + [needed_page])
    pages = [page for page in pages if page.questions]
    for number, page in enumerate(pages, start=1):
        page.number = number
    return pages


def page_of(pages: list[Page], name: str) -> int | None:
    return next((page.number for page in pages if any(q.name == name for q in page.questions)), None)


def need_links(survey) -> dict[str, str]:
    """Priority choice name (a catalogue code) → the name of the question asking whether that item is needed."""
    return {q.item.code: q.name for q in survey.questions if q.role == "item_need" and q.item is not None}


def simple_conditions(survey) -> dict[str, tuple[str, str]]:
    """Question name → (the choice question it depends on, the choice) for relevance of the form
    ``${name} = 'choice'`` on a single-choice question: the page script follows those on the phone at once."""
    choice_questions = {q.name for q in survey.questions if q.type in GRID_TYPES}
    found = {}
    for question in survey.questions:
        match = SIMPLE_CONDITION.fullmatch(question.relevant or "")
        if match and match.group(1) in choice_questions and not question.sensitive:
            found[question.name] = (match.group(1), match.group(2))
    return found
