"""What an owner vote's pages say (staff and resident pages alike): the words for its codes, its matter, the
thresholds of its rule against what was reached, and its scope. Plain strings and dicts; no request, no query but
the vote's own rule (``rule_of``)."""
from decimal import Decimal
from fractions import Fraction

from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from participation.formatting import MISSING, number
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
# Every vote page (the resident's, the staff result, the notice) prints a figure through these, so it reads the same
# everywhere: areas with separators and their unit, owners counted as people, shares as a percentage with one
# decimal cut (never rounded up: 66.66% is not shown as the 66.7% a two-thirds threshold asks for).

CHINESE_NUMERALS = "零一二三四五六七八九十"


def fraction_words(numerator: int, denominator: int) -> str:
    """3/4 as the law writes it: 四分之三 in Chinese, "3/4" in English."""
    if str(get_locale()).startswith("zh") and denominator <= 10:
        return f"{CHINESE_NUMERALS[denominator]}分之{CHINESE_NUMERALS[numerator]}"
    return f"{numerator}/{denominator}"


def area_words(value) -> str:
    """18154.37 → "18,154.37 m²" (平方米 in Chinese)."""
    return _("%(area)s m²", area=number(Decimal(value)))


def owners_words(count) -> str:
    """204 → "204 owners" (204 人: the headcount of Art. 278 counts owners, not households)."""
    return _("%(count)s owners", count=f"{int(count):,}")


def share_words(share: Fraction | None) -> str:
    """A share as a percentage cut to one decimal: 18154/35649 → "50.9%"; "—" without a base."""
    if share is None:
        return MISSING
    tenths = (share * 1000).numerator // (share * 1000).denominator
    return f"{tenths // 10}.{tenths % 10}%"


def _percent(value: Fraction) -> str:
    """A threshold's percentage: exact when it has one decimal or none (75%, 50%), else about it (约66.7%)."""
    tenths = value * 1000
    if tenths.denominator == 1:
        text = f"{tenths.numerator // 10}" + (f".{tenths.numerator % 10}" if tenths.numerator % 10 else "")
        return f"{text}%"
    return _("about %(percent)s", percent=f"{Decimal(value.numerator) * 100 / Decimal(value.denominator):.1f}%")


def _requirement(rule: art278.VoteRule) -> str:
    """"at least 3/4 (75%)", "more than 1/2 (50%)": 四分之三以上（75%）, 超过二分之一（50%）."""
    words = fraction_words(rule.numerator, rule.denominator)
    percent = _percent(Fraction(rule.numerator, rule.denominator))
    if rule.strict:
        return _("more than %(fraction)s (%(percent)s)", fraction=words, percent=percent)
    return _("at least %(fraction)s (%(percent)s)", fraction=words, percent=percent)


def thresholds(vote: Vote, counts: dict) -> list[dict]:
    """Each threshold of the vote's rule against its requirement, met or not as ``tally`` decided it (its
    "failed" codes): the value reached of its base ("18,154.37 m² / 35,649.00 m²"), the share ("50.9%")."""
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
            text = area_words if measure == "area" else owners_words
            share = None
            if base:
                share = Fraction(int(Decimal(reached) * 100), int(Decimal(base) * 100))
            rows.append({
                "code": f"{code}_{measure}", "label": THRESHOLD_LABELS[f"{code}_{measure}"],
                "reached": f"{text(reached)} / {text(base)}", "share": share_words(share),
                "requirement": _requirement(chosen), "met": f"{code}_{measure}" not in failed,
            })
    return rows


def rule_words(vote: Vote) -> dict:
    rule = rule_of(vote)
    return {"text": rule.text, "source": rule.source, "yes": _requirement(rule),
            "base": _("of the participating owners") if rule.base == "participating" else _("of all owners"),
            "quorum": _requirement(art278.QUORUM), "quorum_source": art278.QUORUM.source,
            "locality": vote.rule_text is not None}


def stored_rule_words(text: str | None) -> str:
    """An owner vote's rule in words, from the text a vote stores (``art278.VoteRule.text``: "3/4 participating",
    "1/2 participating strict", "9/10 all headcount"): Art. 278's two classes by their Chinese names and the law's
    words, a locality's rule by its fraction, base and measures — never the stored code, which people cannot read.
    Text in no known shape is shown as it is."""
    words = (text or "").split()
    if words == ["3/4", "participating"]:
        return _("Double three-quarters: yes from owners holding at least three quarters of the participating "
                 "exclusive area and at least three quarters of the participating owners")
    if words == ["1/2", "participating", "strict"]:
        return _("Double majority: yes from owners holding more than half of the participating exclusive area and "
                 "more than half of the participating owners")
    if len(words) >= 2 and words[1] in ("participating", "all") and "/" in words[0]:
        strict = "strict" in words[2:]
        measures = [word for word in words[2:] if word != "strict"]
        share = (_("more than %(fraction)s", fraction=words[0]) if strict
                 else _("at least %(fraction)s", fraction=words[0]))
        by = (_("by area") if measures == ["area"] else _("by headcount") if measures == ["headcount"]
              else _("by area and by headcount"))
        if words[1] == "participating":
            return _("Yes from %(share)s of the participating owners, %(by)s", share=share, by=by)
        return _("Yes from %(share)s of all owners, %(by)s", share=share, by=by)
    return text or ""


def scope_words(vote: Vote) -> str:
    """The vote's scope as the notice prints it: the community, its buildings, or one 单元."""
    if vote.scope == "buildings":
        return "、".join(building.label for building in vote.buildings)
    if vote.scope == "unit":
        return f"{vote.unit.building.label}{vote.unit.label}"
    return str(VOTE_SCOPE_LABELS["community"])
