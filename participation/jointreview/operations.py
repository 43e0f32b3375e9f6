"""Joint review (联合共审): opening the review of the adopted version with the locality's parties, each party's word
per item, the organiser's answer to a returned item, closing the review (the works gate), the pipeline companies'
own works, and the locality's list of parties.

Operations take the acting user, flush, never commit, and write an audit row for every change. A refusal raises
``ReviewRefused`` (a ``Refused``) naming the field at fault ("" for the whole request); closing with something
missing raises the gate's ``GateRefused`` with every missing condition in words, unless an admin overrides it.
"""
from datetime import date

from flask_babel import gettext as _

from participation.audit import apply_changes, record
from participation.extensions import db
from participation.handlers import Refused
from participation.jointreview.queries import (ANSWER_ACTION, adopted_version_of, locality_parties, missing_words,
                                               party_of, review_items, review_of, signoffs_by_cell)
from participation.lifecycle.overrides import passes
from participation.models import (SIGNOFF_DECISIONS, SPECIALITIES, Building, CatalogueItem, Community, JointReview,
                                  JointReviewParty, Locality, Organisation, PipelineWork, PlanItem, ReviewParty,
                                  ReviewSignoff, User)
from participation.models.types import utcnow
from participation.permissions import PIPELINE_WORKS_KINDS, REVIEW_PARTY_KINDS

MAX_COMMENT = 2000
MAX_PLACE = 100
GATE = "works_joint_review"


class ReviewRefused(Refused):
    """A refused joint-review change."""


def _community_of(review: JointReview) -> Community:
    return review.version.plan.community


# --- opening and closing ---------------------------------------------------------------------------------------

def open_review(actor: User, community: Community) -> JointReview:
    """Open the review of the version in force, with the parties its locality lists now (a snapshot)."""
    version = adopted_version_of(community)
    if version is None:
        raise ReviewRefused(_("There is no adopted plan version to review: adopt a version of the plan first."))
    if review_of(version) is not None:
        raise ReviewRefused(_("Version %(number)d already has its joint review.", number=version.number))
    if not review_items(version):
        raise ReviewRefused(_("Version %(number)d has no included item to review.", number=version.number))
    listed = locality_parties(community.district.locality_id)
    if not listed:
        raise ReviewRefused(_("The locality lists no reviewing departments or pipeline companies yet: an "
                              "administrator adds them under Administration, Joint review parties."))
    review = JointReview(version_id=version.id, opened_by_id=actor.id,
                         parties=[JointReviewParty(organisation_id=row.organisation_id) for row in listed])
    db.session.add(review)
    db.session.flush()
    record(actor, "joint_review.open", review, community=community, version=version.number,
           parties=[row.organisation.name for row in listed], items=len(review_items(version)))
    return review


def _refuse_unless_current(review: JointReview) -> None:
    if review.closed_at is not None:
        raise ReviewRefused(_("The joint review of version %(number)d is closed.", number=review.version.number))
    if review.version.status != "adopted":
        raise ReviewRefused(_("Version %(number)d is no longer the plan in force: open the review of the adopted "
                              "version.", number=review.version.number))


def close_review(actor: User, review: JointReview, *, reason: str | None = None) -> JointReview:
    """Complete the review: every party approved every included item and no works conflict, or an admin overrides
    the works gate with a written reason (kept and audited by ``passes``)."""
    _refuse_unless_current(review)
    community = _community_of(review)
    missing = missing_words(review, community)
    override = passes(actor, community, GATE, missing, reason=reason, version=review.version)
    review.closed_at, review.closed_by_id = utcnow(), actor.id
    db.session.flush()
    record(actor, "joint_review.close", review, community=community, version=review.version.number,
           overridden=override is not None, missing=missing)
    return review


# --- a party's word and the organiser's answer -----------------------------------------------------------------

def sign_off(actor: User, review: JointReview, plan_item: PlanItem, decision: str,
             comment: str | None = None) -> ReviewSignoff:
    """The acting agency's organisation approves an item, or returns it with comments (required); a returned item
    may be approved later (after the organiser's answer or a change)."""
    _refuse_unless_current(review)
    if actor.role != "agency" or party_of(review, actor.organisation_id) is None:
        raise ReviewRefused(_("Only the departments and companies listed in this review sign it off."))
    if plan_item.version_id != review.version_id or not plan_item.included:
        raise ReviewRefused(_("This item is not in the reviewed version."))
    comment = (comment or "").strip() or None
    if decision not in SIGNOFF_DECISIONS:
        raise ReviewRefused(_("Choose approve or return."), field="decision")
    if decision == "returned" and comment is None:
        raise ReviewRefused(_("Say why you return the item: the comment is required."), field="comment")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise ReviewRefused(_("The comment is too long (at most %(max)d characters).", max=MAX_COMMENT),
                            field="comment")
    signoff = signoffs_by_cell(review).get((actor.organisation_id, plan_item.id))
    before = None if signoff is None else signoff.decision
    if signoff is None:
        signoff = ReviewSignoff(review=review, organisation_id=actor.organisation_id, plan_item_id=plan_item.id,
                                decision=decision, comment=comment, by_id=actor.id)
        db.session.add(signoff)
    else:
        signoff.decision, signoff.comment, signoff.by_id, signoff.at = decision, comment, actor.id, utcnow()
    db.session.flush()
    record(actor, "joint_review.signoff", signoff, community=_community_of(review), version=review.version.number,
           item=plan_item.item.code, organisation=actor.organisation.name, decision=decision, before=before,
           comment=comment)
    return signoff


