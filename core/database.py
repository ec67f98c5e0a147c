"""Database behaviour that differs between SQLite and PostgreSQL."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
