"""Error pages in the service's own style; nothing answers a bare 500 to a user's mistake."""

from flask import render_template
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def render_error(code: int, detail: str | None = None):
    title, advice = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("core/error.html", code=code, title=title, advice=detail or advice), code


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(400, "The form had expired or was not sent from this service. Go back, reload the page and try again.")

    @app.errorhandler(RateLimitExceeded)
    def _throttled(error):
        # The same words whoever is signing in, and whether or not their account exists.
        minutes = minutes_to_wait(error)
        return render_error(429, f"There have been too many attempts. Wait {minutes} minutes and try again. "
                                 "If you have forgotten your password, ask the Early Help team for a new "
                                 "set-password link.")

    @app.errorhandler(HTTPException)
    def _http(error):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("Unhandled error")
        from core.extensions import db

        db.session.rollback()
        return render_error(500)
