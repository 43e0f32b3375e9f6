"""What the comment period's two pages read (participation.plans.comment_views draws them).

The residents' plan page: which version the changes are told against (``compared_version``), each item's estimated
cost per household by the plan inputs' own rule (``per_household``), and the items grouped so a phone shows the
changed ones first and folds the rest by category (``resident_items``).

The staff moderation list: one page of a version's comments, newest first, searched by words and building and
filtered to the unanswered objections, the objections or the hidden ones (``moderation_list``).
"""
from decimal import Decimal

from sqlalchemy import func, or_, select

from participation.extensions import db
from participation.models import (CATEGORIES, STANCES, Building, CatalogueItem, Community, Household, PlanComment,
                                  PlanItem, PlanVersion, Unit)
from participation.plans.comments import periods_of
from participation.plans.gates import unanswered_objection
from participation.plans.inputs import money
from participation.plans.operations import version_by_number

PER_PAGE = 20
FILTERS = ("unanswered", "object", "support", "other", "hidden")   # the moderation list's "show only" choices
MAX_SEARCH = 100


# --- the residents' page -------------------------------------------------------------------------------------------

def compared_version(version: PlanVersion) -> PlanVersion | None:
    """The version whose differences residents are shown: the newest one published for comment before ``version``
    (what they last saw); when none was, the version just before it (the one its change reasons answer)."""
    for period in periods_of(version.plan):            # newest version first
        if period.version.number < version.number:
            return period.version
    return version_by_number(version.plan, version.number - 1)


def per_household(cost: Decimal | None, households: int) -> Decimal | None:
    """A cost shared by every household of the roster (vacant ones included), to the fen: the rule of the plan
    inputs' ``cost_per_household`` (participation.plans.inputs), so an item's share and the plan's read alike."""
    if cost is None or not households:
        return None
    return money(Decimal(cost) / households)


def resident_items(view: dict, changes: list[dict], households: int) -> dict:
    """The version's items for the residents' page: ``changed`` (in the plan and changed or new since the compared
    version), ``categories`` (the other items in the plan, per category in the catalogue's order, with their
    count and share per household), ``left_out`` (not in this version) and ``changes_out`` (the changes that took an
    item out or left a new one out, told in the list of changes). Each item row carries ``per_household``: of its
    cost when in the plan, else of its planned cost (what it would add)."""
    changed_by_code = {change["code"]: change for change in changes}
    changed, by_category, left_out = [], {}, []
    for shown in view["rows"]:
        cost = shown["cost"] if shown["included"] else shown["planned_cost"]
        row = {**shown, "change": changed_by_code.get(shown["code"]),
               "per_household": per_household(cost, households)}
        if not shown["included"]:
            left_out.append(row)
        elif row["change"] is not None:
            changed.append(row)
        else:
            by_category.setdefault(shown["item"].item.category, []).append(row)
    order = {category: index for index, category in enumerate(CATEGORIES)}
    categories = []
    for category in sorted(by_category, key=lambda code: (order.get(code, len(order)), code)):
        rows = by_category[category]
        cost = sum((row["cost"] for row in rows), Decimal("0.00"))
        categories.append({"code": category, "rows": rows, "cost": cost,
                           "per_household": per_household(cost, households)})
    included = {row["code"] for row in changed}
    return {"changed": changed, "categories": categories, "left_out": left_out,
            "changes_out": [change for change in changes if change["code"] not in included],
            "total_per_household": per_household(view["total"], households), "households": households}


# --- the staff moderation list -------------------------------------------------------------------------------------

def buildings_of(community: Community) -> list[Building]:
    return list(db.session.scalars(select(Building).where(Building.community_id == community.id)
                                   .order_by(Building.sort_key)))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def moderation_list(version: PlanVersion, *, show: str | None = None, text: str | None = None,
                    building_id: int | None = None, page: int = 1, per_page: int = PER_PAGE) -> dict:
    """One page of the comments on ``version``, the latest change first. ``show``: "unanswered" (the adoption
    gate's unanswered objections, ``plans.gates.unanswered_objection``), a stance ("object", "support", "other"),
    "hidden" or "visible"; ``text``: words in the comment, its answer, the reason it was hidden or the item's name;
    ``building_id``: a building of the community. A page past the end shows the last one.
    Returns {"rows", "page", "pages", "total"}."""
    query = (select(PlanComment).join(Household, Household.id == PlanComment.household_id)
             .join(Unit, Unit.id == Household.unit_id)
             .outerjoin(PlanItem, PlanItem.id == PlanComment.plan_item_id)
             .outerjoin(CatalogueItem, CatalogueItem.id == PlanItem.item_id)
             .where(PlanComment.version_id == version.id))
    if show == "unanswered":
        query = query.where(unanswered_objection())
    elif show in STANCES:
        query = query.where(PlanComment.stance == show)
    elif show in ("hidden", "visible"):
        query = query.where(PlanComment.hidden_at.isnot(None) if show == "hidden" else PlanComment.hidden_at.is_(None))
    if building_id is not None:
        query = query.where(Unit.building_id == building_id)
    text = (text or "").strip()[:MAX_SEARCH]
    if text:
        pattern = _like(text)
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            PlanComment.body, PlanComment.answer, PlanComment.hidden_reason, CatalogueItem.name))))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(db.session.scalars(query.order_by(PlanComment.updated_at.desc(), PlanComment.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    return {"rows": rows, "page": page, "pages": pages, "total": total}
