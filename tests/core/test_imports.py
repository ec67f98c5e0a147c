"""The shared import machinery: reading, validating, previewing and writing, all-or-nothing."""

import io

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.extensions import db
from core.imports import RejectedFile, apply_plan, import_kinds, parse_dates, plan_import, read_table
from core.models import ImportBatch
from people.models import Dsl, School

SCHOOLS = "urn,name,pupils,fsm_percent,phase,district\n125401,Abbey Fields Primary School,412,11.4,Primary,Warwick\n"


def kind(app, name):
    return import_kinds()[name]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_headers_match_case_insensitively_after_trimming(db_session):
    frame = read_table(b" URN ,Name,PUPILS,fsm_percent , extra\n1,A,2,3,x\n", "s.csv")
    assert list(frame.columns) == ["urn", "name", "pupils", "fsm_percent", "extra"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_reads_utf8_with_and_without_bom_and_cp1252(app, db_session, encoding):
    text = "urn,name,pupils,fsm_percent\n125401,Ysgol Gymraeg Caerdydd – St Bede’s,412,11.4\n"
    plan = plan_import(kind(app, "schools"), text.encode(encoding), "schools.csv")
    assert plan.ok, plan.errors
    assert plan.create.iloc[0]["name"] == "Ysgol Gymraeg Caerdydd – St Bede’s"


def test_reads_xlsx_with_the_same_headers(app, db_session):
    data = xlsx_bytes([["URN", "name", "pupils", "fsm_percent", "phase", "district"],
                       [125401, "Abbey Fields Primary School", 412, 11.4, "primary", "Warwick"]])
    plan = plan_import(kind(app, "schools"), data, "schools.xlsx")
    assert plan.ok, plan.errors
    row = plan.create.iloc[0]
    assert (int(row["urn"]), row["phase"], float(row["fsm_percent"])) == (125401, "Primary", 11.4)


@pytest.mark.parametrize("data,filename,message", [
    (b"urn,name\n1,a\n", "schools.xlsx", "is not an Excel workbook"),
    (xlsx_bytes([["urn"], [1]]), "schools.csv", "is not a CSV text file"),
    (b"\x00\x01\x02binary", "schools.csv", "is not a CSV text file"),
    (b"urn,name\n", "schools.pdf", "Choose a CSV"),
    (b"", "schools.csv", "is empty"),
])
def test_files_that_are_not_what_their_name_says_are_rejected(app, db_session, data, filename, message):
    plan = plan_import(kind(app, "schools"), data, filename)
    assert not plan.ok
    assert message in str(plan.errors[0])


def test_missing_required_column_is_named(app, db_session):
    plan = plan_import(kind(app, "schools"), b"urn,name,pupils\n1,A,2\n", "s.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(1, "fsm_percent")]
    assert "required column is missing" in plan.errors[0].message


def test_every_bad_cell_is_reported_with_row_and_column(app, db_session):
    data = (b"urn,name,pupils,fsm_percent,phase\n"
            b"1,Good,10,5,Primary\n"
            b"-3,,ten,101,Moon\n"
            b"4,D,1.5,5,\n")
    plan = plan_import(kind(app, "schools"), data, "s.csv")
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(3, "urn"), (3, "name"), (3, "pupils"), (3, "fsm_percent"), (3, "phase"), (4, "pupils")}
    assert str(next(e for e in plan.errors if e.column == "pupils" and e.row == 3)) == \
        "Row 3, column 'pupils': 'ten' is not a whole number."


def test_columns_parsed_side_by_side_give_the_same_errors_in_the_same_order(app, db_session, monkeypatch):
    """Large files parse their columns in threads; the errors and values must not depend on it."""
    import core.imports as imports

    data = (b"urn,name,pupils,fsm_percent,phase\n" + b"1,Good,10,5,Primary\n" * 3 +
            b"-3,,ten,101,Moon\n4,D,1.5,5,\n5,E,7,x,Special\n")
    serial = plan_import(kind(app, "schools"), data, "s.csv")
    monkeypatch.setattr(imports, "PARALLEL_FROM_ROWS", 1)
    parallel = plan_import(kind(app, "schools"), data, "s.csv")
    assert [str(e) for e in parallel.errors] == [str(e) for e in serial.errors]
    assert len(serial.errors) == 7


def test_text_longer_than_its_column_is_an_error(app, db_session):
    data = f"urn,name,pupils,fsm_percent\n1,{'x' * 201},10,5\n".encode()
    plan = plan_import(kind(app, "schools"), data, "s.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "name")]
    assert "longer than 200" in plan.errors[0].message


def test_a_key_twice_in_one_file_is_an_error(app, db_session):
    data = b"urn,name,pupils,fsm_percent\n7,A,1,1\n8,B,1,1\n7,C,1,1\n"
    plan = plan_import(kind(app, "schools"), data, "s.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(4, "urn")]
    assert "row 2" in plan.errors[0].message


def test_dates_parse_iso_and_uk_day_first_strictly():
    text = pd.Series(["2020-09-17", "17/09/2020", "2020-09-17T10:30", "17/09/2020 10:30", "2020-09-17 10:30:00",
                      "09/17/2020", "31/02/2020", "2020-13-01", "29/02/2020", "29/02/2021", "17.09.2020"])
    parsed = parse_dates(text, with_time=True)
    shown = [None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M") for v in parsed]
    assert shown == ["2020-09-17 00:00", "2020-09-17 00:00", "2020-09-17 10:30", "2020-09-17 10:30",
                     "2020-09-17 10:30", None, None, None, "2020-02-29 00:00", None, None]
    dates_only = parse_dates(pd.Series(["2020-09-17", "2020-09-17 10:30", "1/9/2020", "2020-9-1", "2020-09"]),
                             with_time=False)
    assert [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in dates_only] == [
        "2020-09-17", None, "2020-09-01", None, None]


def test_a_rejected_file_writes_nothing(app, db_session):
    good_then_bad = SCHOOLS + "125402,Castle Hill Academy,lots,17.9,Secondary,Nuneaton\n"
    plan = plan_import(kind(app, "schools"), good_then_bad.encode(), "s.csv")
    assert not plan.ok
    with pytest.raises(RejectedFile):
        apply_plan(plan, None, "cli")
    assert count(School) == 0 and count(ImportBatch) == 0


def test_reimporting_changes_nothing_and_updates_only_changed_rows(app, db_session):
    schools = kind(app, "schools")
    batch = apply_plan(plan_import(schools, SCHOOLS.encode(), "s.csv"), None, "cli")
    assert (batch.created, batch.updated, batch.unchanged) == (1, 0, 0)
    stamp = db.session.scalar(select(School.updated_at))

    again = plan_import(schools, SCHOOLS.encode(), "s.csv")
    assert again.counts == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1}
    assert apply_plan(again, None, "cli") is None
    assert count(ImportBatch) == 1
    assert db.session.scalar(select(School.updated_at)) == stamp

    changed = SCHOOLS.replace("412", "420")
    batch = apply_plan(plan_import(schools, changed.encode(), "s.csv"), None, "cli")
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 0)
    assert db.session.scalar(select(School.pupils)) == 420


def test_dsls_must_name_an_imported_school(app, db_session, make_school):
    make_school(urn=125401)
    data = b"email,name,school_urn,role\n A.Patel@Abbeyfields.example.org ,Anita Patel,125401,dsl\nx@y.org,X,999,DSL\n"
    plan = plan_import(kind(app, "dsls"), data, "d.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(3, "school_urn")]
    ok = plan_import(kind(app, "dsls"), data.split(b"\nx@")[0] + b"\n", "d.csv")
    apply_plan(ok, None, "cli")
    dsl = db.session.scalar(select(Dsl))
    assert (dsl.email, dsl.role) == ("a.patel@abbeyfields.example.org", "DSL")


def test_role_defaults_to_dsl_and_bad_email_is_rejected(app, db_session, make_school):
    make_school(urn=5)
    data = b"email,name,school_urn\nnot-an-email,A,5\nb@school.org,B,5\n"
    plan = plan_import(kind(app, "dsls"), data, "d.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "email")]


def test_the_shared_write_stamps_times_on_the_register_and_batches_on_mash_records(app, db_session):
    from datetime import datetime, timedelta

    from cohorts.models import MashRecord

    apply_plan(plan_import(kind(app, "schools"), SCHOOLS.encode(), "s.csv"), None, "cli")
    made = db.session.execute(select(School.created_at, School.updated_at)).one()
    db.session.execute(School.__table__.update().values(created_at=made[0] - timedelta(days=1),
                                                         updated_at=made[1] - timedelta(days=1)))
    apply_plan(plan_import(kind(app, "schools"), SCHOOLS.replace("412", "420").encode(), "s.csv"), None, "cli")
    created, updated = db.session.execute(select(School.created_at, School.updated_at)).one()
    assert created == made[0] - timedelta(days=1) and updated >= made[1]

    contacts = ("contact_id,received_at,source,method,classification\n"
                "A-1,2020-10-01 09:00,Police,Email,referral\nA-2,2020-10-01 10:00,School,Telephone,contact\n")
    first = apply_plan(plan_import(kind(app, "contacts"), contacts.encode(), "c.csv"), None, "cli")
    second = apply_plan(plan_import(kind(app, "contacts"), contacts.replace("School,Telephone", "School,Email").encode(),
                                    "c.csv"), None, "cli")
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    stored = {r.contact_id: r for r in db.session.scalars(select(MashRecord))}
    assert stored["A-1"].import_batch_id == first.id  # unchanged: still traced to the file that brought it
    assert (stored["A-2"].import_batch_id, stored["A-2"].method) == (second.id, "Email")
    assert stored["A-1"].received_at == datetime(2020, 10, 1, 8, 0)


def test_only_attendance_brings_its_own_existing_and_write(app, db_session):
    from core.imports import ImportKind

    own = {name for name, k in import_kinds().items()
           if type(k).existing is not ImportKind.existing or type(k).write is not ImportKind.write}
    assert own == {"attendance"}
    assert all(k.model is not None for name, k in import_kinds().items() if name != "attendance")
