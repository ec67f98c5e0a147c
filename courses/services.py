"""Course types, sessions, bookings, the register and the training clock. Functions flush, never commit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

import numpy as np
import pandas as pd
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from core import audit
from core.database import begin_writing, is_sqlite
from core.extensions import db
from core.frames import query_frame
from core.paging import paginate
from core.timefmt import london_to_utc, today_london, uk_date, uk_datetime, utcnow
from courses import messages
from courses.certificate import CertificateContent
from courses.clock import Periods, add_months, clock_columns, training_clock
from courses.models import (
    Attendance,
    Booking,
    CalendarFeed,
    ClockSettings,
    CourseSession,
    CourseType,
    SessionPart,
)
from people.models import Dsl, School, User
from people.services import find_user, normalise_email


class CourseError(ValueError):
    """A request about courses that cannot be carried out, with a message for the person."""


# -- settings and course types ------------------------------------------------------------------


def clock_settings() -> ClockSettings:
    settings = db.session.get(ClockSettings, 1)
    if settings is None:  # the migration makes it; this only guards a hand-emptied table
        settings = ClockSettings(id=1, training_months=24, update_months=12, due_days=90)
        db.session.add(settings)
        db.session.flush()
    return settings


def periods() -> Periods:
    s = clock_settings()
    return Periods(s.training_months, s.update_months, s.due_days)


def save_clock_settings(training_months: int, update_months: int, due_days: int) -> ClockSettings:
    settings = clock_settings()
    before = audit.values_of(settings, CLOCK_FIELDS)
    settings.training_months, settings.update_months, settings.due_days = training_months, update_months, due_days
    db.session.flush()
    audit.record_change("courses.clock_settings.changed", object_type="clock_settings", object_id=settings.id,
                        before=before, after=audit.values_of(settings, CLOCK_FIELDS))
    return settings


CLOCK_FIELDS = ("training_months", "update_months", "due_days")
COURSE_TYPE_FIELDS = ("code", "name", "validity_months", "renews", "days")
SESSION_FIELDS = ("course_type_id", "first_day", "code", "mode", "capacity", "trainer_id", "joining_link", "venue",
                  "address", "district", "notes")


def course_types() -> list[CourseType]:
    return list(db.session.scalars(select(CourseType).order_by(CourseType.name)))


def course_type_by_code(code: str) -> CourseType | None:
    return db.session.scalar(select(CourseType).where(CourseType.code == (code or "").strip().lower()))


def save_course_type(course_type: CourseType | None, *, code: str, name: str, validity_months: int, renews: str,
                     days: int) -> CourseType:
    code = code.strip().lower()
    other = course_type_by_code(code)
    if other is not None and other is not course_type:
        raise CourseError("Another course type already has this code")
    created = course_type is None
    before = audit.values_of(course_type, COURSE_TYPE_FIELDS)
    if course_type is None:
        course_type = CourseType()
        db.session.add(course_type)
    course_type.code, course_type.name = code, name.strip()
    course_type.validity_months, course_type.renews, course_type.days = validity_months, renews, days
    db.session.flush()
    audit.record_change("courses.course_type.created" if created else "courses.course_type.updated",
                        object_type="course_type", object_id=course_type.id, before=before,
                        after=audit.values_of(course_type, COURSE_TYPE_FIELDS))
    return course_type


# -- sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartTimes:
    day: date
    starts: time
    ends: time


def save_session(course_session: CourseSession | None, *, course_type: CourseType, parts: list[PartTimes], mode: str,
                 capacity: int, code: str | None = None, joining_link: str | None = None, venue: str | None = None,
                 address: str | None = None, district: str | None = None, trainer: User | None = None,
                 notes: str | None = None) -> CourseSession:
    """Create or edit a session; raising capacity promotes people from the waiting list."""
    if not parts:
        raise CourseError("Add at least one part with a date and times")
    parts = sorted(parts, key=lambda p: (p.day, p.starts))
    for part in parts:
        if part.ends <= part.starts:
            raise CourseError("Each part must end after it starts")
    code = (code or "").strip() or None
    first_day = parts[0].day
    clash = db.session.scalar(select(CourseSession).where(
        CourseSession.course_type_id == course_type.id, CourseSession.first_day == first_day,
        CourseSession.code.is_(None) if code is None else CourseSession.code == code))
    if clash is not None and clash is not course_session:
        raise CourseError("There is already a session of this course on this day with the same code; give this one a code such as 'pm'")
    created = course_session is None
    before = _session_values(course_session)
    if course_session is None:
        course_session = CourseSession(cancelled=False)
        db.session.add(course_session)
    course_session.course_type = course_type
    course_session.first_day, course_session.code, course_session.mode = first_day, code, mode
    course_session.capacity, course_session.trainer = capacity, trainer
    course_session.joining_link = (joining_link or "").strip() or None if mode == "online" else None
    course_session.venue = (venue or "").strip() or None if mode == "in-person" else None
    course_session.address = (address or "").strip() or None if mode == "in-person" else None
    course_session.district = (district or "").strip() or None
    course_session.notes = (notes or "").strip() or None
    course_session.parts = [SessionPart(starts_at=london_to_utc(p.day, p.starts), ends_at=london_to_utc(p.day, p.ends))
                            for p in parts]
    db.session.flush()
    audit.record_change("courses.session.created" if created else "courses.session.updated", object_type="session",
                        object_id=course_session.id, before=before, after=_session_values(course_session))
    promote_waitlist(course_session)
    return course_session


def _session_values(course_session: CourseSession | None) -> dict:
    """What the audit trail compares before and after a session is saved, its parts as UTC times."""
    values = audit.values_of(course_session, SESSION_FIELDS)
    values["parts"] = None if course_session is None else [
        [part.starts_at.isoformat(), part.ends_at.isoformat()] for part in course_session.parts]
    return values


def has_attendance(course_session: CourseSession) -> bool:
    return db.session.scalar(select(Attendance.id).where(Attendance.session_id == course_session.id).limit(1)) is not None


def cancel_session(course_session: CourseSession) -> int:
    """Cancel a session and email everyone booked or waiting; returns how many were told. Refused once
    attendance is recorded: the session took place."""
    if course_session.cancelled:
        return 0
    if has_attendance(course_session):
        raise CourseError("This session cannot be cancelled: attendance has been recorded for it")
    course_session.cancelled = True
    audit.record("courses.session.cancelled", object_type="session", object_id=course_session.id,
                 old={"cancelled": False}, new={"cancelled": True})
    told = list(db.session.scalars(select(Booking).options(joinedload(Booking.dsl)).where(
        Booking.session_id == course_session.id, Booking.status != "cancelled")))
    started = session_started(course_session)
    if not started:
        messages.queue_session_cancelled(told)
    db.session.flush()
    return 0 if started else len(told)


def session_started(course_session: CourseSession, now=None) -> bool:
    """Whether the session's first part has begun (a session without parts: its first day has come)."""
    starts = [part.starts_at for part in course_session.parts]
    if not starts:
        return course_session.first_day <= today_london()
    return min(starts) <= (now or utcnow())


