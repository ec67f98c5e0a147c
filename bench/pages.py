"""Page benchmark: a trainer's session list and a 200-person register, served in-process through the
Flask test client, at the full size (4,000 sessions at scale 1) and at a small size (10 sessions, a
5-person register). For each page: the server time, and the SQL statements it runs, which must be
the same number at both sizes.

The baseline column holds the small size's figures, not another implementation: what is compared is
our page against itself with far less data.
"""

from __future__ import annotations

import csv
import gc
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import numpy as np
from sqlalchemy import event, insert, select

from bench.generate import FULL
from bench.harness import Databases, Result, app_env, flask, make_app
from core.sessions import stamps

SMALL_SESSIONS, SMALL_REGISTER = 10, 5
FULL_REGISTER = 200
# Sessions are run for one council's handful of districts, not for every district in the country.
SESSION_DISTRICTS = 12
TARGET_MS = 50.0
WARM_UP = 3


@dataclass
class Site:
    """A database filled for the benchmark, and the pages to fetch from it."""

    label: str
    app: object
    engine: object
    client: object
    pages: dict[str, str]  # page name -> URL
    sessions: int
    register: int  # people booked on the session whose register is fetched


def _full_sessions(data: Path) -> int:
    """Sessions in proportion to the generated data's schools (4,000 at scale 1)."""
    with open(data / "schools.csv", newline="") as handle:
        schools = sum(1 for _ in csv.reader(handle)) - 1
    return max(SMALL_SESSIONS, round(FULL["sessions"] * schools / FULL["schools"]))


