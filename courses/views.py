"""Pages for sessions, bookings, the register, the training clock, and a DSL's own training."""

import csv
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.auth import ADMIN, DSL, TRAINER, public, roles_required
from core.database import begin_writing
from core.extensions import db
from core.imports import RejectedFile, read_table
from core.paging import page_within
from core.timefmt import uk_date, utcnow
from courses import services
from courses.calendar import CalendarEvent, build_calendar
from courses.certificate import build_certificate
from courses.clock import STATUS_LABELS, STATUSES, as_dates, school_cover
from courses.forms import (
    ActionForm,
    AttendeeUploadForm,
    BookOnBehalfForm,
    ClockSettingsForm,
    CourseTypeForm,
    SessionForm,
    WalkInForm,
    attendee_confirm_form,
    register_form,
)
from courses.models import Attendance, Booking, CourseSession, CourseType
from courses.services import CourseError
from people.models import Dsl, School, User
from people.services import districts

bp = Blueprint("courses", __name__)
STAFF = (ADMIN, TRAINER)
CLOCK_PAGE_SIZE = 100


def _current_dsl() -> Dsl | None:
    return current_user.dsl


def _my_dsl() -> Dsl:
    dsl = _current_dsl()
    if dsl is None:
        abort(404)
    return dsl


def _trainers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.in_(STAFF), User.active.is_(True)).order_by(User.name)))


# -- course types and settings (admins) ---------------------------------------------------------


@bp.route("/course-types")
@roles_required(ADMIN)
def course_types():
    return render_template("courses/course_types.html", types=services.course_types(),
                           settings=services.clock_settings())


