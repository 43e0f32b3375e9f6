"""The community's lifecycle (DESIGN §2): its stages in order, the gates that keep a plan lawful, and the
admin's written override of a gate.

A community's stage is ``Community.status`` (one of ``STAGES``). A gate is a named check an action makes before it
proceeds (adopting a plan version, starting works, opening a rating round, moving to the next stage); when its
conditions are not met the action is refused with the missing conditions in words. An administrator may proceed
anyway with a written reason: each such override is a ``GateOverride`` row (and an audit event), shown on the plan.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, utcnow

# 储备 → 年度计划 → 调查摸底 → 问需 → 方案编制 → 方案公示 → 业主表决 → 联合审查 → 实施 → 验收 → 建后管理
STAGES = ("reserve", "annual_plan", "census", "needs", "planning", "plan_notice", "owner_vote", "joint_review",
          "works", "acceptance", "aftercare")

# The gates an action checks; the key is stored on an override. "stage:<stage>" keys gate moving to that stage.
GATES = ("adopt_comment_period", "adopt_owner_votes", "maintenance_fund_vote", "works_joint_review",
         "rating_finished_items", "aftercare_vote") + tuple(f"stage:{stage}" for stage in STAGES)
REASON_MAX = 1000


class GateOverride(db.Model):
    """An administrator let an action through a gate whose conditions were not met, saying why."""

    __tablename__ = "gate_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    gate: Mapped[str] = mapped_column(String(40), nullable=False)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id", ondelete="SET NULL"),
                                                   nullable=True)
    missing: Mapped[str] = mapped_column(Text, nullable=False)     # the conditions unmet, in words, one per line
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    community = relationship("Community")
    version = relationship("PlanVersion")
    by = relationship("User")

    __table_args__ = (
        CheckConstraint(f"length(reason) > 0 AND length(reason) <= {REASON_MAX}", name="reason_length"),
        Index("ix_gate_overrides_community", "community_id"),
    )

    def __repr__(self) -> str:
        return f"<GateOverride community={self.community_id} {self.gate}>"
