"""What the joint review pages and other helpers (the to-do list, the community hub) read.

    review_state(version) -> dict      parties, counts, complete, and what is missing in words
    conflicts(community) -> list[dict] two works on one place with overlapping dates
    todo_for(user) -> dict             an agency's counts: awaiting its word, returned by it, its works in conflict

A review is complete when its ``closed_at`` is set (participation.jointreview.operations.close_review).
"""
import re
import unicodedata
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from participation.extensions import db
from participation.models import (AuditEvent, Community, JointReview, JointReviewParty, Locality, Organisation,
                                  PipelineWork, Plan, PlanItem, PlanVersion, PlanWork, ReviewParty, ReviewSignoff,
                                  User)

OPEN_END = date.max   # a plan work started and not finished yet goes on
ANSWER_ACTION = "joint_review.answer"


# --- the plan and its reviews ----------------------------------------------------------------------------------

def adopted_version_of(community: Community) -> PlanVersion | None:
    """The version in force: the community's adopted plan version, if any."""
    return db.session.scalar(select(PlanVersion).join(Plan, Plan.id == PlanVersion.plan_id)
                             .where(Plan.community_id == community.id, PlanVersion.status == "adopted"))


def review_of(version: PlanVersion | None) -> JointReview | None:
    if version is None or version.id is None:
        return None
    return db.session.scalar(select(JointReview).where(JointReview.version_id == version.id))


def earlier_reviews(community: Community) -> list[JointReview]:
    """Reviews of versions no longer in force, newest version first."""
    return list(db.session.scalars(
        select(JointReview).join(PlanVersion, PlanVersion.id == JointReview.version_id)
        .join(Plan, Plan.id == PlanVersion.plan_id)
        .where(Plan.community_id == community.id, PlanVersion.status != "adopted")
        .order_by(PlanVersion.number.desc())))


def review_items(version: PlanVersion) -> list[PlanItem]:
    """The items a review covers: the version's included items, in plan order."""
    return [item for item in version.items if item.included]


def signoffs_by_cell(review: JointReview) -> dict[tuple[int, int], ReviewSignoff]:
    """(organisation id, plan item id) → that party's word on the item."""
    return {(row.organisation_id, row.plan_item_id): row for row in review.signoffs}


def party_of(review: JointReview | None, organisation_id: int | None) -> JointReviewParty | None:
    if review is None or organisation_id is None:
        return None
    return next((party for party in review.parties if party.organisation_id == organisation_id), None)


def answers_of(review: JointReview) -> dict[int, AuditEvent]:
    """The organiser's latest answer to each returned word, by sign-off id (answers are kept in the audit trail)."""
    ids = [str(row.id) for row in review.signoffs]
    if not ids:
        return {}
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == ANSWER_ACTION, AuditEvent.object_type == ReviewSignoff.__tablename__,
        AuditEvent.object_id.in_(ids)).order_by(AuditEvent.created_at, AuditEvent.id))
    return {int(event.object_id): event for event in events}


def cell_state(signoff: ReviewSignoff | None) -> str:
    return "waiting" if signoff is None else signoff.decision


# --- the state of a version's review ---------------------------------------------------------------------------

def _item_names(items) -> str:
    return _(", ").join(item.item.name for item in items)


def _party_rows(review: JointReview, items: list[PlanItem]) -> list[dict]:
    cells = signoffs_by_cell(review)
    rows = []
    for party in review.parties:
        organisation = party.organisation
        states = {item.id: cell_state(cells.get((organisation.id, item.id))) for item in items}
        rows.append({
            "organisation_id": organisation.id, "name": organisation.name, "kind": organisation.kind,
            "speciality": organisation.speciality,
            "approved": [item for item in items if states[item.id] == "approved"],
            "returned": [item for item in items if states[item.id] == "returned"],
            "waiting": [item for item in items if states[item.id] == "waiting"],
        })
    return rows


def missing_words(review: JointReview, community: Community) -> list[str]:
    """What keeps the review from closing, in words: each party's items without its approval, each conflict."""
    version = review.version
    items = review_items(version)
    missing = []
    if not items:
        missing.append(_("Version %(number)d has no included item to review.", number=version.number))
    for row in _party_rows(review, items):
        if row["waiting"]:
            missing.append(_("%(party)s has not signed off: %(items)s.", party=row["name"],
                             items=_item_names(row["waiting"])))
        if row["returned"]:
            missing.append(_("%(party)s returned with comments: %(items)s.", party=row["name"],
                             items=_item_names(row["returned"])))
    for conflict in conflicts(community):
        missing.append(conflict_words(conflict))
    return missing


