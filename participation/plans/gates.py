"""The gates on the plan's own actions (DESIGN §2), each a function that names in words what is missing (an empty
list: the gate is open); the operations hand the list to ``participation.lifecycle.overrides.passes``, which refuses
or lets an administrator through with a written reason.

    adopt_comment_period   the version adopted had its own comment period, closed, every objection answered
    adopt_owner_votes      every included item with an Art. 278 matter has a passed final vote (or is left out)
    maintenance_fund_vote  money from 维修资金 needs a passed vote on using it (matter 5) in the community
    works_joint_review     works start only after the joint review of the adopted version is complete

An item's owner vote is also a status the plan's surfaces show (无需表决 / 待表决 / 表决中 / 已通过 / 未通过): the
latest final vote linked to it decides (participation.plans.vote_items); before one is final, an open or preliminary
vote is "running", a draft or none is "pending". A failed final vote excludes the item: ``effective_items`` and
``effective_total`` read a draft or adopted version with those items out and their cost 0, saying why — no new
version is made behind the organisers' backs; ``edit_version`` then leaves them out with that reason.
"""
from collections import Counter
from decimal import Decimal

from flask_babel import format_date, gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import and_, func, or_, select

from participation.extensions import db
from participation.formatting import beijing_today
from participation.labels import label
from participation.models import (CatalogueItem, Community, JointReview, PlanComment, PlanCommentPeriod, PlanVersion,
                                  Vote, vote_items)
from participation.plans.vote_items import item_outcomes

VOTE_STATUSES = ("not_needed", "pending", "running", "passed", "failed")
VOTE_STATUS_LABELS = {"not_needed": _l("No vote needed"), "pending": _l("Vote to come"), "running": _l("Voting"),
                      "passed": _l("Vote passed"), "failed": _l("Vote failed")}
GATE_LABELS = {"adopt_comment_period": _l("Adopting a version: its comment period"),
               "adopt_owner_votes": _l("Adopting a version: owner votes on its items"),
               "maintenance_fund_vote": _l("Money from the maintenance fund: the owners' vote"),
               "works_joint_review": _l("Starting works: the joint review"),
               "rating_finished_items": _l("A rating round: finished works only"),
               "aftercare_vote": _l("After-care: the owners' vote")}
WAITING = ("draft", "open", "preliminary")     # a vote not final yet (running when open or preliminary)
FUND_MATTER = 5                                # 民法典 Art. 278 (五) 使用建筑物及其附属设施的维修资金
RAISE_FUND_MATTER = 6                          # 民法典 Art. 278 (六) 筹集建筑物及其附属设施的维修资金
ZERO = Decimal("0.00")


def gate_label(gate: str) -> str:
    """A gate's name in words; a stage gate names the stage it moves to."""
    if gate.startswith("stage:"):
        return _("Moving to the stage “%(stage)s”", stage=label("status", gate.partition(":")[2]))
    return str(GATE_LABELS.get(gate, gate))


# --- owner votes per item ------------------------------------------------------------------------------------------

def vote_states(community: Community, finals: dict[str, dict] | None = None) -> dict[str, dict]:
    """{item code: {"status", "title", "reasons", "vote_id"}} for every catalogue item a vote of the community is
    linked to; items without any vote are not in it (``status_of`` says pending or not needed). ``finals``: the
    community's ``item_outcomes`` when the caller has them already."""
    finals = item_outcomes(community) if finals is None else finals
    waiting: dict[str, Vote] = {}
    for code, vote in db.session.execute(
            select(CatalogueItem.code, Vote).join(vote_items, vote_items.c.item_id == CatalogueItem.id)
            .join(Vote, Vote.id == vote_items.c.vote_id)
            .where(Vote.community_id == community.id, Vote.status.in_(WAITING)).order_by(Vote.id)).all():
        waiting[code] = vote                         # the newest waiting vote
    states = {}
    for code in set(finals) | set(waiting):
        final, later = finals.get(code), waiting.get(code)
        if final is not None:
            status = "passed" if final["passed"] else "failed"
            states[code] = {"status": status, "title": final["title"], "reasons": list(final["reasons"]),
                            "vote_id": final["vote_id"]}
        else:
            states[code] = {"status": "running" if later.status in ("open", "preliminary") else "pending",
                            "title": later.title, "reasons": [], "vote_id": later.id}
    return states


