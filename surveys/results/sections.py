"""The results pages in parts a reader opens one at a time (issue 17, point 10): a summary first, then the survey's
sections, the renovation items split by category (基础类, 完善类, 提升类), so a 75-question survey is a page of a
dozen headings rather than 146 charts one under another.

Plain dicts from the summaries (``surveys.results.summaries``) and one more query, for each question's section and
its item's category; the summaries themselves stay as the API returns them.
"""
from sqlalchemy import select

from participation.extensions import db
from participation.models import CATEGORIES, CatalogueItem
from surveys.models import Question, Section, Survey

TOP_NEEDS = 3          # per category, in the summary
TOP_PRIORITIES = 5


def _placement(survey: Survey) -> dict[str, tuple]:
    """question name → (section position, section name, section label, item category or None)."""
    rows = db.session.execute(
        select(Question.name, Section.position, Section.name, Section.label, CatalogueItem.category)
        .join(Section, Section.id == Question.section_id)
        .outerjoin(CatalogueItem, CatalogueItem.id == Question.item_id)
        .where(Question.survey_id == survey.id))
    return {name: (position, section, label, category) for name, position, section, label, category in rows}


def _section_title(label: dict, name: str, lang: str) -> str:
    return (label or {}).get(lang) or (label or {}).get("zh") or next(iter((label or {}).values()), name)


def question_parts(survey: Survey, summaries: list[dict], *, lang: str = "zh") -> list[dict]:
    """The summaries grouped for the page, in survey order: one part per section, and a section holding renovation
    items one part per item category, its other questions (the priority ranking …) in a part of their own after
    them. Each part: ``{"key", "section", "category" (or None), "others" (the section's questions outside its
    categories), "summaries"}``; empty parts are left out."""
    placement = _placement(survey)
    categories: dict[int, set] = {}
    for position, _section, _label, category in placement.values():
        categories.setdefault(position, set()).add(category)
    parts: dict[tuple, dict] = {}
    order = {category: index for index, category in enumerate(CATEGORIES)}
    for summary in summaries:
        position, section, label, category = placement.get(summary["question"], (10 ** 6, "", {}, None))
        if len(categories.get(position, ()) - {None}) < 2:
            category = None   # a section of one category (the elevator's question) stays one part
        # an item's questions go to its category's part; the category parts come before the section's others
        slot = (position, 0, order.get(category, len(order)), category or "") if category else (position, 1, 0, "")
        part = parts.setdefault(slot, {"key": f"{section}-{category}" if category else section,
                                       "section": _section_title(label, section, lang), "category": category,
                                       "others": not category and len(categories.get(position, ()) - {None}) > 1,
                                       "summaries": []})
        part["summaries"].append(summary)
    return [parts[slot] for slot in sorted(parts)]


def top_needs(items: list[dict], *, top: int = TOP_NEEDS) -> list[dict]:
    """Per category present, its ``top`` items by need share (households), largest first; suppressed shares are
    left out. ``[{"category", "items": [row …]}]`` in the catalogue's category order."""
    needs = []
    for category in dict.fromkeys(row["category"] for row in items):
        rows = [row for row in items if row["category"] == category and row["need_share"] is not None]
        rows.sort(key=lambda row: (-row["need_share"], row["code"]))
        if rows:
            needs.append({"category": category, "items": rows[:top]})
    return needs


def top_priorities(items: list[dict], *, top: int = TOP_PRIORITIES) -> list[dict]:
    """The items with the most priority points (Borda), most first; none when nobody ranked (or all suppressed)."""
    ranked = [row for row in items if row["priority_points"]]
    ranked.sort(key=lambda row: (-row["priority_points"], row["code"]))
    return ranked[:top]
