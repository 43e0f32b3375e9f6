"""What residents see of the plan in force (问效于民, issue 15 point 6): the adopted version's items with their works
status and dates and their owner vote's outcome, whether the joint review (联合审查) is done, the residents'
rating rounds and the joint acceptance record. Reads only; the page is ``progress_views``.

Nothing here names a household or shows a count under ``MIN_CELL`` (DESIGN §6): a rating round rated by fewer than
5 households shows its result, never its counts or shares; a vote shows passed or not, not its ballots. Photos: the
works photos staff and the works agencies upload (``participation.plans.work_photos``), never the households' own
(complaint and rating photos) nor the staff-only field-survey photos; no uploader's name.
"""
from fractions import Fraction

from sqlalchemy import select

from participation.acceptance.queries import records_of, rounds_of, subject_name
from participation.extensions import db
from participation.models import Community, JointReview, PlanVersion
from participation.plans.operations import MIN_CELL, adopted_version, plan_for, works_by_item
from participation.plans.vote_items import item_outcomes
from participation.plans.work_photos import photos_by_item


def joint_review_of(version: PlanVersion) -> JointReview | None:
    return db.session.scalar(select(JointReview).where(JointReview.version_id == version.id))


def _item_rows(community: Community, version: PlanVersion) -> list[dict]:
    works = works_by_item(version.plan)
    outcomes = item_outcomes(community)
    photos = photos_by_item(version.plan)
    rows = []
    for plan_item in version.items:
        catalogue_item = plan_item.item
        work = works.get(catalogue_item.id)
        outcome = outcomes.get(catalogue_item.code)
        # a failed owner vote takes its items out of the plan in force, whatever the version says (issue 15 §1)
        failed_vote = outcome is not None and not outcome["passed"]
        rows.append({
            "code": catalogue_item.code, "name": catalogue_item.name, "category": catalogue_item.category,
            "included": plan_item.included and not failed_vote, "failed_vote": failed_vote,
            "reason": plan_item.change_reason,
            "status": work.status if work is not None else "not_started",
            "started_on": work.started_on if work is not None else None,
            "finished_on": work.finished_on if work is not None else None,
            "photos": [{"id": photo.id, "caption": photo.caption, "taken_on": photo.taken_on,
                        "width": photo.thumbnail_width, "height": photo.thumbnail_height}
                       for photo in photos.get(catalogue_item.id, [])],
            "vote": None if outcome is None else {"title": outcome["title"], "passed": outcome["passed"],
                                                  "finalised_at": outcome["finalised_at"]},
        })
    return rows


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _round_row(round_) -> dict:
    """A closed round as residents read it: its result always; its counts only when 5 or more households rated."""
    responses = round_.responses or 0
    shown = responses >= MIN_CELL
    content = (round_.satisfied or 0) + (round_.basically_satisfied or 0)
    return {"id": round_.id, "subject": subject_name(round_.item), "number": round_.number,
            "passed": round_.result == "passed", "closed_at": round_.closed_at, "suppressed": not shown,
            "responses": responses if shown else None,
            "content_share": _share(content, responses) if shown else None,
            "participation": _share(responses, round_.eligible or 0) if shown else None}


def progress_of(community: Community) -> dict:
    """{"version" (the adopted PlanVersion or None), "planned" (the items being built, in plan order), "excluded",
    "counts" ({status: n} of the included items), "joint_review" ({"done", "closed_at", "opened"}),
    "ratings" (closed rounds, newest first), "open_rounds", "records" (signed acceptance records)}."""
    plan = plan_for(community)
    version = adopted_version(plan)
    result = {"version": version, "planned": [], "excluded": [], "counts": {}, "joint_review": None, "ratings": [],
              "open_rounds": [], "records": []}
    if version is None:
        return result
    rows = _item_rows(community, version)
    result["planned"] = [row for row in rows if row["included"]]
    result["excluded"] = [row for row in rows if not row["included"]]
    for status in ("not_started", "in_progress", "finished"):
        result["counts"][status] = sum(1 for row in result["planned"] if row["status"] == status)
    review = joint_review_of(version)
    result["joint_review"] = {"opened": review is not None,
                              "done": review is not None and review.closed_at is not None,
                              "closed_at": review.closed_at if review is not None else None}
    rounds = [round_ for round_ in rounds_of(community) if round_.plan_id == plan.id]
    result["ratings"] = sorted((_round_row(round_) for round_ in rounds if round_.status == "closed"),
                               key=lambda row: row["closed_at"], reverse=True)
    result["open_rounds"] = [round_ for round_ in rounds if round_.is_open]
    result["records"] = [{"id": record.id, "result_text": record.result_text,
                          "signed_at": max(record.organiser_signed_at, record.owner_rep_signed_at,
                                           record.supervisor_signed_at)}
                         for record in records_of(community) if record.plan_id == plan.id and record.fully_signed]
    return result
