"""The renovation item block of a needs survey (问需于民), built from catalogue items.

For each item, grouped by category under a note that carries the locality's slogan for the year: ``need_<CODE>``
(需要 / 无所谓 / 不需要); for improvement and upgrade items ``share_<CODE>`` (willing to share the cost?), asked
only when the item is needed. Then ``priorities`` (the top 5 of the items, in order, choices named by codes) and
``cofunding_band``. ``add_elevator_question`` adds the question the answering code shows only to households above
the ground floor in units where an elevator is possible. The names and roles are what summaries and the plan read.

These functions add rows and flush; the caller checks the survey is a draft and writes the audit row.
"""

from flask_babel import gettext as _

from participation.extensions import db
from participation.formatting import BEIJING
from participation.models import CATEGORIES, CatalogueItem
from participation.reference.locality import current_year, extra_categories, rules_for_year
from surveys.builder.questions import (BuilderError, append_question, drop_question, ordered_questions,
                                       referring_questions, renumber)
from surveys.models import Choice, Question, Section, Survey

SHARED_COST_CATEGORIES = ("improvement", "upgrade")
TOP_N = 5
NEED_CHOICES = (("need", {"zh": "需要", "en": "Needed"}), ("neutral", {"zh": "无所谓", "en": "Don't mind"}),
                ("no", {"zh": "不需要", "en": "Not needed"}))
COFUNDING_BANDS = (
    ("none", {"zh": "不愿出资", "en": "Not willing to pay"}),
    ("up_to_500", {"zh": "每户500元以内", "en": "Up to 500 yuan per household"}),
    ("up_to_2000", {"zh": "每户500–2000元", "en": "500–2,000 yuan per household"}),
    ("up_to_5000", {"zh": "每户2000–5000元", "en": "2,000–5,000 yuan per household"}),
    ("over_5000", {"zh": "每户5000元以上", "en": "Over 5,000 yuan per household"}),
)
ELEVATOR_CHOICES = (("support", {"zh": "同意", "en": "In favour"}), ("neutral", {"zh": "无所谓", "en": "Don't mind"}),
                    ("oppose", {"zh": "不同意", "en": "Against"}))
CATEGORY_NAMES = {"basic": {"zh": "基础类", "en": "Basic items"},
                  "improvement": {"zh": "完善类", "en": "Improvement items"},
                  "upgrade": {"zh": "提升类", "en": "Upgrade items"}}
ELEVATOR_AUDIENCE = "elevator_units_above_ground"


def survey_year(survey: Survey) -> int:
    """The year whose slogans a survey shows: the year it opens (China time), else this year."""
    if survey.opens_at is not None:
        return survey.opens_at.astimezone(BEIJING).year
    return current_year()


def _locality(survey: Survey):
    return survey.community.district.locality if survey.community is not None else None


def category_order(survey: Survey) -> list[str]:
    extras = sorted(extra_categories(_locality(survey)))
    return [*CATEGORIES, *(code for code in extras if code not in CATEGORIES)]


def category_heading(survey: Survey, category: str, year: int | None = None) -> dict:
    """The category note's label: "基础类（应改尽改）", the slogan in force in the survey's year when there is one."""
    locality = _locality(survey)
    year = year or survey_year(survey)
    names = CATEGORY_NAMES.get(category)
    if names is None:
        extra = extra_categories(locality).get(category, category)
        names = {"zh": extra, "en": extra}
    slogans = rules_for_year(locality, "category_slogan", year) if locality is not None else {}
    slogan = slogans[category].text_value if category in slogans else None
    if not slogan:
        return dict(names)
    return {"zh": f"{names['zh']}（{slogan}）", "en": f"{names['en']} ({slogan})"}


def _block_key(question: Question, order: list[str]):
    """Where a question of the block sits in it; None for a question that is not part of the block."""
    settings = question.settings or {}
    category = settings.get("category")
    rank = order.index(category) if category in order else len(order)
    if question.type == "note" and question.name.startswith("category_") and category:
        return (0, rank, "", 0)
    if question.role in ("item_need", "item_share") and question.item is not None:
        return (0, rank, question.item.code, 1 if question.role == "item_need" else 2)
    if question.role == "item_priority":
        return (1, 0, "", 0)
    if question.role == "cofunding_band":
        return (2, 0, "", 0)
    return None


