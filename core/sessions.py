"""How long a sign-in lasts. The session cookie carries when the sign-in began and when it was last
used (both signed, so nobody can move them); every request checks them before anything else:

- an absolute lifetime (``PERMANENT_SESSION_LIFETIME``, SESSION_LIFETIME_HOURS, default 12 hours):
  a sign-in ends that long after it began, however busy;
- an inactivity timeout (``SESSION_IDLE_TIMEOUT``, SESSION_IDLE_MINUTES, default 30 minutes):
  a sign-in ends after that long without a request.

A session with a signed-in user and without both times (a cookie from before these rules) has ended.
The time of last use is written at most once a minute, so most answers set no cookie.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, session

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# How stale the time of last use may get before it is written again (seconds).
SEEN_RESOLUTION = 60


def stamps(now: float | None = None) -> dict:
    """The times a new sign-in's session starts with."""
    now = int(time.time() if now is None else now)
    return {SIGNED_IN_AT: now, SEEN_AT: now}


def start(now: float | None = None) -> None:
    """Stamp this request's session as a sign-in that begins now."""
    session.update(stamps(now))


def ended_because(values, now: float, lifetime: float, idle: float) -> str | None:
    """Why the sign-in in ``values`` (a session's contents) has ended, or None while it lasts."""
    began, seen = values.get(SIGNED_IN_AT), values.get(SEEN_AT)
    if not isinstance(began, int) or not isinstance(seen, int):
        return "expired"
    if now - began >= lifetime:
        return "lifetime"
    if now - seen >= idle:
        return "idle"
    return None


MESSAGES = {
    "lifetime": "You have been signed out because you signed in more than {hours} hours ago. Sign in again.",
    "idle": "You have been signed out because you had not used the service for {minutes} minutes. Sign in again.",
    "expired": "Your sign-in has ended. Sign in again.",
}


def check_session() -> None:
    """End this request's sign-in if it has lasted too long or sat unused too long; note its use."""
    if not session.get("_user_id"):
        return
    config = current_app.config
    lifetime = config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    idle = config["SESSION_IDLE_TIMEOUT"].total_seconds()
    now = int(time.time())
    reason = ended_because(session, now, lifetime, idle)
    if reason is not None:
        session.clear()
        flash(MESSAGES[reason].format(hours=round(lifetime / 3600), minutes=round(idle / 60)), "info")
        return
    if now - session[SEEN_AT] >= SEEN_RESOLUTION:
        session[SEEN_AT] = now


def init_app(app: Flask) -> None:
    app.before_request(check_session)
