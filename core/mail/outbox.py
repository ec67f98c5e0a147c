"""Queueing messages: a feature registers each kind of message it sends with the function that words
it, and queues one with the change that causes it. Nothing here sends; see core/mail/sending.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from flask import current_app, g, has_app_context, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.bulk import bulk_insert
from core.extensions import db
from core.mail.models import OutboxMessage
from core.timefmt import utcnow

LOCAL_URL = "http://127.0.0.1:5000"
# session.info key: ids of outbox rows flushed in the session's current transaction.
_FLUSHED = "right_support_outbox_flushed"


@dataclass
class Message:
    """A message as it is sent: a subject, a plain-text body, the same in simple HTML, and attachments
    as (file name, content, MIME type with any parameters, e.g. "text/calendar; method=REQUEST")."""

    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str | bytes, str]] = field(default_factory=list)


Renderer = Callable[[dict], Message]


def register_message(app, kind: str, renderer: Renderer) -> None:
    """Say how to word messages of ``kind``: ``renderer(context)`` gives the Message."""
    renderers = app.extensions.setdefault("right_support_mail", {})
    if kind in renderers:
        raise ValueError(f"mail kind {kind!r} registered twice")
    renderers[kind] = renderer


def render(kind: str, context: dict) -> Message:
    renderers = current_app.extensions.get("right_support_mail", {})
    if kind not in renderers:
        raise LookupError(f"no message is registered as {kind!r}")
    return renderers[kind](context)


def from_templates(template: str, subject: str, context: dict) -> Message:
    """A Message from ``template``.txt and ``template``.html, both given ``context`` and the subject."""
    values = {**context, "subject": subject}
    return Message(subject, render_template(template + ".txt", **values), render_template(template + ".html", **values))


def queue(kind: str, recipient: str, context: dict) -> OutboxMessage:
    """Queue a message in the current transaction; it is sent once that transaction commits."""
    render(kind, context)  # a message that cannot be worded fails here, with the change, not later
    message = OutboxMessage(kind=kind, recipient=recipient, context=json.dumps(context, sort_keys=True),
                            status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(message)
    return message


def queue_many(kind: str, messages: list[tuple[str, dict]]) -> int:
    """Queue many messages of one kind in one INSERT (reminders to thousands of people). They are sent
    by the next ``deliver()``, not by the after-commit hook."""
    if not messages:
        return 0
    render(kind, messages[0][1])
    now = utcnow()
    frame = pd.DataFrame({"recipient": [recipient for recipient, _ in messages],
                          "context": [json.dumps(context, sort_keys=True) for _, context in messages]})
    columns = ["kind", "recipient", "context", "status", "attempts", "created_at", "next_attempt_at"]
    return bulk_insert(OutboxMessage.__table__, frame.assign(kind=kind, status="queued", attempts=0, created_at=now,
                                                             next_attempt_at=now), columns)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a message or a calendar program: under PUBLIC_URL (required in production),
    else the development server's address. Never the Host a request names: anyone can send any Host."""
    base = current_app.config.get("PUBLIC_URL")
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return (base or LOCAL_URL) + path


# -- knowing what was committed --------------------------------------------------------------------


def _after_flush(session, _context) -> None:
    ids = [item.id for item in session.new if isinstance(item, OutboxMessage)]
    if ids:
        session.info.setdefault(_FLUSHED, []).extend(ids)


def _after_commit(session) -> None:
    ids = session.info.pop(_FLUSHED, None)
    if ids and has_app_context():
        g.setdefault("outbox_committed", []).extend(ids)


def _after_rollback(session) -> None:
    session.info.pop(_FLUSHED, None)


def committed_ids() -> list[int]:
    """Ids of the messages this app context has committed and not yet handed to the sender."""
    return g.pop("outbox_committed", None) or []


def listen_for_commits() -> None:
    """Follow every session's flushes, commits and rollbacks (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
