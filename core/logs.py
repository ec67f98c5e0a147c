"""Tokens never reach a log. An invitation link (/set-password/<token>) and a calendar feed
(/calendar/<token>.ics) are secrets carried in a path: whoever reads the log could use them. Every
line the app logs, the development server's access log, and gunicorn's access and error logs
(``logger_class`` in gunicorn.conf.py) have the token replaced by ``[redacted]``."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"
# A token runs to the next slash, query, fragment, quote or space (a feed's up to its ".ics").
_PATTERNS = (
    re.compile(r"(/set-password/)[^/?#\s\"']+"),
    re.compile(r"(/calendar/)[^/?#\s\"']+?(?=\.ics|[/?#\s\"']|$)"),
)


def redact(text: str) -> str:
    """``text`` with every invitation and calendar-feed token replaced."""
    if not isinstance(text, str) or ("/set-password/" not in text and "/calendar/" not in text):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda found: found.group(1) + REDACTED, text)
    return text


class RedactTokens(logging.Filter):
    """A logging filter that redacts tokens from a record's message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactTokens()


def redact_tokens_in_logs(app) -> None:
    """Add the filter to the app's logger and to the loggers of the servers that run it."""
    for logger in (app.logger, logging.getLogger("werkzeug"), logging.getLogger("gunicorn.error"),
                   logging.getLogger("gunicorn.access")):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in app.logger.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger, with tokens redacted from the request line, the path, the referrer, every
    header and environ value an access-log format can name, and every error-log line."""

    def setup(self, cfg):
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)

    def atoms(self, resp, req, environ, request_time):
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
