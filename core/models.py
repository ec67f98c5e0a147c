"""Records the core keeps for every feature (the import batches every figure can be traced to, and
the audit trail), and what every package's models share."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timefmt import utcnow


def quoted(values) -> str:
    """``values`` as a list of SQL string literals, for a CHECK constraint's ``IN (...)``."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


class ImportBatch(db.Model):
    """One accepted import file: who brought it in, when, and what it changed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file's bytes
    # The account that uploaded it; null when it came through the command line.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # "web" or "cli"
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(db.Model):
    """One thing someone did, kept for good: who, what, to which object, when, from where, and the
    values before and after. Rows are only ever added (core.audit.record); the app never changes one,
    and the database refuses every UPDATE and every DELETE except a purge's (migration 0013): events
    older than a recorded purge's cutoff, removed by core.audit.purge."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)  # one object's history

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # UTC
    # The signed-in account; null for the command line and for events with no account (a failed sign-in).
    # RESTRICT: an account that appears in the trail cannot be deleted (accounts are disabled instead).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # "<feature>.<object>.<what happened>", e.g. "cohorts.alias.created" (see core/audit.py).
    event: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))  # e.g. "dsl_alias"
    object_id: Mapped[str | None] = mapped_column(String(100))  # the object's id or key, as text
    # The client's address, through trusted proxies (FORWARDED_ALLOW_IPS); null for the command line.
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    old_values: Mapped[dict | None] = mapped_column(JSON)
    new_values: Mapped[dict | None] = mapped_column(JSON)


class AuditPurge(db.Model):
    """One removal of old audit events (``flask audit purge``): when, up to which time, how many went,
    and who ran it (null: the command line). Kept for good; the database deletes an audit event only
    when it is older than a recorded purge's cutoff, and refuses a cutoff less than 28 days ago."""

    __tablename__ = "audit_purges"

    id: Mapped[int] = mapped_column(primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(default=utcnow)  # UTC
    cutoff: Mapped[datetime] = mapped_column()  # events that occurred before this (UTC) were removed
    deleted: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class AuditError(RuntimeError):
    """Code tried to change or remove an audit row, or to record a badly named event."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    # The database refuses as well (triggers, migration 0008); this stops the ORM before it tries.
    raise AuditError("audit events are never changed or removed")
