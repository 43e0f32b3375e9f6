"""The community page (``/c/<code>``), the hub of its lifecycle: the stage ladder with what the next stage still
needs, a form to move on (or back), and one card per module the user may open."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.guards import staff_community
from participation.handlers import refuse_onto
from participation.lifecycle.forms import StageForm
from participation.lifecycle.operations import StageRefused, advance
from participation.lifecycle.overrides import GateRefused
from participation.lifecycle.queries import hub
from participation.labels import label
from participation.permissions import COMMUNITY_MANAGERS, role_required

bp = Blueprint("lifecycle", __name__)


def _page(community, forward: StageForm, back: StageForm, status: int = 200):
    return render_template("lifecycle/community.html", community=community, hub=hub(community, current_user),
                           forward=forward, back=back), status


@bp.get("/c/<community_code>")
@role_required()
def community(community_code: str):
    community = staff_community(community_code)
    return _page(community, StageForm(prefix="forward"), StageForm(prefix="back"))


@bp.post("/c/<community_code>/stage")
@role_required(*COMMUNITY_MANAGERS)
def move(community_code: str):
    community = staff_community(community_code, manage=True)
    forward, back = StageForm(prefix="forward"), StageForm(prefix="back")
    form = forward if forward.stage.data else back
    if not form.validate_on_submit():
        return _page(community, forward, back, 400)
    try:
        override = advance(current_user, community, form.stage.data, reason=form.reason.data)
    except (GateRefused, StageRefused) as refusal:
        refuse_onto(form, refusal)
        return _page(community, forward, back, 422)
    if override is not None:
        flash(_("Moved to “%(stage)s” over the gate; your reason is recorded.",
                stage=label("status", community.status)), "warning")
    else:
        flash(_("The community is now at “%(stage)s”.", stage=label("status", community.status)))
    return redirect(url_for("lifecycle.community", community_code=community.code))
