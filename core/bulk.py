"""Fast bulk inserts for imports: COPY on PostgreSQL, one executemany on SQLite.

Rows go in through the session's own connection, so they join the request's or command's
transaction and are committed (or rolled back) with everything else.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Table

from core.extensions import db

COPY_CHUNK_ROWS = 100_000
SQLITE_CHUNK_ROWS = 50_000


def bulk_insert(table: Table, frame: pd.DataFrame, columns: list[str]) -> int:
    """Insert ``frame[columns]`` into ``table``; returns the number of rows. Flushes the session first."""
    if frame.empty:
        return 0
    db.session.flush()
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        _copy(raw, table.name, frame[columns], columns)
    else:
        _executemany(raw, table.name, frame[columns], columns)
    return len(frame)


def _copy(raw, table_name: str, frame: pd.DataFrame, columns: list[str]) -> None:
    statement = f'COPY "{table_name}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            chunk = frame.iloc[start:start + COPY_CHUNK_ROWS]
            buffer = io.StringIO()
            chunk.to_csv(buffer, header=False, index=False, na_rep="\\N", quoting=csv.QUOTE_MINIMAL,
                         date_format="%Y-%m-%d %H:%M:%S.%f")
            copy.write(buffer.getvalue())


def _executemany(raw, table_name: str, frame: pd.DataFrame, columns: list[str]) -> None:
    placeholders = ", ".join("?" for _ in columns)
    statement = f'INSERT INTO "{table_name}" ({", ".join(columns)}) VALUES ({placeholders})'
    cursor = raw.cursor()
    try:
        for start in range(0, len(frame), SQLITE_CHUNK_ROWS):
            cursor.executemany(statement, _python_rows(frame.iloc[start:start + SQLITE_CHUNK_ROWS]))
    finally:
        cursor.close()


def _python_rows(frame: pd.DataFrame):
    """Rows of plain Python values (None for missing), as the sqlite3 module stores them."""
    return zip(*(_python_values(series) for _, series in frame.items()))


def _python_values(series: pd.Series) -> list:
    """One column as plain Python values; only columns that need converting are touched per value."""
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        return text.astype(object).where(series.notna(), None).tolist()
    values = series.astype(object).where(series.notna(), None).tolist()
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, (np.generic, date)):
        return [_plain(v) for v in values]
    return values


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value
