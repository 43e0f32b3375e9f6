"""What joint acceptance (联合验收) reads: the subjects a round can rate, the rounds and records of a community, who is
in a round's scope and its counts, what a reader sees of a round, the rounds a household may rate now, and who signs
a record. Reads only: the changes are in participation.acceptance.operations.
"""
from datetime import datetime
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, Household, Plan, PlanWork, Unit
from participation.models.acceptance import PROJECT, RATINGS, AcceptanceRating, AcceptanceRecord, RatingResponse
from participation.models.types import utcnow
from participation.permissions import can_manage_community, can_view_community

TICKET_DONE = ("completed", "closed")


# --- subjects -----------------------------------------------------------------------------------------------------

def subject_of(item: CatalogueItem | None) -> str:
    return PROJECT if item is None else f"item:{item.id}"


def subject_name(item: CatalogueItem | None) -> str:
    return item.name if item is not None else _("The whole project")


def plan_of(community: Community) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.community_id == community.id))


def works_of(plan: Plan | None) -> list[PlanWork]:
    if plan is None:
        return []
    return list(db.session.scalars(select(PlanWork).join(CatalogueItem, CatalogueItem.id == PlanWork.item_id)
                                   .where(PlanWork.plan_id == plan.id).order_by(CatalogueItem.code)))


def subjects(community: Community) -> list[dict]:
    """What can be rated: every item of the plan's works (finished or not) and the whole project."""
    plan = plan_of(community)
    works = works_of(plan)
    rows = [{"subject": subject_of(work.item), "item": work.item, "finished": work.status == "finished",
             "finished_on": work.finished_on} for work in works]
    rows.append({"subject": PROJECT, "item": None, "finished": bool(works) and all(r["finished"] for r in rows),
                 "finished_on": None})
    return rows


def buildings_of(community: Community) -> list[Building]:
    """The community's buildings in their order, for choosing a round's scope."""
    return list(db.session.scalars(select(Building).where(Building.community_id == community.id)
                                   .order_by(Building.sort_key)))


# --- rounds and records ---------------------------------------------------------------------------------------------

def rounds_of(community: Community) -> list[AcceptanceRating]:
    return list(db.session.scalars(select(AcceptanceRating).where(AcceptanceRating.community_id == community.id)
                                   .order_by(AcceptanceRating.subject, AcceptanceRating.number)))


def last_round(plan: Plan, subject: str) -> AcceptanceRating | None:
    return db.session.scalar(select(AcceptanceRating).where(AcceptanceRating.plan_id == plan.id,
                                                            AcceptanceRating.subject == subject)
                             .order_by(AcceptanceRating.number.desc()).limit(1))


def can_rerate(round_: AcceptanceRating) -> bool:
    return (round_.status == "closed" and round_.result == "failed"
            and (round_.ticket is None or round_.ticket.state in TICKET_DONE)
            and last_round(round_.plan, round_.subject).id == round_.id)


def records_of(community: Community) -> list[AcceptanceRecord]:
    """The community's joint acceptance records, oldest first."""
    return list(db.session.scalars(select(AcceptanceRecord).where(AcceptanceRecord.community_id == community.id)
                                   .order_by(AcceptanceRecord.id)))


# --- who is in scope ----------------------------------------------------------------------------------------------

def households_count(community_id: int, building_ids: list[int] | None) -> int:
    """Households of the community, or of the listed buildings only."""
    query = (select(func.count(Household.id)).join(Unit, Unit.id == Household.unit_id)
             .join(Building, Building.id == Unit.building_id).where(Building.community_id == community_id))
    if building_ids is not None:
        query = query.where(Building.id.in_(building_ids))
    return db.session.scalar(query) or 0


def eligible_count(round_: AcceptanceRating) -> int:
    return households_count(round_.community_id, [b.id for b in round_.buildings]
                            if round_.scope == "buildings" else None)


def in_scope(round_: AcceptanceRating, household: Household) -> bool:
    building = household.unit.building
    if building.community_id != round_.community_id:
        return False
    return round_.scope == "community" or any(b.id == building.id for b in round_.buildings)


def counts(round_: AcceptanceRating) -> dict:
    rows = dict(db.session.execute(select(RatingResponse.rating, func.count()).where(
        RatingResponse.round_id == round_.id).group_by(RatingResponse.rating)).all())
    tally = {rating: rows.get(rating, 0) for rating in RATINGS}
    return {"eligible": eligible_count(round_), "responses": sum(tally.values()), **tally}


def visible_results(round_: AcceptanceRating, user=None) -> dict:
    """What a reader sees of a round: while it is open with hidden tallies, the participation only; otherwise the
    counts by rating and, once closed, the result with the rule applied."""
    if round_.status == "closed":
        numbers = {"eligible": round_.eligible, "responses": round_.responses, "satisfied": round_.satisfied,
                   "basically_satisfied": round_.basically_satisfied, "dissatisfied": round_.dissatisfied}
    else:
        numbers = counts(round_)
    hidden = round_.is_open and round_.hide_tallies
    shown = {"eligible": numbers["eligible"], "responses": numbers["responses"], "hidden": hidden,
             "participation": _share(numbers["responses"], numbers["eligible"])}
    if not hidden:
        content = numbers["satisfied"] + numbers["basically_satisfied"]
        shown.update({rating: numbers[rating] for rating in RATINGS},
                     content_share=_share(content, numbers["responses"]))
    if round_.status == "closed":
        shown.update(result=round_.result, rule_text=round_.rule_text, rule_source=round_.rule_source,
                     rule_year=round_.rule_year)
    return shown


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


# --- residents ----------------------------------------------------------------------------------------------------

def open_rounds_for(household: Household, now: datetime | None = None) -> list[AcceptanceRating]:
    """The open rounds this household may rate now."""
    now = now or utcnow()
    rounds = db.session.scalars(select(AcceptanceRating).where(
        AcceptanceRating.community_id == household.unit.building.community_id, AcceptanceRating.status == "open")
        .order_by(AcceptanceRating.id))
    return [r for r in rounds if r.closes_at > now and in_scope(r, household)]


def response_of(round_: AcceptanceRating, household: Household) -> RatingResponse | None:
    return db.session.scalar(select(RatingResponse).where(RatingResponse.round_id == round_.id,
                                                          RatingResponse.household_id == household.id))


# --- signing the record -------------------------------------------------------------------------------------------

def signing_role(actor, record_: AcceptanceRecord) -> str | None:
    """Which signature this person gives: an organiser who runs the community, an owner representative of it, or a
    user of the agency that supervises it (监理)."""
    community = record_.community
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None
    if actor.role == "organiser" and can_manage_community(actor, community):
        return "organiser"
    if actor.role == "owner_rep" and can_view_community(actor, community):
        return "owner_rep"
    if actor.role == "agency" and actor.organisation_id is not None \
            and actor.organisation_id == community.supervisor_id:
        return "supervisor"
    return None


def blocking_subjects(record_: AcceptanceRecord) -> list[str]:
    """Covered subjects whose last round is missing, open or failed: the record cannot be signed while any is."""
    blocked = []
    for row in record_.subjects:
        last = last_round(record_.plan, row.subject)
        if last is None or last.result != "passed":
            blocked.append(row.subject)
    return blocked
