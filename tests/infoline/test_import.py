"""The infoline import against its contract: Europe/London times stored in UTC, calls linked to DSLs
by email, every problem of a bad file named by row and column with nothing written, and re-imports
that change nothing."""

from datetime import datetime

from sqlalchemy import func, select

from core.extensions import db
from core.models import ImportBatch
from infoline.models import InfolineCall

HEADER = "call_id,received_at,advice,caller_email,school_urn,topic,duration_minutes\n"


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _import(runner, path):
    return runner.invoke(args=["import", "infoline", str(path)])


def test_the_example_file_imports_and_links_by_email(runner, formats, make_dsl):
    dsl = make_dsl(email="e.kowalska@riverside.example.org")
    result = _import(runner, formats / "infoline.csv")
    assert result.exit_code == 0, result.output
    assert "created 4" in result.output
    first = db.session.scalar(select(InfolineCall).where(InfolineCall.call_id == "INF-30101"))
    assert first.received_at == datetime(2020, 10, 2, 8, 40)  # 09:40 British Summer Time
    assert first.dsl_id == dsl.id and first.caller_email == "e.kowalska@riverside.example.org"
    assert (first.advice, first.school_urn, first.topic, first.duration_minutes) == ("handled", 136202, "Neglect", 12)
    unknown = db.session.scalar(select(InfolineCall).where(InfolineCall.call_id == "INF-30102"))
    assert unknown.dsl_id is None and unknown.advice == "mash"  # not on the register: kept, linked to no one
    winter = db.session.scalar(select(InfolineCall).where(InfolineCall.call_id == "INF-30104"))
    assert winter.received_at == datetime(2020, 12, 15, 16, 45)
    assert (winter.caller_email, winter.school_urn, winter.topic, winter.duration_minutes) == (None, None, None, 3)
    assert db.session.get(ImportBatch, first.import_batch_id).kind == "infoline"


def test_importing_the_same_file_again_changes_nothing(runner, formats):
    assert _import(runner, formats / "infoline.csv").exit_code == 0
    before = db.session.execute(select(InfolineCall.call_id, InfolineCall.updated_at, InfolineCall.import_batch_id)
                                .order_by(InfolineCall.id)).all()
    result = _import(runner, formats / "infoline.csv")
    assert result.exit_code == 0 and "Nothing to import" in result.output
    after = db.session.execute(select(InfolineCall.call_id, InfolineCall.updated_at, InfolineCall.import_batch_id)
                               .order_by(InfolineCall.id)).all()
    assert before == after and _count(ImportBatch) == 1


def test_a_changed_row_is_updated_in_place(runner, formats, tmp_path):
    assert _import(runner, formats / "infoline.csv").exit_code == 0
    changed = tmp_path / "infoline.csv"
    changed.write_text((formats / "infoline.csv").read_text().replace("INF-30104,2020-12-15 16:45,other",
                                                                      "INF-30104,2020-12-15 16:45,early-help"))
    result = _import(runner, changed)
    assert result.exit_code == 0 and "updated 1, unchanged 3" in result.output
    assert db.session.scalar(select(InfolineCall.advice).where(InfolineCall.call_id == "INF-30104")) == "early-help"
    assert _count(InfolineCall) == 4


def test_the_register_gaining_the_email_relinks_earlier_calls(runner, formats, make_dsl, db_session):
    from core.events import register_changed

    assert _import(runner, formats / "infoline.csv").exit_code == 0
    dsl = make_dsl(email="r.khan@millbrook.example.org")
    register_changed([dsl.email])
    db_session.commit()
    assert db.session.scalar(select(InfolineCall.dsl_id).where(InfolineCall.call_id == "INF-30102")) == dsl.id


