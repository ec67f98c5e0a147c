"""Pages for sessions, bookings, the register, the training clock, and a DSL's own training."""

import csv
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.auth import ADMIN, DSL, TRAINER, public, roles_required
from core.database import begin_writing
from core.downloads import attachment
from core.extensions import db
from core.forms import ActionForm
from core.imports import RejectedFile, read_table
from core.mail import external_url
from core.paging import page_within
from core.spreadsheets import csv_cell
from core.timefmt import uk_date, utcnow
from courses import services
from courses.attendees import duration_column, proposed_status
from courses.calendar import CalendarEvent, build_calendar, describe
from courses.certificate import build_certificate
from courses.clock import STATUS_LABELS, STATUSES, as_dates
from courses.forms import (
    AttendeeUploadForm,
    BookForm,
    BookOnBehalfForm,
    ClockSettingsForm,
    CourseTypeForm,
    SessionForm,
    WalkInForm,
    attendee_confirm_form,
    decode_statuses,
    encode_statuses,
    register_form,
)
from courses.messages import calendar_host, where_text
from courses.models import ATTENDANCE_LABELS, Attendance, Booking, CourseSession, CourseType
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
    bookings = services.session_bookings(course_session)
    already = {b.dsl_id for b in bookings if b.status != "cancelled"}
    return render_template("courses/session_detail.html", s=course_session, bookings=bookings,
                           counts=services.booking_counts([course_session.id])[course_session.id],
                           query=query, found=services.find_dsls(query), already=already, book_form=BookOnBehalfForm(),
                           action_form=ActionForm(), started=services.session_started(course_session))


def _confirm(action: str, back: str, heading: str, lines: list[str], button: str, caption: str = "",
             warning: str = "", hidden: dict | None = None, button_class: str = "govuk-button--warning",
             cancel_text: str = "No, go back"):
    """A page that asks before an action that cannot be undone (or books a second place)."""
    return render_template("courses/confirm.html", action=action, back=back, heading=heading, lines=lines,
                           button=button, caption=caption, warning=warning, hidden=hidden or {},
                           button_class=button_class, cancel_text=cancel_text, form=ActionForm())


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_cancel(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    back = url_for("courses.session_detail", session_id=session_id)
    if request.method == "GET":
        counts = services.booking_counts([course_session.id])[course_session.id]
        people = counts["booked"] + counts["waitlisted"]
        told = (f"The {people} {'person' if people == 1 else 'people'} booked or waiting will be emailed that it "
                "is cancelled." if people and not services.session_started(course_session) else "Nobody is emailed.")
        return _confirm(url_for("courses.session_cancel", session_id=session_id), back,
                        "Are you sure you want to cancel this session?",
                        [f"{course_session.title}, {uk_date(course_session.first_day)}.", told,
                         "A cancelled session cannot be booked and cannot be opened again."],
                        "Yes, cancel the session", caption=course_session.title)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        told = services.cancel_session(course_session)
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The session has been cancelled. {told} {'person has' if told == 1 else 'people have'} been emailed.",
              "success")
    return redirect(back)


@bp.route("/sessions/<int:session_id>/book", methods=["POST"])
@roles_required(*STAFF)
def session_book(session_id):
    form = BookOnBehalfForm()
    if not form.validate_on_submit():
        flash("Select at least one person to book.", "error")
        return redirect(url_for("courses.session_detail", session_id=session_id, q=form.q.data or None))
    begin_writing(db.session)
    course_session = db.get_or_404(CourseSession, session_id)
    people = services.dsls_by_ids(form.dsl_ids.data)
    try:
        bookings = [services.book_place(course_session, dsl, current_user._get_current_object()) for dsl in people]
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(services.booking_summary(bookings), "success")
    return redirect(url_for("courses.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_booking_cancel(session_id, booking_id):
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id, Booking.session_id == session_id))
    if booking is None:
        abort(404)
    back = url_for("courses.session_detail", session_id=session_id)
    if request.method == "GET":
        what = "place" if booking.status == "booked" else "waiting-list place"
        return _confirm(url_for("courses.session_booking_cancel", session_id=session_id, booking_id=booking_id), back,
                        f"Are you sure you want to cancel the {what} of {booking.dsl.name}?",
                        [f"{booking.session.title}, {uk_date(booking.session.first_day)}.",
                         f"{booking.dsl.name} will be emailed that their {what} is cancelled."
                         if not services.session_started(booking.session) else "Nobody is emailed."],
                        f"Yes, cancel the {what}", caption=booking.dsl.email)
    if not ActionForm().validate_on_submit():
        abort(400)
    begin_writing(db.session)
    booking = db.session.get(Booking, booking_id)
    try:
        promoted = services.cancel_booking(booking, by_trainer=True)
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The place has been cancelled." + (f" {len(promoted)} moved up from the waiting list." if promoted else ""),
              "success")
    return redirect(back)


