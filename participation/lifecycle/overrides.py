"""Gates (DESIGN §2): an action checks its conditions, and is refused with what is missing, in words — unless an
administrator overrides the gate with a written reason, which is kept (``GateOverride``), audited and shown on the
plan.

    passes(actor, community, gate, missing, *, reason=None, version=None) -> GateOverride | None

``missing`` is the list of unmet conditions (empty: the gate is open). When it is not empty the action goes on only
for an administrator who gave a reason; the override row is flushed and returned. Otherwise ``GateRefused`` names
every missing condition. Flush, never commit.
"""
from flask_babel import gettext as _

from participation.audit import record
from participation.extensions import db
from participation.handlers import Refused
from participation.models import Community, GateOverride, PlanVersion, User
from participation.models.lifecycle import GATES, REASON_MAX
from participation.permissions import is_admin


class GateRefused(Refused):
    """A gate's conditions are not met; ``missing`` lists them in words."""

    def __init__(self, missing: list[str], *, field: str = ""):
        self.missing = [str(line) for line in missing]
        super().__init__(" ".join(self.missing), field=field)


def passes(actor: User | None, community: Community, gate: str, missing: list[str], *, reason: str | None = None,
           version: PlanVersion | None = None) -> GateOverride | None:
    if gate not in GATES:
        raise ValueError(f"unknown gate {gate!r}")
    if not missing:
        return None
    reason = (reason or "").strip()
    if not reason or actor is None or not is_admin(actor):
        raise GateRefused(missing)
    if len(reason) > REASON_MAX:
        raise Refused(_("The reason is too long (at most %(max)d characters).", max=REASON_MAX), field="reason")
    override = GateOverride(community_id=community.id, gate=gate, version_id=getattr(version, "id", None),
                            missing="\n".join(str(line) for line in missing), reason=reason,
                            by_id=actor.id)
    db.session.add(override)
    db.session.flush()
    record(actor, "gate.override", override, community=community, gate=gate, missing=[str(m) for m in missing],
           reason=reason, version=getattr(version, "number", None))
    return override


def overrides_of(community: Community) -> list[GateOverride]:
    """Every override of the community's gates, newest first (the plan page shows them)."""
    return list(db.session.scalars(db.select(GateOverride).where(GateOverride.community_id == community.id)
                                   .order_by(GateOverride.at.desc(), GateOverride.id.desc())))
