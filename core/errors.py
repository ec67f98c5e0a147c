"""Error pages in the service's own style; nothing answers a bare 500 to a user's mistake.

Hostile input gets a plain refusal before any view runs: a NUL character anywhere in the path, the
query or a form (PostgreSQL cannot store one, and no person types one). A value the database
cannot hold that slips past a form (a number beyond its range, say) is a 400, not a 500. Every
403 is recorded in the audit trail."""

from flask import render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException

from core.ratelimit import minutes_to_wait

MESSAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    403: ("You do not have permission to see this page", "If you think you should, ask an admin to check your role."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address."),
    405: ("That action is not available on this page", "Go back and try again."),
    413: ("The file is too large", "Upload a smaller file, or split it into several files."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you entered has been saved."),
}
NUL_REFUSAL = ("The web address or the form held a character that is not allowed (a NUL character). "
               "Check what you typed or pasted, and try again.")
UNSTORABLE = "Something you entered cannot be stored (a number that is too large, perhaps). Check it and try again."


def render_error(code: int, detail: str | None = None):
    title, advice = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("core/error.html", code=code, title=title, advice=detail or advice), code


class HostileInput(BadRequest):
    description = NUL_REFUSAL


def _has_nul(pairs) -> bool:
    return any("\x00" in part for pair in pairs for part in pair if isinstance(part, str))


def refuse_nul_characters() -> None:
    """Refuse a request with a NUL in its path, query string (raw or decoded), form fields or file names."""
    if "\x00" in request.path or b"\x00" in request.query_string or "%00" in request.query_string.decode("latin-1"):
        raise HostileInput()
    if _has_nul(request.args.items(multi=True)):
        raise HostileInput()
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        names = ((name, upload.filename) for name, upload in request.files.items(multi=True))
        if _has_nul(request.form.items(multi=True)) or _has_nul(names):
            raise HostileInput()


def init_app(app) -> None:
    app.before_request(refuse_nul_characters)

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(400, "The form had expired or was not sent from this service. Go back, reload the page and try again.")

    @app.errorhandler(HostileInput)
    def _hostile(error):
        return render_error(400, NUL_REFUSAL)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _unstorable(error):
        from core.extensions import db

        app.logger.warning("A value the database cannot store: %s", getattr(error, "orig", error))
        db.session.rollback()
        return render_error(400, UNSTORABLE)

    @app.errorhandler(RateLimitExceeded)
    def _throttled(error):
        # The same words whoever is signing in, and whether or not their account exists.
        minutes = minutes_to_wait(error)
        return render_error(429, f"There have been too many attempts. Wait {minutes} minutes and try again. "
                                 "If you have forgotten your password, ask the Early Help team for a new "
                                 "set-password link.")

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code == 403:
            _record_refusal()
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("Unhandled error")
        from core.extensions import db

        db.session.rollback()
        return render_error(500)


def _record_refusal() -> None:
    from core import audit

    try:
        audit.refused_request(403)
    except Exception:  # noqa: BLE001 - the refusal is answered even if the trail cannot be written
        from flask import current_app

        from core.extensions import db

        db.session.rollback()
        current_app.logger.exception("Could not record a refused request in the audit trail")