def conflict_words(conflict: dict) -> str:
    first, second = conflict["first"], conflict["second"]
    return _("Works overlap at %(place)s from %(start)s to %(end)s: %(first)s and %(second)s.",
             place=conflict["place"], start=conflict["starts_on"].isoformat(), end=_end_words(conflict["ends_on"]),
             first=f'{first["organisation"]} ({first["item"]})', second=f'{second["organisation"]} ({second["item"]})')


def _end_words(day: date) -> str:
    return _("ongoing") if day == OPEN_END else day.isoformat()


def review_state(version: PlanVersion | None) -> dict:
    """The joint review of ``version`` (the adopted one, usually) as plain figures:
    {"version": number|None, "opened": bool, "complete": bool, "closed_at", "items": n, "parties": [{"name",
    "approved", "returned", "waiting"} counts], "counts": {"approved", "returned", "waiting"}, "conflicts": n,
    "missing": [words]}. ``missing`` is empty once the review is complete (closed, or overridden when it closed)."""
    state = {"version": getattr(version, "number", None), "opened": False, "complete": False, "closed_at": None,
             "items": 0, "parties": [], "counts": {"approved": 0, "returned": 0, "waiting": 0}, "conflicts": 0,
             "missing": []}
    if version is None:
        state["missing"] = [_("No plan version is adopted yet.")]
        return state
    items = review_items(version)
    state["items"] = len(items)
    review = review_of(version)
    community = version.plan.community
    state["conflicts"] = len(conflicts(community))
    if review is None:
        state["missing"] = [_("The joint review of version %(number)d has not been opened.", number=version.number)]
        return state
    state.update(opened=True, complete=review.closed_at is not None, closed_at=review.closed_at)
    for row in _party_rows(review, items):
        counts = {key: len(row[key]) for key in ("approved", "returned", "waiting")}
        state["parties"].append({"name": row["name"], "organisation_id": row["organisation_id"], **counts})
        for key, count in counts.items():
            state["counts"][key] += count
    if not state["complete"]:
        state["missing"] = missing_words(review, community)
    return state


# --- pipeline works and their conflicts ------------------------------------------------------------------------

def works_of(community: Community, organisation_id: int | None = None) -> list[PipelineWork]:
    query = (select(PipelineWork).where(PipelineWork.community_id == community.id)
             .order_by(PipelineWork.starts_on, PipelineWork.id))
    if organisation_id is not None:
        query = query.where(PipelineWork.organisation_id == organisation_id)
    return list(db.session.scalars(query))


def normalised_place(words: str | None) -> str:
    """Place words compared as a person would: full-width folded, case, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFKC", words or "").lower()
    return re.sub(r"[\s\W_]+", "", text)


def _pipeline_entry(work: PipelineWork) -> dict:
    return {"kind": "pipeline", "id": work.id, "organisation_id": work.organisation_id,
            "organisation": work.organisation.name, "item_id": work.item_id,
            "item": work.item.name if work.item is not None else _("no item"),
            "building_id": work.building_id, "place_key": normalised_place(work.place) or None,
            "place": _place_words(work), "starts_on": work.starts_on, "ends_on": work.ends_on}


def _place_words(work: PipelineWork) -> str:
    if work.building is not None and work.place:
        return f"{work.building.label} {work.place}"
    if work.building is not None:
        return work.building.label
    return work.place or _("the whole community")


def _plan_entries(community: Community) -> list[dict]:
    """The plan's own works on items in force with a start date: they cover the whole item, to today or their end."""
    works = db.session.scalars(select(PlanWork).join(Plan, Plan.id == PlanWork.plan_id)
                               .where(Plan.community_id == community.id, PlanWork.started_on.isnot(None)))
    return [{"kind": "plan", "id": work.id, "organisation_id": None, "organisation": _("Renovation works"),
             "item_id": work.item_id, "item": work.item.name, "building_id": None, "place_key": None,
             "place": _("the whole community"), "starts_on": work.started_on,
             "ends_on": work.finished_on or OPEN_END} for work in works]


