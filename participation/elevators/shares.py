"""Floor shares of an elevator and the year's subsidy (加装电梯, DESIGN §4): the estimate each household sees before
any vote.

The estimate (``unit_estimate``): the cost (the organiser's estimate on the request, else the catalogue's reference
cost of the elevator item), the locality's subsidy per elevator for the year (None, shown as 未配置 — never 0), the
owners' part (cost − subsidy), and each household's share by the reference floor coefficients (``elevator_cost_share``
rules: 长春 1–2F 0, 3F 1, 4F 1.5, 5F 2, 6F 2.5, 7F 3, each higher floor +0.5). The coefficients are only a reference;
owners agree the final split among themselves.

How a share is computed: household h on a floor with coefficient c_h pays exactly A·c_h / Σc (A the amount split,
Σc the sum over every household of the 单元), kept as a Fraction. Shares are then rounded to whole yuan by the
largest-remainder method: each household gets its exact share rounded down, and the yuan left over (fewer than the
number of households) go one each to the households with the largest dropped fractions; ties go to the higher floor,
then to the roster order. The shares therefore add up to A exactly. (If A itself has fen, the same is done in fen.)
Floors with coefficient 0 pay 0. When the year has no subsidy rule, A is the full cost and the page says so.

    year_terms(locality, year) -> YearTerms                      # what every 单元 of a locality shares in a year
    unit_estimate(unit, year, *, request=LOOK_UP, terms=None) -> dict
    share_of(estimate, household) -> dict | None
    share_for_vote(vote, household) -> dict | None             # for templates/elevators/_my_share.html
"""
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor

from sqlalchemy import select

from participation.elevators.queries import active_request, elevator_request_of, plan_year
from participation.extensions import db
from participation.models import CatalogueItem, Household, LocalityRule, Unit, Vote
from participation.reference.locality import describe, rule_for, rules_for_year

ELEVATOR_ITEM_CODE = "I14"            # 加装电梯 in the catalogue, priced per 单元
ABOVE_LAST_RULE_STEP = Decimal("0.5")  # 长春's reference: each floor above the last listed one adds 0.5
LOOK_UP = object()                     # unit_estimate's default: find the 单元's active request itself


def catalogue_cost() -> Decimal | None:
    item = db.session.scalar(select(CatalogueItem).where(CatalogueItem.code == ELEVATOR_ITEM_CODE,
                                                         CatalogueItem.retired_at.is_(None)))
    return Decimal(item.unit_cost) if item is not None else None


def coefficient_for(floor_number: int, rules: dict[int, Decimal]) -> Decimal | None:
    """The reference coefficient of a floor: its rule; above the last rule, the last one plus 0.5 a floor; a floor
    between rules takes the nearest lower rule's, and one below every rule (a basement) 0. None without rules."""
    if not rules:
        return None
    if floor_number in rules:
        return rules[floor_number]
    top = max(rules)
    if floor_number > top:
        return rules[top] + ABOVE_LAST_RULE_STEP * (floor_number - top)
    below = [number for number in rules if number < floor_number]
    return rules[max(below)] if below else Decimal(0)


def floor_coefficients(locality, year: int) -> tuple[dict[int, Decimal], str | None]:
    """{floor: coefficient} of the ``elevator_cost_share`` rules in force in ``year``, and their source."""
    rules = rules_for_year(locality, "elevator_cost_share", year) if locality is not None else {}
    coefficients = {int(key): Decimal(rule.number_value) for key, rule in rules.items()
                    if key.isdigit() and rule.number_value is not None}
    sources = sorted({rule.source for rule in rules.values()})
    # One rule a floor, each source naming its floor (…参考系数：3层1): show what they have in common.
    common = os.path.commonprefix(sources).rstrip("：:，, ") if len(sources) > 1 else None
    return coefficients, common or (sources[0] if sources else None)


def allocate(amount: Decimal, weights: list[Decimal], order: list) -> tuple[list[Fraction], list[Decimal]]:
    """Split ``amount`` by ``weights``: the exact shares, and shares in whole yuan (in fen when ``amount`` has fen)
    that add up to ``amount`` exactly, by the largest remainder; ``order`` ranks ties (smaller first)."""
    quantum = Decimal(1) if amount == amount.to_integral_value() else Decimal("0.01")
    total = sum((Fraction(weight) for weight in weights), Fraction(0))
    exact = [Fraction(amount) * Fraction(weight) / total for weight in weights]
    units = [floor(share / Fraction(quantum)) for share in exact]
    left = int(Fraction(amount) / Fraction(quantum)) - sum(units)
    ranked = sorted(range(len(weights)), key=lambda i: (-(exact[i] / Fraction(quantum) - units[i]), order[i]))
    for i in ranked[:left]:
        units[i] += 1
    return exact, [quantum * units_of for units_of in units]