SESSION_PAGE_SIZE = 50


def _sessions_statement(when: str, course_type_id: int | None, district: str):
    """Upcoming (soonest first) or past (latest first) sessions, optionally of one course type or district,
    with their course type and parts loaded alongside."""
    today = today_london()
    statement = select(CourseSession).options(joinedload(CourseSession.course_type), selectinload(CourseSession.parts))
    if when == "past":
        statement = statement.where(CourseSession.first_day < today).order_by(CourseSession.first_day.desc(),
                                                                              CourseSession.id.desc())
    else:
        statement = statement.where(CourseSession.first_day >= today).order_by(CourseSession.first_day,
                                                                               CourseSession.id)
    if course_type_id:
        statement = statement.where(CourseSession.course_type_id == course_type_id)
    if district:
        statement = statement.where(CourseSession.district == district)
    return statement


def sessions_page(when: str = "upcoming", course_type_id: int | None = None, district: str = "",
                  page: int | None = 1, per_page: int = SESSION_PAGE_SIZE) -> Pagination:
    """One page of the trainer's session list, in a fixed number of queries however many sessions there are."""
    return paginate(_sessions_statement(when, course_type_id, district), page, per_page)


def session_districts() -> list[str]:
    return [d for d in db.session.scalars(select(CourseSession.district).distinct().order_by(CourseSession.district)) if d]


