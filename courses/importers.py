"""The attendance import file, on the shared import machinery. Sessions it names that do not
exist yet are created (historical back-fill)."""

import pandas as pd
from sqlalchemy import func, insert, select, update

from core.auth import ADMIN, TRAINER
from core.bulk import bulk_insert
from core.extensions import db
from core.imports import Column, ImportKind, RowError
from core.timefmt import today_london, uk_date, utcnow
from courses.models import ATTENDANCE_STATUSES, Attendance, CourseSession, CourseType
from people.models import Dsl

CHUNK = 5000


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class AttendanceImport(ImportKind):
    name = "attendance"
    label = "Course attendance"
    roles = (ADMIN, TRAINER)
    key = ("course", "session_date", "session_code", "email")
    columns = (
        Column("course", "text", max_length=40, description="course code: induction, refresher, kcsie-update or another"),
        Column("session_date", "date", description="date of the session's first day"),
        Column("email", "email", max_length=254, description="email of a DSL already on the register"),
        Column("status", "choice", choices=ATTENDANCE_STATUSES),
        Column("session_code", "text", required=False, max_length=40,
               description="tells apart two sessions of one course on one day"),
    )
    compared = ("status",)

    def resolve(self, frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
        frame = frame.assign(course=frame["course"].str.lower(), session_code=frame["session_code"].fillna(""))
        types = dict(db.session.execute(select(CourseType.code, CourseType.id)).all())
        course_type_id = frame["course"].map(types)
        for row, code in zip(frame.loc[course_type_id.isna(), "_row"], frame.loc[course_type_id.isna(), "course"]):
            errors.append(RowError(int(row), "course", f"'{code}' is not a course code (known: {', '.join(sorted(types))})."))
        emails = frame["email"].dropna().unique().tolist()
        known = {}
        for chunk in _chunks(emails):
            known.update(dict(db.session.execute(select(Dsl.email, Dsl.id).where(Dsl.email.in_(chunk))).all()))
        dsl_id = frame["email"].map(known)
        for row, email in zip(frame.loc[dsl_id.isna(), "_row"], frame.loc[dsl_id.isna(), "email"]):
            errors.append(RowError(int(row), "email", f"no DSL with the email {email} is on the register."))
        frame = frame.assign(course_type_id=course_type_id.astype("Int64"), dsl_id=dsl_id.astype("Int64"))
        # The training clock counts attendance, so none is taken for a session that has not happened.
        today = today_london()
        future = pd.to_datetime(frame["session_date"]).dt.date > today
        for row, day in zip(frame.loc[future, "_row"], frame.loc[future, "session_date"]):
            errors.append(RowError(int(row), "session_date", f"{uk_date(pd.Timestamp(day).date())} has not come yet: "
                                   "attendance can be recorded once a session has started."))
        if errors:
            return frame
        sessions = self._sessions(frame)
        keys = list(zip(frame["course_type_id"].astype(int), frame["session_date"], frame["session_code"]))
        return frame.assign(session_id=pd.array([sessions.get(k) for k in keys], dtype="Int64"))

    def _sessions(self, frame: pd.DataFrame) -> dict:
        """{(course type id, first day, code or ""): session id} for the sessions the file names."""
        days = sorted(set(frame["session_date"]))
        found = {}
        for chunk in _chunks(days):
            rows = db.session.execute(select(CourseSession.course_type_id, CourseSession.first_day,
                                             func.coalesce(CourseSession.code, ""), CourseSession.id).where(
                CourseSession.first_day.in_(chunk))).all()
            found.update({(t, d, c): i for t, d, c, i in rows})
        return found

    def existing(self, frame: pd.DataFrame) -> pd.DataFrame:
        session_ids = [int(i) for i in frame["session_id"].dropna().unique()]
        rows = []
        for chunk in _chunks(session_ids):
            rows += db.session.execute(
                select(CourseType.code, CourseSession.first_day, func.coalesce(CourseSession.code, ""), Dsl.email,
                       Attendance.status, Attendance.id)
                .join(CourseSession, Attendance.session_id == CourseSession.id)
                .join(CourseType, CourseSession.course_type_id == CourseType.id)
                .join(Dsl, Attendance.dsl_id == Dsl.id)
                .where(Attendance.session_id.in_(chunk))).all()
        return pd.DataFrame(rows, columns=["course", "session_date", "session_code", "email", "status", "id"])

    def write(self, create: pd.DataFrame, update_rows: pd.DataFrame, batch) -> None:
        now = utcnow()
        if len(create):
            create = self._create_missing_sessions(create, now)
            bulk_insert(Attendance.__table__,
                        create.assign(recorded_at=now, import_batch_id=batch.id).astype(
                            {"session_id": "int64", "dsl_id": "int64"}),
                        ["session_id", "dsl_id", "status", "recorded_at", "import_batch_id"])
        if len(update_rows):
            db.session.execute(update(Attendance), [
                {"id": int(i), "status": s, "recorded_at": now, "import_batch_id": batch.id}
                for i, s in zip(update_rows["id"], update_rows["status"])])

    def _create_missing_sessions(self, create: pd.DataFrame, now) -> pd.DataFrame:
        missing = create[create["session_id"].isna()]
        if missing.empty:
            return create
        sizes = missing.groupby(["course_type_id", "session_date", "session_code"]).size()
        db.session.execute(insert(CourseSession), [
            {"course_type_id": int(t), "first_day": d, "code": c or None, "mode": "online", "capacity": int(n),
             "cancelled": False, "created_at": now, "updated_at": now, "notes": "Created by an attendance import."}
            for (t, d, c), n in sizes.items()])
        sessions = self._sessions(create)
        keys = list(zip(create["course_type_id"].astype(int), create["session_date"], create["session_code"]))
        return create.assign(session_id=pd.array([sessions.get(k) for k in keys], dtype="Int64"))
