"""Bulk inserts write exactly what the ORM would, inside the caller's transaction."""

from datetime import datetime

import pandas as pd
from sqlalchemy import select

from core.bulk import bulk_insert
from core.extensions import db
from core.models import ImportBatch


def test_bulk_insert_round_trips_types_and_nulls(db_session, make_user):
    user = make_user("admin")
    frame = pd.DataFrame({
        "kind": ["schools", "dsls"],
        "filename": ["a, \"quoted\".csv", "b\nnewline.csv"],
        "checksum": ["0" * 64, "1" * 64],
        "user_id": pd.array([user.id, None], dtype="Int64"),
        "source": ["cli", "web"],
        "rows": pd.array([3, 4], dtype="Int64"),
        "created": [1, 2], "updated": [0, 0], "unchanged": [2, 2],
        "imported_at": pd.to_datetime(["2020-09-17 10:30:00.123456", "2021-02-28 23:59:59.000000"]),
    })
    assert bulk_insert(ImportBatch.__table__, frame, list(frame.columns)) == 2
    rows = db.session.scalars(select(ImportBatch).order_by(ImportBatch.kind.desc())).all()
    assert [(r.kind, r.filename, r.user_id, r.rows, r.imported_at) for r in rows] == [
        ("schools", 'a, "quoted".csv', user.id, 3, datetime(2020, 9, 17, 10, 30, 0, 123456)),
        ("dsls", "b\nnewline.csv", None, 4, datetime(2021, 2, 28, 23, 59, 59)),
    ]
    db.session.rollback()
    assert db.session.scalars(select(ImportBatch)).all() == [], "bulk rows belong to the caller's transaction"