def booking_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """{session id: {"booked": n, "waitlisted": n}} for the given sessions, in one query."""
    counts: dict[int, dict[str, int]] = {i: {"booked": 0, "waitlisted": 0} for i in session_ids}
    if not session_ids:
        return counts
    rows = db.session.execute(select(Booking.session_id, Booking.status, func.count()).where(
        Booking.session_id.in_(session_ids), Booking.status != "cancelled").group_by(Booking.session_id, Booking.status))
    for session_id, status, n in rows:
        counts[session_id][status] = n
    return counts


def open_sessions(limit: int = 10, excluding: Iterable[int] = (), include_full: bool = False,
                  hide_courses: Iterable[str] = ()) -> list[tuple[CourseSession, int]]:
    """The next ``limit`` sessions that are not cancelled and still have free places (leaving out
    ``excluding``, and courses whose codes are in ``hide_courses``), with the number free; with
    ``include_full`` full ones too (0 free), whose waiting list can be joined. The database picks
    them, so the cost does not grow with the number of sessions."""
    booked = (select(func.count()).select_from(Booking)
              .where(Booking.session_id == CourseSession.id, Booking.status == "booked")
              .correlate(CourseSession).scalar_subquery())
    statement = _sessions_statement("upcoming", None, "").where(CourseSession.cancelled.is_(False))
    if not include_full:
        statement = statement.where(CourseSession.capacity > booked)
    excluding, hide_courses = list(excluding), list(hide_courses)
    if excluding:
        statement = statement.where(CourseSession.id.not_in(excluding))
    if hide_courses:
        hidden = select(CourseType.id).where(CourseType.code.in_(hide_courses))
        statement = statement.where(CourseSession.course_type_id.not_in(hidden))
    return [(s, max(s.capacity - n, 0)) for s, n in db.session.execute(statement.add_columns(booked).limit(limit))]


# Which courses a DSL is not offered, by their training status: an induction is for someone never
# trained or whose training has lapsed, a refresher for someone who has trained before.
NOT_OFFERED = {"never": ("refresher",), "expired": (), "due": ("induction",), "in-date": ("induction",)}


def courses_not_offered(status: str) -> tuple[str, ...]:
    return NOT_OFFERED.get(status, ())


def other_booking_of_course(dsl: Dsl, course_session: CourseSession) -> Booking | None:
    """The DSL's place (or waiting-list place) on another upcoming session of the same course, if any."""
    return db.session.scalar(select(Booking).join(Booking.session).where(
        Booking.dsl_id == dsl.id, Booking.status != "cancelled", Booking.session_id != course_session.id,
        CourseSession.course_type_id == course_session.course_type_id, CourseSession.cancelled.is_(False),
        CourseSession.first_day >= today_london()).limit(1))


# -- bookings -----------------------------------------------------------------------------------


def _lock_session(course_session: CourseSession) -> None:
    """Serialise bookings on one session: a row lock on PostgreSQL. On SQLite the caller has
    already begun with ``core.database.begin_writing``, which holds the whole database's write lock."""
    if not is_sqlite(db.session):
        db.session.execute(select(CourseSession.id).where(CourseSession.id == course_session.id).with_for_update())


def _booked(course_session_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == course_session_id, Booking.status == "booked"))


