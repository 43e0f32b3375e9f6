"""Which plan items (catalogue items) an owner vote decides, and the outcome the plan inputs show for them.

Votes and items are linked by the ``vote_items`` table (participation.models.votes): a vote may decide several
items (a package of 改建 works), and an item may be voted on again after a failed vote — the latest final vote
(by when it became final) is the item's outcome. Flush, never commit; audited.

    link_items(actor, vote, items) -> list[str]          # the codes now linked (replaces the vote's list)
    item_outcomes(community) -> dict[str, dict]          # {item code: outcome of its latest final vote}
"""
from decimal import Decimal

from sqlalchemy import select

from participation.audit import record
from participation.extensions import db
from participation.models import CatalogueItem, Community, User, Vote, vote_items
from participation.votes import operations as votes


def link_items(actor: User | None, vote: Vote, items) -> list[str]:
    before = sorted(item.code for item in vote.items)
    vote.items = list({item.id: item for item in items}.values())
    db.session.flush()
    after = sorted(item.code for item in vote.items)
    record(actor, "vote.items", vote, community=vote.community_id, changes={"items": [before, after]})
    return after


def outcome(vote: Vote) -> dict:
    """A final vote as the plan shows it: passed or not, the reasons in words, the figures, the rule."""
    result = votes.tally(vote)
    return {"vote_id": vote.id, "title": vote.title, "matter": vote.matter, "class": vote.matter_class,
            "status": vote.status, "passed": bool(vote.result_passed), "reasons": result["reasons"],
            "finalised_at": vote.finalised_at, "rule": result["rule"]["text"], "rule_source": result["rule"]["source"],
            "area_total": Decimal(result["area_total"]), "area_participating": Decimal(result["area_participating"]),
            "area_yes": Decimal(result["area_yes"]), "headcount_total": result["headcount_total"],
            "headcount_participating": result["headcount_participating"], "headcount_yes": result["headcount_yes"]}


def item_outcomes(community: Community) -> dict[str, dict]:
    rows = db.session.execute(
        select(CatalogueItem.code, Vote).join(vote_items, vote_items.c.item_id == CatalogueItem.id)
        .join(Vote, Vote.id == vote_items.c.vote_id)
        .where(Vote.community_id == community.id, Vote.status == "final")
        .order_by(Vote.finalised_at, Vote.id)).all()
    latest = {}
    for code, vote in rows:
        latest[code] = vote          # ordered by finalisation: the last one wins
    return {code: outcome(vote) for code, vote in latest.items()}
