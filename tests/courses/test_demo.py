"""The demo county's courses: the September 2020 treatment group, past and upcoming sessions."""

from datetime import date

from sqlalchemy import distinct, func, select

from core.demo import load_demo
from core.extensions import db
from core.timefmt import today_london
from courses.models import Attendance, Booking, CourseSession, CourseType
from people.models import Dsl


def test_demo_courses(app, db_session):
    load_demo()
    today = today_london()
    past = db.session.scalar(select(func.count()).select_from(CourseSession).where(CourseSession.first_day < today))
    upcoming = db.session.scalar(select(func.count()).select_from(CourseSession).where(CourseSession.first_day >= today))
    assert 35 <= past <= 50 and upcoming == 10
    treated = db.session.scalar(
        select(func.count(distinct(Attendance.dsl_id))).join(CourseSession).join(CourseType).where(
            Attendance.status == "attended", CourseType.code.in_(["induction", "refresher"]),
            CourseSession.first_day.between(date(2020, 9, 1), date(2020, 9, 30))))
    assert treated == 165
    demo = db.session.scalar(select(Dsl).where(Dsl.email == "dsl@demo.test"))
    assert db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.dsl_id == demo.id)) >= 1
    assert db.session.scalar(select(func.count()).select_from(Booking).join(CourseSession).where(
        Booking.dsl_id == demo.id, Booking.status == "booked", CourseSession.first_day >= today)) == 1
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "waitlisted")) >= 1