@bp.route("/course-types/new", methods=["GET", "POST"])
@bp.route("/course-types/<int:type_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def course_type_edit(type_id=None):
    course_type = db.get_or_404(CourseType, type_id) if type_id else None
    form = CourseTypeForm(obj=course_type)
    if form.validate_on_submit():
        try:
            services.save_course_type(course_type, code=form.code.data, name=form.name.data,
                                      validity_months=form.validity_months.data, renews=form.renews.data,
                                      days=form.days.data)
        except CourseError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{form.name.data} has been saved.", "success")
            return redirect(url_for("courses.course_types"))
    return render_template("courses/course_type_form.html", form=form, course_type=course_type)


@bp.route("/course-types/clock-settings", methods=["GET", "POST"])
@roles_required(ADMIN)
def course_type_settings():
    form = ClockSettingsForm(obj=services.clock_settings())
    if form.validate_on_submit():
        services.save_clock_settings(form.training_months.data, form.update_months.data, form.due_days.data)
        db.session.commit()
        flash("The training clock settings have been saved.", "success")
        return redirect(url_for("courses.course_types"))
    return render_template("courses/clock_settings.html", form=form)


# -- sessions (trainers and admins) ---------------------------------------------------------------


@bp.route("/sessions/")
@roles_required(*STAFF)
def sessions():
    when = "past" if request.args.get("when") == "past" else "upcoming"
    course_type_id = request.args.get("course", type=int)
    district = request.args.get("district", "")
    page = services.sessions_page(when, course_type_id, district, request.args.get("page", 1, type=int))
    counts = services.booking_counts([s.id for s in page.items])
    # Page links keep the filters; empty ones are left out of the address.
    filters = {"when": "past" if when == "past" else None, "course": course_type_id, "district": district or None}
    return render_template("courses/sessions.html", page=page, counts=counts, when=when, filters=filters,
                           course_type_id=course_type_id, district=district, types=services.course_types(),
                           districts=sorted(set(services.session_districts()) | set(districts())))


@bp.route("/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_edit(session_id=None):
    course_session = db.get_or_404(CourseSession, session_id) if session_id else None
    form = SessionForm(services.course_types(), _trainers(), obj=course_session)
    if request.method == "GET":
        if course_session is not None:
            form.course_type.data = str(course_session.course_type_id)
            form.trainer.data = str(course_session.trainer_id or "")
            form.fill_parts(course_session)
        else:
            form.trainer.data = str(current_user.id)
    if form.validate_on_submit():
        trainer = db.session.get(User, int(form.trainer.data)) if form.trainer.data else None
        course_type = db.session.get(CourseType, int(form.course_type.data))
        try:
            saved = services.save_session(
                course_session, course_type=course_type, parts=form.parts, mode=form.mode.data,
                capacity=form.capacity.data, code=form.code.data, joining_link=form.joining_link.data,
                venue=form.venue.data, address=form.address.data, district=form.district.data, trainer=trainer,
                notes=form.notes.data)
        except CourseError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"The {course_type.name} session on {uk_date(saved.first_day)} has been saved.", "success")
            return redirect(url_for("courses.session_detail", session_id=saved.id))
    return render_template("courses/session_form.html", form=form, course_session=course_session)


@bp.route("/sessions/<int:session_id>")
@roles_required(*STAFF)
def session_detail(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    query = request.args.get("q", "")
    return render_template("courses/session_detail.html", s=course_session,
                           bookings=services.session_bookings(course_session),
                           counts=services.booking_counts([course_session.id])[course_session.id],
                           query=query, found=services.find_dsls(query), book_form=BookOnBehalfForm(),
                           action_form=ActionForm())


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*STAFF)
def session_cancel(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.cancel_session(course_session)
    db.session.commit()
    flash("The session has been cancelled. Let the people booked on it know.", "success")
    return redirect(url_for("courses.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/book", methods=["POST"])
@roles_required(*STAFF)
def session_book(session_id):
    form = BookOnBehalfForm()
    if not form.validate_on_submit() or not form.dsl_id.data.isdigit():
        abort(400)
    begin_writing(db.session)
    course_session = db.get_or_404(CourseSession, session_id)
    dsl = db.get_or_404(Dsl, int(form.dsl_id.data))
    try:
        booking = services.book_place(course_session, dsl, current_user._get_current_object())
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"{dsl.name} is {'booked' if booking.status == 'booked' else 'on the waiting list'}.", "success")
    return redirect(url_for("courses.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/bookings/<int:booking_id>/cancel", methods=["POST"])
@roles_required(*STAFF)
def session_booking_cancel(session_id, booking_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    begin_writing(db.session)
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id, Booking.session_id == session_id))
    if booking is None:
        abort(404)
    promoted = services.cancel_booking(booking)
    db.session.commit()
    flash("The place has been cancelled." + (f" {len(promoted)} moved up from the waiting list." if promoted else ""),
          "success")
    return redirect(url_for("courses.session_detail", session_id=session_id))


# -- the register -------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/register", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_register(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    rows = services.register_rows(course_session)
    form = register_form(rows)
    if form.validate_on_submit():
        statuses = {row.dsl.id: form[f"dsl_{row.dsl.id}"].data or "" for row in rows}
        changed = services.save_register(course_session, statuses, current_user._get_current_object())
        db.session.commit()
        flash(f"The register has been saved ({changed} change{'s' if changed != 1 else ''}).", "success")
        return redirect(url_for("courses.session_register", session_id=session_id))
    return render_template("courses/register.html", s=course_session, rows=rows, form=form,
                           walk_in=WalkInForm(formdata=None), upload=AttendeeUploadForm(formdata=None))


@bp.route("/sessions/<int:session_id>/register/walk-in", methods=["POST"])
@roles_required(*STAFF)
def session_walk_in(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    walk_in = WalkInForm()
    if walk_in.validate_on_submit():
        try:
            dsl = services.add_walk_in(course_session, walk_in.email.data, current_user._get_current_object())
        except CourseError as error:
            walk_in.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{dsl.name} has been added to the register as attended.", "success")
            return redirect(url_for("courses.session_register", session_id=session_id))
    rows = services.register_rows(course_session)
    return render_template("courses/register.html", s=course_session, rows=rows, form=register_form(rows, formdata={}),
                           walk_in=walk_in, upload=AttendeeUploadForm(formdata=None)), 400


@bp.route("/sessions/<int:session_id>/register/attendees", methods=["POST"])
@roles_required(*STAFF)
def session_attendees(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    upload = AttendeeUploadForm()
    if upload.validate_on_submit():
        data = upload.file.data.read()
        try:
            table = read_table(data, upload.file.data.filename or "attendees.csv")
        except RejectedFile as rejected:
            upload.file.errors.append(str(rejected.errors[0]))
        else:
            if "email" not in table.columns:
                upload.file.errors.append("The list needs an 'email' column")
            else:
                matches = services.match_attendees(table.to_dict("records"))
                return _attendee_review(course_session, matches)
    rows = services.register_rows(course_session)
    return render_template("courses/register.html", s=course_session, rows=rows, form=register_form(rows, formdata={}),
                           walk_in=WalkInForm(formdata=None), upload=upload), 400


def _attendee_review(course_session, matches, form=None):
    matched = [m for m in matches if m.dsl is not None]
    unmatched = [m for m in matches if m.dsl is None]
    if form is None:
        form = attendee_confirm_form(len(unmatched))
        form.matched.data = ",".join(str(m.dsl.id) for m in matched)
        for n, m in enumerate(unmatched):
            form[f"attendee_{n}"].data = f"{m.name} <{m.email}>" if m.email else m.name
    return render_template("courses/attendees_review.html", s=course_session, matched=matched, unmatched=unmatched,
                           form=form)


@bp.route("/sessions/<int:session_id>/register/attendees/confirm", methods=["POST"])
@roles_required(*STAFF)
def session_attendees_confirm(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    count = sum(1 for key in request.form if key.startswith("attendee_"))
    form = attendee_confirm_form(min(count, 2000))
    if not form.validate_on_submit():
        abort(400)
    ids = {int(i) for i in (form.matched.data or "").split(",") if i.strip().isdigit()}
    pairs = [form[f"pair_{n}"].data for n in range(count) if form[f"pair_{n}"].data]
    known = services.dsls_by_email(pairs)
    problems = False
    for n in range(count):
        email = form[f"pair_{n}"].data
        if email and email.lower() not in known:
            form[f"pair_{n}"].errors.append(f"There is no DSL on the register with the email {email}")
            problems = True
    if problems:
        matched = [services.AttendeeMatch(d.name, d.email, d) for d in
                   db.session.scalars(select(Dsl).where(Dsl.id.in_(ids)))]
        unmatched = [services.AttendeeMatch(form[f"attendee_{n}"].data, "", None) for n in range(count)]
        return render_template("courses/attendees_review.html", s=course_session, matched=matched,
                               unmatched=unmatched, form=form), 400
    ids |= {d.id for d in known.values()}
    changed = services.save_register(course_session, {i: "attended" for i in ids}, current_user._get_current_object())
    db.session.commit()
    flash(f"{len(ids)} people marked as attended ({changed} change{'s' if changed != 1 else ''}).", "success")
    return redirect(url_for("courses.session_register", session_id=session_id))


# -- the training clock ---------------------------------------------------------------------------


def _clock_filters():
    district = request.args.get("district", "")
    school_id = request.args.get("school", type=int)
    status = request.args.get("status", "")
    return district, school_id, status if status in STATUSES else ""


@bp.route("/training-clock")
@roles_required(*STAFF)
def clock():
    district, school_id, status = _clock_filters()
    frame = as_dates(services.clock_for(district=district, school_id=school_id))
    counts = frame["status"].value_counts().to_dict()
    shown = frame[frame["status"] == status] if status else frame
    page, pages = page_within(request.args.get("page", 1, type=int), len(shown), CLOCK_PAGE_SIZE)
    rows = shown.iloc[(page - 1) * CLOCK_PAGE_SIZE: page * CLOCK_PAGE_SIZE].to_dict("records")
    school = db.session.get(School, school_id) if school_id else None
    return render_template("courses/clock.html", rows=rows, counts=counts, total=len(frame), shown=len(shown),
                           status=status, district=district, school=school, districts=districts(),
                           statuses=STATUSES, labels=STATUS_LABELS, page=page, pages=pages,
                           settings=services.clock_settings())


def _safe_cell(value) -> str:
    """Spreadsheet programs run cells starting with = + - @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/training-clock.csv")
@roles_required(*STAFF)
def clock_csv():
    district, school_id, status = _clock_filters()
    frame = as_dates(services.clock_for(district=district, school_id=school_id))
    if status:
        frame = frame[frame["status"] == status]
    columns = ["name", "email", "role", "school_urn", "school_name", "district", "last_trained", "expires", "status",
               "last_updated", "update_expires", "update_status"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for record in frame[columns].itertuples(index=False):
        writer.writerow([_safe_cell(v.isoformat() if hasattr(v, "isoformat") else v) for v in record])
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=training-clock.csv"})


@bp.route("/training-clock/schools")
@roles_required(*STAFF)
def clock_schools():
    district = request.args.get("district", "")
    frame = services.clock_for(district=district)
    cover = school_cover(frame)
    names = frame.drop_duplicates("school_id").set_index("school_id")[["school_name", "school_urn", "district"]]
    cover = cover.join(names, on="school_id").sort_values(["dsl_in_date", "deputy_in_date", "school_name"])
    gaps = int((~(cover["dsl_in_date"] & cover["deputy_in_date"])).sum())
    return render_template("courses/clock_schools.html", rows=cover.to_dict("records"), district=district,
                           districts=districts(), gaps=gaps)


# -- a DSL's own training ---------------------------------------------------------------------------


@bp.route("/my-training")
@roles_required(DSL)
def my_training():
    dsl = _current_dsl()
    if dsl is None:
        return render_template("courses/my_training.html", dsl=None)
    feed = services.feed_of(dsl)
    if feed is None:
        # Made on the first visit, and the address must stay the same. Saved before anything else is
        # read: a commit makes every object already loaded load again.
        feed = services.calendar_feed(dsl)
        db.session.commit()
    row = services.clock_of(dsl)
    mine = services.upcoming_bookings(dsl)
    open_sessions = services.open_sessions(excluding={b.session_id for b in mine})
    return render_template("courses/my_training.html", dsl=dsl, clock=row, labels=STATUS_LABELS, bookings=mine,
                           history=services.training_history(dsl),
                           open_sessions=open_sessions,
                           feed=feed, action_form=ActionForm())


@bp.route("/my-training/sessions/<int:session_id>/book", methods=["POST"])
@roles_required(DSL)
def my_book(session_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    begin_writing(db.session)
    dsl = _my_dsl()
    course_session = db.get_or_404(CourseSession, session_id)
    try:
        booking = services.book_place(course_session, dsl, current_user._get_current_object())
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if booking.status == "booked":
            flash(f"You are booked on the {course_session.course_type.name} on {uk_date(course_session.first_day)}.",
                  "success")
        else:
            flash("The session is full, so you are on its waiting list. If a place frees up you will be booked "
                  "automatically and it will show here.", "success")
    return redirect(url_for("courses.my_training"))


@bp.route("/my-training/bookings/<int:booking_id>/cancel", methods=["POST"])
@roles_required(DSL)
def my_cancel(booking_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    begin_writing(db.session)
    booking = services.booking_for(_my_dsl(), booking_id)
    if booking is None:
        abort(404)
    services.cancel_booking(booking)
    db.session.commit()
    flash("Your place has been cancelled.", "success")
    return redirect(url_for("courses.my_training"))


def _events(bookings) -> list[CalendarEvent]:
    host = request.host.split(":")[0] or "right-support"
    events = []
    for booking in bookings:
        s = booking.session
        where = s.joining_link if s.mode == "online" else ", ".join(x for x in (s.venue, s.address) if x)
        for n, part in enumerate(s.parts, start=1):
            title = s.course_type.name + (f" (part {n} of {len(s.parts)})" if len(s.parts) > 1 else "")
            events.append(CalendarEvent(uid=f"session-{s.id}-part-{part.id}-dsl-{booking.dsl_id}@{host}",
                                        title=title, starts_at=part.starts_at, ends_at=part.ends_at,
                                        location=where or "", description=s.notes or "",
                                        url=s.joining_link if s.mode == "online" and s.joining_link else "",
                                        cancelled=s.cancelled or booking.status == "cancelled"))
    return events


def _calendar_response(data: bytes, filename: str | None = None) -> Response:
    headers = {"Content-Disposition": f"attachment; filename={filename}"} if filename else {}
    return Response(data, mimetype="text/calendar", headers=headers)


@bp.route("/my-training/bookings/<int:booking_id>.ics")
@roles_required(DSL)
def my_booking_ics(booking_id):
    booking = services.booking_for(_my_dsl(), booking_id)
    if booking is None:
        abort(404)
    data = build_calendar(_events([booking]), booking.session.course_type.name, utcnow())
    return _calendar_response(data, f"{booking.session.course_type.code}-{booking.session.first_day}.ics")


@bp.route("/my-training/calendar/regenerate", methods=["POST"])
@roles_required(DSL)
def my_calendar_regenerate():
    if not ActionForm().validate_on_submit():
        abort(400)
    services.calendar_feed(_my_dsl(), regenerate=True)
    db.session.commit()
    flash("Your calendar feed has a new address. The old address no longer works.", "success")
    return redirect(url_for("courses.my_training"))


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token):
    dsl = services.dsl_for_feed(token)
    if dsl is None:
        abort(404)
    bookings = services.upcoming_bookings(dsl)
    data = build_calendar(_events([b for b in bookings if b.status == "booked"]),
                          f"{current_app.config['SERVICE_NAME']}: training", utcnow())
    return _calendar_response(data)


# -- certificates ---------------------------------------------------------------------------------


@bp.route("/certificates/<int:attendance_id>.pdf")
@roles_required(DSL, TRAINER, ADMIN)
def certificate(attendance_id):
    if current_user.role == DSL:
        attendance = services.attendance_for(_my_dsl(), attendance_id)
    else:
        attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or attendance.status != "attended":
        abort(404)
    pdf = build_certificate(services.certificate_content(attendance, current_app.config["COUNCIL_NAME"]))
    s = attendance.session
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=certificate-{s.course_type.code}-{s.first_day}.pdf"})