def test_a_bad_file_lists_every_problem_and_writes_nothing(runner, tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text(HEADER
                   + "A-1,2020-02-30 10:00,handled,,,,\n"  # no such day
                   + "A-2,2020-10-01 10:00,phoned back,,,,\n"  # unknown advice
                   + "A-3,2020-10-01 10:00,mash,not-an-email,,,\n"
                   + "A-4,2020-10-01 10:00,mash,,0,,\n"  # URN must be positive
                   + "A-5,2020-10-01 10:00,mash,,,,-2\n"  # negative minutes
                   + "A-6,2020-10-01 10:00,mash,,,,2.5\n"  # not whole
                   + "A-7,2020-10-01 10:00,other,,," + "x" * 101 + ",\n"  # topic too long
                   + "A-1,2020-10-01 10:00,handled,,,,\n"  # the key again
                   + ",2020-10-01 10:00,,,,,\n")  # blank key and advice
    result = _import(runner, bad)
    assert result.exit_code == 1
    for expected in ("Row 2, column 'received_at'", "Row 3, column 'advice': 'phoned back' is not one of",
                     "Row 4, column 'caller_email': 'not-an-email' is not an email address",
                     "Row 5, column 'school_urn'", "Row 6, column 'duration_minutes': '-2' is less than 0",
                     "Row 7, column 'duration_minutes': '2.5' is not a whole number",
                     "Row 8, column 'topic': is longer than 100 characters",
                     "Row 10, column 'call_id': this value is required", "Row 10, column 'advice'"):
        assert expected in result.output, expected
    assert _count(InfolineCall) == 0 and _count(ImportBatch) == 0


def test_a_repeated_call_id_is_named(runner, tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text(HEADER + "A-1,2020-10-01 10:00,handled,,,,\nA-1,2020-10-02 10:00,mash,,,,\n")
    result = _import(runner, bad)
    assert result.exit_code == 1 and "Row 3, column 'call_id': the same key appears in row 2" in result.output
    assert _count(InfolineCall) == 0


def test_missing_columns_and_files_that_are_not_csv_are_refused(runner, tmp_path):
    missing = tmp_path / "calls.csv"
    missing.write_text("call_id,received_at\nA-1,2020-10-01\n")
    result = _import(runner, missing)
    assert result.exit_code == 1 and "column 'advice': this required column is missing" in result.output
    binary = tmp_path / "calls-2.csv"
    binary.write_bytes(b"PK\x03\x04 not a text file")
    result = _import(runner, binary)
    assert result.exit_code == 1 and "is not a CSV text file" in result.output
    empty = tmp_path / "calls-3.csv"
    empty.write_text("")
    assert _import(runner, empty).exit_code == 1
    assert _count(InfolineCall) == 0 and _count(ImportBatch) == 0


def test_an_excel_export_in_windows_1252_imports(runner, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes((HEADER.upper() + "A-1,01/10/2020 10:00,Handled,,,Café staff,4\n").encode("cp1252"))
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    call = db.session.scalar(select(InfolineCall))
    assert (call.advice, call.topic) == ("handled", "Café staff")


def test_the_summary_command_counts_the_imported_calls(runner, formats):
    import json

    assert _import(runner, formats / "infoline.csv").exit_code == 0
    result = runner.invoke(args=["infoline", "summary"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["calls"] == 4 and {r["advice"]: r["calls"] for r in figures["by_advice"]} == {
        "handled": 1, "early-help": 1, "mash": 1, "other": 1}
    october = json.loads(runner.invoke(args=["infoline", "summary", "--period", "2020-10-01:2020-10-31"]).output)
    assert october["calls"] == 3
    csv = runner.invoke(args=["infoline", "summary", "--format", "csv"])
    assert csv.exit_code == 0 and "Calls by topic" in csv.output
    assert runner.invoke(args=["infoline", "add-topic", "Neglect"]).exit_code == 0
    again = runner.invoke(args=["infoline", "add-topic", "neglect"])
    assert again.exit_code == 1 and "already a topic" in again.output


def _upload(client, data, name="infoline.csv"):
    import io

    return client.post("/imports/", data={"kind": "infoline", "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_evaluator_previews_then_imports_on_the_upload_page(client, login_as, formats):
    login_as("evaluator")
    assert "DSL Infoline calls" in client.get("/imports/").get_data(as_text=True)
    page = _upload(client, (formats / "infoline.csv").read_bytes()).get_data(as_text=True)
    assert "Records to create" in page and "INF-30101" in page
    assert _count(InfolineCall) == 0, "a preview writes nothing"
    token = page.split('name="upload" type="hidden" value="')[1].split('"')[0]
    assert client.post("/imports/confirm", data={"upload": token}).status_code == 302
    assert _count(InfolineCall) == 4
    assert db.session.scalar(select(ImportBatch.source)) == "web"
    bad = _upload(client, (HEADER + "A-1,2020-10-01,phoned,,,,\n").encode()).get_data(as_text=True)
    assert "Row 2" in bad and "advice" in bad and 'name="upload"' not in bad


def test_advisers_and_trainers_cannot_import_calls(client, login_as, formats):
    login_as("trainer")
    page = client.get("/imports/").get_data(as_text=True)
    assert "DSL Infoline calls" not in page
    response = _upload(client, (formats / "infoline.csv").read_bytes())
    assert response.status_code in (200, 403) and _count(InfolineCall) == 0
