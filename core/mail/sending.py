"""Sending queued messages: each is claimed, sent and marked in its own short transaction, so two
senders (the after-commit hook and ``flask mail send-queued`` from cron) never send one twice, and a
failure is kept with its error and tried again later, never dropped.

A message whose send succeeded but whose 'sent' mark was lost (the process killed in between) is
claimed again once its claim runs out and sent a second time: at least once, never zero times.
"""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import func, or_, select, update

from core.extensions import db, mail
from core.mail.models import OutboxMessage
from core.mail.outbox import render
from core.timefmt import utcnow

# How long a sender holds a message it has taken; another sender may take it after that.
CLAIM = timedelta(minutes=10)
FIRST_RETRY_SECONDS = 60
LONGEST_WAIT_SECONDS = 6 * 3600
# Errors that belong to one message (the server refused this recipient or this message); any other
# error from the connection means the server is out of reach, and the rest wait for the next run.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                  smtplib.SMTPNotSupportedError)
MESSAGE_HEADER = "X-Right-Support-Message"


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # due, but not tried in this run (no mail server set, or it was out of reach)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1 minute, doubling, at most 6 hours."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS))


def mail_is_set_up() -> bool:
    config = current_app.config
    return bool(config.get("MAIL_SERVER") or config.get("MAIL_FOLDER"))


def _connection():
    """A mail connection from the settings as they are now: SMTP, or the development folder."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return mail.get_connection(backend="smtp", host=config["MAIL_SERVER"], port=config["MAIL_PORT"],
                                   username=config.get("MAIL_USERNAME") or "",
                                   password=config.get("MAIL_PASSWORD") or "",
                                   use_tls=config.get("MAIL_USE_TLS", False), timeout=config.get("MAIL_TIMEOUT"))
    from core.mail.folder import EmailBackend

    return mail.get_connection(backend=EmailBackend, folder=config["MAIL_FOLDER"])


def build_email(message: OutboxMessage, connection=None) -> EmailMultiAlternatives:
    worded = render(message.kind, json.loads(message.context))
    email = EmailMultiAlternatives(worded.subject, worded.text, current_app.config["MAIL_DEFAULT_SENDER"],
                                   [message.recipient], connection=connection,
                                   headers={MESSAGE_HEADER: str(message.id)})
    email.attach_alternative(worded.html, "text/html")
    for name, content, mimetype in worded.attachments:
        email.attach(name, content, mimetype)
    return email


def _due(now: datetime):
    return (OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    taken = db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
                               .values(claimed_until=now + CLAIM).execution_options(synchronize_session=False))
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if taken.rowcount == 1 else None


def _record(message: OutboxMessage, error: Exception | None) -> None:
    now = utcnow()
    message.claimed_until = None
    if error is None:
        message.status, message.sent_at = "sent", now
    else:
        message.attempts += 1
        message.next_attempt_at = now + retry_delay(message.attempts)
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
    db.session.commit()


def deliver(ids: list[int] | None = None, limit: int | None = None) -> Delivery:
    """Send the queued messages that are due (only those in ``ids`` when given), oldest first."""
    now = utcnow()
    statement = select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    due = list(db.session.scalars(statement.limit(limit)))
    db.session.commit()
    report = Delivery()
    if not due or not mail_is_set_up():
        report.waiting = len(due)
        return report
    connection = _connection()
    try:
        for position, message_id in enumerate(due):
            message = _claim(message_id, now)
            if message is None:
                continue  # another sender has it
            try:
                email = build_email(message, connection)
            except Exception as error:  # a message that cannot be worded is kept, and shown to admins
                _record(message, error)
                report.failed += 1
                continue
            try:
                connection.send_messages([email])
            except MESSAGE_ERRORS as error:
                _record(message, error)
                report.failed += 1
            except OSError as error:  # the server is out of reach: this one failed, the rest wait
                _record(message, error)
                report.failed += 1
                report.waiting = len(due) - position - 1
                break
            else:
                _record(message, None)
                report.sent += 1
    finally:
        try:
            connection.close()
        except OSError:
            pass
    return report


def retry_now() -> int:
    """Make every message that has failed due at once; returns how many."""
    changed = db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "queued",
                                                             OutboxMessage.attempts > 0)
                                 .values(next_attempt_at=utcnow()).execution_options(synchronize_session=False))
    return changed.rowcount


# -- what the admin page shows ---------------------------------------------------------------------


@dataclass
class OutboxSummary:
    waiting: int
    failing: int
    sent_last_week: int
    oldest_waiting: datetime | None


def summary() -> OutboxSummary:
    week_ago = utcnow() - timedelta(days=7)
    waiting, failing, oldest = db.session.execute(select(
        func.count(), func.count().filter(OutboxMessage.attempts > 0), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status == "queued")).one()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "sent", OutboxMessage.sent_at >= week_ago))
    return OutboxSummary(waiting, failing, sent, oldest)


def failing_messages(limit: int = 100) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued",
                                                               OutboxMessage.attempts > 0)
                                   .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit)))
