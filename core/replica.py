"""Reads that may go to a read replica: the heavy aggregates of reports, never anything a user has
just written.

Set ``REPORTS_DATABASE_URL`` to a streaming replica of the main PostgreSQL database and the outcome
report, the demand page and the linkage page count MASH records and Early Help consultations there,
keeping their full-table scans off the primary. Without it they read from the main database.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.engine import Connection, Engine

from core.extensions import db

REPORTS_BIND = "reports"


def replica_configured() -> bool:
    return bool(current_app.config.get("SQLALCHEMY_BINDS", {}).get(REPORTS_BIND))


def report_engine() -> Engine:
    """The engine reports read from: the replica when one is configured, else the main database."""
    if replica_configured():
        return db.engines[REPORTS_BIND]
    return db.engine


@contextmanager
def read_connection(replica: bool) -> Iterator[Connection]:
    """Where a read goes. With ``replica`` and a replica configured: a connection of its own to the
    replica, returned when the read is done. Otherwise the request's own transaction on the main
    database (flushed first), which sees everything this request has written."""
    engine = report_engine() if replica else db.engine
    if engine is db.engine:
        db.session.flush()
        yield db.session.connection()
        return
    with engine.connect() as connection:
        yield connection
