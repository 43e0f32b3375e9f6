"""After-care (长效管理): the owners' decision on how the community is managed once the works are done — the
property-management mode and the fee standard — taken as an ordinary Art. 278 vote (item 4, 选聘物业).

A proposal names one mode and one fee; its vote (``vote_id``) decides it. The outcome the plan shows is the
latest final vote's (participation.aftercare.operations.aftercare_outcome).
"""
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, one_of, utcnow

# 专业化物业服务 / 准物业 (basic services by the 社区) / 业主自治管理 / 托管
AFTERCARE_MODES = ("professional", "quasi", "self_managed", "trusteeship")


class AfterCareProposal(db.Model):
    """One proposal put to the owners: a management mode and a fee standard (yuan per m² per month)."""

    __tablename__ = "aftercare_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, unique=True)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    fee: Mapped[Decimal] = mapped_column(Numeric(6, 2), nullable=False)   # yuan per m² per month
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    community = relationship("Community")
    vote = relationship("Vote")
    created_by = relationship("User")

    __table_args__ = (
        one_of("mode", AFTERCARE_MODES, "mode"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<AfterCareProposal {self.id} {self.mode} {self.fee}>"
