"""The contacts and early-help imports: Europe/London times stored in UTC, linkage by email,
all-or-nothing rejection naming row and column, and re-imports that change nothing."""

from datetime import datetime

from sqlalchemy import func, select

from cohorts import services
from cohorts.models import EarlyHelpConsultation, MashRecord
from core.extensions import db
from core.models import ImportBatch


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_contacts_import_links_by_email_and_stores_utc(runner, formats, make_dsl):
    dsl = make_dsl(email="e.kowalska@riverside.example.org")
    result = runner.invoke(args=["import", "contacts", str(formats / "contacts.csv")])
    assert result.exit_code == 0, result.output
    assert "created 3" in result.output
    first = db.session.scalar(select(MashRecord).where(MashRecord.contact_id == "MASH-204417"))
    assert first.received_at == datetime(2020, 10, 2, 8, 14)  # 09:14 British Summer Time
    assert first.dsl_id == dsl.id and first.referrer_email == "e.kowalska@riverside.example.org"
    assert first.school_urn == 136202 and first.classification == "contact"
    police = db.session.scalar(select(MashRecord).where(MashRecord.contact_id == "MASH-204419"))
    assert police.dsl_id is None and police.referrer_email is None
    assert db.session.get(ImportBatch, first.import_batch_id).filename == "contacts.csv"


def test_winter_times_are_already_utc(runner, tmp_path):
    path = tmp_path / "winter.csv"
    path.write_text("contact_id,received_at,source,method,classification\nW-1,15/12/2020 10:30,Police,Email,referral\n")
    assert runner.invoke(args=["import", "contacts", str(path)]).exit_code == 0
    assert db.session.scalar(select(MashRecord.received_at)) == datetime(2020, 12, 15, 10, 30)


def test_impossible_date_rejects_the_file_naming_row_and_column(runner, formats, tmp_path):
    lines = (formats / "contacts.csv").read_text().splitlines()
    lines[2] = lines[2].replace("2020-10-05T14:02", "2020-02-30T14:02")
    bad = tmp_path / "contacts.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import", "contacts", str(bad)])
    assert result.exit_code == 1
    assert "Row 3, column 'received_at': '2020-02-30T14:02' is not a real date" in result.output
    assert _count(MashRecord) == 0 and _count(ImportBatch) == 0


def test_importing_the_same_file_again_changes_no_figure(runner, formats, make_dsl):
    make_dsl(email="e.kowalska@riverside.example.org")
    for kind, name in (("contacts", "contacts.csv"), ("early-help", "early-help.csv")):
        assert runner.invoke(args=["import", kind, str(formats / name)]).exit_code == 0
    before = (db.session.execute(select(MashRecord.contact_id, MashRecord.received_at, MashRecord.dsl_id,
                                        MashRecord.import_batch_id).order_by(MashRecord.id)).all(),
              services.linkage_counts(), _count(ImportBatch))
    for kind, name in (("contacts", "contacts.csv"), ("early-help", "early-help.csv")):
        result = runner.invoke(args=["import", kind, str(formats / name)])
        assert result.exit_code == 0 and "Nothing to import" in result.output
    after = (db.session.execute(select(MashRecord.contact_id, MashRecord.received_at, MashRecord.dsl_id,
                                       MashRecord.import_batch_id).order_by(MashRecord.id)).all(),
             services.linkage_counts(), _count(ImportBatch))
    assert after == before


def test_early_help_import(runner, formats, make_dsl):
    dsl = make_dsl(email="c.baird@hollybank.example.org")
    result = runner.invoke(args=["import", "early-help", str(formats / "early-help.csv")])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(select(EarlyHelpConsultation.consultation_id, EarlyHelpConsultation.dsl_id)
                              .order_by(EarlyHelpConsultation.consultation_id)).all()
    assert rows == [("EH-7301", dsl.id), ("EH-7302", None)]


def test_duplicate_key_and_bad_classification_are_errors(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("contact_id,received_at,source,method,classification\n"
                    "A,2020-10-01,School,Telephone,contact\nA,2020-10-02,School,Telephone,urgent\n")
    result = runner.invoke(args=["import", "contacts", str(path)])
    assert result.exit_code == 1
    assert "Row 3, column 'classification'" in result.output


def test_a_repeated_contact_id_names_both_rows_and_writes_nothing(runner, tmp_path, db_session):
    path = tmp_path / "c.csv"
    path.write_text("contact_id,received_at,source,method,classification\n"
                    "A,2020-10-01,School,Telephone,contact\nB,2020-10-01,School,Telephone,contact\n"
                    "A,2020-10-02,School,Telephone,referral\n")
    result = runner.invoke(args=["import", "contacts", str(path)])
    assert result.exit_code == 1
    assert "Row 4, column 'contact_id': the same key appears in row 2" in result.output
    assert db_session.scalar(select(func.count()).select_from(MashRecord)) == 0


def test_linkage_lists_unlinked_referrers_most_frequent_first_and_relinks(client, login_as, runner, tmp_path, make_dsl):
    path = tmp_path / "c.csv"
    path.write_text("contact_id,received_at,source,method,classification,referrer_email\n"
                    "A,2020-10-01,School,Telephone,contact,once@x.example.org\n"
                    "B,2020-10-01,School,Telephone,contact,Twice@x.example.org\n"
                    "C,2020-10-02,School,Telephone,contact,twice@x.example.org \n")
    assert runner.invoke(args=["import", "contacts", str(path)]).exit_code == 0
    referrers = services.unlinked_referrers()
    assert [(r["email"], r["records"]) for r in referrers] == [("twice@x.example.org", 2), ("once@x.example.org", 1)]
    login_as("evaluator")
    page = client.get("/cohorts/linkage").get_data(as_text=True)
    assert page.index("twice@x.example.org") < page.index("once@x.example.org")
    make_dsl(email="twice@x.example.org")
    response = client.post("/cohorts/linkage/relink", data={})
    assert response.status_code == 302
    assert services.linkage_counts()["linked"] == 2
