"""REPORTS_DATABASE_URL: the outcome report, the demand page and the linkage page count MASH records and
Early Help consultations on the read replica, while cohorts (written by users and read straight back)
are read from the primary; a report reads the replica once the replica holds its cohort. Two real databases hold the same register but different MASH and Early Help
records, so every figure shows which one it was read from."""

import json
from contextlib import ExitStack

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from cohorts.models import Cohort
from core.app import create_app
from core.extensions import db
from core.sessions import stamps
from people.services import create_user
from tests.support import fresh_database

WINDOWS = ["--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"]
HEADER = "contact_id,received_at,source,method,classification,referrer_email,school_urn,outcome\n"
# The primary holds two records; the replica four, with a source and an unlinked referrer of its own.
PRIMARY_CONTACTS = HEADER + (
    "P-1,02/10/2020 09:14,School,Telephone,contact,e.kowalska@riverside.example.org,136202,Early Help\n"
    "P-2,05/10/2020 10:00,Police,Email,referral,only.on.the.primary@elsewhere.example.org,,NFA\n")
REPLICA_CONTACTS = HEADER + (
    "R-1,02/10/2020 09:14,School,Telephone,contact,e.kowalska@riverside.example.org,136202,Early Help\n"
    "R-2,03/10/2020 09:30,School,Telephone,contact,r.khan@millbrook.example.org,136201,NFA\n"
    "R-3,04/10/2020 11:00,Health visitor,Email,referral,c.baird@hollybank.example.org,136203,NFA\n"
    "R-4,06/10/2020 12:00,Police,Email,contact,only.on.the.replica@elsewhere.example.org,,NFA\n")
PRIMARY_EARLY_HELP = "consultation_id,date,school_urn,referrer_email\nEH-1,2020-10-12,136203,\n"
REPLICA_EARLY_HELP = PRIMARY_EARLY_HELP + "EH-2,2020-11-03,136201,\nEH-3,2020-11-04,136201,\n"


def _app(url: str, replica_url: str | None = None):
    config = {"TESTING": True, "SECRET_KEY": "replica", "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    if replica_url:
        config["SQLALCHEMY_BINDS"] = {"reports": replica_url}
    return create_app(config)


def _load(app, folder, formats, contacts: str, early_help: str, label: str) -> None:
    """The same register and attendance, then this database's own MASH and Early Help files."""
    (folder / f"contacts-{label}.csv").write_text(contacts)
    (folder / f"early-help-{label}.csv").write_text(early_help)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
    files = [("schools", formats / "schools.csv"), ("dsls", formats / "dsls.csv"),
             ("attendance", formats / "attendance.csv"), ("contacts", folder / f"contacts-{label}.csv"),
             ("early-help", folder / f"early-help-{label}.csv")]
    for kind, path in files:
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def reporting(tmp_path, formats):
    """An app on the primary that reads reports from the replica."""
    with ExitStack() as stack:
        primary_url = stack.enter_context(fresh_database(tmp_path, "primary"))
        replica_url = stack.enter_context(fresh_database(tmp_path, "replica"))
        for url, contacts, early_help, label in ((primary_url, PRIMARY_CONTACTS, PRIMARY_EARLY_HELP, "primary"),
                                                 (replica_url, REPLICA_CONTACTS, REPLICA_EARLY_HELP, "replica")):
            loader = _app(url)
            _load(loader, tmp_path, formats, contacts, early_help, label)
            _dispose(loader)
        app = _app(primary_url, replica_url)
        app.instance_path = str(tmp_path)
        try:
            yield app
        finally:
            _dispose(app)


def _signed_in_client(app):
    with app.app_context():
        user = create_user("evaluator@council.example.org", "evaluator")
        db.session.commit()
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session.update(stamps())
    return client


def _check_counts_are_the_replicas(figures: dict) -> None:
    linkage, groups = figures["linkage"], figures["groups"]
    assert figures["read_from"] == "replica"
    assert linkage["records_in_window"] == 4 and linkage["unlinked"] == 1
    assert groups["comparison"]["calls"] + groups["treatment"]["calls"] == 3
    assert groups["comparison"]["referrals"] + groups["treatment"]["referrals"] == 1
    assert figures["early_help"]["total"] == 3
    files = {batch["filename"] for batch in figures["batches"]}
    assert files == {"contacts-replica.csv", "early-help-replica.csv"}


def _check_counts_are_the_primarys(figures: dict) -> None:
    assert figures["read_from"] == "primary"
    assert figures["linkage"]["records_in_window"] == 2 and figures["early_help"]["total"] == 1
    files = {batch["filename"] for batch in figures["batches"]}
    assert files == {"contacts-primary.csv", "early-help-primary.csv"}


def _replicate_cohort(app, args: list[str]) -> None:
    """What streaming replication does in moments: the replica comes to hold the cohort the primary
    holds (the same register and attendance freeze the same members under the same ids)."""
    replica = _app(app.config["SQLALCHEMY_BINDS"]["reports"])
    result = replica.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    _dispose(replica)


CREATE = ["cohorts", "create", "autumn", "--courses", "induction,refresher", *WINDOWS]


def test_the_report_command_counts_on_the_replica_once_it_holds_the_cohort(reporting):
    runner = reporting.test_cli_runner()
    created = runner.invoke(args=CREATE)
    assert created.exit_code == 0, created.output
    with reporting.app_context():
        assert db.session.scalar(select(Cohort.name)) == "autumn"
        with db.engines["reports"].connect() as replica:
            assert replica.scalar(select(Cohort.name)) is None  # not replicated yet
    # Straight after the cohort is made the replica does not hold it: the report reads the primary.
    result = runner.invoke(args=["cohorts", "report", "autumn", "--format", "json"])
    assert result.exit_code == 0, result.output
    _check_counts_are_the_primarys(json.loads(result.output))
    _replicate_cohort(reporting, CREATE)
    result = runner.invoke(args=["cohorts", "report", "autumn", "--format", "json"])
    assert result.exit_code == 0, result.output
    _check_counts_are_the_replicas(json.loads(result.output))


def test_pages_read_the_replica_and_a_new_cohort_is_read_back_from_the_primary(reporting):
    client = _signed_in_client(reporting)
    created = client.post("/cohorts/new", data={"name": "autumn", "courses": ["induction", "refresher"],
                                                "exposure_start": "2020-09-01", "exposure_end": "2020-09-30",
                                                "outcome_start": "2020-09-01", "outcome_end": "2020-12-31"})
    assert created.status_code == 302
    report_page = client.get(created.headers["Location"])
    assert report_page.status_code == 200 and "autumn" in report_page.get_data(as_text=True)
    _check_counts_are_the_primarys(json.loads(client.get(created.headers["Location"] + "/report.json").data))
    _replicate_cohort(reporting, CREATE)
    exported = client.get(created.headers["Location"] + "/report.json")
    assert exported.status_code == 200
    _check_counts_are_the_replicas(json.loads(exported.data))

    demand = client.get("/cohorts/demand").get_data(as_text=True)
    assert "4 MASH records received" in demand and "Health visitor" in demand

    linkage = client.get("/cohorts/linkage").get_data(as_text=True)
    assert "only.on.the.replica@elsewhere.example.org" in linkage
    assert "only.on.the.primary@elsewhere.example.org" not in linkage


def test_relinking_counts_on_the_primary_where_it_writes(reporting):
    runner = reporting.test_cli_runner()
    result = runner.invoke(args=["cohorts", "relink"])
    assert result.exit_code == 0, result.output
    assert "(of 2)" in result.output  # the primary's two records, not the replica's four