# -- the register -------------------------------------------------------------------------------


def _register_page(course_session, rows=None, form=None, walk_in=None, upload=None, status=200):
    rows = services.register_rows(course_session) if rows is None else rows
    started = services.session_started(course_session)
    return render_template("courses/register.html", s=course_session, rows=rows,
                           form=form or register_form(rows, formdata={}), started=started,
                           not_started=None if started else services.not_started_message(course_session),
                           walk_in=walk_in or WalkInForm(formdata=None),
                           upload=upload or AttendeeUploadForm(formdata=None)), status


@bp.route("/sessions/<int:session_id>/register", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_register(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    rows = services.register_rows(course_session)
    form = register_form(rows)
    if form.validate_on_submit():
        statuses = {row.dsl.id: form[f"dsl_{row.dsl.id}"].data or "" for row in rows}
        if form.everyone.data:
            statuses = services.mark_everyone_attended(statuses)
        try:
            changed = services.save_register(course_session, statuses, current_user._get_current_object())
        except CourseError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"The register has been saved ({changed} change{'s' if changed != 1 else ''}).", "success")
        return redirect(url_for("courses.session_register", session_id=session_id))
    return _register_page(course_session, rows, form)


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
    return _register_page(course_session, walk_in=walk_in, status=400)


@bp.route("/sessions/<int:session_id>/register/attendees", methods=["POST"])
@roles_required(*STAFF)
def session_attendees(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    upload = AttendeeUploadForm()
    if upload.validate_on_submit():
        try:
            services.check_started(course_session)
            table = read_table(upload.file.data.read(), upload.file.data.filename or "attendees.csv")
        except CourseError as error:
            upload.file.errors.append(str(error))
        except RejectedFile as rejected:
            upload.file.errors.append(str(rejected.errors[0]))
        else:
            if "email" not in table.columns:
                upload.file.errors.append("The list needs an 'email' column")
            else:
                matches = services.match_attendees(table.to_dict("records"), duration_column(table.columns))
                return _attendee_review(course_session, matches)
    return _register_page(course_session, upload=upload, status=400)


def _attendee_review(course_session, matches, form=None, proposed=None, ticked=(), still_unmatched=None, status=200):
    """The attendee list before anything is saved: who matched, the status each is given, and every
    change to a status already recorded, each applied only if ticked."""
    length = services.session_minutes(course_session)
    matched = [m for m in matches if m.dsl is not None]
    unmatched = [m for m in matches if m.dsl is None]
    if proposed is None:
        proposed = {m.dsl.id: proposed_status(m.minutes, length) for m in matched}
    _, changes = services.attendance_plan(course_session, proposed)
    if form is None:
        form = attendee_confirm_form(len(unmatched), [c.dsl.id for c in changes])
        form.matched.data = encode_statuses(proposed)
        form.seen.data = ",".join(str(c.dsl.id) for c in changes)
        for n, m in enumerate(unmatched):
            form[f"attendee_{n}"].data = f"{m.name} <{m.email}>" if m.email else m.name
            form[f"proposed_{n}"].data = (still_unmatched[n] if still_unmatched else
                                          proposed_status(m.minutes, length))
        for dsl_id in ticked:
            if f"change_{dsl_id}" in form:
                form[f"change_{dsl_id}"].data = True
    return render_template("courses/attendees_review.html", s=course_session, matched=matched, unmatched=unmatched,
                           proposed=proposed, changes=changes, form=form, labels=ATTENDANCE_LABELS,
                           session_minutes=length), status


@bp.route("/sessions/<int:session_id>/register/attendees/confirm", methods=["POST"])
@roles_required(*STAFF)
def session_attendees_confirm(session_id):
    course_session = db.get_or_404(CourseSession, session_id)
    count = min(sum(1 for key in request.form if key.startswith("attendee_")), 2000)
    seen = {int(i) for i in request.form.get("seen", "").split(",") if i.strip().isdigit()}
    form = attendee_confirm_form(count, sorted(seen))
    if not form.validate_on_submit():
        abort(400)
    proposed = decode_statuses(form.matched.data)
    pairs = {n: form[f"pair_{n}"].data for n in range(count) if form[f"pair_{n}"].data}
    known = services.dsls_by_email(list(pairs.values()))
    for n, email in pairs.items():
        if email.lower() not in known:
            form[f"pair_{n}"].errors.append(f"There is no DSL on the register with the email {email}")
        else:
            proposed.setdefault(known[email.lower()].id, form[f"proposed_{n}"].data or "attended")
    new, changes = services.attendance_plan(course_session, proposed)
    unseen = [c for c in changes if c.dsl.id not in seen]
    matched = [services.AttendeeMatch(d.name, d.email, d) for d in services.dsls_by_ids(proposed)]
    if form.errors:  # a mistyped pair: the list again as it was posted
        unmatched = [services.AttendeeMatch(form[f"attendee_{n}"].data, "", None) for n in range(count)]
        return _attendee_review(course_session, matched + unmatched, form=form,
                                proposed=decode_statuses(form.matched.data), status=400)
    if unseen:  # pairing found people whose recorded status would change: list every change first
        unmatched = [services.AttendeeMatch(form[f"attendee_{n}"].data, "", None)
                     for n in range(count) if n not in pairs]
        ticked = [c.dsl.id for c in changes if c.dsl.id in seen and form[f"change_{c.dsl.id}"].data]
        return _attendee_review(course_session, matched + unmatched, proposed=proposed, ticked=ticked, status=400,
                                still_unmatched=[form[f"proposed_{n}"].data for n in range(count) if n not in pairs])
    chosen = {c.dsl.id: c.after for c in changes if form[f"change_{c.dsl.id}"].data}
    try:
        changed = services.save_register(course_session, {**new, **chosen}, current_user._get_current_object())
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.session_register", session_id=session_id))
    db.session.commit()
    kept = len(changes) - len(chosen)
    flash(f"{len(new) + len(chosen)} people marked from the attendee list ({changed} change{'s' if changed != 1 else ''})"
          + (f"; {kept} status{'es' if kept != 1 else ''} set by hand kept." if kept else "."), "success")
    return redirect(url_for("courses.session_register", session_id=session_id))


# -- the training clock ---------------------------------------------------------------------------


def _clock_filters():
    district = request.args.get("district", "")
    school_id = request.args.get("school", type=int)
    status = request.args.get("status", "")
    return district, school_id, status if status in STATUSES else "", request.args.get("q", "").strip()


def _clock_frame():
    district, school_id, status, query = _clock_filters()
    frame = as_dates(services.clock_for(district=district, school_id=school_id))
    return services.search_clock(frame, query), status


@bp.route("/training-clock")
@roles_required(*STAFF)
def clock():
    district, school_id, status, query = _clock_filters()
    frame, status = _clock_frame()
    counts = frame["status"].value_counts().to_dict()
    shown = frame[frame["status"] == status] if status else frame
    page, pages = page_within(request.args.get("page", 1, type=int), len(shown), CLOCK_PAGE_SIZE)
    rows = shown.iloc[(page - 1) * CLOCK_PAGE_SIZE: page * CLOCK_PAGE_SIZE].to_dict("records")
    school = db.session.get(School, school_id) if school_id else None
    return render_template("courses/clock.html", rows=rows, counts=counts, total=len(frame), shown=len(shown),
                           status=status, district=district, school=school, districts=districts(), q=query,
                           statuses=STATUSES, labels=STATUS_LABELS, page=page, pages=pages,
                           settings=services.clock_settings())


def _csv(columns: list[str], records, filename: str):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_cell(v) for v in record])
    return attachment(buffer.getvalue().encode("utf-8-sig"), filename, "text/csv")


