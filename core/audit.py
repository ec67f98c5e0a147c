"""The audit trail: who did what to which object, when, from which address, with the values before
and after. Every feature writes to it through :func:`record` (or :func:`record_change`, which keeps
only the values that changed). Nothing changes a row, and only :func:`purge` removes rows: those
older than the retention period (AUDIT_RETENTION_MONTHS), after recording the purge, which is the
one deletion the database's triggers let through (migration 0013).

Event names read ``<feature>.<object>.<what happened>``, lower case, words joined by underscores:
``cohorts.alias.created``, ``cohorts.alias.removed``; later, for example, ``people.sign_in.failed``
or ``courses.session.cancelled``. The object is named by ``object_type`` (a table's singular,
``dsl_alias``) and ``object_id`` (its id or key, as text), so one object's history is one query.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date, datetime

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, func, select

from core.extensions import db
from core.models import AuditError, AuditEvent, AuditPurge
from core.timefmt import months_before, utcnow

EVENT_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$")
# Passed as ``user_id`` to say "whoever is signed in to this request" (nobody outside a request).
SIGNED_IN_USER = object()

__all__ = ["AuditError", "SIGNED_IN_USER", "changed", "client_address", "purge", "record", "record_change",
           "refused_request", "signed_in_user_id", "values_of"]


def record(event_name: str, *, object_type: str | None = None, object_id=None, old: dict | None = None,
           new: dict | None = None, user_id=SIGNED_IN_USER) -> AuditEvent:
    """Add one event to the trail and flush it, in the caller's transaction: it is written if and
    only if the change it describes is. ``old`` and ``new`` hold the values that changed (plain
    values; dates are stored as ISO 8601 text)."""
    if not EVENT_NAME.match(event_name):
        raise AuditError(f"audit event names read feature.object.what_happened, not {event_name!r}")
    row = AuditEvent(event=event_name, object_type=object_type,
                     object_id=None if object_id is None else str(object_id),
                     user_id=signed_in_user_id() if user_id is SIGNED_IN_USER else user_id,
                     remote_addr=client_address(), old_values=_plain(old), new_values=_plain(new))
    db.session.add(row)
    db.session.flush()
    return row


def values_of(obj, names) -> dict:
    """The attributes ``names`` of ``obj`` (None for a new object), to compare before and after a change."""
    return {name: None if obj is None else getattr(obj, name) for name in names}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """The values that differ between ``before`` and ``after``: (old, new), same keys."""
    before, after = _plain(before) or {}, _plain(after) or {}
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record_change(event_name: str, *, object_type: str, object_id, before: dict, after: dict,
                  always: bool = False) -> AuditEvent | None:
    """Record ``event_name`` with only the values that changed; nothing when none did (unless ``always``)."""
    old, new = changed(before, after)
    if not new and not always:
        return None
    return record(event_name, object_type=object_type, object_id=object_id, old=old, new=new)


def refused_request(code: int = 403) -> None:
    """Record, in a transaction of its own, that this request was refused: its method, path and the
    route it asked for (never its query string or form, which may hold personal data)."""
    db.session.rollback()
    record("core.request.refused", object_type="route", object_id=request.endpoint,
           new={"status": code, "method": request.method, "path": request.path[:300]})
    db.session.commit()


def retention_cutoff(months: int, now=None):
    """The time before which events are older than ``months`` (UTC)."""
    return months_before(now or utcnow(), months)


def purge(months: int, user_id=None) -> AuditPurge:
    """Remove the events older than ``months`` months, recording the purge (and, as an event of its
    own, that it happened). The database lets these deletions through and no others. Flushes; the
    caller commits once."""
    if months < 1:
        raise AuditError("audit events are kept for at least one month")
    cutoff = retention_cutoff(months)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.occurred_at < cutoff))
    row = AuditPurge(cutoff=cutoff, deleted=count, user_id=user_id)
    db.session.add(row)
    db.session.flush()
    db.session.execute(delete(AuditEvent).where(AuditEvent.occurred_at < cutoff),
                       execution_options={"synchronize_session": False})
    record("core.audit.purged", object_type="audit_purge", object_id=row.id, user_id=user_id,
           new={"cutoff": cutoff, "deleted": count, "months": months})
    return row


def signed_in_user_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _plain(values: dict | None) -> dict | None:
    """``values`` as JSON would give them back: what is stored is exactly what is read."""
    if values is None:
        return None
    return json.loads(json.dumps(values, default=lambda v: v.isoformat() if isinstance(v, (date, datetime)) else str(v)))


# -- the client's address -----------------------------------------------------------------------


def _is_trusted(address, proxies) -> bool:
    return proxies is None or any(address in network for network in proxies)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address() -> str | None:
    """The address of the client behind this request, or None outside a request.

    A request that comes straight from a client carries its address. One that comes through a
    proxy we trust (FORWARDED_ALLOW_IPS, read into TRUSTED_PROXIES by core.config) carries the
    client's in X-Forwarded-For, to which each proxy appends the address it was reached from. Reading from the right, every entry a trusted
    proxy wrote is believed until the first address that is not a trusted proxy: that is the
    client. Entries further left were written by the client itself and are ignored, as is anything
    after an entry that is not an address at all.
    """
    if not has_request_context():
        return None
    peer = request.remote_addr
    peer_address = _address(peer or "")
    proxies = current_app.config.get("TRUSTED_PROXIES", ())
    if peer_address is None or not _is_trusted(peer_address, proxies):
        return peer
    hop = peer
    for entry in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        address = _address(entry)
        if address is None:
            break
        hop = str(address)
        if not _is_trusted(address, proxies):
            break
    return hop
