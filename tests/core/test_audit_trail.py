"""What the audit trail records (accounts, the register, courses, imports, exports of personal data,
refused requests), the admins' page and CSV, the retention purge (the only deletion the database
allows), and logs that never carry a token."""

import csv
import io
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core import audit
from core.models import AuditEvent, AuditPurge
from core.timefmt import today_london, utcnow


def events(db_session, prefix=""):
    db_session.expire_all()
    return db_session.execute(select(AuditEvent.event, AuditEvent.object_id, AuditEvent.old_values,
                                     AuditEvent.new_values, AuditEvent.user_id)
                              .where(AuditEvent.event.startswith(prefix)).order_by(AuditEvent.id)).all()


# -- accounts and the register ----------------------------------------------------------------------


def test_role_changes_disabling_and_invitations_are_recorded(client, login_as, make_user, db_session):
    admin = login_as("admin")
    user = make_user("trainer", name="Tess Trainer")
    client.post(f"/admin/users/{user.id}/edit", data={"name": "Tess Trainer", "role": "evaluator", "active": "y"})
    client.post(f"/admin/users/{user.id}/edit", data={"name": "Tess Trainer", "role": "evaluator"})
    client.post(f"/admin/users/{user.id}/invite")
    recorded = events(db_session, "people.")
    assert [(e.event, e.old_values, e.user_id) for e in recorded[:2]] == [
        ("people.user.role_changed", {"role": "trainer"}, admin.id),
        ("people.user.disabled", {"active": True}, admin.id)]
    assert recorded[1].new_values == {"active": False}
    invitation = recorded[2]
    assert invitation.event == "people.invitation.created" and invitation.object_id == str(user.id)
    assert set(invitation.new_values) == {"email", "expires_at"}  # never the token


def test_school_and_dsl_edits_are_recorded_with_old_and_new_values(client, login_as, make_school, make_dsl,
                                                                   db_session):
    login_as("admin")
    school = make_school(name="Abbey Fields", pupils=300)
    dsl = make_dsl(school=school, name="Jo Smith")
    client.post(f"/admin/schools/{school.id}/edit", data={
        "urn": str(school.urn), "name": "Abbey Fields Primary", "pupils": "310", "fsm_percent": "15",
        "phase": "Primary", "district": "Warwick"})
    client.post(f"/admin/dsls/{dsl.id}/edit", data={"email": dsl.email, "name": "Jo Smythe",
                                                    "school_urn": str(school.urn), "role": "DSL"})
    recorded = {e.event: e for e in events(db_session, "people.")}
    assert recorded["people.school.updated"].old_values == {"name": "Abbey Fields", "pupils": 300}
    assert recorded["people.school.updated"].new_values == {"name": "Abbey Fields Primary", "pupils": 310}
    assert (recorded["people.dsl.updated"].old_values, recorded["people.dsl.updated"].new_values) == (
        {"name": "Jo Smith"}, {"name": "Jo Smythe"})


# -- courses ---------------------------------------------------------------------------------------


def test_session_edits_cancellations_and_booking_cancellations_are_recorded(client, login_as, make_session,
                                                                            make_dsl, db_session):
    from courses.services import book_place

    login_as("trainer")
    session = make_session(capacity=20)
    booking = book_place(session, make_dsl())
    db_session.commit()
    day = session.first_day
    client.post(f"/sessions/{session.id}/edit", data={
        "course_type": str(session.course_type_id), "mode": "online", "capacity": "25",
        "joining_link": "https://meet.example.org/x", "part1_date": day.isoformat(), "part1_start": "09:30",
        "part1_end": "12:30"})
    client.post(f"/sessions/{session.id}/bookings/{booking.id}/cancel")
    client.post(f"/sessions/{session.id}/cancel")
    recorded = events(db_session, "courses.")
    by_event = {e.event: e for e in recorded}
    assert by_event["courses.session.updated"].old_values == {"capacity": 20}
    assert by_event["courses.session.updated"].new_values == {"capacity": 25}
    assert by_event["courses.booking.cancelled"].old_values == {"status": "booked"}
    assert by_event["courses.booking.cancelled"].new_values["by_trainer"] is True
    assert by_event["courses.session.cancelled"].new_values == {"cancelled": True}


def test_register_changes_are_recorded_per_dsl(client, login_as, make_session, make_dsl, db_session):
    from courses.services import save_register

    user = login_as("trainer")
    session = make_session(first_day=today_london() - timedelta(days=1))
    first, second = make_dsl(), make_dsl()
    save_register(session, {first.id: "attended"}, None)
    db_session.commit()
    save_register(session, {first.id: "partial", second.id: "absent"}, user)
    db_session.commit()
    recorded = events(db_session, "courses.register.")
    assert [(e.old_values, e.new_values) for e in recorded] == [
        ({str(first.id): None}, {str(first.id): "attended"}),
        ({str(first.id): "attended", str(second.id): None}, {str(first.id): "partial", str(second.id): "absent"})]