def _fill(sessions: int, register: int, seed: int) -> tuple[dict[str, str], str, int]:
    """Insert ``sessions`` sessions (half past, half upcoming) with parts and bookings, yesterday's session
    with ``register`` people booked (half of them already marked), and a trainer; returns the pages' URLs
    the trainer's session id and the number of people on the register."""
    from core.extensions import db
    from core.timefmt import today_london, utcnow
    from courses.models import Attendance, Booking, CourseSession, CourseType, SessionPart
    from people.models import Dsl, School
    from people.services import create_user

    rng = np.random.default_rng(seed)
    today, now = today_london(), utcnow()
    trainer = create_user("bench.trainer@council.example.org", "trainer", "Bench Trainer")
    types = dict(db.session.execute(select(CourseType.code, CourseType.id)).all())
    districts = [d for d in db.session.scalars(select(School.district).distinct().order_by(School.district)) if d]
    districts = districts[:SESSION_DISTRICTS]
    dsl_ids = np.array(db.session.scalars(select(Dsl.id).order_by(Dsl.id)).all())
    register = min(register, len(dsl_ids))  # a very small generated data set has fewer people

    codes = np.array(["induction", "refresher", "kcsie-update"])
    course = rng.choice(codes, sessions, p=[0.3, 0.5, 0.2])
    offset = rng.integers(-730, 730, sessions)
    district = rng.choice(np.array(districts), sessions)
    # The filtered page (past refresher sessions in the first district) and the upcoming list are never
    # empty, even at the small size; the last session is the one whose register is read: yesterday's,
    # as attendance is marked only once a session has started.
    course[0], offset[0], district[0] = "refresher", -1 - abs(offset[0]), districts[0]
    offset[1] = 1 + abs(offset[1])
    course[-1], offset[-1] = "refresher", -1
    days = [today + timedelta(days=int(d)) for d in offset]
    capacity = [30] * (sessions - 1) + [max(30, register)]
    online = rng.random(sessions) < 0.6
    db.session.execute(insert(CourseSession), [
        {"course_type_id": types[course[i]], "first_day": days[i], "code": f"B{i}",
         "mode": "online" if online[i] else "in-person", "joining_link": "https://meet.example.org/b" if online[i] else None,
         "venue": None if online[i] else "Council offices", "district": str(district[i]), "capacity": capacity[i],
         "trainer_id": trainer.id, "cancelled": bool(rng.random() < 0.03), "created_at": now, "updated_at": now}
        for i in range(sessions)])
    ids = dict(db.session.execute(select(CourseSession.code, CourseSession.id)).all())
    session_ids = [ids[f"B{i}"] for i in range(sessions)]

    parts = []
    two_days = rng.random(sessions) < 0.2
    for i, session_id in enumerate(session_ids):
        for n in range(2 if two_days[i] else 1):
            day = days[i] + timedelta(days=n)
            parts.append({"session_id": session_id, "starts_at": datetime.combine(day, clock(9, 30)),
                          "ends_at": datetime.combine(day, clock(12, 30))})
    db.session.execute(insert(SessionPart), parts)

    # Each session: a run of consecutive DSLs from a random start (distinct people, cheaply chosen).
    booked = np.minimum(rng.integers(0, 31, sessions), len(dsl_ids))
    booked[-1] = register
    starts = rng.integers(0, len(dsl_ids), sessions)
    bookings = [{"session_id": session_id, "dsl_id": int(dsl_ids[(starts[i] + k) % len(dsl_ids)]),
                 "status": "booked", "created_at": now, "updated_at": now}
                for i, session_id in enumerate(session_ids) for k in range(int(booked[i]))]
    db.session.execute(insert(Booking), bookings)
    register_id = session_ids[-1]
    marked = [b["dsl_id"] for b in bookings if b["session_id"] == register_id][: register // 2 + 1]
    db.session.execute(insert(Attendance), [{"session_id": register_id, "dsl_id": d, "status": "attended",
                                             "recorded_at": now} for d in marked])
    db.session.commit()
    return {
        "session list, first page": "/sessions/",
        "session list, past, by course and district":
            f"/sessions/?when=past&course={types['refresher']}&district={districts[0].replace(' ', '+')}",
        "register": f"/sessions/{register_id}/register",
    }, trainer.get_id(), register


def _site(label: str, database_url: str, sessions: int, register: int, seed: int) -> Site:
    from core.extensions import db

    app = make_app(database_url)
    with app.app_context():
        pages, user_id, register = _fill(sessions, register, seed)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user_id
        cookie["_fresh"] = True
        cookie.update(stamps())
    for url in pages.values():
        for _ in range(WARM_UP):
            assert client.get(url).status_code == 200, url
    with app.app_context():
        db.session.remove()
        engine = db.engine
    return Site(label, app, engine, client, pages, sessions, register)


def _fetch(site: Site, url: str) -> tuple[float, int]:
    """Milliseconds to serve one GET of ``url`` (in-process, response body included) and the SQL statements run."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = site.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        start = time.perf_counter()
        response = site.client.get(url)
        response.get_data()
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(statements)


def bench_pages(databases: Databases, data: Path, runs: int) -> list[Result]:
    """Build a full-size and a small database from the generated schools and DSLs, then time each page
    ``runs`` times at both sizes, alternating, counting SQL statements."""
    base = databases.create("rs_bench_pages_base")
    env = app_env(base)
    flask(env, "db", "upgrade")
    flask(env, "import", "schools", str(data / "schools.csv"))
    flask(env, "import", "dsls", str(data / "dsls.csv"))
    full = _site("full", databases.create("rs_bench_pages_full", "rs_bench_pages_base"), _full_sessions(data),
                 FULL_REGISTER, seed=1)
    small = _site("small", databases.create("rs_bench_pages_small", "rs_bench_pages_base"), SMALL_SESSIONS,
                  SMALL_REGISTER, seed=2)
    # Setting up leaves many new objects pending for the garbage collector's next full pass; clear them
    # now rather than in the first timed request. Full passes still come every few register requests,
    # as they do in a worker (about 80-100 ms with the app's ~190,000 objects): the median leaves them out.
    gc.collect()
    try:
        results = []
        for (name, full_url), small_url in zip(full.pages.items(), small.pages.values()):
            times = {"full": [], "small": []}
            queries = {"full": [], "small": []}
            for index in range(runs):
                order = (full, small) if index % 2 == 0 else (small, full)
                for site in order:
                    ms, statements = _fetch(site, small_url if site is small else full_url)
                    times[site.label].append(ms)
                    queries[site.label].append(statements)
            same = queries["full"] == queries["small"]
            if name == "register":
                name = f"register of {full.register} people"
                sizes = f"{full.register} people booked vs {small.register}"
            else:
                sizes = f"{full.sessions:,} sessions vs {small.sessions}"
            note = sizes
            if not results:
                note += ("; the baseline column is the same page at the small size. Each run is one GET in-process "
                         "through the Flask test client as a signed-in trainer, body included; met only if the "
                         "median is under 50 ms and the page runs as many SQL statements as at the small size")
            results.append(Result(
                f"{name}: server time", databases.kind, "ms", times["full"], times["small"],
                target=f"< {TARGET_MS:g} ms, queries as small",
                check=lambda r, same=same: same and r.ours_median < TARGET_MS, note=note))
            results.append(Result(
                f"{name}: SQL queries", databases.kind, "queries", queries["full"], queries["small"],
                target="= small size", check=lambda r, same=same: same,
                note="" if len(results) > 2 else "statements counted with a before_cursor_execute listener"))
        return results
    finally:
        for site in (full, small):
            site.engine.dispose()
