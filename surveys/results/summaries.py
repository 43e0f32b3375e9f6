"""Survey results as plain dicts: participation, per-question summaries, the renovation item block, follow-up lists.

Everything is counted as answers are saved (``surveys.results.tallies``) and read in one query (``surveys.results.figures``), so a
2,000-household community summarises in a handful of queries; Python only reshapes the counts. Only submitted responses count; drafts are shown as partial participation,
never as answers.

Small cells: a count of 1–4 respondents is shown as ``SUPPRESSED`` ("<5") wherever ``suppress`` is on — always for
residents, and for staff when the survey is confidential. Who answered (participation, follow-up lists) is not an
answer and is not suppressed for staff: grid workers need it to knock on doors.
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager

from participation.extensions import db
from participation.labels import mask_phone
from participation.models import CATEGORIES, Building, Household, Unit, User
from participation.permissions import visible_buildings
from surveys.models import Question, Response, Survey
from surveys.results.figures import CENT, CHOICE_TYPES, TEXT_TYPES, _area, _figures, _Grouped, _plain, _questions

SUPPRESSED = "<5"
MIN_CELL = 5
NUMBER_TYPES = ("integer", "decimal", "rating")
HISTOGRAM_BINS = 8


def must_suppress(survey: Survey, *, residents: bool = False) -> bool:
    """Residents always see small cells suppressed; staff only on confidential surveys."""
    return residents or survey.confidential


# --- small helpers ----------------------------------------------------------------------------------------------

def _fraction(part, whole) -> float | None:
    if not whole:
        return None
    return round(float(Decimal(part) / Decimal(whole)), 4)


def _cell(count: int, suppress: bool):
    return SUPPRESSED if suppress and 0 < count < MIN_CELL else count


def _protect(cells: list, counts: list[int]) -> list:
    """Cells that add up to a shown total: one lone suppressed cell could be recovered by subtraction, so the
    smallest other non-zero cell is suppressed with it."""
    hidden = [i for i, cell in enumerate(cells) if cell == SUPPRESSED]
    if len(hidden) == 1:
        shown = [i for i, cell in enumerate(cells) if cell != SUPPRESSED and counts[i] > 0]
        if shown:
            cells[min(shown, key=lambda i: counts[i])] = SUPPRESSED
    return cells


def _relative(cells: list, counts: list[int], denominator) -> list:
    return [None if cell == SUPPRESSED else _fraction(count, denominator) for cell, count in zip(cells, counts)]


# --- participation ----------------------------------------------------------------------------------------------

def _blank() -> dict:
    return {"households": 0, "vacant": 0, "responded": 0, "responded_vacant": 0, "drafts": 0,
            "area_total": Decimal("0.00"), "area_vacant": Decimal("0.00"), "area_responded": Decimal("0.00")}


def _add(into: dict, row: dict) -> None:
    for key, value in row.items():
        into[key] += value


def _rates(stats: dict) -> dict:
    stats["eligible"] = stats["households"] - stats["vacant"]
    stats["area_eligible"] = stats["area_total"] - stats["area_vacant"]
    stats["rate"] = _fraction(stats["responded"], stats["eligible"])
    stats["rate_all"] = _fraction(stats["responded"] + stats["responded_vacant"], stats["households"])
    stats["area_rate"] = _fraction(stats["area_responded"], stats["area_eligible"])
    return stats


def participation(survey: Survey, viewer: User | None = None) -> dict:
    """Response rates overall, per building and per 单元, by headcount and by registered area.

    ``rate`` counts submitted non-vacant households over the households not marked vacant (DESIGN §6);
    ``rate_all`` is submitted households over all households, and vacant units that answered are counted apart
    (``responded_vacant``). With a ``viewer``, the per-building rows are those they may see (a grid worker's
    own buildings); the overall figures always cover the whole community.
    """
    buildings = None
    if viewer is not None:
        visible = visible_buildings(viewer, survey.community).with_only_columns(Building.id).order_by(None)
        buildings = set(db.session.scalars(visible))
    status = (select(Response.household_id, Response.status).where(Response.survey_id == survey.id)
              .subquery())
    vacant = Household.occupancy == "vacant"
    submitted = status.c.status == "submitted"
    query = (select(Building.id, Building.name, Unit.id, Unit.name,
                    func.count(Household.id),
                    func.sum(case((vacant, 1), else_=0)),
                    func.sum(case((and_(submitted, ~vacant), 1), else_=0)),
                    func.sum(case((and_(submitted, vacant), 1), else_=0)),
                    func.sum(case((and_(status.c.status == "draft", ~vacant), 1), else_=0)),
                    func.sum(Household.area),
                    func.sum(case((vacant, Household.area), else_=0)),
                    func.sum(case((and_(submitted, ~vacant), Household.area), else_=0)))
             .select_from(Household).join(Unit, Unit.id == Household.unit_id)
             .join(Building, Building.id == Unit.building_id)
             .outerjoin(status, status.c.household_id == Household.id)
             .where(Building.community_id == survey.community_id)
             .group_by(Building.id, Unit.id).order_by(Building.sort_key, Unit.sort_key))
    overall, per_building = _blank(), {}
    # ids and names, not entities: a 2,000-household community has ~170 单元, and building ORM objects for them
    # cost more than the GROUP BY
    for building_id, building_name, unit_id, unit_name, *sums in db.session.execute(query):
        row = dict(zip(("households", "vacant", "responded", "responded_vacant", "drafts"), map(int, sums[:5])))
        row.update(area_total=_area(sums[5]), area_vacant=_area(sums[6]), area_responded=_area(sums[7]))
        _add(overall, row)
        if buildings is not None and building_id not in buildings:
            continue
        entry = per_building.setdefault(building_id, {"id": building_id, "label": Building.label_of(building_name),
                                                      **_blank(), "units": []})
        _add(entry, {key: row[key] for key in _blank()})
        entry["units"].append({"id": unit_id, "label": Unit.label_of(unit_name), **_rates(row)})
    return {**_rates(overall), "buildings": [_rates(entry) for entry in per_building.values()]}


def participation_for_residents(survey: Survey) -> dict:
    """The overall rate only, with a count under 5 suppressed."""
    stats = participation(survey)
    return {"households": stats["eligible"], "responded": _cell(stats["responded"], True),
            "rate": stats["rate"] if stats["responded"] >= MIN_CELL else None}


# --- per-question summaries -------------------------------------------------------------------------------------

def _choice_labels(question: Question, lang: str) -> tuple[list[str], list[str]]:
    names = [choice.name for choice in question.choices]
    labels = [choice.text(lang) for choice in question.choices]
    if question.type == "yes_no" and not names:
        names, labels = ["yes", "no"], [_("Yes"), _("No")]
    return names, labels


def _choice_summary(question, grouped, suppress, lang) -> dict:
    total = grouped.total(question)
    names, labels = _choice_labels(question, lang)
    counts = dict.fromkeys(names, 0)
    for choice, _rank, count in grouped.choices[question.id]:
        if choice not in counts:   # a value stored before a choice was renamed: shown, never dropped
            names.append(choice)
            labels.append(choice)
            counts[choice] = 0
        counts[choice] += count
    absolute_counts = [counts[name] for name in names]
    cells = [_cell(count, suppress) for count in absolute_counts]
    if suppress and question.type != "select_multiple":
        cells = _protect(cells, absolute_counts)
    return {"names": names, "labels": labels, "absolute": cells,
            "relative": _relative(cells, absolute_counts, total)}


def _rank_summary(question, grouped, suppress, lang) -> dict:
    top_n = int((question.settings or {}).get("top_n") or len(question.choices) or 1)
    names, labels = _choice_labels(question, lang)
    picked, first, points = defaultdict(int), defaultdict(int), defaultdict(int)
    for choice, rank, count in grouped.choices[question.id]:
        if choice not in names:
            names.append(choice)
            labels.append(choice)
        picked[choice] += count
        if rank == 1:
            first[choice] += count
        if rank is not None and rank <= top_n:
            points[choice] += (top_n + 1 - rank) * count   # Borda: top_n points for the first pick … 1 for the last
    picked_counts = [picked[name] for name in names]
    cells = [_cell(count, suppress) for count in picked_counts]
    first_counts = [first[name] for name in names]
    first_cells = [_cell(count, suppress) for count in first_counts]
    if suppress:
        first_cells = _protect(first_cells, first_counts)
    total = grouped.total(question)
    return {"names": names, "labels": labels, "absolute": cells, "relative": _relative(cells, picked_counts, total),
            "first": first_cells, "top_n": top_n,
            "points": [None if cell == SUPPRESSED else points[name] for cell, name in zip(cells, names)]}


def _histogram(values: list[tuple[Decimal, int]]) -> tuple[list[str], list[int]]:
    """One bar per value when there are few (ratings, household sizes), otherwise equal-width bins."""
    if len(values) <= 12:
        return [f"{value.normalize():f}" for value, _count in values], [count for _value, count in values]
    low, high = values[0][0], values[-1][0]
    width = (high - low) / HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for value, count in values:
        counts[min(int((value - low) / width), HISTOGRAM_BINS - 1)] += count
    edges = [low + width * i for i in range(HISTOGRAM_BINS + 1)]
    labels = [f"{edges[i].quantize(CENT).normalize():f}–{edges[i + 1].quantize(CENT).normalize():f}"
              for i in range(HISTOGRAM_BINS)]
    return labels, counts


def _median(values: list[tuple[Decimal, int]], count: int) -> Decimal:
    def nth(n):   # the n-th value (0-based) of the sorted answers, walking the frequency table
        for value, times in values:
            if n < times:
                return value
            n -= times
        return values[-1][0]
    return nth(count // 2) if count % 2 else (nth(count // 2 - 1) + nth(count // 2)) / 2


def _number_summary(question, grouped, suppress) -> dict:
    values = grouped.numbers[question.id]
    count = sum(times for _value, times in values)
    labels, counts = _histogram(values) if values else ([], [])
    cells = [_cell(n, suppress) for n in counts]
    hidden = suppress and count < MIN_CELL
    stats = {"mean": None, "median": None, "min": None, "max": None}
    if values and not hidden:
        stats["mean"] = (sum(value * times for value, times in values) / count).quantize(CENT)
        stats["median"] = _plain(_median(values, count))
        if not suppress:   # the extremes are single households' answers
            stats.update(min=values[0][0], max=values[-1][0])
    return {"count": _cell(count, suppress), **stats, "labels": labels, "absolute": cells,
            "relative": _relative(cells, counts, count)}


def _text_summary(question, grouped, suppress) -> dict:
    count = grouped.total(question)
    latest = []
    if not suppress and question.type != "photo":
        latest = grouped.latest_texts(question)
    return {"count": _cell(count, suppress), "latest": latest}


def _date_summary(question, grouped, suppress) -> dict:
    count = grouped.total(question)
    low, high = grouped.dates.get(question.id, (None, None))
    if suppress:
        low = high = None
    as_date = (lambda value: value if value is None or isinstance(value, date) else date.fromisoformat(str(value)))
    return {"count": _cell(count, suppress), "min": as_date(low), "max": as_date(high)}


def _summarise(question: Question, grouped: _Grouped, suppress: bool, lang: str) -> dict:
    total = grouped.total(question)
    summary = {"question": question.name, "type": question.type, "role": question.role,
               "title": question.text("label", lang), "total": _cell(total, suppress), "suppressed": suppress}
    if question.type in CHOICE_TYPES:
        summary.update(_choice_summary(question, grouped, suppress, lang))
    elif question.type == "rank":
        summary.update(_rank_summary(question, grouped, suppress, lang))
    elif question.type in NUMBER_TYPES:
        summary.update(_number_summary(question, grouped, suppress))
    elif question.type in TEXT_TYPES:
        summary.update(_text_summary(question, grouped, suppress))
    elif question.type == "date":
        summary.update(_date_summary(question, grouped, suppress))
    return summary


def question_summary(question: Question, *, suppress: bool | None = None, lang: str = "zh") -> dict:
    """One question in the Kobo/Indico shape: ``total`` respondents, ``labels``, ``absolute`` and ``relative``
    (select_multiple relative to the question's respondents), plus the type's own figures."""
    survey = question.survey
    suppress = must_suppress(survey) if suppress is None else suppress
    return _summarise(question, _Grouped(survey, [question], whole=False), suppress, lang)


def survey_summaries(survey: Survey, *, suppress: bool | None = None, lang: str = "zh") -> list[dict]:
    """Every answerable question's summary, from one set of grouped queries, in survey order."""
    suppress = must_suppress(survey) if suppress is None else suppress
    questions = _questions(survey)
    grouped = _figures(survey, questions)
    return [_summarise(question, grouped, suppress, lang) for question in questions]



# --- the renovation item block (DESIGN §6) ------------------------------------------------------------------------

ITEM_ROLES = ("item_need", "item_share", "item_priority")


def survey_results(survey: Survey, *, lang: str = "zh") -> tuple[list[dict], list[dict]]:
    """The staff results page's summaries and item block, from one load of the questions and one set of figures."""
    suppress = must_suppress(survey)
    questions = _questions(survey)
    grouped = _figures(survey, questions)
    summaries = [_summarise(question, grouped, suppress, lang) for question in questions]
    return summaries, _item_rows([q for q in questions if q.role in ITEM_ROLES], grouped, suppress)


def item_block(survey: Survey, *, suppress: bool | None = None) -> list[dict]:
    """Per catalogue item: need by headcount and by area among the households that answered its need question,
    willingness to share the cost among its supporters, and priority (Borda points and first choices)."""
    suppress = must_suppress(survey) if suppress is None else suppress
    block = _questions(survey, *ITEM_ROLES)
    return _item_rows(block, _figures(survey, block), suppress) if block else []


def _item_rows(block: list[Question], grouped, suppress: bool) -> list[dict]:
    items = {}
    for question in block:
        if question.role == "item_need" and question.item is not None:
            items[question.item.code] = _need(question, grouped)
    for question in block:
        if question.role == "item_share" and question.item is not None and question.item.code in items:
            counts = {choice: count for choice, _rank, count in grouped.choices[question.id]}
            items[question.item.code]["share_willing"] = counts.get("yes", 0)
    for question in block:
        if question.role == "item_priority":
            top_n = int((question.settings or {}).get("top_n") or 5)
            for choice, rank, count in grouped.choices[question.id]:
                if choice in items and rank is not None and rank <= top_n:
                    items[choice]["priority_points"] += (top_n + 1 - rank) * count
                    items[choice]["first_choice"] += count if rank == 1 else 0
    order = {category: index for index, category in enumerate(CATEGORIES)}
    rows = sorted(items.values(), key=lambda row: (order.get(row["category"], len(order)), row["position"]))
    return [_item_cells(row, suppress) for row in rows]


def _need(question: Question, grouped: _Grouped) -> dict:
    respondents = grouped.total(question)
    respondents_area, areas = grouped.areas(question)
    counts = defaultdict(int)
    for choice, _rank, count in grouped.choices[question.id]:
        counts[choice] += count
    item = question.item
    return {"code": item.code, "name": item.name, "category": item.category, "position": question.position,
            "question": question.name, "respondents": respondents, "respondents_area": respondents_area,
            "need": counts["need"], "neutral": counts["neutral"], "no": counts["no"], "need_area": areas.get("need", Decimal("0.00")),
            "share_willing": None, "priority_points": 0, "first_choice": 0}


def _item_cells(row: dict, suppress: bool) -> dict:
    """Shares from the exact counts, then every small count (and what it would reveal) suppressed."""
    need, shown = row["need"], _cell(row["need"], suppress)
    hidden = shown == SUPPRESSED or (suppress and row["respondents"] < MIN_CELL)
    willing = row["share_willing"]
    cells = {
        "code": row["code"], "name": row["name"], "category": row["category"], "question": row["question"],
        "respondents": _cell(row["respondents"], suppress),
        "need_count": shown, "neutral_count": _cell(row["neutral"], suppress), "no_count": _cell(row["no"], suppress),
        "need_share": None if hidden else _fraction(need, row["respondents"]),
        "need_share_area": None if hidden else _fraction(row["need_area"], row["respondents_area"]),
        "need_area": None if hidden else row["need_area"],
        "share_asked": willing is not None,
        "share_willing": None if willing is None else _cell(willing, suppress),
        "share_rate": None if willing is None or hidden or _cell(willing, suppress) == SUPPRESSED
        else _fraction(willing, need),
        "priority_points": row["priority_points"], "first_choice": _cell(row["first_choice"], suppress),
    }
    if suppress and cells["first_choice"] == SUPPRESSED:
        cells["priority_points"] = None
    return cells


# --- follow-up visits ---------------------------------------------------------------------------------------------

def non_responders(survey: Survey, user: User) -> dict:
    """Households in the buildings ``user`` may see that have not submitted, by building and 单元, phones masked.
    Vacant units are left out (nobody to visit) and counted."""
    response = select(Response.household_id, Response.status).where(Response.survey_id == survey.id).subquery()
    visible = visible_buildings(user, survey.community).with_only_columns(Building.id).order_by(None)
    rows = db.session.execute(
        select(Household, response.c.status).join(Household.unit).join(Unit.building)
        .outerjoin(response, response.c.household_id == Household.id)
        .options(contains_eager(Household.unit).contains_eager(Unit.building))
        .where(Building.id.in_(visible), or_(response.c.status.is_(None), response.c.status == "draft"))
        .order_by(Building.sort_key, Unit.sort_key, Household.sort_key)).all()
    buildings, count, vacant = {}, 0, 0
    for household, status in rows:
        if household.occupancy == "vacant":
            vacant += 1
            continue
        unit = household.unit
        building = buildings.setdefault(unit.building_id, {"id": unit.building_id, "label": unit.building.label,
                                                           "units": {}})
        entry = building["units"].setdefault(unit.id, {"id": unit.id, "label": unit.label, "households": []})
        entry["households"].append({"id": household.id, "room": household.room, "floor": household.floor,
                                    "address": household.address, "phone": mask_phone(household.phone),
                                    "occupancy": household.occupancy, "started": status == "draft"})
        count += 1
    for building in buildings.values():
        building["units"] = list(building["units"].values())
        building["count"] = sum(len(unit["households"]) for unit in building["units"])
    return {"count": count, "vacant_skipped": vacant, "buildings": list(buildings.values())}