def answer_return(actor: User, signoff: ReviewSignoff, text: str | None) -> ReviewSignoff:
    """The organiser answers a returned item (what was changed or why not); the party may then approve it. The
    answer is kept in the audit trail, where the review page reads it."""
    _refuse_unless_current(signoff.review)
    if signoff.decision != "returned":
        raise ReviewRefused(_("Only a returned item is answered."))
    text = (text or "").strip()
    if not text:
        raise ReviewRefused(_("Write the answer."), field="answer")
    if len(text) > MAX_COMMENT:
        raise ReviewRefused(_("The answer is too long (at most %(max)d characters).", max=MAX_COMMENT),
                            field="answer")
    record(actor, ANSWER_ACTION, signoff, community=_community_of(signoff.review),
           organisation=signoff.organisation.name, item=signoff.plan_item.item.code, answer=text)
    db.session.flush()
    return signoff


# --- pipeline companies' own works -----------------------------------------------------------------------------

def _clean_work(community: Community, fields: dict) -> dict:
    errors = {}
    item, building = fields.get("item"), fields.get("building")
    if item is not None and not isinstance(item, CatalogueItem):
        errors["item"] = _("Choose an item of the plan.")
    if building is not None and (not isinstance(building, Building) or building.community_id != community.id):
        errors["building"] = _("Choose a building of this community.")
    place = (fields.get("place") or "").strip() or None
    if place is not None and len(place) > MAX_PLACE:
        errors["place"] = _("The place is too long (at most %(max)d characters).", max=MAX_PLACE)
    starts_on, ends_on = fields.get("starts_on"), fields.get("ends_on")
    if not isinstance(starts_on, date):
        errors["starts_on"] = _("Enter the first day of the works.")
    if not isinstance(ends_on, date):
        errors["ends_on"] = _("Enter the last day of the works.")
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors["ends_on"] = _("The works cannot end before they start.")
    note = (fields.get("note") or "").strip() or None
    if note is not None and len(note) > MAX_COMMENT:
        errors["note"] = _("The note is too long (at most %(max)d characters).", max=MAX_COMMENT)
    if errors:
        raise ReviewRefused(errors)
    return {"item_id": getattr(item, "id", None), "building_id": getattr(building, "id", None), "place": place,
            "starts_on": starts_on, "ends_on": ends_on, "note": note}


def _refuse_unless_pipeline(actor: User) -> None:
    if actor.role != "agency" or actor.organisation is None or actor.organisation.kind not in PIPELINE_WORKS_KINDS:
        raise ReviewRefused(_("Only pipeline companies record their own works here."))


def record_work(actor: User, community: Community, fields: dict) -> PipelineWork:
    """A pipeline company's planned works: item (optional), building or place words, first and last day, note."""
    _refuse_unless_pipeline(actor)
    work = PipelineWork(organisation_id=actor.organisation_id, community_id=community.id, created_by_id=actor.id,
                        **_clean_work(community, fields))
    db.session.add(work)
    db.session.flush()
    record(actor, "pipeline_work.create", work, community=community, organisation=actor.organisation.name,
           starts_on=work.starts_on, ends_on=work.ends_on, place=work.place, building=work.building_id,
           item=work.item_id)
    return work


def _refuse_unless_own(actor: User, work: PipelineWork) -> None:
    _refuse_unless_pipeline(actor)
    if work.organisation_id != actor.organisation_id:
        raise ReviewRefused(_("Only the company that recorded these works changes them."))


def update_work(actor: User, work: PipelineWork, fields: dict) -> PipelineWork:
    _refuse_unless_own(actor, work)
    clean = _clean_work(work.community, fields)
    changes = apply_changes(work, clean, clean.keys())
    if changes:
        record(actor, "pipeline_work.update", work, community=work.community, changes=changes)
    return work


def delete_work(actor: User, work: PipelineWork) -> None:
    _refuse_unless_own(actor, work)
    record(actor, "pipeline_work.delete", work, community=work.community, starts_on=work.starts_on,
           ends_on=work.ends_on, place=work.place, building=work.building_id, item=work.item_id)
    db.session.delete(work)
    db.session.flush()


# --- the locality's list of reviewing parties -------------------------------------------------------------------

def add_party(actor: User, locality: Locality, organisation: Organisation) -> ReviewParty:
    if organisation.kind not in REVIEW_PARTY_KINDS:
        raise ReviewRefused(_("Only government departments and pipeline companies review plans."),
                            field="organisation")
    if any(row.organisation_id == organisation.id for row in locality_parties(locality.id)):
        raise ReviewRefused(_("%(name)s is already listed.", name=organisation.name), field="organisation")
    party = ReviewParty(locality_id=locality.id, organisation_id=organisation.id)
    db.session.add(party)
    db.session.flush()
    record(actor, "review_party.add", party, locality=locality.name, organisation=organisation.name)
    return party


def remove_party(actor: User, party: ReviewParty) -> None:
    """Reviews already opened keep their parties (a snapshot); later reviews no longer list the organisation."""
    record(actor, "review_party.remove", party, locality=party.locality.name, organisation=party.organisation.name)
    db.session.delete(party)
    db.session.flush()


def clean_speciality(kind: str, speciality: str | None) -> str | None:
    """A department's or pipeline company's field; other kinds have none."""
    speciality = (speciality or "").strip() or None
    if speciality is not None and speciality not in SPECIALITIES:
        raise ReviewRefused(_("Choose a speciality from the list."), field="speciality")
    return speciality if kind in REVIEW_PARTY_KINDS else None