def book_place(course_session: CourseSession, dsl: Dsl, booked_by: User | None = None) -> Booking:
    """Book ``dsl`` on the session, or put them on its waiting list when it is full.

    Booking again when already booked or waiting changes nothing."""
    if course_session.cancelled:
        raise CourseError("This session has been cancelled")
    if course_session.first_day < today_london():
        raise CourseError("This session has already taken place")
    _lock_session(course_session)
    booking = db.session.scalar(select(Booking).where(Booking.session_id == course_session.id, Booking.dsl_id == dsl.id))
    if booking is not None and booking.status in ("booked", "waitlisted"):
        return booking
    if _booked(course_session.id) < course_session.capacity:
        status, position = "booked", None
    else:
        last = db.session.scalar(select(func.max(Booking.waitlist_position)).where(
            Booking.session_id == course_session.id, Booking.status == "waitlisted"))
        status, position = "waitlisted", (last or 0) + 1
    if booking is None:
        booking = Booking(session_id=course_session.id, dsl_id=dsl.id)
        db.session.add(booking)
    booking.status, booking.waitlist_position = status, position
    booking.booked_by_id = booked_by.id if booked_by else None
    booking.created_at = utcnow()
    db.session.flush()
    messages.queue_booked(booking)
    return booking


def attendance_of(booking: Booking) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(Attendance.session_id == booking.session_id,
                                                      Attendance.dsl_id == booking.dsl_id))


def dsls_by_ids(ids, limit: int = 200) -> list[Dsl]:
    wanted = sorted({int(i) for i in ids})[:limit]
    return list(db.session.scalars(select(Dsl).where(Dsl.id.in_(wanted)).order_by(Dsl.name, Dsl.id))) if wanted else []


def booking_summary(bookings: list[Booking]) -> str:
    """'Booked: A, B. On the waiting list: C.' for a trainer who booked several people at once."""
    booked = [b.dsl.name for b in bookings if b.status == "booked"]
    waiting = [b.dsl.name for b in bookings if b.status == "waitlisted"]
    return " ".join(([f"Booked: {', '.join(booked)}."] if booked else [])
                    + ([f"On the waiting list (the session is full): {', '.join(waiting)}."] if waiting else []))


def cancel_booking(booking: Booking, by_trainer: bool = False) -> list[Booking]:
    """Cancel a place (or a place on the waiting list) and email the DSL; returns the bookings promoted
    into the freed place. Refused once the DSL's attendance is recorded: the register says what
    happened, and a certificate may rest on it, so it is changed there, not by cancelling."""
    if booking.status == "cancelled":
        return []
    if attendance_of(booking) is not None:
        raise CourseError("This place cannot be cancelled: attendance has been recorded for it. "
                          "Change the attendance on the register instead.")
    _lock_session(booking.session)
    old_status = booking.status
    booking.status, booking.waitlist_position = "cancelled", None
    db.session.flush()
    audit.record("courses.booking.cancelled", object_type="booking", object_id=booking.id,
                 old={"status": old_status}, new={"status": "cancelled", "by_trainer": by_trainer,
                                                  "session_id": booking.session_id, "dsl_id": booking.dsl_id})
    if not session_started(booking.session):
        messages.queue_cancelled(booking, by_trainer)
    return promote_waitlist(booking.session)


def promote_waitlist(course_session: CourseSession) -> list[Booking]:
    """Move people from the waiting list into free places, first come first served."""
    free = course_session.capacity - _booked(course_session.id)
    if free <= 0 or course_session.cancelled:
        return []
    waiting = list(db.session.scalars(select(Booking).where(
        Booking.session_id == course_session.id, Booking.status == "waitlisted").order_by(
        Booking.waitlist_position, Booking.id).limit(free)))
    for booking in waiting:
        booking.status, booking.waitlist_position = "booked", None
        messages.queue_promoted(booking)
    db.session.flush()
    return waiting


def booking_for(dsl: Dsl, booking_id: int) -> Booking | None:
    """A booking of this DSL's, by id, with its session, course type and parts (its calendar file and
    its cancelling need them); None for anyone else's."""
    return db.session.scalar(select(Booking).options(
        joinedload(Booking.session).joinedload(CourseSession.course_type),
        joinedload(Booking.session).selectinload(CourseSession.parts)).where(
        Booking.id == booking_id, Booking.dsl_id == dsl.id))