def status_of(states: dict[str, dict], code: str, owner_matter: int | None) -> str:
    state = states.get(code)
    if state is not None:
        return state["status"]
    return "pending" if owner_matter else "not_needed"


def failed_reason(state: dict) -> str:
    """Why an item is out: 业主表决未通过：“title”（the missed thresholds）."""
    why = "; ".join(str(reason) for reason in state.get("reasons") or [])
    if why:
        return _("The owners' vote did not pass: “%(title)s” (%(why)s).", title=state["title"], why=why)
    return _("The owners' vote did not pass: “%(title)s”.", title=state["title"])


def effective_items(version: PlanVersion, states: dict[str, dict] | None = None) -> list[dict]:
    """The version's items as the plan stands: in a draft or adopted version an included item whose latest final
    owner vote failed is out (``excluded_by_vote``, cost 0, ``vote_reason`` says why); a superseded version reads
    as it was."""
    states = vote_states(version.plan.community) if states is None else states
    applies = version.status != "superseded"
    rows = []
    for item in version.items:
        code = item.item.code
        status = status_of(states, code, item.item.owner_matter)
        by_vote = applies and item.included and status == "failed"
        included = item.included and not by_vote
        rows.append({"item": item, "code": code, "name": item.item.name, "included": included,
                     "excluded_by_vote": by_vote, "cost": item.cost if included else ZERO, "planned_cost": item.cost,
                     "vote_status": status, "vote_status_label": VOTE_STATUS_LABELS[status],
                     "vote_reason": failed_reason(states[code]) if status == "failed" else None})
    return rows


def effective_total(version: PlanVersion, states: dict[str, dict] | None = None) -> Decimal:
    """The cost of the items in the plan: ``total_cost`` less the items a failed vote excluded."""
    return sum((row["cost"] for row in effective_items(version, states) if row["included"]), ZERO)


def version_view(version: PlanVersion) -> dict:
    """What a page shows of a version: its effective items, total and how much the failed votes took out."""
    rows = effective_items(version)
    total = sum((row["cost"] for row in rows if row["included"]), ZERO)
    return {"rows": rows, "total": total, "excluded_by_vote": [row for row in rows if row["excluded_by_vote"]],
            "removed": sum((row["planned_cost"] for row in rows if row["excluded_by_vote"]), ZERO)}


# --- adopting a version --------------------------------------------------------------------------------------------

def unanswered_objection():
    """THE rule of an unanswered objection, as a SQL condition on ``PlanComment``: stance "object" and no answer.
    Hidden ones count too: hiding takes rude words off the residents' pages, it does not silence the objection
    (participation.plans.comments), and an organiser cannot get past the adoption gate by hiding one. The hub, the
    工作台, the comments list's ``?unanswered=1`` and this gate all read it, so the figure reads the same everywhere."""
    return and_(PlanComment.stance == "object", or_(PlanComment.answer.is_(None), PlanComment.answer == ""))


def unanswered_objections(version: PlanVersion) -> list[PlanComment]:
    """The unanswered objections to ``version``, oldest first."""
    return list(db.session.scalars(select(PlanComment).where(PlanComment.version_id == version.id,
                                                             unanswered_objection())
                                   .order_by(PlanComment.created_at, PlanComment.id)))


def unanswered_objection_counts(version_ids) -> dict[int, int]:
    """{version id: its unanswered objections} for the versions ``version_ids`` lists (or selects); versions
    without any are left out. One statement for every version (the 工作台's communities at once)."""
    return dict(db.session.execute(
        select(PlanComment.version_id, func.count()).where(PlanComment.version_id.in_(version_ids),
                                                           unanswered_objection())
        .group_by(PlanComment.version_id)).all())


