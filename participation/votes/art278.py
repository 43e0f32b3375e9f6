"""民法典第二百七十八条: the nine matters, their class, and the exact decision rule. Pure functions, no database.

Everything is integer arithmetic: areas become whole hundredths of a square metre (converted from ``Decimal``
exactly; anything finer is refused), and every comparison is cross-multiplied, as DESIGN §4 writes it::

    quorum   3*area_part >= 2*area_total  and 3*n_part >= 2*n_total      (以上 = ≥)
    special  4*area_yes  >= 3*area_part   and 4*n_yes  >= 3*n_part       (items 6–8)
    ordinary 2*area_yes  >  area_part     and 2*n_yes  >  n_part         (过半数 = strictly more)

A locality may require more for a kind of vote (elevators: 90 % or all owners, 双⅔ 同意 of all owners). Such a
rule is data — a ``VoteRule`` with a fraction, the base it is a fraction of ("participating" or "all" owners),
whether it is strict, and its source — and applies on top of the Art. 278 quorum, never instead of it.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _, lazy_gettext as _l

ARTICLE = "民法典第二百七十八条"
SPECIAL_MATTERS = (6, 7, 8)
# Item number → (the article's words, class).
MATTERS = {
    1: (_l("Making and amending the owners' assembly rules (制定和修改业主大会议事规则)"), "ordinary"),
    2: (_l("Making and amending the management rules (制定和修改管理规约)"), "ordinary"),
    3: (_l("Electing or replacing the owners' committee (选举业主委员会或者更换业主委员会成员)"), "ordinary"),
    4: (_l("Hiring or dismissing the property manager (选聘和解聘物业服务企业或者其他管理人)"), "ordinary"),
    5: (_l("Using the maintenance fund (使用建筑物及其附属设施的维修资金)"), "ordinary"),
    6: (_l("Raising the maintenance fund (筹集建筑物及其附属设施的维修资金)"), "special"),
    7: (_l("Rebuilding or altering buildings and their facilities, elevators included (改建、重建建筑物及其附属设施)"),
        "special"),
    8: (_l("Changing the use of common parts or running a business with them (改变共有部分的用途或者利用共有部分从事经营活动)"),
        "special"),
    9: (_l("Other major matters of common interest (有关共有和共同管理权利的其他重大事项)"), "ordinary"),
}
CLASSES = ("ordinary", "special")
BASES = ("participating", "all")
MEASURES = ("area", "headcount")


def matter_class(matter: int) -> str:
    """"special" for items 6–8 (双四分之三), "ordinary" for the others (双过半); ValueError outside 1–9."""
    if matter not in MATTERS:
        raise ValueError(f"Art. 278 has items 1 to 9, not {matter!r}")
    return MATTERS[matter][1]


def matter_name(matter: int) -> str:
    return str(MATTERS[matter][0])


@dataclass(frozen=True)
class VoteRule:
    """Yes must reach ``numerator/denominator`` of the ``base`` owners, by each of ``measures``.

    ``strict``: more than the fraction (过半数) rather than at least it (以上). ``source`` names where the rule
    comes from; pages show it next to the result.
    """

    numerator: int
    denominator: int
    base: str = "participating"
    strict: bool = False
    measures: tuple[str, ...] = MEASURES
    source: str = ARTICLE

    def __post_init__(self):
        if not (0 < self.numerator <= self.denominator):
            raise ValueError("a vote rule's fraction lies in (0, 1]")
        if self.base not in BASES or not self.measures or set(self.measures) - set(MEASURES):
            raise ValueError("unknown base or measure")
        if not self.source.strip():
            raise ValueError("a vote rule needs its source")

    @property
    def text(self) -> str:
        """The rule as stored on a vote: "9/10 all", "1/2 participating strict", "9/10 all headcount"."""
        words = [f"{self.numerator}/{self.denominator}", self.base]
        if self.strict:
            words.append("strict")
        if tuple(self.measures) != MEASURES:
            words.extend(self.measures)
        return " ".join(words)

    @classmethod
    def parse(cls, text: str, source: str) -> "VoteRule":
        """The inverse of ``text``; ValueError on anything else."""
        words = text.split()
        if len(words) < 2 or words[1] not in BASES:
            raise ValueError(f"not a vote rule: {text!r}")
        numerator, _slash, denominator = words[0].partition("/")
        if not (numerator.isdigit() and denominator.isdigit()):
            raise ValueError(f"not a vote rule: {text!r}")
        rest = words[2:]
        strict = "strict" in rest
        measures = tuple(word for word in rest if word != "strict") or MEASURES
        return cls(int(numerator), int(denominator), words[1], strict, measures, source)


ORDINARY = VoteRule(1, 2, "participating", strict=True, source=f"{ARTICLE}第二款（双过半）")
SPECIAL = VoteRule(3, 4, "participating", strict=False, source=f"{ARTICLE}第二款（双四分之三）")
QUORUM = VoteRule(2, 3, "all", strict=False, source=f"{ARTICLE}第二款（双三分之二参与）")
DEFAULT_RULES = {"ordinary": ORDINARY, "special": SPECIAL}


def hundredths(area) -> int:
    """m² (Decimal, int or a decimal string) → whole hundredths, exactly; finer than 0.01 m² is refused."""
    value = Decimal(area) if not isinstance(area, Decimal) else area
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"area {area} m² is finer than 0.01 m²")
    return int(scaled)


def m2(hundredths_value: int) -> Decimal:
    """Whole hundredths → Decimal m² with two places."""
    return (Decimal(hundredths_value) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Shortfall:
    """One threshold missed: which (``code``), by which measure, the value reached, its base and the least value
    that would have met it (areas in hundredths of m², headcounts in owners)."""

    code: str          # "quorum" or "yes"
    measure: str       # "area" or "headcount"
    reached: int
    base: int
    needed: int
    rule: VoteRule

    def words(self) -> str:
        share = _share_words(self.rule)
        if self.measure == "area":
            values = {"reached": _area(self.reached), "base": _area(self.base), "needed": _area(self.needed),
                      "share": share}
            if self.code == "quorum":
                return _("Participation by area is below %(share)s: %(reached)s of %(base)s m² took part, "
                         "%(needed)s needed", **values)
            if self.rule.base == "all":
                return _("Yes by area is below %(share)s of all owners' area: %(reached)s of %(base)s m² voted "
                         "yes, %(needed)s needed", **values)
            if self.rule.strict:
                return _("Yes by area is not more than %(share)s of the participating area: %(reached)s of "
                         "%(base)s m² voted yes, %(needed)s needed", **values)
            return _("Yes by area is below %(share)s of the participating area: %(reached)s of %(base)s m² "
                     "voted yes, %(needed)s needed", **values)
        values = {"reached": self.reached, "base": self.base, "needed": self.needed, "share": share}
        if self.code == "quorum":
            return _("Participation by headcount is below %(share)s: %(reached)s of %(base)s owners took part, "
                     "%(needed)s needed", **values)
        if self.rule.base == "all":
            return _("Yes by headcount is below %(share)s of all owners: %(reached)s of %(base)s owners voted "
                     "yes, %(needed)s needed", **values)
        if self.rule.strict:
            return _("Yes by headcount is not more than %(share)s of the participating owners: %(reached)s of "
                     "%(base)s owners voted yes, %(needed)s needed", **values)
        return _("Yes by headcount is below %(share)s of the participating owners: %(reached)s of %(base)s "
                 "owners voted yes, %(needed)s needed", **values)


@dataclass(frozen=True)
class Decision:
    """The outcome of ``decide``; ``shortfalls`` lists every threshold missed (quorum first), ``reasons`` says
    them in words. An empty electorate never passes (``no_owners``)."""

    quorum_met: bool
    passed: bool
    rule: VoteRule
    shortfalls: tuple[Shortfall, ...] = field(default_factory=tuple)
    no_owners: bool = False

    @property
    def failed(self) -> list[str]:
        """Codes of the missed thresholds: "quorum_area", "quorum_headcount", "yes_area", "yes_headcount"."""
        return [f"{s.code}_{s.measure}" for s in self.shortfalls] + (["no_owners"] if self.no_owners else [])

    @property
    def reasons(self) -> list[str]:
        words = [shortfall.words() for shortfall in self.shortfalls]
        if self.no_owners:
            words.append(_("No owners are in the vote's scope."))
        return words


def decide(area_total, area_part, area_yes, n_total: int, n_part: int, n_yes: int,
           rule: str | VoteRule = "ordinary") -> Decision:
    """Apply Art. 278 to the counts. Areas in m² (``Decimal``), headcounts as owners (one per owner, however many
    units); abstaining owners are participating. ``rule``: "ordinary", "special" or a locality's ``VoteRule``.
    ValueError when the counts are impossible (yes > participating > total, negatives)."""
    chosen = DEFAULT_RULES[rule] if isinstance(rule, str) else rule
    a_total, a_part, a_yes = hundredths(area_total), hundredths(area_part), hundredths(area_yes)
    for total, part, yes in ((a_total, a_part, a_yes), (n_total, n_part, n_yes)):
        if not (0 <= yes <= part <= total):
            raise ValueError("counts must satisfy 0 ≤ yes ≤ participating ≤ total")
    counts = {"area": (a_total, a_part, a_yes), "headcount": (n_total, n_part, n_yes)}
    shortfalls = []
    for measure in MEASURES:
        total, part, _yes = counts[measure]
        if not _meets(part, total, QUORUM):
            shortfalls.append(Shortfall("quorum", measure, part, total, _needed(total, QUORUM), QUORUM))
    quorum_met = not shortfalls
    for measure in chosen.measures:
        total, part, yes = counts[measure]
        base = part if chosen.base == "participating" else total
        if not _meets(yes, base, chosen):
            shortfalls.append(Shortfall("yes", measure, yes, base, _needed(base, chosen), chosen))
    no_owners = n_total == 0
    return Decision(quorum_met=quorum_met, passed=not shortfalls and not no_owners, rule=chosen,
                    shortfalls=tuple(shortfalls), no_owners=no_owners)


def _meets(value: int, base: int, rule: VoteRule) -> bool:
    """value/base against numerator/denominator, cross-multiplied (DESIGN §4)."""
    if rule.strict:
        return rule.denominator * value > rule.numerator * base
    return rule.denominator * value >= rule.numerator * base


def _needed(base: int, rule: VoteRule) -> int:
    """The least whole value that meets the rule: ⌈n·b/d⌉ for 以上, ⌊n·b/d⌋ + 1 for 过半数."""
    if rule.strict:
        return rule.numerator * base // rule.denominator + 1
    return -(-rule.numerator * base // rule.denominator)


def _share_words(rule: VoteRule) -> str:
    words = {(2, 3): _l("two thirds"), (3, 4): _l("three quarters"), (1, 2): _l("half"), (1, 1): _l("all")}
    fraction = Fraction(rule.numerator, rule.denominator)
    known = words.get((fraction.numerator, fraction.denominator))
    if known is not None:
        return str(known)
    if 100 % fraction.denominator == 0:
        return f"{fraction.numerator * (100 // fraction.denominator)}%"
    return f"{fraction.numerator}/{fraction.denominator}"


def _area(value: int) -> str:
    return f"{m2(value):,}"
