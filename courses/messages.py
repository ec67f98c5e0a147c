"""Messages about training: bookings, cancellations, places from the waiting list, a reminder before a
session, and the training-clock reminders. Each is queued (core.mail) by the service that makes the
change, with everything it says fixed at that moment, and worded here when it is sent."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app

from core.mail import Message, external_url, from_templates, queue, register_message
from core.timefmt import to_london, uk_date, utcnow
from courses.calendar import CalendarEvent, build_calendar, describe

BOOKED = "courses.booked"
CANCELLED = "courses.cancelled"
SESSION_CANCELLED = "courses.session_cancelled"
PROMOTED = "courses.promoted"
SESSION_REMINDER = "courses.session_reminder"
TRAINING_REMINDER = "courses.training_reminder"
# When a sequence number starts counting (seconds since then): later changes get larger numbers.
SEQUENCE_EPOCH = datetime(2020, 1, 1)


def uk_time(value: datetime) -> str:
    local = to_london(value)
    return f"{local.strftime('%I').lstrip('0')}:{local:%M}{local.strftime('%p').lower()}"


def calendar_host() -> str:
    """The domain in every calendar event's UID: the same in emails and in downloaded files."""
    return urlsplit(external_url("core.home")).hostname or "right-support"


def where_text(s) -> str:
    if s.mode == "online":
        return f"Online. Join at {s.joining_link}" if s.joining_link else "Online"
    return "In person at " + ", ".join(x for x in (s.venue, s.address) if x) if (s.venue or s.address) else "In person"


def session_details(s) -> dict:
    """What every message about session ``s`` says of it."""
    config = current_app.config
    return {
        "session_id": s.id, "course": s.course_type.name, "title": s.title, "day": uk_date(s.first_day),
        "first_day": s.first_day.isoformat(),
        "when": [f"{uk_date(to_london(p.starts_at).date())}, {uk_time(p.starts_at)} to {uk_time(p.ends_at)}"
                 for p in s.parts],
        "parts": [{"id": p.id, "starts_at": p.starts_at.isoformat(), "ends_at": p.ends_at.isoformat()} for p in s.parts],
        "mode": s.mode, "joining_link": s.joining_link or "", "where": where_text(s), "notes": s.notes or "",
        "council_name": config["COUNCIL_NAME"], "service_name": config["SERVICE_NAME"],
        "my_training": external_url("courses.my_training"), "host": calendar_host(),
    }


def _booking_context(booking, **extra) -> dict:
    now = utcnow()
    return {**session_details(booking.session), "dsl_id": booking.dsl_id, "name": booking.dsl.name,
            "email": booking.dsl.email, "stamp": now.isoformat(),
            "sequence": int((now - SEQUENCE_EPOCH).total_seconds()), **extra}


def queue_booked(booking) -> None:
    queue(BOOKED, booking.dsl.email, _booking_context(booking, waitlisted=booking.status == "waitlisted",
                                                      position=booking.waitlist_position))


def queue_cancelled(booking, by_trainer: bool) -> None:
    queue(CANCELLED, booking.dsl.email, _booking_context(booking, by_trainer=by_trainer))


def queue_session_cancelled(bookings) -> None:
    for booking in bookings:
        queue(SESSION_CANCELLED, booking.dsl.email, _booking_context(booking))


def queue_promoted(booking) -> None:
    queue(PROMOTED, booking.dsl.email, _booking_context(booking))


def session_reminder_context(booking) -> dict:
    return _booking_context(booking)


# -- wording --------------------------------------------------------------------------------------


def calendar_part(context: dict, method: str) -> tuple[str, str, str]:
    """The session as a calendar invitation (REQUEST) or its withdrawal (CANCEL), one event a part."""
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    total = len(context["parts"])
    description = describe(context["where"], context["notes"], context["council_name"], context["service_name"])
    events = [CalendarEvent(
        uid=f"session-{context['session_id']}-part-{p['id']}-dsl-{context['dsl_id']}@{context['host']}",
        title=context["course"] + (f" (part {n} of {total})" if total > 1 else ""),
        starts_at=datetime.fromisoformat(p["starts_at"]), ends_at=datetime.fromisoformat(p["ends_at"]),
        location=context["joining_link"] if context["mode"] == "online" else context["where"].removeprefix("In person at "),
        description=description, url=context["joining_link"], cancelled=method == "CANCEL",
        # Twice the seconds, plus one for a cancellation: a CANCEL made in the same second as its
        # REQUEST still comes after it.
        sequence=context["sequence"] * 2 + (method == "CANCEL")) for n, p in enumerate(context["parts"], start=1)]
    data = build_calendar(events, context["course"], datetime.fromisoformat(context["stamp"]), method=method,
                          organizer=sender, attendee=context["email"])
    # Mail programs show an invitation with accept and decline when the part's type names its method.
    return "invite.ics", data.decode("utf-8"), f"text/calendar; method={method}"


def booked(context: dict) -> Message:
    if context["waitlisted"]:
        return from_templates("courses/mail/waitlisted",
                              f"You are on the waiting list for {context['course']} on {context['day']}", context)
    message = from_templates("courses/mail/booked", f"You are booked on {context['course']} on {context['day']}",
                             context)
    message.attachments.append(calendar_part(context, "REQUEST"))
    return message


def cancelled(context: dict) -> Message:
    message = from_templates("courses/mail/cancelled",
                             f"Your place on {context['course']} on {context['day']} is cancelled", context)
    message.attachments.append(calendar_part(context, "CANCEL"))
    return message


def session_cancelled(context: dict) -> Message:
    message = from_templates("courses/mail/session_cancelled",
                             f"Cancelled: {context['course']} on {context['day']}", context)
    message.attachments.append(calendar_part(context, "CANCEL"))
    return message


def promoted(context: dict) -> Message:
    message = from_templates("courses/mail/promoted",
                             f"A place has come up: you are booked on {context['course']} on {context['day']}",
                             context)
    message.attachments.append(calendar_part(context, "REQUEST"))
    return message


def session_reminder(context: dict) -> Message:
    return from_templates("courses/mail/session_reminder", f"Reminder: {context['course']} on {context['day']}",
                          context)


TRAINING_SUBJECTS = {
    "due": "Your DSL training expires on {expires}: book a refresher",
    "expired": "Your DSL training expired on {expires}: book a refresher",
    "never": "Book your DSL induction training",
}


def training_reminder(context: dict) -> Message:
    subject = TRAINING_SUBJECTS[context["state"]].format(expires=context.get("expires_text", ""))
    return from_templates("courses/mail/training_reminder", subject, context)


def init_app(app) -> None:
    for kind, renderer in ((BOOKED, booked), (CANCELLED, cancelled), (SESSION_CANCELLED, session_cancelled),
                           (PROMOTED, promoted), (SESSION_REMINDER, session_reminder),
                           (TRAINING_REMINDER, training_reminder)):
        register_message(app, kind, renderer)