def session_bookings(course_session: CourseSession) -> list[Booking]:
    return list(db.session.scalars(select(Booking).options(joinedload(Booking.dsl).joinedload(Dsl.school)).where(
        Booking.session_id == course_session.id).order_by(Booking.status, Booking.waitlist_position, Booking.created_at)))


def find_dsls(query: str, limit: int = 20) -> list[Dsl]:
    """DSLs whose name, email or school matches ``query``, for booking on someone's behalf."""
    text = (query or "").strip().lower()
    if len(text) < 2:
        return []
    like = f"%{text}%"
    return list(db.session.scalars(select(Dsl).join(Dsl.school).options(joinedload(Dsl.school)).where(
        or_(func.lower(Dsl.name).like(like), Dsl.email.like(like), func.lower(School.name).like(like))).order_by(
        Dsl.name).limit(limit)))


# -- the register -------------------------------------------------------------------------------


@dataclass
class RegisterRow:
    dsl: Dsl
    booking: Booking | None
    attendance: Attendance | None


def register_rows(course_session: CourseSession) -> list[RegisterRow]:
    """Everyone booked on the session and everyone with attendance recorded, in two queries."""
    bookings = db.session.scalars(select(Booking).options(joinedload(Booking.dsl).joinedload(Dsl.school)).where(
        Booking.session_id == course_session.id, Booking.status == "booked"))
    attendances = db.session.scalars(select(Attendance).options(joinedload(Attendance.dsl).joinedload(Dsl.school)).where(
        Attendance.session_id == course_session.id))
    rows: dict[int, RegisterRow] = {}
    for booking in bookings:
        rows[booking.dsl_id] = RegisterRow(booking.dsl, booking, None)
    for attendance in attendances:
        row = rows.setdefault(attendance.dsl_id, RegisterRow(attendance.dsl, None, None))
        row.attendance = attendance
    return sorted(rows.values(), key=lambda r: (r.dsl.name.lower(), r.dsl.email))


def not_started_message(course_session: CourseSession) -> str:
    first = min((p.starts_at for p in course_session.parts), default=None)
    when = uk_datetime(first) if first else uk_date(course_session.first_day)
    return f"Attendance can be recorded once the session has started, on {when}"


def check_started(course_session: CourseSession) -> None:
    """Attendance is recorded only once a session has begun, so the training clock never counts a
    session that has not happened."""
    if not session_started(course_session):
        raise CourseError(not_started_message(course_session))


def save_register(course_session: CourseSession, statuses: dict[int, str], recorded_by: User | None) -> int:
    """Record attendance for each DSL id in ``statuses`` (blank means not yet marked). Returns how many changed."""
    check_started(course_session)
    existing = {a.dsl_id: a for a in db.session.scalars(select(Attendance).where(Attendance.session_id == course_session.id))}
    old, new = {}, {}
    now = utcnow()
    for dsl_id, status in statuses.items():
        if not status:
            continue
        attendance = existing.get(dsl_id)
        if attendance is not None and attendance.status == status:
            continue
        old[str(dsl_id)], new[str(dsl_id)] = None if attendance is None else attendance.status, status
        if attendance is None:
            db.session.add(Attendance(session_id=course_session.id, dsl_id=dsl_id, status=status, recorded_at=now,
                                      recorded_by_id=recorded_by.id if recorded_by else None))
        else:
            attendance.status, attendance.recorded_at = status, now
            attendance.recorded_by_id = recorded_by.id if recorded_by else None
    db.session.flush()
    if new:
        # One event per save: each DSL's status before (null: not marked) and after, keyed by DSL id.
        audit.record("courses.register.changed", object_type="session", object_id=course_session.id, old=old, new=new)
    return len(new)


def mark_everyone_attended(statuses: dict[int, str]) -> dict[int, str]:
    """'Mark everyone attended': everyone not marked on the form becomes attended; a partly
    attended or absent mark the trainer has set stays."""
    return {dsl_id: status or "attended" for dsl_id, status in statuses.items()}


