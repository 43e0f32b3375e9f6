"""What an owner vote's pages say (staff and resident pages alike): the words for its codes, its matter, the
thresholds of its rule against what was reached, and its scope. Plain strings and dicts; no request, no query but
the vote's own rule (``rule_of``)."""
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from participation.formatting import number
from participation.models import Vote
from participation.votes import art278
from participation.votes.forms import (BALLOT_CHANNEL_LABELS, CHOICE_LABELS, MATTER_CLASS_LABELS, VOTE_SCOPE_LABELS,
                                       VOTE_STATUS_LABELS)
from participation.votes.operations import rule_of

LABELS = {"status": VOTE_STATUS_LABELS, "scope": VOTE_SCOPE_LABELS, "class": MATTER_CLASS_LABELS,
          "choice": CHOICE_LABELS, "channel": BALLOT_CHANNEL_LABELS}
THRESHOLD_LABELS = {
    "quorum_area": _l("Participation by area"), "quorum_headcount": _l("Participation by headcount"),
    "yes_area": _l("Yes by area"), "yes_headcount": _l("Yes by headcount"),
}


def matter_label(matter: int) -> str:
    return f"{matter}. {art278.matter_name(matter)}"


def matter_choices() -> list[SelectChoice]:
    return [SelectChoice(number, f"{matter_label(number)} — {MATTER_CLASS_LABELS[cls]}")
            for number, (_words, cls) in art278.MATTERS.items()]


# --- figures --------------------------------------------------------------------------------------------------------

def _percent(value: Fraction) -> str:
    return f"{(Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal('0.01'))}%"


def _requirement(rule: art278.VoteRule) -> str:
    sign = ">" if rule.strict else "≥"
    return f"{sign} {rule.numerator}/{rule.denominator} ({_percent(Fraction(rule.numerator, rule.denominator))})"


def thresholds(vote: Vote, counts: dict) -> list[dict]:
    """Each threshold of the vote's rule against its requirement, met or not as ``tally`` decided it (its
    "failed" codes): the value reached, its base, the share as a fraction and a percentage."""
    rule = rule_of(vote)
    failed = set(counts.get("failed") or ())
    values = {"area": (Decimal(counts["area_total"]), Decimal(counts["area_participating"]),
                       Decimal(counts["area_yes"])),
              "headcount": (counts["headcount_total"], counts["headcount_participating"], counts["headcount_yes"])}
    rows = []
    for code, measures, chosen in (("quorum", art278.MEASURES, art278.QUORUM), ("yes", rule.measures, rule)):
        for measure in measures:
            total, part, yes = values[measure]
            reached, base = (part, total) if code == "quorum" else (yes, part if chosen.base == "participating"
                                                                     else total)
            unit = "m²" if measure == "area" else _("owners")
            text = number if measure == "area" else (lambda v: f"{v}")
            share = None
            if base:
                share = Fraction(int(Decimal(reached) * 100), int(Decimal(base) * 100))
            rows.append({
                "code": f"{code}_{measure}", "label": THRESHOLD_LABELS[f"{code}_{measure}"],
                "reached": f"{text(reached)} / {text(base)} {unit}",
                "share": f"{share.numerator}/{share.denominator} ({_percent(share)})" if share is not None else "—",
                "requirement": _requirement(chosen), "met": f"{code}_{measure}" not in failed,
            })
    return rows


def rule_words(vote: Vote) -> dict:
    rule = rule_of(vote)
    return {"text": rule.text, "source": rule.source, "yes": _requirement(rule),
            "base": _("of the participating owners") if rule.base == "participating" else _("of all owners"),
            "quorum": _requirement(art278.QUORUM), "quorum_source": art278.QUORUM.source,
            "locality": vote.rule_text is not None}


def scope_words(vote: Vote) -> str:
    """The vote's scope as the notice prints it: the community, its buildings, or one 单元."""
    if vote.scope == "buildings":
        return "、".join(building.label for building in vote.buildings)
    if vote.scope == "unit":
        return f"{vote.unit.building.label}{vote.unit.label}"
    return str(VOTE_SCOPE_LABELS["community"])
