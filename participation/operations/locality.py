"""Reading locality rules. A year without a rule answers None, which pages show as 未配置 — never 0 or a guess."""
from sqlalchemy import or_, select

from participation.extensions import db
from participation.models import Locality, LocalityRule


def rule_for(locality: Locality, kind: str, key: str, year: int) -> LocalityRule | None:
    """The rule of ``kind``/``key`` in force in ``year``; the most recently started one wins if spans overlap."""
    return db.session.scalar(
        select(LocalityRule)
        .where(LocalityRule.locality_id == locality.id, LocalityRule.kind == kind, LocalityRule.key == key,
               LocalityRule.valid_from <= year, or_(LocalityRule.valid_to.is_(None), LocalityRule.valid_to >= year))
        .order_by(LocalityRule.valid_from.desc(), LocalityRule.id.desc())
        .limit(1))


def rules_for_year(locality: Locality, kind: str, year: int) -> dict[str, LocalityRule]:
    """Every key of ``kind`` in force in ``year``, as {key: rule}."""
    rules = db.session.scalars(
        select(LocalityRule)
        .where(LocalityRule.locality_id == locality.id, LocalityRule.kind == kind, LocalityRule.valid_from <= year,
               or_(LocalityRule.valid_to.is_(None), LocalityRule.valid_to >= year))
        .order_by(LocalityRule.valid_from, LocalityRule.id))
    return {rule.key: rule for rule in rules}
