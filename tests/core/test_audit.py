"""The audit trail: one record() that flushes in the caller's transaction, rows that neither the
app nor the database will change or delete, and the client's address read through trusted proxies
only."""

import ipaddress
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import audit
from core.config import ConfigError, load_config
from core.extensions import db
from core.models import AuditError, AuditEvent


def _count():
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_record_flushes_in_the_callers_transaction_and_never_commits(db_session, make_user):
    user = make_user("evaluator")
    row = audit.record("cohorts.alias.created", object_type="dsl_alias", object_id=7,
                       new={"email": "x@example.org", "on": date(2020, 9, 17)}, user_id=user.id)
    assert row.id is not None and row.occurred_at is not None
    stored = db_session.execute(select(AuditEvent.event, AuditEvent.object_id, AuditEvent.user_id, AuditEvent.new_values,
                                       AuditEvent.remote_addr)).one()
    assert stored == ("cohorts.alias.created", "7", user.id, {"email": "x@example.org", "on": "2020-09-17"}, None)
    db_session.rollback()
    assert _count() == 0


def test_outside_a_request_there_is_no_user_and_no_address(db_session):
    row = audit.record("cohorts.alias.removed", old={"email": "x@example.org"})
    assert (row.user_id, row.remote_addr, row.new_values) == (None, None, None)


@pytest.mark.parametrize("name", ["alias created", "cohorts.alias", "Cohorts.alias.created", "a.b.c.d", ""])
def test_event_names_follow_feature_object_what_happened(db_session, name):
    with pytest.raises(AuditError):
        audit.record(name)
    assert _count() == 0


def test_the_app_cannot_change_or_delete_a_row(db_session):
    row = audit.record("cohorts.alias.created", new={"email": "x@example.org"})
    row.event = "cohorts.alias.removed"
    with pytest.raises(AuditError):
        db_session.flush()
    db_session.rollback()
    row = audit.record("cohorts.alias.created")
    db_session.delete(row)
    with pytest.raises(AuditError):
        db_session.flush()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET event = 'cohorts.alias.removed'",
                                       "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_a_row(db_session, statement):
    audit.record("cohorts.alias.created")
    with pytest.raises(DBAPIError, match="audit events are never changed or removed"):
        with db_session.begin_nested():
            db_session.execute(text(statement))
    assert db_session.scalar(select(AuditEvent.event)) == "cohorts.alias.created"


def test_an_account_in_the_trail_cannot_be_deleted(db_session, make_user):
    from people.models import User

    user = make_user("evaluator")
    audit.record("cohorts.alias.created", user_id=user.id)
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.execute(delete(User).where(User.id == user.id))
    assert _count() == 1


# -- the client's address --------------------------------------------------------------------------


def _address(app, monkeypatch, peer, forwarded=None, trusted="127.0.0.1"):
    from core.config import trusted_proxies

    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", trusted_proxies(trusted))
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": peer}):
        return audit.client_address()


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.5", "198.51.100.7", "127.0.0.1", "203.0.113.5"),  # straight from a client: its header is ignored
    ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),  # the proxy itself, forwarding no one
    ("127.0.0.1", "198.51.100.7", "127.0.0.1", "198.51.100.7"),  # one trusted proxy
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "127.0.0.1", "198.51.100.7"),  # the client's own entry is not believed
    ("127.0.0.1", "198.51.100.7, 10.1.2.3", "127.0.0.1,10.0.0.0/8", "198.51.100.7"),  # two trusted proxies
    ("127.0.0.1", "not-an-address, 10.1.2.3", "127.0.0.1,10.0.0.0/8", "10.1.2.3"),  # stop at nonsense
    ("10.9.9.9", "198.51.100.7, 10.1.2.3", "*", "198.51.100.7"),  # every proxy trusted
    ("::1", "198.51.100.7", "127.0.0.1", "::1"),  # IPv6 loopback is not in the default list
    ("::1", "2001:db8::5", "::1", "2001:db8::5"),
])
def test_the_client_address_is_read_through_trusted_proxies_only(app, monkeypatch, peer, forwarded, trusted, expected):
    assert _address(app, monkeypatch, peer, forwarded, trusted) == expected


def test_forwarded_allow_ips_is_the_setting_gunicorn_reads(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": "s" * 32, "PUBLIC_URL": "https://rs.example.gov.uk"})
    assert config["TRUSTED_PROXIES"] == (ipaddress.ip_network("127.0.0.1/32"),)
    config = load_config(str(tmp_path), {"SECRET_KEY": "s" * 32, "PUBLIC_URL": "https://rs.example.gov.uk", "FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.1"})
    assert config["TRUSTED_PROXIES"] == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.1/32"))
    assert load_config(str(tmp_path), {"SECRET_KEY": "s" * 32, "PUBLIC_URL": "https://rs.example.gov.uk", "FORWARDED_ALLOW_IPS": "*"})["TRUSTED_PROXIES"] is None
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS"):
        load_config(str(tmp_path), {"SECRET_KEY": "s" * 32, "PUBLIC_URL": "https://rs.example.gov.uk", "FORWARDED_ALLOW_IPS": "the load balancer"})
