"""Retention of MASH records and Early Help consultations: one command deletes those older than the
set months, all or nothing, and records it; cohorts keep their frozen membership. And every export
of a cohort's report is recorded in the audit trail."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from cohorts import services
from cohorts.models import CohortMember, EarlyHelpConsultation, MashRecord
from core.models import AuditEvent, ImportBatch
from tests.cohorts.test_reports import cohort  # noqa: F401 - the fixture

NOW = datetime(2027, 1, 15, 12)


def _count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def consultations(db_session, cohort):  # noqa: F811 - the fixture above
    batch = db_session.scalar(select(ImportBatch))
    for n, day in enumerate((date(2020, 10, 5), date(2021, 3, 1), date(2026, 6, 1))):
        db_session.add(EarlyHelpConsultation(consultation_id=f"EH-{n}", date=day, import_batch_id=batch.id))
    db_session.commit()


def test_records_older_than_the_retention_go_and_cohorts_keep_their_members(db_session, cohort, consultations):  # noqa: F811
    members = _count(db_session, CohortMember)
    # 72 months before 15 January 2027 is 15 January 2021: the autumn 2020 records go, 2021's stay.
    result = services.purge_old_records(72, now=NOW)
    db_session.commit()
    assert result.cutoff == datetime(2021, 1, 15, 12)
    assert (result.mash_records, result.early_help) == (17, 1)
    assert _count(db_session, MashRecord) == 0 and _count(db_session, EarlyHelpConsultation) == 2
    assert _count(db_session, CohortMember) == members
    assert _count(db_session, ImportBatch) == 1  # the trail of what was imported stays
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.event == "cohorts.records.purged"))
    assert event.new_values == {"cutoff": "2021-01-15T12:00:00", "months": 72, "mash_records": 17, "early_help": 1}
    figures = services.cohort_report(cohort).figures  # the report still runs, on what is still held
    assert figures["groups"]["treatment"]["n"] == 3 and figures["groups"]["treatment"]["contacts"] == 0


def test_the_command_deletes_all_or_nothing(runner, db_session, cohort, consultations, monkeypatch, app):  # noqa: F811
    monkeypatch.setitem(app.config, "RECORD_RETENTION_MONTHS", 12)

    def fail(*args, **kwargs):
        raise RuntimeError("the audit trail cannot be written")

    monkeypatch.setattr(services.audit, "record", fail)
    result = runner.invoke(args=["cohorts", "purge-records", "--yes"])
    assert result.exit_code != 0
    assert _count(db_session, MashRecord) == 17 and _count(db_session, EarlyHelpConsultation) == 3
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "RECORD_RETENTION_MONTHS", 12)
    result = runner.invoke(args=["cohorts", "purge-records", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted 17 MASH record(s) and 2 Early Help consultation(s)" in result.output
    assert _count(db_session, EarlyHelpConsultation) == 1


def test_the_command_asks_first(runner, db_session, cohort):  # noqa: F811
    result = runner.invoke(args=["cohorts", "purge-records", "--months", "1"], input="n\n")
    assert result.exit_code != 0 and _count(db_session, MashRecord) == 17


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_report_export_is_recorded(client, login_as, db_session, cohort, fmt):  # noqa: F811
    user = login_as("evaluator")
    assert client.get(f"/cohorts/{cohort.id}/report.{fmt}?suppress=y").status_code == 200
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.event == "cohorts.report.exported"))
    assert (event.object_id, event.user_id, event.new_values["format"], event.new_values["source"]) == (
        str(cohort.id), user.id, fmt, "web")
    assert event.new_values["suppress"] is True


def test_a_report_written_by_the_command_is_recorded(runner, db_session, cohort, tmp_path):  # noqa: F811
    result = runner.invoke(args=["cohorts", "report", cohort.name, "--format", "csv", "--output",
                                 str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.event == "cohorts.report.exported"))
    assert event.user_id is None and event.new_values["source"] == "cli"
