"""Forms for course types, clock settings, sessions, bookings and the register."""

import re
from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import WholeNumberField, choice_list, single_line
from core.timefmt import impossible_day, parse_day
from courses.models import ATTENDANCE_LABELS, ATTENDANCE_STATUSES, MODE_LABELS, MODES, RENEWS, RENEWS_LABELS

PART_SLOTS = 3
TIME_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(am|pm)?$", re.IGNORECASE)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def parse_time(text: str) -> time | None:
    """A time written 09:30, 9.30, 14:00 or 2:00pm; None if it is not a real time."""
    found = TIME_PATTERN.match((text or "").strip())
    if not found:
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2)), (found.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class CourseTypeForm(FlaskForm):
    code = StringField("Code", widget=GovTextInput(), filters=[strip],
                       description="Lower-case letters, numbers and hyphens, as used in attendance files, like 'kcsie-update'",
                       validators=[single_line, InputRequired("Enter a code"), Length(max=40, message="Code must be 40 characters or fewer")])
    name = StringField("Name", widget=GovTextInput(), validators=[single_line, InputRequired("Enter a name"), Length(max=200)])
    validity_months = WholeNumberField("Valid for (months)", widget=GovTextInput(),
                                       invalid_message="Enter the number of months as a whole number",
                                       validators=[InputRequired("Enter the number of months as a whole number"),
                                                   NumberRange(min=1, max=120, message="Months must be between 1 and 120")])
    renews = RadioField("What attending renews", widget=GovRadioInput(), choices=choice_list(RENEWS, RENEWS_LABELS),
                        validators=[InputRequired("Choose what attending renews")])
    days = WholeNumberField("Usual number of days", widget=GovTextInput(), default=1,
                            invalid_message="Enter the number of days as a whole number",
                            validators=[InputRequired("Enter the number of days as a whole number"),
                                        NumberRange(min=1, max=10, message="Days must be between 1 and 10")])
    submit = SubmitField("Save course type", widget=GovSubmitInput())

    def validate_code(self, field):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", field.data or ""):
            raise ValidationError("Code must use only lower-case letters, numbers and hyphens")


class ClockSettingsForm(FlaskForm):
    training_months = WholeNumberField("DSL training is renewed every (months)", widget=GovTextInput(),
                                       invalid_message="Enter the months as a whole number",
                                       validators=[InputRequired("Enter the months as a whole number"),
                                                   NumberRange(min=1, max=120, message="Months must be between 1 and 120")])
    update_months = WholeNumberField("Knowledge is updated every (months)", widget=GovTextInput(),
                                     invalid_message="Enter the months as a whole number",
                                     validators=[InputRequired("Enter the months as a whole number"),
                                                 NumberRange(min=1, max=120, message="Months must be between 1 and 120")])
    due_days = WholeNumberField("Show as due this many days before expiry", widget=GovTextInput(),
                                invalid_message="Enter the days as a whole number",
                                validators=[InputRequired("Enter the days as a whole number"),
                                            NumberRange(min=0, max=365, message="Days must be between 0 and 365")])
    submit = SubmitField("Save settings", widget=GovSubmitInput())


class SessionForm(FlaskForm):
    course_type = SelectField("Course", widget=GovSelect(), validators=[InputRequired("Choose a course")])
    code = StringField("Session code (optional)", widget=GovTextInput(), filters=[strip],
                       description="Only needed to tell apart two sessions of one course on one day, like 'am' or 'pm'",
                       validators=[single_line, Optional(), Length(max=40)])
    mode = RadioField("How it is run", widget=GovRadioInput(), choices=choice_list(MODES, MODE_LABELS), default="online",
                      validators=[InputRequired("Choose online or in person")])
    joining_link = StringField("Joining link", widget=GovTextInput(), filters=[strip],
                               description="For online sessions: the meeting link", validators=[single_line, 
                                   Optional(), Length(max=500), URL(message="Enter the joining link as a web address starting https://")])
    venue = StringField("Venue", widget=GovTextInput(), description="For sessions in person",
                        validators=[single_line, Optional(), Length(max=200)])
    address = TextAreaField("Address", widget=GovTextArea(), validators=[Optional(), Length(max=500)])
    district = StringField("District (optional)", widget=GovTextInput(), validators=[single_line, Optional(), Length(max=200)])
    capacity = WholeNumberField("Places", widget=GovTextInput(), default=30,
                                invalid_message="Enter the number of places as a whole number",
                                validators=[InputRequired("Enter the number of places as a whole number"),
                                            NumberRange(min=1, max=1000, message="Places must be between 1 and 1,000")])
    trainer = SelectField("Trainer", widget=GovSelect(), validators=[Optional()])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save session", widget=GovSubmitInput())

    def __init__(self, course_types, trainers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_type.choices = choice_list([str(t.id) for t in course_types],
                                               {str(t.id): t.name for t in course_types}, blank="Choose a course")
        self.trainer.choices = choice_list([str(u.id) for u in trainers], {str(u.id): u.name for u in trainers},
                                           blank="Not yet known")
        self.part_errors: list[tuple[str, str]] = []
        self.parts = []

    def validate(self, extra_validators=None):
        """The fields, then the dated parts: the first is required, later ones only if started."""
        ok = super().validate(extra_validators)
        from courses.services import PartTimes

        self.parts = []
        for n in range(1, PART_SLOTS + 1):
            day_field, start_field, end_field = (self[f"part{n}_{what}"] for what in ("date", "start", "end"))
            if n > 1 and not (day_field.data or start_field.data or end_field.data):
                continue
            day, starts, ends = parse_day(day_field.data), parse_time(start_field.data), parse_time(end_field.data)
            if day is None:
                day_field.errors.append(impossible_day(day_field.data) or f"Enter the date of part {n} like 17/9/2026")
            if starts is None:
                start_field.errors.append(f"Enter the start time of part {n} like 09:30")
            if ends is None:
                end_field.errors.append(f"Enter the end time of part {n} like 15:30")
            elif starts is not None and ends <= starts:
                end_field.errors.append(f"Part {n} must end after it starts")
            if day and starts and ends and ends > starts:
                self.parts.append(PartTimes(day, starts, ends))
            else:
                ok = False
        if self.mode.data == "online" and not self.joining_link.data:
            self.joining_link.errors.append("Enter the joining link for an online session")
            ok = False
        if self.mode.data == "in-person" and not self.venue.data:
            self.venue.errors.append("Enter the venue for a session in person")
            ok = False
        return ok

    def fill_parts(self, course_session) -> None:
        """Show a stored session's parts in London time."""
        from core.timefmt import to_london

        for n, part in enumerate(course_session.parts[:PART_SLOTS], start=1):
            starts, ends = to_london(part.starts_at), to_london(part.ends_at)
            self[f"part{n}_date"].data = f"{starts.day}/{starts.month}/{starts.year}"
            self[f"part{n}_start"].data = f"{starts:%H:%M}"
            self[f"part{n}_end"].data = f"{ends:%H:%M}"


for _n in range(1, PART_SLOTS + 1):
    setattr(SessionForm, f"part{_n}_date", StringField(f"Date of part {_n}" + (" (optional)" if _n > 1 else ""),
                                                       widget=GovTextInput(), filters=[strip],
                                                       description="For example, 17/9/2026",
                                                       validators=[single_line, Optional(), Length(max=20)]))
    setattr(SessionForm, f"part{_n}_start", StringField("Starts", widget=GovTextInput(), filters=[strip],
                                                        description="For example, 09:30",
                                                        validators=[single_line, Optional(), Length(max=10)]))
    setattr(SessionForm, f"part{_n}_end", StringField("Ends", widget=GovTextInput(), filters=[strip],
                                                      description="For example, 15:30",
                                                      validators=[single_line, Optional(), Length(max=10)]))


class BookOnBehalfForm(FlaskForm):
    """Book one or several people found by one search of the register."""

    dsl_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[InputRequired()])
    q = HiddenField()
    submit = SubmitField("Book the people selected", widget=GovSubmitInput())


class BookForm(FlaskForm):
    """A DSL's Book button; ``second`` is "yes" once they have confirmed a second place on one course."""

    second = HiddenField()


class WalkInForm(FlaskForm):
    email = StringField("Email address of someone who came without booking", widget=GovTextInput(), filters=[strip],
                        description="They must be on the DSL register",
                        # No format check: the address only has to be on the register, which the lookup
                        # says, and a format check refused register addresses such as the demo's .test ones.
                        validators=[single_line, InputRequired("Enter the email address of the person who came"), Length(max=254)])
    submit = SubmitField("Add to the register", widget=GovSubmitInput())


class AttendeeUploadForm(FlaskForm):
    file = FileField("Attendee list from the online meeting", widget=GovFileInput(),
                     description="CSV or Excel (.xlsx) with at least 'name' and 'email' columns",
                     validators=[FileRequired("Choose the attendee list to upload")])
    submit = SubmitField("Check the list", widget=GovSubmitInput())


def register_form(rows, formdata=None):
    """A form with one attended / partial / absent choice per person on the register."""

    class RegisterForm(FlaskForm):
        submit = SubmitField("Save the register", widget=GovSubmitInput())
        everyone = SubmitField("Mark everyone attended", widget=GovSubmitInput())

    for row in rows:
        field = RadioField(row.dsl.name, widget=GovRadioInput(),
                           choices=choice_list(ATTENDANCE_STATUSES, ATTENDANCE_LABELS),
                           default=row.attendance.status if row.attendance else None, validators=[Optional()])
        setattr(RegisterForm, f"dsl_{row.dsl.id}", field)
    return RegisterForm(formdata=formdata) if formdata is not None else RegisterForm()


def encode_statuses(statuses: dict[int, str]) -> str:
    """{dsl id: status} as '12:attended,15:partial', carried from the review page to its confirmation."""
    return ",".join(f"{i}:{status}" for i, status in statuses.items())


def decode_statuses(text: str | None) -> dict[int, str]:
    out = {}
    for item in (text or "").split(","):
        dsl_id, _, status = item.partition(":")
        if dsl_id.strip().isdigit() and status in ATTENDANCE_STATUSES:
            out[int(dsl_id)] = status
    return out


def attendee_confirm_form(unmatched_count: int, change_ids=(), formdata=None):
    """Confirm an attendee list: the statuses proposed for matched DSLs, an email to pair each
    unmatched attendee with, and a tick for each change to a status already recorded."""

    class AttendeeConfirmForm(FlaskForm):
        matched = HiddenField()
        seen = HiddenField()
        submit = SubmitField("Save these attendances", widget=GovSubmitInput())

    for n in range(unmatched_count):
        setattr(AttendeeConfirmForm, f"pair_{n}", StringField(
            "Email on the register", widget=GovTextInput(), filters=[strip],
            validators=[single_line, Optional(), Length(max=254)]))
        setattr(AttendeeConfirmForm, f"attendee_{n}", HiddenField())
        setattr(AttendeeConfirmForm, f"proposed_{n}", HiddenField())
    for dsl_id in change_ids:
        setattr(AttendeeConfirmForm, f"change_{dsl_id}", BooleanField(default=False))
    return AttendeeConfirmForm(formdata=formdata) if formdata is not None else AttendeeConfirmForm()
