"""Calls to the DSL Infoline, and the topics an admin offers advisers to file them under."""

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, synonym

from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow

ADVICE = ("handled", "early-help", "mash", "other")
ADVICE_LABELS = {"handled": "Answered on the call", "early-help": "Sent to Early Help",
                 "mash": "Told to contact the MASH", "other": "Other"}
ADVICE_SHORT = {"handled": "Handled", "early-help": "Early Help", "mash": "MASH", "other": "Other"}
TOPIC_LENGTH = 100
CALL_ID_LENGTH = 100
EMAIL_LENGTH = 254


class InfolineTopic(db.Model):
    """A topic an adviser can file a call under. Retired topics stay, so old calls keep their names."""

    __tablename__ = "infoline_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TOPIC_LENGTH), unique=True)
    active: Mapped[bool] = mapped_column(default=True)  # offered on the call-entry page
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InfolineCall(db.Model):
    """One call to the Infoline: when, who called (a DSL on the register, or a school), what advice
    was given. Nothing about the child is ever stored."""

    __tablename__ = "infoline_calls"
    __table_args__ = (
        CheckConstraint(f"advice IN ({quoted(ADVICE)})", name="advice_known"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"),
        CheckConstraint("school_urn IS NULL OR school_urn > 0", name="urn_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The call's id in the helpline's phone system (imported calls); null for calls entered here.
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LENGTH), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)  # UTC
    advice: Mapped[str] = mapped_column(String(12))
    caller_email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))  # trimmed, lower-case
    school_urn: Mapped[int | None] = mapped_column(Integer, index=True)
    topic: Mapped[str | None] = mapped_column(String(TOPIC_LENGTH))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    # The DSL the caller's email matched when the call was stored or last relinked.
    dsl_id: Mapped[int | None] = mapped_column(ForeignKey("dsls.id", ondelete="SET NULL"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="RESTRICT"),
                                                        index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The name the register's relinking (cohorts.services.relink_table) looks for.
    referrer_email = synonym("caller_email")