def test_course_types_and_clock_settings_are_recorded(client, login_as, db_session):
    login_as("admin")
    client.post("/course-types/new", data={"code": "safer-recruitment", "name": "Safer recruitment",
                                           "validity_months": "36", "renews": "update", "days": "1"})
    client.post("/course-types/clock-settings", data={"training_months": "36", "update_months": "12",
                                                      "due_days": "90"})
    recorded = {e.event: e for e in events(db_session, "courses.")}
    assert recorded["courses.course_type.created"].new_values["code"] == "safer-recruitment"
    assert (recorded["courses.clock_settings.changed"].old_values,
            recorded["courses.clock_settings.changed"].new_values) == ({"training_months": 24}, {"training_months": 36})


# -- imports and exports ---------------------------------------------------------------------------


def test_imports_are_recorded_from_the_page_and_the_command(client, login_as, runner, tmp_path, db_session):
    path = tmp_path / "schools.csv"
    path.write_text("urn,name,pupils,fsm_percent\n125401,Abbey Fields,412,11.4\n")
    assert runner.invoke(args=["import", "schools", str(path)]).exit_code == 0
    (event,) = events(db_session, "core.import.")
    assert event.user_id is None and event.new_values["kind"] == "schools" and event.new_values["created"] == 1
    assert event.new_values["source"] == "cli" and len(event.new_values["checksum"]) == 64


def test_every_export_of_personal_data_is_recorded(client, login_as, make_session, make_dsl, db_session):
    from courses.models import Attendance

    login_as("admin")
    session = make_session(first_day=date(2020, 9, 17))
    attendance = Attendance(session_id=session.id, dsl_id=make_dsl().id, status="attended")
    db_session.add(attendance)
    db_session.commit()
    assert client.get("/training-clock.csv?status=never").status_code == 200
    assert client.get(f"/certificates/{attendance.id}.pdf").status_code == 200
    recorded = {e.event: e for e in events(db_session, "courses.")}
    assert recorded["courses.training_clock.exported"].new_values["filters"] == {"status": "never"}
    assert recorded["courses.training_clock.exported"].new_values["source"] == "web"
    assert recorded["courses.certificate.downloaded"].object_id == str(attendance.id)


def test_the_due_list_from_the_command_line_is_recorded(runner, db_session):
    result = runner.invoke(args=["courses", "due", "--format", "csv"])
    assert result.exit_code == 0, result.output
    (event,) = events(db_session, "courses.training_clock.")
    assert event.user_id is None and event.new_values["source"] == "cli" and event.new_values["filters"]["format"] == "csv"


def test_a_refused_request_is_recorded(client, login_as, db_session):
    user = login_as("dsl")
    assert client.get("/admin/users?q=someone").status_code == 403
    (event,) = events(db_session, "core.request.")
    assert event.event == "core.request.refused" and event.user_id == user.id and event.object_id == "people.users"
    assert event.new_values == {"status": 403, "method": "GET", "path": "/admin/users"}  # no query string


# -- the admins' page and CSV ----------------------------------------------------------------------


def _seed(db_session, make_user):
    someone = make_user("evaluator", email="eve@council.example.org")
    for n in range(60):
        audit.record("people.school.updated", object_type="school", object_id=n, old={"pupils": n},
                     new={"pupils": n + 1}, user_id=someone.id)
    audit.record("cohorts.alias.created", object_type="dsl_alias", object_id=1, new={"email": "=cmd|x"}, user_id=None)
    db_session.commit()
    return someone


def test_admins_filter_and_page_through_the_trail(client, login_as, make_user, db_session):
    _seed(db_session, make_user)
    login_as("admin")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "61 events" in page and "Page 1 of 2" in page
    filtered = client.get("/admin/audit/?event=cohorts.alias.created").get_data(as_text=True)
    assert "1 event<" in filtered and "people.school.updated" not in filtered.split("<table")[1]
    by_user = client.get("/admin/audit/?user=eve@council").get_data(as_text=True)
    assert "60 events" in by_user and "pupils: 59 → 60" in client.get("/admin/audit/?user=eve&page=1").get_data(
        as_text=True)
    today = today_london()
    assert "61 events" in client.get(f"/admin/audit/?start={today.isoformat()}&end={today.isoformat()}").get_data(
        as_text=True)
    assert "No events match" in client.get(
        f"/admin/audit/?end={(today - timedelta(days=1)).isoformat()}").get_data(as_text=True)


@pytest.mark.parametrize("query,message", [("event=no.such.event", "Choose an event from the list"),
                                           ("start=31/02/2026", "The first day must be a real date"),
                                           ("start=2026-02-02&end=2026-02-01", "same as or after the first day")])