def comment_period_missing(version: PlanVersion) -> list[str]:
    """The version adopted was itself shown for comment, the period has closed, and every objection has its answer
    (``unanswered_objections``: hidden ones too)."""
    period = db.session.scalar(select(PlanCommentPeriod).where(PlanCommentPeriod.version_id == version.id))
    if period is None:
        return [_("Version %(number)d has not been shown to residents for comment (方案公示): publish it for comment "
                  "first.", number=version.number)]
    missing = []
    if period.state(beijing_today()) != "closed":
        missing.append(_("The comment period of version %(number)d is still open until %(day)s: wait until it "
                         "closes, or close it.", number=version.number, day=format_date(period.closes_on, "medium")))
    open_objections = unanswered_objections(version)
    if open_objections:
        per_item = Counter(comment.plan_item.item.name if comment.plan_item is not None else _("the plan as a whole")
                           for comment in open_objections)
        where = "; ".join(_("%(item)s: %(count)d", item=name, count=count) for name, count in per_item.items())
        missing.append(ngettext("%(num)d objection has no answer yet (%(items)s): answer it first.",
                                "%(num)d objections have no answer yet (%(items)s): answer them first.",
                                len(open_objections), items=where))
    return missing


def owner_votes_missing(version: PlanVersion, states: dict[str, dict] | None = None) -> list[str]:
    """Every included item whose catalogue item has an Art. 278 matter has a passed final vote; an included item
    whose vote failed must be left out."""
    states = vote_states(version.plan.community) if states is None else states
    missing = []
    for item in version.items:
        if not item.included:
            continue
        matter, code = item.item.owner_matter, item.item.code
        status = status_of(states, code, matter)
        if status in ("passed", "not_needed"):
            continue
        title = states.get(code, {}).get("title")
        if status == "pending" and title is None:
            missing.append(_("%(item)s (民法典 Art. 278, item %(matter)d): no owner vote on it yet.",
                             item=item.item.name, matter=matter))
        elif status == "pending":
            missing.append(_("%(item)s: its owner vote “%(title)s” has not opened yet.", item=item.item.name,
                             title=title))
        elif status == "running":
            missing.append(_("%(item)s: its owner vote “%(title)s” is still running.", item=item.item.name,
                             title=title))
        else:
            missing.append(_("%(item)s: its owner vote “%(title)s” did not pass: leave the item out in a new "
                             "version.", item=item.item.name, title=title))
    return missing


# --- money from the maintenance fund -------------------------------------------------------------------------------

def _matter_votes(community: Community, matter: int) -> tuple[bool, Vote | None]:
    """Whether a final vote on ``matter`` passed in the community, and else the one still running."""
    votes = list(db.session.scalars(select(Vote).where(Vote.community_id == community.id,
                                                       Vote.matter == matter).order_by(Vote.id)))
    if any(vote.status == "final" and vote.result_passed for vote in votes):
        return True, None
    return False, next((vote for vote in reversed(votes) if vote.status in ("open", "preliminary")), None)


def maintenance_fund_missing(community: Community) -> list[str]:
    """A passed final vote on using the maintenance fund (matter 5) in the community."""
    passed, running = _matter_votes(community, FUND_MATTER)
    if passed:
        return []
    if running is not None:
        return [_("Money from the maintenance fund (维修资金) needs the owners' vote on using it (民法典 Art. 278, "
                  "item 5): the vote “%(title)s” is still running.", title=running.title)]
    return [_("Money from the maintenance fund (维修资金) needs the owners' vote on using it (民法典 Art. 278, "
              "item 5): no such vote has passed in this community.")]


def fund_raising_missing(community: Community) -> list[str]:
    """A passed final vote on raising the maintenance fund (matter 6, a special-class decision)."""
    passed, running = _matter_votes(community, RAISE_FUND_MATTER)
    if passed:
        return []
    if running is not None:
        return [_("Raising the maintenance fund (筹集维修资金) needs the owners' vote on it (民法典 Art. 278, item 6): "
                  "the vote “%(title)s” is still running.", title=running.title)]
    return [_("Raising the maintenance fund (筹集维修资金) needs the owners' vote on it (民法典 Art. 278, item 6): no "
              "such vote has passed in this community.")]


# --- works ---------------------------------------------------------------------------------------------------------

def joint_review_missing(version: PlanVersion) -> list[str]:
    """The joint review (联合审查) of the adopted version is complete."""
    review = db.session.scalar(select(JointReview).where(JointReview.version_id == version.id))
    if review is None:
        return [_("The joint review (联合审查) of version %(number)d has not started: the departments and pipeline "
                  "companies sign off the plan before works start.", number=version.number)]
    if review.closed_at is None:
        return [_("The joint review (联合审查) of version %(number)d is not complete yet.", number=version.number)]
    return []