def add_walk_in(course_session: CourseSession, email: str, recorded_by: User | None) -> Dsl:
    """Someone on the register who came without booking: recorded as attended."""
    dsl = db.session.scalar(select(Dsl).where(Dsl.email == normalise_email(email)))
    if dsl is None:
        raise CourseError("There is no DSL on the register with this email address")
    save_register(course_session, {dsl.id: "attended"}, recorded_by)
    return dsl


@dataclass
class AttendeeMatch:
    name: str
    email: str
    dsl: Dsl | None
    minutes: float | None = None  # time in the meeting, from the list's duration column


def match_attendees(rows: list[dict], duration: str | None = None) -> list[AttendeeMatch]:
    """Match an online meeting's attendee list (name, email, and maybe a duration) to the register by
    email; someone on several rows (they rejoined) is one match with their minutes added up."""
    from courses.attendees import parse_minutes

    emails = sorted({normalise_email(r.get("email", "")) for r in rows if r.get("email")})
    known: dict[str, Dsl] = {}
    for start in range(0, len(emails), 500):
        for dsl in db.session.scalars(select(Dsl).where(Dsl.email.in_(emails[start:start + 500]))):
            known[dsl.email] = dsl
    out: dict[str, AttendeeMatch] = {}
    for row in rows:
        email = normalise_email(row.get("email", ""))
        name = (row.get("name") or "").strip()
        key = email or name
        if not key:
            continue
        minutes = parse_minutes(row.get(duration)) if duration else None
        match = out.get(key)
        if match is None:
            out[key] = AttendeeMatch(name, email, known.get(email), minutes)
        elif minutes is not None:
            match.minutes = (match.minutes or 0) + minutes
    return list(out.values())


def session_minutes(course_session: CourseSession) -> float:
    return sum((p.ends_at - p.starts_at).total_seconds() / 60 for p in course_session.parts)


@dataclass
class StatusChange:
    dsl: Dsl
    before: str  # the status recorded now
    after: str  # the status the attendee list suggests


def attendance_plan(course_session: CourseSession, proposed: dict[int, str]) -> tuple[dict[int, str], list[StatusChange]]:
    """Split the statuses an attendee list suggests into those for people not yet marked (applied as
    they are) and changes to statuses already recorded (applied only when the trainer ticks them)."""
    existing = dict(db.session.execute(select(Attendance.dsl_id, Attendance.status).where(
        Attendance.session_id == course_session.id, Attendance.dsl_id.in_(list(proposed)))).all())
    new = {i: status for i, status in proposed.items() if i not in existing}
    changed = [i for i, status in proposed.items() if i in existing and existing[i] != status]
    people = {d.id: d for d in db.session.scalars(select(Dsl).where(Dsl.id.in_(changed)))} if changed else {}
    changes = sorted((StatusChange(people[i], existing[i], proposed[i]) for i in changed),
                     key=lambda c: (c.dsl.name.lower(), c.dsl.id))
    return new, changes


def dsls_by_email(emails: list[str]) -> dict[str, Dsl]:
    wanted = sorted({normalise_email(e) for e in emails if e})
    if not wanted:
        return {}
    return {d.email: d for d in db.session.scalars(select(Dsl).where(Dsl.email.in_(wanted)))}


# -- a DSL's own training -----------------------------------------------------------------------


def upcoming_bookings(dsl: Dsl) -> list[Booking]:
    return list(db.session.scalars(select(Booking).join(Booking.session).options(
        joinedload(Booking.session).joinedload(CourseSession.course_type),
        joinedload(Booking.session).joinedload(CourseSession.parts)).where(
        Booking.dsl_id == dsl.id, Booking.status != "cancelled", CourseSession.first_day >= today_london()).order_by(
        CourseSession.first_day)).unique())


def next_booking(dsl: Dsl) -> Booking | None:
    """The DSL's next place on a session still to come (not waiting, not cancelled), if any: one
    statement, the session's parts joined in."""
    return db.session.scalars(select(Booking).join(Booking.session).options(
        joinedload(Booking.session).joinedload(CourseSession.course_type),
        joinedload(Booking.session).joinedload(CourseSession.parts)).where(
        Booking.dsl_id == dsl.id, Booking.status == "booked", CourseSession.cancelled.is_(False),
        CourseSession.first_day >= today_london()).order_by(CourseSession.first_day).limit(1)).unique().first()


