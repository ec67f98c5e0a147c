"""The busiest pages reach the tables that grow with a region through indexes, never by reading a
whole table: every SELECT they run is EXPLAINed on the database under test.

SQLite's plan names a full read as a bare ``SCAN <table>``; one through an index says ``USING INDEX``
or ``SEARCH``. It is the stricter check: a page of 50 in name order with no index on the name shows
as a full read there. On PostgreSQL, with a test's few rows the planner would rightly read small
tables whole, so sequential scans are switched off for the EXPLAIN: a ``Seq Scan`` that remains
means no index could serve the query at all. The outcome report and the training clock are left
out on purpose: they read whole tables in one pass by design (see README, Benchmarks).
"""

import re

from sqlalchemy import select

from core.demo import load_demo
from core.extensions import db
from core.sessions import stamps
from tests.support import StatementCounter

# Tables that grow with the number of schools, DSLs, sessions and MASH records.
GROWING = {"schools", "dsls", "users", "course_sessions", "session_parts", "bookings", "attendances",
           "mash_records", "early_help_consultations", "material_downloads", "cohort_members", "invitations"}


def full_reads(connection, statement: str, parameters) -> set[str]:
    """The growing tables that ``statement`` reads whole."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            details = [row[3] for row in cursor.fetchall()]
            tables = {m.group(1) for d in details if (m := re.fullmatch(r"SCAN (\w+)", d))}
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            details = [row[0] for row in cursor.fetchall()]
            tables = {m.group(1) for d in details if (m := re.search(r"Seq Scan on (\w+)", d))}
    finally:
        cursor.close()
    return tables & GROWING


def test_the_busiest_pages_read_growing_tables_only_through_indexes(app, client, db_session, login_as):
    from courses.models import Booking, CourseSession
    from people.models import User

    load_demo()
    db_session.commit()
    session_id = db_session.scalar(select(Booking.session_id).group_by(Booking.session_id)
                                   .order_by(db.func.count().desc()).limit(1))
    district = db_session.scalar(select(CourseSession.district).where(CourseSession.district.is_not(None)).limit(1))
    pages = {
        "trainer@demo.test": ["/", "/sessions/", f"/sessions/?when=past&district={district}",
                              f"/sessions/{session_id}", f"/sessions/{session_id}/register"],
        "dsl@demo.test": ["/", "/my-training", "/materials/", "/materials/poster.pdf"],
        "admin@demo.test": ["/admin/dsls", "/admin/schools", "/admin/users", "/admin/materials/"],
    }

    seen = {}
    for email, urls in pages.items():
        user = db_session.scalar(select(User).where(User.email == email))
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session.update(stamps())
        for url in urls:
            with StatementCounter(db.engine) as counter:
                response = client.get(url)
                assert response.status_code == 200, url
                response.close()
            seen[url] = [(sql, parameters) for sql, parameters in counter.statements
                         if sql.lstrip().upper().startswith("SELECT")]

    connection = db_session.connection()
    problems = {}
    for url, captured in seen.items():
        assert captured, f"{url} ran no SELECT to check"
        for statement, parameters in captured:
            if tables := full_reads(connection, statement, parameters):
                problems.setdefault(url, []).append((sorted(tables), " ".join(statement.split())[:300]))
    assert problems == {}, "\n".join(f"{url}: {tables} {sql}" for url, found in problems.items() for tables, sql in found)
