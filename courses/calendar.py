"""Calendar files: events in, iCalendar bytes out. Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//Right Support//DSL training//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    title: str
    starts_at: datetime  # naive UTC, as stored
    ends_at: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    # Raised on every change an email announces, so a calendar applies the newest one.
    sequence: int = 0


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _usable_uri(text: str) -> bool:
    """A URI with no space or control character in it. A joining link stored with a line break
    (forms refuse one now; older data may hold one) is left out of URL, still readable in LOCATION
    and DESCRIPTION, rather than making the whole calendar fail."""
    return not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _one_line(text: str) -> str:
    """Text for a one-line property (SUMMARY, LOCATION, UID, the calendar's name): line breaks become spaces."""
    return " ".join(str(text).splitlines())


def _lines(text: str) -> str:
    """Text for DESCRIPTION: any line break (CR, LF or both) as a plain LF, which the format escapes."""
    return "\n".join(str(text).splitlines())


def describe(where: str, notes: str, council: str, service: str) -> str:
    """An event's DESCRIPTION: how to get there or join, the trainer's notes, and who runs it."""
    return "\n\n".join(part for part in (where, notes, f"{service}, {council}") if part)


def build_calendar(events: list[CalendarEvent], name: str, stamp: datetime, method: str = "",
                   organizer: str = "", attendee: str = "") -> bytes:
    """An iCalendar file holding ``events``; ``stamp`` (UTC) is when it was made.

    For an email invitation ``method`` is REQUEST (add or update the events) or CANCEL (remove them),
    with the ``organizer`` (the service's sender address) and the ``attendee`` it is sent to."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", _one_line(name))
    for item in events:
        event = Event()
        event.add("uid", _one_line(item.uid))
        event.add("dtstamp", _utc(stamp))
        event.add("dtstart", _utc(item.starts_at))
        event.add("dtend", _utc(item.ends_at))
        event.add("summary", _one_line(item.title))
        if item.location:
            event.add("location", _one_line(item.location))
        if item.description:
            event.add("description", _lines(item.description))
        if item.url and _usable_uri(item.url):
            event.add("url", item.url)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        if item.sequence:
            event.add("sequence", item.sequence)
        if organizer:
            event.add("organizer", vCalAddress(f"mailto:{organizer}"))
        if attendee:
            person = vCalAddress(f"mailto:{attendee}")
            person.params["ROLE"] = vText("REQ-PARTICIPANT")
            person.params["PARTSTAT"] = vText("ACCEPTED")
            event.add("attendee", person, encode=0)
        calendar.add_component(event)
    return calendar.to_ical()