@bp.route("/training-clock.csv")
@roles_required(*STAFF)
def clock_csv():
    frame, status = _clock_frame()
    if status:
        frame = frame[frame["status"] == status]
    columns = ["name", "email", "role", "school_urn", "school_name", "district", "last_trained", "expires", "status",
               "last_updated", "update_expires", "update_status"]
    services.record_clock_export(dict(zip(("district", "school", "status", "q"), _clock_filters())), len(frame))
    db.session.commit()
    return _csv(columns, frame[columns].itertuples(index=False), "training-clock.csv")


def _cover():
    district = request.args.get("district", "")
    gaps_only = request.args.get("cover") == "without"
    return district, gaps_only, services.school_cover_table(district, gaps_only)


@bp.route("/training-clock/schools")
@roles_required(*STAFF)
def clock_schools():
    district, gaps_only, (cover, gaps, total) = _cover()
    return render_template("courses/clock_schools.html", rows=cover.to_dict("records"), district=district,
                           districts=districts(), gaps=gaps, total=total, gaps_only=gaps_only)


@bp.route("/training-clock/schools.csv")
@roles_required(*STAFF)
def clock_schools_csv():
    _, _, (cover, _, _) = _cover()
    columns = ["school_urn", "school_name", "district", "dsl_in_date", "deputy_in_date", "in_date", "people"]
    records = ([r.school_urn, r.school_name, r.district, "yes" if r.dsl_in_date else "no",
                "yes" if r.deputy_in_date else "no", r.in_date, r.people] for r in cover.itertuples(index=False))
    return _csv(columns, records, "training-cover-by-school.csv")


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
    open_sessions = services.open_sessions(excluding={b.session_id for b in mine}, include_full=True,
                                           hide_courses=services.courses_not_offered(row["status"]))
    token = services.feed_token(feed)
    feed_url = external_url("courses.calendar_feed", token=token) if token else None
    return render_template("courses/my_training.html", dsl=dsl, clock=row, labels=STATUS_LABELS, bookings=mine,
                           history=services.training_history(dsl), open_sessions=open_sessions,
                           feed_url=feed_url, webcal_url="webcal://" + feed_url.split("://", 1)[1] if feed_url else None,
                           action_form=ActionForm())


