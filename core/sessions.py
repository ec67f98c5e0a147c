"""Flask's signed-cookie sessions, with less work for a cookie a worker has already seen.

A signed-in DSL who opens the poster, the slides and the follow-up sheet sends the same session
cookie each time. Flask would build a signing serializer and verify the cookie's signature on every
request. Here each worker builds its serializer once per set of keys, and remembers the cookies it
has verified. A later request with exactly the same bytes has only its age checked again, so
``PERMANENT_SESSION_LIFETIME`` still applies. A changed or forged cookie is never in that memory
and is verified in full. Saving a session that nothing changed sets no cookie, as in Flask, and
skips Flask's cookie-settings lookups.
"""

from __future__ import annotations

import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

VERIFIED_COOKIES_MAX = 10_000


class CookieSessions(SecureCookieSessionInterface):
    """One per app: ``app.session_interface = CookieSessions()``."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}
        # cookie value -> (the serializer that verified it, when it was signed, its payload as JSON)
        self._verified: dict[str, tuple[URLSafeTimedSerializer, float, str]] = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        value = request.cookies.get(self.get_cookie_name(app))
        if serializer is None or not value:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(value)
        if known is not None and known[0] is serializer and 0 <= time.time() - known[1] <= max_age:
            return self.session_class(self.serializer.loads(known[2]))
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(self._verified) >= VERIFIED_COOKIES_MAX:
            self._verified.clear()
        self._verified[value] = (serializer, signed_at.timestamp(), self.serializer.dumps(data))
        return self.session_class(data)

    def save_session(self, app, session, response) -> None:
        if not session.modified and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