@dataclass(frozen=True)
class YearTerms:
    """What every 单元 of one locality shares in one year, read once for a page or the plan inputs of many 单元."""
    catalogue_cost: Decimal | None
    subsidy_rule: LocalityRule | None
    coefficients: dict[int, Decimal]
    coefficient_source: str | None


def year_terms(locality, year: int) -> YearTerms:
    rule = rule_for(locality, "elevator_subsidy", "per_elevator", year) if locality is not None else None
    return YearTerms(catalogue_cost(), rule, *floor_coefficients(locality, year))


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def unit_estimate(unit: Unit, year: int, *, request=LOOK_UP, terms: YearTerms | None = None) -> dict:
    """The elevator estimate of ``unit`` for ``year``, as plain data (see the module's docstring for the method).

    ``problem`` names why no shares can be given: "no_cost" (no estimate and no catalogue item), "no_coefficients"
    (the locality has no floor rules for the year) or "nobody_pays" (every household's coefficient is 0).
    ``request``: the 单元's active request, or None when it has none (by default it is looked up); ``terms``: the
    year's shared terms when the caller estimates many 单元 (by default they are read)."""
    request = active_request(unit) if request is LOOK_UP else request
    terms = terms if terms is not None else year_terms(unit.building.community.district.locality, year)
    if request is not None and request.cost_estimate is not None:
        cost, cost_source = Decimal(request.cost_estimate), "estimate"
    else:
        cost = terms.catalogue_cost
        cost_source = "catalogue" if cost is not None else None
    rule = terms.subsidy_rule
    subsidy = Decimal(rule.number_value) if rule is not None and rule.number_value is not None else None
    owners_part = max(_money(cost - subsidy), Decimal("0.00")) if cost is not None and subsidy is not None else None
    amount = owners_part if subsidy is not None else (_money(cost) if cost is not None else None)
    coefficients, coefficient_source = terms.coefficients, terms.coefficient_source
    households = sorted(unit.households, key=lambda household: (household.floor, household.sort_key))
    rows = [{"household": household, "floor": household.floor, "room": household.room,
             "coefficient": coefficient_for(household.floor, coefficients), "exact": None, "share": None}
            for household in households]
    problem = None
    if amount is None:
        problem = "no_cost"
    elif not coefficients:
        problem = "no_coefficients"
    elif not any(row["coefficient"] for row in rows):
        problem = "nobody_pays"
    else:
        # Ties of the dropped fraction go to the higher floor, then to the roster order.
        order = [(-row["floor"], index) for index, row in enumerate(rows)]
        exact, shares = allocate(amount, [row["coefficient"] for row in rows], order)
        for row, exact_share, share in zip(rows, exact, shares):
            row["exact"] = Decimal(exact_share.numerator) / Decimal(exact_share.denominator)
            row["share"] = share
    return {
        "unit_id": unit.id, "year": year, "cost": cost, "cost_source": cost_source,
        "subsidy": subsidy, "subsidy_configured": rule is not None, "subsidy_text": describe(rule),
        "subsidy_source": rule.source if rule is not None else None,
        "subsidy_years": rule.years_label if rule is not None else None,
        "owners_part": owners_part, "amount_shared": amount, "shares_of_full_cost": subsidy is None,
        "coefficients_configured": bool(coefficients), "coefficient_source": coefficient_source,
        "households": rows, "floors": _by_floor(rows), "problem": problem,
    }


def _by_floor(rows: list[dict]) -> list[dict]:
    """The table by floor: coefficient, households, the share per household (lowest and highest, which differ by at
    most one yuan where the rounding left one over) and the floor's total."""
    floors: dict[int, dict] = {}
    for row in rows:
        entry = floors.setdefault(row["floor"], {"floor": row["floor"], "coefficient": row["coefficient"],
                                                 "households": 0, "shares": [], "total": None})
        entry["households"] += 1
        if row["share"] is not None:
            entry["shares"].append(row["share"])
    for entry in floors.values():
        if entry["shares"]:
            entry["lowest"], entry["highest"] = min(entry["shares"]), max(entry["shares"])
            entry["total"] = sum(entry["shares"], Decimal(0))
    return [floors[number] for number in sorted(floors, reverse=True)]


def share_of(estimate: dict, household: Household) -> dict | None:
    return next((row for row in estimate["households"] if row["household"].id == household.id), None)


def share_for_vote(vote: Vote, household: Household) -> dict | None:
    """For the vote page (templates/elevators/_my_share.html): when ``vote`` is a 单元's elevator consent vote,
    {"estimate", "my_share", "household"} — the household's estimated share shown before it votes; else None."""
    request = elevator_request_of(vote)
    if request is None or household is None or household.unit_id != request.unit_id:
        return None
    estimate = unit_estimate(request.unit, plan_year(request.unit.building.community), request=request)
    return {"estimate": estimate, "my_share": share_of(estimate, household), "household": household}
