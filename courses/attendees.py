"""An online meeting's attendee list: how long each person stayed, and the attendance that suggests.
Pure: no Flask, no database.

Meeting programs write durations as minutes ("55"), as clock time ("01:23:05" or "52:10"), or in
words ("1h 23m 5s", "1 hr 23 min", "52 mins"). A person who joined more than once appears on
several rows; their times add up.
"""

from __future__ import annotations

import re

# Staying for at least this share of the session's length counts as attended; less is partial.
ATTENDED_SHARE = 0.75
_WORDS = re.compile(r"(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes|s|sec|secs|second|seconds)\b")
_UNIT_MINUTES = {"h": 60, "m": 1, "s": 1 / 60}


def duration_column(columns) -> str | None:
    """The list's duration column, if it has one: 'duration', 'duration_minutes', 'attendance duration'..."""
    for name in columns:
        if "duration" in name or name in ("minutes", "time in meeting"):
            return name
    return None


def parse_minutes(text) -> float | None:
    """Minutes from a duration as meeting programs write it; None when blank or unreadable."""
    value = str(text if text is not None else "").strip().lower()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", value):
        numbers = [int(n) for n in value.split(":")]
        if len(numbers) == 2:  # minutes:seconds
            return numbers[0] + numbers[1] / 60
        return numbers[0] * 60 + numbers[1] + numbers[2] / 60
    found = _WORDS.findall(value)
    if not found:
        return None
    return sum(float(n) * _UNIT_MINUTES[unit[0]] for n, unit in found)


def proposed_status(minutes: float | None, session_minutes: float) -> str:
    """attended, or partial when the person stayed for less than ATTENDED_SHARE of the session (a list
    without durations proposes attended for everyone on it)."""
    if minutes is None or session_minutes <= 0:
        return "attended"
    return "attended" if minutes >= ATTENDED_SHARE * session_minutes else "partial"
