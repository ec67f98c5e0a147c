"""Reads that may go to a read replica: heavy reports, never anything a user has just written.

Set ``REPORTS_DATABASE_URL`` to a streaming replica of the main PostgreSQL database and the
outcome reports read from it, keeping their full-table scans off the primary. Without it they
read from the main database.
"""

from flask import current_app
from sqlalchemy.engine import Engine

from core.extensions import db

REPORTS_BIND = "reports"


def report_engine() -> Engine:
    """The engine reports read from: the replica when one is configured, else the main database."""
    if current_app.config.get("SQLALCHEMY_BINDS", {}).get(REPORTS_BIND):
        return db.engines[REPORTS_BIND]
    return db.engine
