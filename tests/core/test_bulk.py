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


def test_large_load_on_postgresql_rebuilds_indexes_and_keeps_every_constraint(db_session, make_dsl, monkeypatch):
    """A load larger than the table drops and rebuilds indexes and constraints inside the transaction."""
    import psycopg
    import pytest
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    from cohorts.models import MashRecord
    from core import bulk

    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the rebuild applies to PostgreSQL only")
    monkeypatch.setattr(bulk, "REBUILD_FROM_ROWS", 10)
    dsl = make_dsl()
    batch = ImportBatch(kind="contacts", filename="c.csv", checksum="0" * 64, source="cli", rows=20, created=20,
                        updated=0, unchanged=0)
    db.session.add(batch)
    db.session.commit()
    frame = pd.DataFrame({"contact_id": [f"MASH-{n}" for n in range(20)],
                          "received_at": pd.date_range("2020-10-01", periods=20, freq="h"),
                          "source": "School", "method": "Telephone", "classification": "contact",
                          "referrer_email": [dsl.email] * 10 + [None] * 10,
                          "dsl_id": pd.array([dsl.id] * 10 + [None] * 10, dtype="Int64"),
                          "import_batch_id": batch.id})
    before = inspect(db.session.connection())
    indexes = {i["name"] for i in before.get_indexes("mash_records")}
    bulk_insert(MashRecord.__table__, frame, list(frame.columns))
    after = inspect(db.session.connection())
    assert {i["name"] for i in after.get_indexes("mash_records")} == indexes
    assert len(after.get_foreign_keys("mash_records")) == 2
    assert db.session.scalar(select(db.func.count()).select_from(MashRecord)) == 20
    assert after.get_pk_constraint("mash_records")["constrained_columns"] == ["id"]
    # The ids came from the table's sequence in one block, and the sequence moved past them.
    ids = db.session.scalars(select(MashRecord.id).order_by(MashRecord.id)).all()
    assert ids == list(range(ids[0], ids[0] + 20))
    later = MashRecord(contact_id="MASH-later", received_at=datetime(2020, 11, 1), source="School",
                       method="Telephone", classification="contact", import_batch_id=batch.id)
    db.session.add(later)
    db.session.flush()
    assert later.id > ids[-1]
    with pytest.raises((IntegrityError, psycopg.errors.UniqueViolation)):
        with db.session.begin_nested():
            bulk_insert(MashRecord.__table__, frame.head(1), list(frame.columns))
