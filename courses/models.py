"""Course types, sessions and their dated parts, bookings, attendance, and the training-clock settings."""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow
from people.models import Dsl, User

RENEWS = ("training", "update")
RENEWS_LABELS = {"training": "The two-year DSL training", "update": "The annual knowledge update only"}
MODES = ("online", "in-person")
MODE_LABELS = {"online": "Online", "in-person": "In person"}
BOOKING_STATUSES = ("booked", "waitlisted", "cancelled")
ATTENDANCE_STATUSES = ("attended", "partial", "absent")
ATTENDANCE_LABELS = {"attended": "Attended", "partial": "Partly attended", "absent": "Absent"}


class CourseType(db.Model):
    """A kind of course: induction, refresher, the annual KCSIE update, or one an admin adds."""

    __tablename__ = "course_types"
    __table_args__ = (
        CheckConstraint(f"renews IN ({quoted(RENEWS)})", name="renews_known"),
        CheckConstraint("validity_months > 0", name="validity_positive"),
        CheckConstraint("days > 0", name="days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # used in import files, e.g. "refresher"
    name: Mapped[str] = mapped_column(String(200))
    # How long a certificate of this course says it is valid for.
    validity_months: Mapped[int] = mapped_column(Integer)
    # "training": renews the two-year DSL training; "update": renews only the annual update.
    renews: Mapped[str] = mapped_column(String(10))
    days: Mapped[int] = mapped_column(Integer, default=1)  # usual number of parts (days)

    def __repr__(self) -> str:
        return f"<CourseType {self.code}>"


class ClockSettings(db.Model):
    """The training-clock periods an admin can change. One row, id 1, made by the migration."""

    __tablename__ = "course_settings"
    __table_args__ = (
        CheckConstraint("training_months > 0", name="training_months_positive"),
        CheckConstraint("update_months > 0", name="update_months_positive"),
        CheckConstraint("due_days >= 0", name="due_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_months: Mapped[int] = mapped_column(Integer, default=24)  # DSL training renewed at least this often
    update_months: Mapped[int] = mapped_column(Integer, default=12)  # knowledge updated at least this often
    due_days: Mapped[int] = mapped_column(Integer, default=90)  # "due" when expiry is this close


class CourseSession(db.Model):
    """One run of a course: one or more dated parts, online or in person, with a capacity."""

    __tablename__ = "course_sessions"
    __table_args__ = (
        UniqueConstraint("course_type_id", "first_day", "code", name="uq_course_sessions_course_day_code"),
        CheckConstraint(f"mode IN ({quoted(MODES)})", name="mode_known"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_type_id: Mapped[int] = mapped_column(ForeignKey("course_types.id", ondelete="RESTRICT"), index=True)
    first_day: Mapped[date] = mapped_column(Date, index=True)  # date of the first part, in London
    # Tells apart two sessions of one course on one day (e.g. "am", "pm"); usually empty.
    code: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10), default="online")
    joining_link: Mapped[str | None] = mapped_column(String(500))
    venue: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    district: Mapped[str | None] = mapped_column(String(200), index=True)  # the area the session serves
    capacity: Mapped[int] = mapped_column(Integer, default=30)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course_type: Mapped[CourseType] = relationship()
    trainer: Mapped[User | None] = relationship()
    parts: Mapped[list["SessionPart"]] = relationship(back_populates="session", order_by="SessionPart.starts_at",
                                                      cascade="all, delete-orphan")

    @property
    def title(self) -> str:
        return self.course_type.name + (f" ({self.code})" if self.code else "")

    def __repr__(self) -> str:
        return f"<CourseSession {self.id} {self.first_day}>"


class SessionPart(db.Model):
    """A dated part of a session (a day, or a morning), its times stored in UTC."""

    __tablename__ = "session_parts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]  # UTC

    session: Mapped[CourseSession] = relationship(back_populates="parts")


class Booking(db.Model):
    """A DSL's place on a session, or their place in its waiting list. One row per DSL and session."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "dsl_id", name="uq_bookings_session_dsl"),
        CheckConstraint(f"status IN ({quoted(BOOKING_STATUSES)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Order on the waiting list (lower goes first); null unless waitlisted.
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    session: Mapped[CourseSession] = relationship()
    dsl: Mapped[Dsl] = relationship()


class Attendance(db.Model):
    """What happened: a DSL attended, partly attended or missed a session."""

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("session_id", "dsl_id", name="uq_attendances_session_dsl"),
        CheckConstraint(f"status IN ({quoted(ATTENDANCE_STATUSES)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"), index=True)

    session: Mapped[CourseSession] = relationship()
    dsl: Mapped[Dsl] = relationship()


class CalendarFeed(db.Model):
    """A DSL's personal calendar feed: its secret token is the only key to the feed URL. Only a hash of
    the token is stored; the token itself is made again, for the DSL's own page, from ``salt`` and the
    app's SECRET_KEY (courses/services.py), so the database alone never gives a feed away."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    # Random; with SECRET_KEY it gives the token. Null for a feed made before tokens were hashed: its
    # old address keeps working, but cannot be shown again until the DSL makes a new one.
    salt: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


REMINDER_KINDS = ("due", "expired", "never", "session")


class Reminder(db.Model):
    """A reminder queued for a DSL, kept so the same reminder is never queued twice: one per training
    state and expiry date (``key`` is the expiry date, or "never"), and one per session booked (``key``
    is the session id and its first day, so a session moved to another day is reminded of again)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("dsl_id", "kind", "key", name="uq_reminders_dsl_kind_key"),
        CheckConstraint(f"kind IN ({quoted(REMINDER_KINDS)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(40))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
