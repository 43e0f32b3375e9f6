"""After-care (长效管理): /c/<community_code>/aftercare lists the property-management proposals put to the owners
(mode, fee, the vote's status with a link to the vote page) and the decided outcome; organisers and admins who run
the community propose a new one, which opens an ordinary Art. 278 vote (item 4) of the whole community.

Read by admins, organisers, owner representatives and grid workers in scope; other roles 403; a community outside
the scope 404.
"""
from datetime import timezone

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.aftercare.forms import ProposalForm
from participation.aftercare.operations import AfterCareRefused, aftercare_outcome, proposals, propose_aftercare
from participation.formatting import BEIJING
from participation.guards import staff_community
from participation.handlers import refuse_onto
from participation.models import Community
from participation.permissions import (COMMUNITY_MANAGERS, ELEVATOR_AND_AFTERCARE_READERS, can_manage_community,
                                       role_required)
from participation.votes.operations import VoteError

bp = Blueprint("aftercare", __name__)


def _community(community_code: str, *, manage: bool = False) -> Community:
    roles = COMMUNITY_MANAGERS if manage else ELEVATOR_AND_AFTERCARE_READERS
    return staff_community(community_code, roles=roles, manage=manage)


def _page(community: Community, form: ProposalForm, status: int = 200):
    return render_template("aftercare/index.html", community=community, form=form, proposals=proposals(community),
                           outcome=aftercare_outcome(community),
                           may_manage=can_manage_community(current_user, community)), status


@bp.get("/c/<community_code>/aftercare")
@role_required(*ELEVATOR_AND_AFTERCARE_READERS)
def index(community_code: str):
    return _page(_community(community_code), ProposalForm())


@bp.post("/c/<community_code>/aftercare")
@role_required(*COMMUNITY_MANAGERS)
def propose(community_code: str):
    community = _community(community_code, manage=True)
    form = ProposalForm()
    if not form.validate_on_submit():
        return _page(community, form, 400)
    closes_at = form.closes_at.data.replace(tzinfo=BEIJING).astimezone(timezone.utc)
    try:
        proposal = propose_aftercare(current_user, community, form.mode.data, form.fee.data, closes_at,
                                     note=form.note.data, hide_tallies=form.hide_tallies.data)
    except (AfterCareRefused, VoteError) as refused:
        refuse_onto(form, refused)
        return _page(community, form, 400)
    flash(_("The proposal is put to the owners: the vote is open."), "success")
    return redirect(url_for(".index", community_code=community.code) + f"#proposal-{proposal.id}")