def training_history(dsl: Dsl) -> list[Attendance]:
    return list(db.session.scalars(select(Attendance).join(Attendance.session).options(
        joinedload(Attendance.session).joinedload(CourseSession.course_type)).where(
        Attendance.dsl_id == dsl.id).order_by(CourseSession.first_day.desc())))


def attendance_for(dsl: Dsl, attendance_id: int) -> Attendance | None:
    """This DSL's attendance by id; None for anyone else's."""
    return db.session.scalar(select(Attendance).where(Attendance.id == attendance_id, Attendance.dsl_id == dsl.id))


def certificate_content(attendance: Attendance, council: str) -> CertificateContent:
    """What a certificate of attendance says: who, which course, when, and until when it is valid."""
    from core.timefmt import to_london, uk_date

    s = attendance.session
    days = sorted({to_london(p.starts_at).date() for p in s.parts}) or [s.first_day]
    valid_until = add_months(pd.Series([s.first_day]), s.course_type.validity_months).iloc[0].date()
    return CertificateContent(
        person=attendance.dsl.name, school=attendance.dsl.school.name, course=s.title,
        dates=", ".join(uk_date(d) for d in days), status_line="attended", valid_until=uk_date(valid_until),
        council=council, reference=f"RS-{s.id}-{attendance.id}")


def record_certificate_download(attendance: Attendance) -> None:
    """Note in the audit trail that a certificate (a person's name, school and training) was downloaded."""
    audit.record("courses.certificate.downloaded", object_type="attendance", object_id=attendance.id,
                 new={"dsl_id": attendance.dsl_id, "session_id": attendance.session_id})


def record_clock_export(filters: dict, rows: int, source: str = "web") -> None:
    """Note in the audit trail that the training clock (names and emails) left the service: the
    page's CSV download, or ``courses due`` (``source`` "cli")."""
    audit.record("courses.training_clock.exported", object_type="training_clock",
                 new={"filters": {name: value for name, value in filters.items() if value}, "rows": rows,
                      "source": source})


def feed_of(dsl: Dsl) -> CalendarFeed | None:
    """The DSL's calendar feed, if it has been made."""
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.dsl_id == dsl.id))


def calendar_feed(dsl: Dsl, regenerate: bool = False) -> CalendarFeed:
    """The DSL's calendar feed, made on first use; ``regenerate`` gives it a new token (the old URL stops working)."""
    feed = feed_of(dsl)
    if feed is None or regenerate:
        # About to write: on SQLite take the write lock first (a transaction that has read and then
        # writes fails at once if another request wrote in between), then look again under it.
        begin_writing(db.session)
        feed = feed_of(dsl)
    if feed is None:
        feed = CalendarFeed(dsl_id=dsl.id)
        db.session.add(feed)
        _new_feed_token(feed)
    elif regenerate:
        _new_feed_token(feed)
        feed.created_at = utcnow()
    db.session.flush()
    return feed


def _new_feed_token(feed: CalendarFeed) -> None:
    feed.salt = secrets.token_urlsafe(32)
    feed.token_hash = _feed_token_hash(feed_token(feed))


def _feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(feed: CalendarFeed) -> str | None:
    """The secret in the feed's address, made from its salt and SECRET_KEY; None for a feed made before
    tokens were hashed (its address still works, but only a new address can be shown)."""
    if feed.salt is None:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"calendar-feed:" + feed.salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def dsl_for_feed(token: str) -> Dsl | None:
    """The DSL whose feed has this token, while their account is active: a disabled account's feed
    stops at once, as does a feed whose DSL has no account any more."""
    if not token or len(token) > 64:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _feed_token_hash(token)))
    if feed is None:
        return None
    dsl = db.session.get(Dsl, feed.dsl_id)
    account = find_user(dsl.email) if dsl is not None else None
    if account is None or not account.active or account.role != "dsl":
        return None
    return dsl


