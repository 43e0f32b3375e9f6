"""What joint acceptance (联合验收) tells people, and whom (DESIGN §10), through ``participation.reach.outbox``
inside the transaction of the event. Flush, never commit.

    rating_opened(round_) -> int      # every household the round asks (its community or its buildings)
    cosign_waiting(community) -> int  # records the owner representative can sign now and has not: the community's
                                      # owner representatives and robots, once per record

A record "waits for the co-signature" once it can be signed — no covered subject's last rating missing, open or
failed (``queries.blocking_subjects``) — so it is looked for when a record is made and when a round passes.
"""
from flask_babel import gettext as _

from participation.acceptance.queries import blocking_subjects, records_of, subject_name, subjects
from participation.extensions import db
from participation.models import Building, Community
from participation.models.acceptance import AcceptanceRating
from participation.reach.recipients import households_with_places, staff_of, tell_households, tell_staff
from participation.reach.words import closing_day, default_language


def rating_opened(round_: AcceptanceRating) -> int:
    """The households in the round's scope hear that they may rate the finished works (optional kind)."""
    community = round_.community
    in_scope = Building.community_id == community.id
    if round_.scope == "buildings":
        in_scope = in_scope & Building.id.in_([building.id for building in round_.buildings])
    with default_language():
        params = {"community": community.name, "deadline": closing_day(round_.closes_at)}
        text = _("Please rate the finished works of %(community)s (%(subject)s): satisfied, basically satisfied or "
                 "dissatisfied, until %(deadline)s, on your household page.", subject=subject_name(round_.item),
                 **params)
    return tell_households(households_with_places(in_scope), "rating.opened", text, params,
                           link=f"/r/rating/{round_.id}", prefix=f"rating.opened:{round_.id}:")


def cosign_waiting(community: Community) -> int:
    """Each record of ``community`` the owner representative may sign now and has not signed: told once."""
    written = 0
    waiting = [record_ for record_ in records_of(community)
               if record_.owner_rep_signed_at is None and not blocking_subjects(record_)]
    if not waiting:
        return 0
    items = {row["subject"]: row["item"] for row in subjects(community)}
    for record_ in waiting:
        with default_language():
            covered = "、".join(subject_name(items.get(row.subject)) for row in record_.subjects)
            text = _("The joint acceptance record of %(community)s (%(subjects)s) waits for the owner "
                     "representative's signature.", community=community.name, subjects=covered)
        written += tell_staff(staff_of(community, "owner_rep"), "cosign.waiting", text, community=community,
                              link=f"/c/{community.code}/acceptance",
                              dedupe_key=f"cosign.waiting:acceptance:{record_.id}")
    db.session.flush()
    return written