@bp.route("/my-training/sessions/<int:session_id>/book", methods=["POST"])
@roles_required(DSL)
def my_book(session_id):
    form = BookForm()
    if not form.validate_on_submit():
        abort(400)
    dsl = _my_dsl()
    course_session = db.get_or_404(CourseSession, session_id)
    other = services.other_booking_of_course(dsl, course_session)
    if other is not None and form.second.data != "yes":
        return _confirm(url_for("courses.my_book", session_id=session_id), url_for("courses.my_training"),
                        f"You are already booked on {other.session.course_type.name}",
                        [f"You have a {'place' if other.status == 'booked' else 'waiting-list place'} on "
                         f"{other.session.title} on {uk_date(other.session.first_day)}.",
                         f"Do you want a place on {course_session.title} on {uk_date(course_session.first_day)} "
                         "as well? If you mean to move, book this one and then cancel the other."],
                        "Yes, book this one as well", hidden={"second": "yes"}, button_class="",
                        cancel_text="No, keep the booking I have")
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
            flash(f"You are booked on the {course_session.course_type.name} on {uk_date(course_session.first_day)}. "
                  "We have emailed you the details with a calendar invitation.", "success")
        else:
            flash(f"The session is full, so you are number {booking.waitlist_position} on its waiting list. If a place "
                  "frees up you will be booked automatically and we will email you.", "success")
    return redirect(url_for("courses.my_training"))


@bp.route("/my-training/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@roles_required(DSL)
def my_cancel(booking_id):
    booking = services.booking_for(_my_dsl(), booking_id)
    if booking is None:
        abort(404)
    back = url_for("courses.my_training")
    what = "place" if booking.status == "booked" else "waiting-list place"
    if request.method == "GET":
        return _confirm(url_for("courses.my_cancel", booking_id=booking_id), back,
                        f"Are you sure you want to cancel your {what}?",
                        [f"{booking.session.title}, {uk_date(booking.session.first_day)}.",
                         "Someone on the waiting list may take your place."],
                        f"Yes, cancel my {what}", cancel_text="No, keep it")
    if not ActionForm().validate_on_submit():
        abort(400)
    begin_writing(db.session)
    booking = services.booking_for(_my_dsl(), booking_id)
    try:
        services.cancel_booking(booking)
    except CourseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Your {what} has been cancelled.", "success")
    return redirect(back)


def _events(bookings) -> list[CalendarEvent]:
    host = calendar_host()
    config = current_app.config
    events = []
    for booking in bookings:
        s = booking.session
        where = s.joining_link if s.mode == "online" else ", ".join(x for x in (s.venue, s.address) if x)
        description = describe(where_text(s), s.notes or "", config["COUNCIL_NAME"], config["SERVICE_NAME"])
        for n, part in enumerate(s.parts, start=1):
            title = s.course_type.name + (f" (part {n} of {len(s.parts)})" if len(s.parts) > 1 else "")
            events.append(CalendarEvent(uid=f"session-{s.id}-part-{part.id}-dsl-{booking.dsl_id}@{host}",
                                        title=title, starts_at=part.starts_at, ends_at=part.ends_at,
                                        location=where or "", description=description,
                                        url=s.joining_link if s.mode == "online" and s.joining_link else "",
                                        cancelled=s.cancelled or booking.status == "cancelled"))
    return events


@bp.route("/my-training/bookings/<int:booking_id>.ics")
@roles_required(DSL)
def my_booking_ics(booking_id):
    booking = services.booking_for(_my_dsl(), booking_id)
    if booking is None:
        abort(404)
    data = build_calendar(_events([booking]), booking.session.course_type.name, utcnow())
    return attachment(data, f"{booking.session.course_type.code}-{booking.session.first_day}.ics", "text/calendar")


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
    # A feed is read by calendar programs at its address, not saved as a file: it names none. It holds
    # a person's bookings, so no proxy or browser keeps a copy.
    response = Response(data, mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store"
    return response


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
    services.record_certificate_download(attendance)
    db.session.commit()
    s = attendance.session
    return attachment(pdf, f"certificate-{s.course_type.code}-{s.first_day}.pdf", "application/pdf")
