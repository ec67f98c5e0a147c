"""Query results as pandas DataFrames, for the pages and commands that read a whole register."""

import pandas as pd

from core.extensions import db


def query_frame(statement, columns: list[str]) -> pd.DataFrame:
    """The rows of ``statement`` as a DataFrame. Read through the session's connection, without the
    ORM's per-row work, and built column by column: both several times faster on large results."""
    db.session.flush()
    rows = db.session.connection().execute(statement).all()
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))))
