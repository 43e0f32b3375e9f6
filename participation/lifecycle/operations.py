"""Moving a community through its lifecycle (DESIGN §2): one stage forward when the gate's conditions are met (or an
administrator overrides the gate with a written reason), or one stage back with a reason. Flush, never commit;
audited.

    advance(actor, community, stage, reason=None) -> GateOverride | None

Forward, the gate ``stage:<stage>`` checks ``stages.missing_for`` through ``overrides.passes``: refused with every
missing condition in words, unless the actor is an administrator who gave a reason (the override is returned).
Back, an organiser or administrator of the community must say why (a wrong step, a plan sent back to the owners).
"""
from flask_babel import gettext as _

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.labels import label
from participation.lifecycle.overrides import passes
from participation.lifecycle.stages import missing_for, next_stage, previous_stage
from participation.models import Community, GateOverride, User
from participation.models.lifecycle import REASON_MAX, STAGES
from participation.permissions import can_manage_community


class StageRefused(Refused):
    """A stage move that cannot be made as asked; ``errors`` maps a field to its message; nothing was changed."""


def advance(actor: User | None, community: Community, stage: str, reason: str | None = None) -> GateOverride | None:
    if stage not in STAGES:
        raise StageRefused({"stage": _("Choose a stage of the lifecycle.")})
    if actor is None or not can_manage_community(actor, community):
        raise StageRefused({"": _("Only the community's organisers and administrators move it to another stage.")})
    before = community.status
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise StageRefused({"reason": _("The reason is too long (at most %(max)d characters).", max=REASON_MAX)})
    override = None
    if stage == next_stage(community):
        override = passes(actor, community, f"stage:{stage}", missing_for(community, stage), reason=reason)
        direction = "forward"
    elif stage == previous_stage(community):
        if reason is None:
            raise StageRefused({"reason": _("Say why the community goes back to “%(stage)s”.",
                                            stage=label("status", stage))})
        direction = "back"
    else:
        raise StageRefused({"stage": _("A community moves one stage at a time: “%(stage)s” does not follow "
                                       "“%(current)s”.", stage=label("status", stage),
                                       current=label("status", before))})
    community.status = stage
    db.session.flush()
    record(actor, "community.stage", community, community=community, before=before, after=stage,
           direction=direction, reason=reason, override=getattr(override, "id", None))
    return override