# -- the training clock -------------------------------------------------------------------------


def register_frame(district: str = "", school_id: int | None = None, dsl_id: int | None = None) -> pd.DataFrame:
    """Every DSL on the register (optionally filtered) with their school's details."""
    statement = select(Dsl.id.label("dsl_id"), Dsl.email, Dsl.name, Dsl.role, School.id.label("school_id"),
                       School.urn.label("school_urn"), School.name.label("school_name"), School.district).join(
        School, Dsl.school_id == School.id).order_by(Dsl.name, Dsl.email)
    if district:
        statement = statement.where(School.district == district)
    if school_id:
        statement = statement.where(School.id == school_id)
    if dsl_id:
        statement = statement.where(Dsl.id == dsl_id)
    return query_frame(statement, ["dsl_id", "email", "name", "role", "school_id", "school_urn", "school_name",
                                   "district"])


def _attended(dsl_ids: list[int] | None = None):
    """Attended sessions: dsl_id, day (the session's first day), renews."""
    statement = select(Attendance.dsl_id, CourseSession.first_day, CourseType.renews).join(
        CourseSession, Attendance.session_id == CourseSession.id).join(
        CourseType, CourseSession.course_type_id == CourseType.id).where(Attendance.status == "attended")
    if dsl_ids is not None and len(dsl_ids) <= 1000:
        statement = statement.where(Attendance.dsl_id.in_(dsl_ids))
    return statement


def attended_frame(dsl_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per attended session: dsl_id, day (the session's first day), renews."""
    return query_frame(_attended(dsl_ids), ["dsl_id", "day", "renews"])


def clock_of(dsl: Dsl, on: date | None = None) -> dict:
    """One DSL's clock for their own training page: the training_clock columns, dates as
    ``datetime.date`` or None. Their attendance goes straight into the clock's arrays, with no frame."""
    rows = db.session.execute(_attended([dsl.id])).all()
    columns = clock_columns(np.array([dsl.id]), np.array([row.dsl_id for row in rows], dtype=np.int64),
                            np.array([row.first_day for row in rows], dtype="datetime64[ns]"),
                            np.array([row.renews == "training" for row in rows], dtype=bool),
                            on or today_london(), periods())
    return {"dsl_id": dsl.id, **{name: _plain(values[0]) for name, values in columns.items()}}


def _plain(value):
    """A clock value as a page shows it: a ``datetime.date``, None for no date, or the status text."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").item()
    return value


def search_clock(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    """The training clock's rows whose name, email or school name holds ``query`` (any case)."""
    text = (query or "").strip().lower()
    if not text:
        return frame
    found = pd.Series(False, index=frame.index)
    for column in ("name", "email", "school_name"):
        found |= frame[column].str.lower().str.contains(text, regex=False)
    return frame[found]


def school_cover_table(district: str = "", gaps_only: bool = False) -> tuple[pd.DataFrame, int, int]:
    """Each school's cover (an in-date DSL, an in-date deputy), schools without full cover first;
    with ``gaps_only`` only those. Returns the table, how many lack cover, and how many schools."""
    from courses.clock import school_cover

    frame = clock_for(district=district)
    cover = school_cover(frame)
    names = frame.drop_duplicates("school_id").set_index("school_id")[["school_name", "school_urn", "district"]]
    cover = cover.join(names, on="school_id").sort_values(["dsl_in_date", "deputy_in_date", "school_name"])
    without = ~(cover["dsl_in_date"] & cover["deputy_in_date"])
    total = len(cover)
    if gaps_only:
        cover = cover[without]
    return cover, int(without.sum()), total


def clock_for(on: date | None = None, district: str = "", school_id: int | None = None,
              dsl_id: int | None = None) -> pd.DataFrame:
    """The training clock for the register (or part of it) on day ``on`` (today by default)."""
    people = register_frame(district, school_id, dsl_id)
    attended = attended_frame(people["dsl_id"].tolist())
    return training_clock(people, attended, on or today_london(), periods())