def _same_place(first: dict, second: dict) -> str | None:
    """Words naming the shared place, or None when the two works are on different places."""
    if first["building_id"] is not None and first["building_id"] == second["building_id"]:
        return first["place"]
    if first["place_key"] and first["place_key"] == second["place_key"]:
        return first["place"]
    whole = [entry for entry in (first, second) if entry["building_id"] is None and not entry["place_key"]]
    if whole and first["item_id"] is not None and first["item_id"] == second["item_id"]:
        other = second if whole[0] is first else first
        return _("%(item)s: %(place)s", item=first["item"], place=other["place"])
    return None


def conflicts(community: Community) -> list[dict]:
    """Pairs of works on one place whose dates overlap (both days counted: a work ending the day before another
    starts does not conflict). Each {"first", "second" (work dicts: kind pipeline|plan, id, organisation_id,
    organisation, item, place, starts_on, ends_on), "place", "starts_on", "ends_on" (the overlap)}. Plan works
    are compared with pipeline works only."""
    entries = [_pipeline_entry(work) for work in works_of(community)] + _plan_entries(community)
    found = []
    for index, first in enumerate(entries):
        for second in entries[index + 1:]:
            if first["kind"] == "plan" and second["kind"] == "plan":
                continue
            start, end = max(first["starts_on"], second["starts_on"]), min(first["ends_on"], second["ends_on"])
            if start > end:
                continue
            place = _same_place(first, second)
            if place is not None:
                found.append({"first": first, "second": second, "place": place, "starts_on": start, "ends_on": end})
    return found


def conflicting_work_ids(found: list[dict]) -> set[int]:
    return {entry["id"] for conflict in found for entry in (conflict["first"], conflict["second"])
            if entry["kind"] == "pipeline"}


# --- agencies --------------------------------------------------------------------------------------------------

def reviews_listing(organisation_id: int) -> list[JointReview]:
    """Reviews of versions in force that list the organisation, open ones first."""
    return list(db.session.scalars(
        select(JointReview).join(JointReviewParty, JointReviewParty.review_id == JointReview.id)
        .join(PlanVersion, PlanVersion.id == JointReview.version_id)
        .where(JointReviewParty.organisation_id == organisation_id, PlanVersion.status == "adopted")
        .order_by(JointReview.closed_at.isnot(None), JointReview.opened_at.desc())))


def party_figures(review: JointReview, organisation_id: int) -> dict:
    """One party's cells of a review: {"approved", "returned", "waiting"} counts."""
    cells = signoffs_by_cell(review)
    states = [cell_state(cells.get((organisation_id, item.id))) for item in review_items(review.version)]
    return {key: states.count(key) for key in ("approved", "returned", "waiting")}


def todo_for(user: User) -> dict:
    """An agency's joint-review to-do: {"awaiting_signoff": items of open reviews without its word ("待签收"),
    "returned_open": its returned words in open reviews, "conflicting_works": its works in a conflict,
    "reviews": open reviews listing it}. Zeros for anyone else."""
    todo = {"awaiting_signoff": 0, "returned_open": 0, "conflicting_works": 0, "reviews": 0}
    if user.role != "agency" or user.organisation_id is None:
        return todo
    communities = {}
    for review in reviews_listing(user.organisation_id):
        communities[review.version.plan.community_id] = review.version.plan.community
        if review.closed_at is not None:
            continue
        figures = party_figures(review, user.organisation_id)
        todo["reviews"] += 1
        todo["awaiting_signoff"] += figures["waiting"]
        todo["returned_open"] += figures["returned"]
    for community in communities.values():
        mine = {work.id for work in works_of(community, user.organisation_id)}
        todo["conflicting_works"] += len(mine & conflicting_work_ids(conflicts(community)))
    return todo


# --- the locality's list of parties ----------------------------------------------------------------------------

def locality_parties(locality_id: int) -> list[ReviewParty]:
    return list(db.session.scalars(
        select(ReviewParty).join(Organisation, Organisation.id == ReviewParty.organisation_id)
        .where(ReviewParty.locality_id == locality_id).order_by(Organisation.kind, Organisation.name)))


def reviewing_organisations(kinds) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.kind.in_(kinds))
                                   .order_by(Organisation.kind, Organisation.name)))


def localities_for(user: User) -> list[Locality]:
    """The localities an admin keeps the list of: every one city-wide, their district's otherwise."""
    if user.district_id is not None:
        return [user.district.locality]
    return list(db.session.scalars(select(Locality).order_by(Locality.id)))
