"""Reminders: the training-clock reminders (due, expired, never) and the reminder two days before a
session. Each is queued at most once: a ``reminders`` row per DSL, kind and key (the expiry date, or
"never"; a session's id and first day) is written with the queued message, and a unique constraint
on it means a second run, or two runs at once, can never queue one twice. Functions flush, never commit.

The training reminders are decided for the whole register at once in pandas (the training clock,
then one anti-join against the reminders already queued) and written with one INSERT each for the
reminders and the outbox, so a national register of 60,000 DSLs takes seconds, not a query per person.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.bulk import bulk_insert
from core.extensions import db
from core.frames import query_frame
from core.mail import external_url, queue, queue_many
from core.timefmt import uk_date, utcnow
from courses import messages
from courses.models import Booking, CourseSession, Reminder
from courses.services import clock_for

TRAINING_STATES = ("due", "expired", "never")
# A session is reminded of two days before it; a day's cron run that was missed still reminds the
# day before.
SESSION_REMINDER_DAYS = 2


def training_reminders_due(on: date) -> pd.DataFrame:
    """The DSLs who should get a training reminder on day ``on`` and have not had this one: columns
    dsl_id, email, name, role, school_name, state and key (the expiry date as ISO text, or "never")."""
    clock = clock_for(on)
    wanted = clock[clock["status"].isin(TRAINING_STATES)]
    keys = wanted["expires"].dt.strftime("%Y-%m-%d").where(wanted["status"] != "never", "never")
    wanted = wanted.assign(state=wanted["status"], key=keys)[
        ["dsl_id", "email", "name", "role", "school_name", "state", "key"]]
    sent = query_frame(select(Reminder.dsl_id, Reminder.kind, Reminder.key).where(Reminder.kind.in_(TRAINING_STATES)),
                       ["dsl_id", "state", "key"])
    if sent.empty:
        return wanted.reset_index(drop=True)
    merged = wanted.merge(sent.assign(_sent=True), on=["dsl_id", "state", "key"], how="left")
    return merged[merged["_sent"].isna()].drop(columns="_sent").reset_index(drop=True)


def _training_messages(due: pd.DataFrame, base: dict) -> list[tuple[str, dict]]:
    """(recipient, context) for each row of ``due``. Columns are read as plain lists and each expiry
    date is worded once: tens of thousands of rows, a few hundred dates."""
    expiries = {key: uk_date(date.fromisoformat(key)) for key in set(due["key"].tolist()) if key != "never"}
    columns = [due[column].tolist() for column in ("email", "name", "state", "key", "school_name", "role")]
    return [(email, {**base, "name": name, "state": state, "expires_text": expiries.get(key, ""), "school": school,
                     "role_text": "DSL" if role == "DSL" else "deputy DSL"})
            for email, name, state, key, school, role in zip(*columns)]


def send_training_reminders(on: date, dry_run: bool = False) -> dict[str, int]:
    """Queue each DSL's reminder for their training state on ``on``, unless already queued; returns
    the number for each state (what would be queued, with ``dry_run``)."""
    due = training_reminders_due(on)
    counts = {state: int((due["state"] == state).sum()) for state in TRAINING_STATES}
    if dry_run or due.empty:
        return counts
    bulk_insert(Reminder.__table__, due.assign(kind=due["state"], queued_at=utcnow()),
                ["dsl_id", "kind", "key", "queued_at"])
    config = current_app.config
    base = {"council_name": config["COUNCIL_NAME"], "service_name": config["SERVICE_NAME"],
            "my_training": external_url("courses.my_training")}
    queue_many(messages.TRAINING_REMINDER, _training_messages(due, base))
    db.session.flush()
    return counts


def send_session_reminders(on: date, dry_run: bool = False) -> int:
    """Queue a reminder for everyone booked on a session starting in the next two days (from ``on``),
    once per booking and session day; returns how many (would be) queued."""
    bookings = list(db.session.scalars(select(Booking).join(Booking.session).options(
        joinedload(Booking.dsl), joinedload(Booking.session).joinedload(CourseSession.course_type),
        joinedload(Booking.session).selectinload(CourseSession.parts)).where(
        Booking.status == "booked", CourseSession.cancelled.is_(False),
        CourseSession.first_day > on, CourseSession.first_day <= on + timedelta(days=SESSION_REMINDER_DAYS))))
    keys = {b.id: f"{b.session_id}:{b.session.first_day.isoformat()}" for b in bookings}
    sent = set(db.session.execute(select(Reminder.dsl_id, Reminder.key).where(
        Reminder.kind == "session", Reminder.key.in_(set(keys.values())))).all()) if keys else set()
    todo = [b for b in bookings if (b.dsl_id, keys[b.id]) not in sent]
    if dry_run:
        return len(todo)
    for booking in todo:
        db.session.add(Reminder(dsl_id=booking.dsl_id, kind="session", key=keys[booking.id], queued_at=utcnow()))
        queue(messages.SESSION_REMINDER, booking.dsl.email, messages.session_reminder_context(booking))
    db.session.flush()
    return len(todo)
