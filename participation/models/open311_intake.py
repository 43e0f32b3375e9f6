"""Open311 reports that could not be placed in a community (issue 12 point 19): kept as sent, with the
service_request_id the platform was given, in the hotline desk's 待定位 intake until a person places them; placing
files the ticket under that same id."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models.types import UTCDateTime, utcnow


class Open311Report(db.Model):
    __tablename__ = "open311_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)   # the service_request_id given
    key_name: Mapped[str] = mapped_column(String(60), nullable=False)
    service_code: Mapped[str] = mapped_column(String(40), nullable=False)
    urgency: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")
    description: Mapped[str] = mapped_column(Text, nullable=False)
    address_string: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lat: Mapped[str | None] = mapped_column(String(30), nullable=True)
    long: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The rest of what the platform sent (caller, e-mail, media_url, device and account ids, attributes).
    sent: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, unique=True)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    ticket = relationship("Ticket")
    placed_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Open311Report {self.receipt} {'placed' if self.ticket_id else 'unplaced'}>"
