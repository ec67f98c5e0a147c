"""The outbox: every message the service sends is first a row here, written in the same transaction
as the change that causes it, so a message is never sent for a change that was rolled back and never
lost when sending fails."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow

OUTBOX_STATUSES = ("queued", "sent")


class OutboxMessage(db.Model):
    """One email to one person: which message it is and what it says, until it has been sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({quoted(OUTBOX_STATUSES)})", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The sender asks for queued messages whose next attempt is due.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A message kind a feature registered (core.mail.register_message), e.g. "courses.booking_confirmed".
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    # JSON: everything the message says, fixed when it was queued, so a retry sends the same words.
    context: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts so far
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sender that takes the message holds it until this time, so two senders never both send it.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
