"""Database behaviour that differs between SQLite and PostgreSQL."""

import json

from sqlalchemy import String, bindparam, event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

# The largest whole number an INTEGER column holds on every database the service runs on: forms and
# imports refuse a larger one with a message rather than let the database fail.
LARGEST_INTEGER = 2**31 - 1

WRITE_LOCK_OPTION = "right_support_begin_immediate"
SQLITE_CACHE_KIB = 131072


def configure_sqlite(engine: Engine) -> None:
    """Turn on foreign keys, wait for locks instead of failing at once, and let SQLAlchemy
    (not the sqlite3 module) begin transactions, so savepoints and transactional DDL work."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Readers never wait for a writer, and a commit needs no flush to disk of its own; a power
        # cut can lose the last commits but never corrupts the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Large imports update indexes far faster when their pages stay in memory (pages are taken
        # only as they are used, up to this many KiB per connection).
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_writing(session) -> None:
    """Start a transaction that holds the database's write lock from its first statement.

    On SQLite a transaction that reads and then writes can fail at once when another writer got
    there first; ``BEGIN IMMEDIATE`` makes it wait its turn instead. Any read-only transaction the
    session has open is ended first. Elsewhere this does nothing: use row locks there.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or not isinstance(bind, Engine):
        return  # not SQLite, or a session joined to an outer transaction that decides the locking
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_writing must come before any change in the transaction")
    session.rollback()
    session.connection(execution_options={WRITE_LOCK_OPTION: True})


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def one_of(session, column, values):
    """``column IN (values)`` bound as one parameter however many values there are: an array on
    PostgreSQL, a JSON array read by ``json_each`` on SQLite (whose statements hold at most 32,766
    parameters). Both databases then match the list with a hash, not a comparison per value."""
    values = list(values)
    if is_sqlite(session):
        listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(select(func.unnest(bindparam(None, values, type_=postgresql.ARRAY(column.type)))))