def add_item_block(survey: Survey, items: list[CatalogueItem], *, section: Section) -> list[Question]:
    """Add the block for ``items`` to ``section`` (or extend the block already there); returns the new questions.

    Items already in the survey are skipped, the priorities question gains the new items as choices, and the block
    is kept in its order: categories in order, items by code, then priorities and the co-funding band."""
    year = survey_year(survey)
    order = category_order(survey)
    names = {question.name for question in survey.questions}
    items = sorted((item for item in items if f"need_{item.code}" not in names),
                   key=lambda item: (order.index(item.category) if item.category in order else len(order), item.code))
    added: list[Question] = []

    def add(**fields) -> Question:
        question = append_question(survey, section, **fields)
        names.add(question.name)
        added.append(question)
        return question

    for item in items:
        if f"category_{item.category}" not in names:
            add(name=f"category_{item.category}", type="note", label=category_heading(survey, item.category, year),
                settings={"category": item.category})
        need = add(name=f"need_{item.code}", type="select_one", role="item_need", item=item,
                   label={"zh": item.name}, settings={"category": item.category})
        need.choices.extend(Choice(name=name, label=dict(label), position=index)
                            for index, (name, label) in enumerate(NEED_CHOICES, start=1))
        if item.category in SHARED_COST_CATEGORIES:
            add(name=f"share_{item.code}", type="yes_no", role="item_share", item=item,
                label={"zh": f"如果实施“{item.name}”，您是否愿意分摊部分费用？",
                       "en": f"If “{item.name}” is done, would you share part of its cost?"},
                relevant=f"${{need_{item.code}}} = 'need'", settings={"category": item.category})
    priorities = next((question for question in survey.questions if question.role == "item_priority"), None)
    if priorities is None and (items or added):
        priorities = add(name="priorities", type="rank", role="item_priority", settings={"top_n": TOP_N},
                         label={"zh": f"在您选“需要”的项目中，最希望先做哪{TOP_N}项？请按先后排序。",
                                "en": f"Of the items you need, which {TOP_N} should come first? Put them in order."},
                         hint={"zh": "第1项最优先。", "en": "Number 1 comes first."})
    if priorities is not None:
        listed = {choice.name for choice in priorities.choices}
        for item in (item for item in items if item.code not in listed):
            priorities.choices.append(Choice(name=item.code, label={"zh": item.name},
                                             position=len(priorities.choices) + 1))
    if "cofunding_band" not in names and added:
        band = add(name="cofunding_band", type="select_one", role="cofunding_band",
                   label={"zh": "为改造整体出资，您家最多愿意出多少？", "en": "At most, how much would your household "
                          "pay towards the renovation as a whole?"},
                   hint={"zh": "只是意向调查，不是缴费。", "en": "This asks your intention; it is not a bill."})
        band.choices.extend(Choice(name=name, label=dict(label), position=index)
                            for index, (name, label) in enumerate(COFUNDING_BANDS, start=1))
    db.session.flush()
    _order_block(survey, section, order)
    return added


def _order_block(survey: Survey, section: Section, order: list[str]) -> None:
    """Keep the block's questions together, in block order, where the block starts in ``section``."""
    siblings = sorted(section.questions, key=lambda question: question.position)
    block = [question for question in siblings if _block_key(question, order) is not None]
    if block:
        start = siblings.index(block[0])
        others = [question for question in siblings if question not in block]
        arranged = others[:start] + sorted(block, key=lambda question: _block_key(question, order)) + others[start:]
        positions = sorted(question.position for question in siblings)
        for index, question in enumerate(arranged):
            question.position = -1 - index - 200000
        db.session.flush()
        for question, position in zip(arranged, positions):
            question.position = position
        db.session.flush()
    renumber(survey)


def remove_block_items(survey: Survey, items: list[CatalogueItem]) -> list[str]:
    """Take ``items`` out of the block: their need and share questions and their priority choice. Refused (nothing
    changes) when another question's condition uses one of them. Returns the removed question names."""
    codes = {item.code for item in items}
    doomed = [question for question in survey.questions
              if question.role in ("item_need", "item_share") and question.item is not None
              and question.item.code in codes]
    for question in doomed:
        users = referring_questions(survey, question.name, exclude=doomed)
        if users:
            raise BuilderError({"": _("Other questions refer to ${%(name)s} in their conditions (%(users)s); "
                                      "change those first.", name=question.name, users=", ".join(users))})
    for question in doomed:
        drop_question(question)
    priorities = next((question for question in survey.questions if question.role == "item_priority"), None)
    if priorities is not None:
        for choice in [choice for choice in priorities.choices if choice.name in codes]:
            priorities.choices.remove(choice)
        for index, choice in enumerate(sorted(priorities.choices, key=lambda choice: choice.position), start=1):
            choice.position = index
    remaining = {question.item.category for question in survey.questions if question.role == "item_need"}
    for note in [question for question in survey.questions if question.type == "note"
                 and question.name.startswith("category_") and (question.settings or {}).get("category")
                 not in remaining]:
        drop_question(note)
    db.session.flush()
    renumber(survey)
    return [question.name for question in doomed]


def block_items(survey: Survey) -> list[CatalogueItem]:
    return [question.item for question in ordered_questions(survey) if question.role == "item_need" and question.item]


def add_elevator_question(survey: Survey, *, section: Section, item: CatalogueItem | None = None) -> Question:
    """The elevator question (role ``elevator``), shown to households above the ground floor of units where an
    elevator is possible; the owners of a 单元 later decide by an owner vote."""
    if any(question.name == "elevator" for question in survey.questions):
        raise BuilderError({"": _("This survey already has the elevator question.")})
    question = append_question(
        survey, section, name="elevator", type="select_one", role="elevator", item=item,
        label={"zh": "您是否同意在本单元加装电梯？", "en": "Do you agree to adding an elevator to your stairwell?"},
        hint={"zh": "费用按楼层分摊，具体由本单元业主协商；最终由业主表决决定。",
              "en": "Costs are shared by floor as the owners of the stairwell agree; the owners decide by vote."},
        settings={"audience": ELEVATOR_AUDIENCE})
    question.choices.extend(Choice(name=name, label=dict(label), position=index)
                            for index, (name, label) in enumerate(ELEVATOR_CHOICES, start=1))
    db.session.flush()
    renumber(survey)
    return question