def test_bad_filters_get_a_message_not_an_error(client, login_as, query, message):
    login_as("admin")
    response = client.get(f"/admin/audit/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page


def test_the_csv_export_follows_the_filters_neutralises_formulas_and_is_recorded(client, login_as, make_user,
                                                                                 db_session):
    _seed(db_session, make_user)
    admin = login_as("admin")
    response = client.get("/admin/audit/audit-trail.csv?event=cohorts.alias.created")
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-trail.csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["event"] == "cohorts.alias.created"
    assert rows[0]["new_values"] == '{"email": "=cmd|x"}'  # JSON text: not a formula, starts with {
    (export,) = events(db_session, "core.audit.exported")
    assert export.user_id == admin.id and export.new_values == {"filters": {"event": "cohorts.alias.created"}, "rows": 1}


# -- retention ---------------------------------------------------------------------------------------


def _old_event(db_session, months_ago: int):
    row = AuditEvent(event="people.school.updated", occurred_at=utcnow() - timedelta(days=31 * months_ago))
    db_session.add(row)
    db_session.commit()
    return row.id


def test_the_purge_deletes_only_events_past_the_retention_and_records_itself(runner, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_MONTHS", 12)
    old, kept = _old_event(db_session, 14), _old_event(db_session, 10)
    result = runner.invoke(args=["audit", "purge"])
    assert result.exit_code == 0 and "Deleted 1 audit event(s)" in result.output
    db_session.expire_all()
    remaining = set(db_session.scalars(select(AuditEvent.id)))
    assert old not in remaining and kept in remaining
    purge = db_session.scalar(select(AuditPurge))
    assert purge.deleted == 1 and purge.user_id is None
    (event,) = events(db_session, "core.audit.purged")
    assert event.new_values["deleted"] == 1 and event.new_values["months"] == 12


def test_the_database_deletes_no_event_younger_than_a_recorded_purge(db_session):
    _old_event(db_session, 14)
    recent = _old_event(db_session, 2)
    with pytest.raises(DBAPIError, match="audit events are never changed or removed"):
        with db_session.begin_nested():
            db_session.execute(text("DELETE FROM audit_events"))
    audit.purge(12)
    db_session.commit()
    with pytest.raises(DBAPIError, match="audit events are never changed or removed"):
        with db_session.begin_nested():
            db_session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": recent})


def test_the_database_refuses_a_purge_of_the_last_four_weeks_and_any_change_to_a_purge(db_session):
    with pytest.raises(DBAPIError, match="keeps at least the last 28 days"):
        with db_session.begin_nested():
            db_session.add(AuditPurge(cutoff=utcnow() - timedelta(days=3), deleted=0))
            db_session.flush()
    audit.purge(6)
    db_session.commit()
    for statement in ("UPDATE audit_purges SET deleted = 99", "DELETE FROM audit_purges"):
        with pytest.raises(DBAPIError, match="audit purges are never changed or removed"):
            with db_session.begin_nested():
                db_session.execute(text(statement))
    assert db_session.scalar(select(func.count()).select_from(AuditPurge)) == 1


def test_the_retention_must_be_at_least_a_month(runner, db_session):
    assert runner.invoke(args=["audit", "purge", "--months", "0"]).exit_code != 0
    with pytest.raises(audit.AuditError):
        audit.purge(0)


# -- tokens never reach a log -------------------------------------------------------------------------


def test_the_app_log_never_carries_a_token(app, caplog):
    from core.logs import RedactTokens

    record = logging.LogRecord("core.app", logging.INFO, __file__, 1, "GET %s from %s",
                               ("/set-password/s3cr3t-T0ken", "https://x/calendar/F33d_T0ken.ics?y=1"), None)
    assert RedactTokens().filter(record)
    assert record.getMessage() == "GET /set-password/[redacted] from https://x/calendar/[redacted].ics?y=1"
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        app.logger.warning("could not open /set-password/another-token")
    assert "another-token" not in caplog.text and "/set-password/[redacted]" in caplog.text


def test_gunicorns_access_log_never_carries_a_token():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from core.logs import RedactingGunicornLogger

    logger = RedactingGunicornLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/calendar/F33d_T0ken.ics", "PATH_INFO": "/calendar/F33d_T0ken.ics",
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "", "HTTP_REFERER": "https://x/set-password/s3cr3t",
               "REMOTE_ADDR": "127.0.0.1"}
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, SimpleNamespace(headers=[("Referer", "https://x/set-password/s3cr3t")]), environ,
                         timedelta(seconds=1))
    line = logger.cfg.access_log_format % logger.atoms_wrapper_class(atoms)
    assert "F33d_T0ken" not in line and "s3cr3t" not in line
    assert "GET /calendar/[redacted].ics HTTP/1.1" in line and "/set-password/[redacted]" in line


def test_gunicorn_uses_the_redacting_logger():
    from pathlib import Path

    config = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    settings = {}
    exec(compile(config.read_text(), str(config), "exec"), settings)  # noqa: S102 - the project's own settings file
    assert settings["logger_class"] == "core.logs.RedactingGunicornLogger"

