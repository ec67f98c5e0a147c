"""The busy-morning load benchmark: hundreds of signed-in DSLs using the service at once, as after a
booking email, against gunicorn with four workers.

Each DSL has a real account and signs in through the /login form; each of their requests is checked
against the database like any other. wrk drives the load with ``busy_morning.lua``, which picks a
person and a page at random by the weights in MIX. Each connection is one more person who asks again
the moment an answer arrives (no time to read), and the number of connections is stepped up until a
step fails. A step holds when its 95th percentile latency is under 200 ms and nothing failed (no
socket error, no status of 400 or more, no lost session); its rate is the requests answered per
second of the step. The result is the highest rate of a step that held.

Why not an offered rate: the workers are synchronous, and a load client pacing requests would have to
open each connection before its turn, holding a worker idle while it waits (gunicorn's sync worker
waits for the request of each connection it takes). Stepping connections measures what the server
completes, with wrk's latency counted from the moment each request is written, so time spent waiting
for a free worker is in it.

After every step the database must show exactly what was served: one download row for every PDF
answered, and each booking in the state that person's book and cancel forms left it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, insert, select

from bench.harness import Databases, Result, app_env, make_app
from bench.http import Visitor, cpu_seconds, ensure_wrk, gunicorn, server_cpu_seconds

WORKERS = 4
ACCOUNTS = 300  # at scale 1; at least 8 at any scale
PASSWORD = "busy-morning-password"
# What the signed-in DSLs ask for, in the order busy_morning.lua takes the weights.
MIX = (("home page", 20), ("my training", 20), ("materials page", 10), ("poster PDF", 30),
       ("a booking's .ics", 10), ("booking or cancelling a place (form with its CSRF token)", 10))
P95_TARGET_MS = 200.0
RATE_TARGET = 100.0
WRK_THREADS, WRK_TIMEOUT = 2, "2s"
LUA = Path(__file__).resolve().parent / "busy_morning.lua"
FULL_STEPS = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # connections: people asking at once
SMALL_STEPS = (2, 4)


@dataclass
class Person:
    email: str
    booking_id: int
    session_id: int
    cookie: str = ""
    token: str = ""


@dataclass
class Step:
    connections: int
    seconds: int
    requests: int
    p95_ms: float
    errors: int
    pdfs_served: int
    downloads_recorded: int
    forms_sent: int
    forms_in_database: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per answered request: app, database, wrk

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def held(self) -> bool:
        return self.errors == 0 and self.p95_ms < P95_TARGET_MS

    def line(self) -> str:
        cpu = " + ".join(f"{name} {ms:.1f}" for name, ms in self.cpu_ms.items())
        return (f"{self.connections} at once: {self.rate:.0f} req/s, p95 {self.p95_ms:.0f} ms, {self.errors} errors"
                + ("" if self.held else " (not held)") + (f", CPU ms a request: {cpu}" if cpu else ""))


@dataclass
class Search:
    steps: list[Step] = field(default_factory=list)

    @property
    def best(self) -> Step | None:
        held = [s for s in self.steps if s.held]
        return max(held, key=lambda s: s.rate) if held else None


def _seed(count: int) -> list[Person]:
    """Publish the materials, and give the first ``count`` DSLs on the register an account and a
    booking on one of a few upcoming sessions (with room for everyone, so a booking is never
    waitlisted)."""
    from core.extensions import db
    from core.timefmt import today_london, utcnow
    from courses.models import Booking, CourseSession, CourseType, SessionPart
    from materials import services as materials
    from people.models import Dsl, User
    from people.services import hash_password

    for material in materials.ensure_materials():
        materials.publish_draft(material, "Bench County Council")
    now, today = utcnow(), today_london()
    dsls = db.session.execute(select(Dsl.id, Dsl.email, Dsl.name).order_by(Dsl.id).limit(count)).all()
    # One hash for every account: signing in checks it in full; hashing it 300 times would only slow the set-up.
    password_hash = hash_password(PASSWORD)
    db.session.execute(insert(User), [{"email": email, "name": name, "role": "dsl", "password_hash": password_hash,
                                       "active": True, "session_version": 1, "created_at": now}
                                      for _, email, name in dsls])
    refresher = db.session.scalar(select(CourseType.id).where(CourseType.code == "refresher"))
    sessions = max(2, len(dsls) // 15)
    days = [today + timedelta(days=14 + n) for n in range(sessions)]
    db.session.execute(insert(CourseSession), [
        {"course_type_id": refresher, "first_day": day, "code": f"MORNING{n}", "mode": "online",
         "joining_link": "https://meet.example.org/morning", "capacity": len(dsls), "cancelled": False,
         "created_at": now, "updated_at": now} for n, day in enumerate(days)])
    ids = dict(db.session.execute(select(CourseSession.code, CourseSession.id)
                                  .where(CourseSession.code.like("MORNING%"))).all())
    session_ids = [ids[f"MORNING{n}"] for n in range(sessions)]
    db.session.execute(insert(SessionPart), [
        {"session_id": sid, "starts_at": datetime.combine(day, clock(9, 30)),
         "ends_at": datetime.combine(day, clock(12, 30))} for sid, day in zip(session_ids, days)])
    db.session.execute(insert(Booking), [
        {"session_id": session_ids[n % sessions], "dsl_id": dsl_id, "status": "booked", "created_at": now,
         "updated_at": now} for n, (dsl_id, _, _) in enumerate(dsls)])
    bookings = dict(db.session.execute(select(Booking.dsl_id, Booking.id)
                                       .where(Booking.session_id.in_(session_ids))).all())
    db.session.commit()
    return [Person(email, bookings[dsl_id], session_ids[n % sessions]) for n, (dsl_id, email, _) in enumerate(dsls)]


def _sign_in(base: str, person: Person) -> Person:
    """Sign in through the form, as a browser would, and keep the cookie and a form token of that session."""
    visitor = Visitor(base)
    visitor.sign_in(person.email, PASSWORD)
    person.token = quote(visitor.form_token("/my-training"), safe="")
    person.cookie = visitor.cookie_header
    return person


class Ledger:
    """What the database holds of the benchmark's downloads and bookings, read between steps."""

    def __init__(self, engine, people: list[Person]):
        self.engine, self.people = engine, people

    def downloads(self) -> int:
        from materials.models import Download

        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Download))

    def bookings(self) -> dict[int, tuple[str, datetime]]:
        from courses.models import Booking

        with self.engine.connect() as connection:
            return {b: (status, updated) for b, status, updated in connection.execute(
                select(Booking.id, Booking.status, Booking.updated_at)
                .where(Booking.id.in_([p.booking_id for p in self.people])))}

    def database_cpu(self) -> float:
        """CPU seconds used so far by the PostgreSQL backends serving this database (none on SQLite,
        which works inside the app's own processes)."""
        if self.engine.dialect.name != "postgresql":
            return 0.0
        with self.engine.connect() as connection:
            pids = connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars().all()
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(pid)
            except (FileNotFoundError, PermissionError):  # ended, or a server on another machine
                pass
        return total

    def write_accounts(self, path: Path, states: dict[int, tuple[str, datetime]]) -> None:
        lines = [f"{p.cookie}\t{p.token}\t{p.booking_id}\t{p.session_id}\t{int(states[p.booking_id][0] == 'booked')}"
                 for p in self.people]
        path.write_text("\n".join(lines) + "\n")

    def forms_found(self, forms: dict[str, int], before: dict, after: dict, started: datetime) -> int:
        """Forms whose change is in the database: a person's forms count only when their booking ends
        in the state they leave it (each form flips it) and was changed in this step if they sent any."""
        found = 0
        for line, person in enumerate(self.people, start=1):
            sent = forms.get(str(line), 0)
            status_before, _ = before[person.booking_id]
            status_after, updated = after[person.booking_id]
            flipped = {"booked": "cancelled", "cancelled": "booked"}[status_before]
            expected = flipped if sent % 2 else status_before
            touched = updated >= started
            if status_after == expected and touched == (sent > 0):
                found += sent
        return found


@dataclass
class Load:
    """What a step needs: wrk, the server (its address and master process), the ledger, a folder."""

    wrk: str
    base: str
    master: int
    ledger: Ledger
    folder: Path
    grace: int

    def wrk_run(self, connections: int, seconds: int) -> dict:
        """One wrk run of the busy_morning.lua mix; its figures and the CPU seconds wrk used."""
        weights = ",".join(str(weight) for _, weight in MIX)
        threads = min(WRK_THREADS, connections)
        accounts, results = self.folder / "accounts.tsv", self.folder / "results.json"
        command = [self.wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds + self.grace}s",
                   "--timeout", WRK_TIMEOUT, "-s", str(LUA), self.base, "--", str(accounts), str(results),
                   str(seconds), str(threads), weights]
        results.unlink(missing_ok=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run(command, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if run.returncode != 0 or not results.exists():
            raise RuntimeError(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        out = json.loads(results.read_text())
        out["wrk_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return out

    def step(self, connections: int, seconds: int) -> Step:
        from core.timefmt import utcnow

        before, downloads_before = self.ledger.bookings(), self.ledger.downloads()
        self.ledger.write_accounts(self.folder / "accounts.tsv", before)
        app_cpu, database_cpu = server_cpu_seconds(self.master), self.ledger.database_cpu()
        started = utcnow()
        out = self.wrk_run(connections, seconds)
        app_cpu, database_cpu = server_cpu_seconds(self.master) - app_cpu, self.ledger.database_cpu() - database_cpu
        counts, answered = out["counts"], max(out["requests"], 1)
        errors = (sum(out["errors"].values()) + counts["signed_out"] + counts["anonymous_pages"] + counts["unexpected"])
        forms_sent = counts["book"] + counts["cancel"]
        errors += abs(forms_sent - counts["forms_answered"])  # every form must be answered with its redirect
        return Step(connections, seconds, out["requests"], out["latency_us"]["p95"] / 1000, errors, counts["pdfs"],
                    self.ledger.downloads() - downloads_before, forms_sent,
                    self.ledger.forms_found(out["forms"], before, self.ledger.bookings(), started),
                    cpu_ms={"app": 1000 * app_cpu / answered, "database": 1000 * database_cpu / answered,
                            "wrk": 1000 * out["wrk_cpu"] / answered})

    def search(self, steps: tuple[int, ...], seconds: int) -> Search:
        """Step the number of connections up until a step does not hold."""
        search = Search()
        for connections in steps:
            step = self.step(connections, seconds)
            search.steps.append(step)
            print(f"    busy morning {step.line()}", file=sys.stderr, flush=True)
            if not step.held:
                break
        return search


def _prepare(databases: Databases, data: Path, count: int) -> tuple[str, list[Person]]:
    """A database built by migration, the generated schools, DSLs and attendance imported through the
    import command (in this process: a quick pass should not wait for interpreters to start) and the
    benchmark's people added."""
    from flask_migrate import upgrade

    from core.extensions import db

    url = databases.create("rs_bench_morning")
    app = make_app(url)
    runner = app.test_cli_runner()
    with app.app_context():
        try:
            upgrade()
            for kind, name in (("schools", "schools.csv"), ("dsls", "dsls.csv"), ("attendance", "attendance.csv")):
                result = runner.invoke(args=["import", kind, str(data / name)])
                if result.exit_code != 0:
                    raise RuntimeError(f"import {kind} failed:\n{result.output}")
            people = _seed(count)
            _analyze(db.engine)
        finally:
            db.session.remove()
            db.engine.dispose()
    return url, people


def _analyze(engine) -> None:
    """Table statistics, as a database in service has them (PostgreSQL's autovacuum gathers them a
    little after a large import; the benchmark should not wait for it or measure without them)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _engine(url: str):
    """An engine on the benchmark's database for reading between steps (the app's own settings)."""
    from core.extensions import db

    with make_app(url).app_context():
        return db.engine


def bench_busy_morning(databases: Databases, data: Path, runs: int, scale: float) -> list[Result]:
    wrk = ensure_wrk()
    if wrk is None:
        raise RuntimeError("the busy-morning benchmark needs wrk (apt-get install wrk)")
    count = max(8, round(ACCOUNTS * scale))
    full = scale >= 1
    steps, seconds, warm_up, grace = (FULL_STEPS, 15, 3, 3) if full else (SMALL_STEPS, 2, 1, 1)
    url, people = _prepare(databases, data, count)
    server_env = {**app_env(url), "RIGHT_SUPPORT_ENV": "production"}
    folder = databases.workdir / "busy-morning"
    folder.mkdir(exist_ok=True)
    searches: list[Search] = []
    checks: list[Step] = []
    load_average = os.getloadavg()[0]
    with gunicorn("wsgi:app", server_env, WORKERS, error_log=str(folder / "gunicorn.log")) as (base, master):
        started = time.perf_counter()
        with ThreadPoolExecutor(WORKERS * 2) as pool:
            people = list(pool.map(lambda p: _sign_in(base, p), people))
        print(f"    busy morning: {len(people)} DSLs signed in through /login in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        engine = _engine(url)
        load = Load(wrk, base, master.pid, Ledger(engine, people), folder, grace)
        try:
            # Every worker compiles its templates on first use: a short step first, not part of any search.
            checks.append(load.step(WORKERS, warm_up))
            for _ in range(runs):
                searches.append(load.search(steps, seconds))
                checks.extend(searches[-1].steps)
        finally:
            engine.dispose()
    return _results(databases.kind, count, searches, checks, load_average)


def _results(kind: str, count: int, searches: list[Search], checks: list[Step], load_average: float) -> list[Result]:
    best = [s.best for s in searches]
    rates = [b.rate if b else 0.0 for b in best]
    p95 = [b.p95_ms if b else float("inf") for b in best]
    served = [s.pdfs_served for s in checks]
    recorded = [s.downloads_recorded for s in checks]
    sent = [s.forms_sent for s in checks]
    found = [s.forms_in_database for s in checks]
    # CPU a request costs, over every step of every search: what bounds the rate on a given machine.
    answered = sum(s.requests for s in checks)
    cpu = {part: sum(s.cpu_ms[part] * s.requests for s in checks) / max(answered, 1) for part in ("app", "database", "wrk")}
    mix = ", ".join(f"{label} {weight}%" for label, weight in MIX)
    last = "; ".join(step.line() for step in searches[-1].steps)
    return [
        Result(f"busy morning, {count} DSLs signed in, {WORKERS} workers: highest rate held", kind, "req/s", rates,
               target=f">= {RATE_TARGET:g} req/s, p95 < {P95_TARGET_MS:g} ms, 0 errors",
               check=lambda r: r.ours_median >= RATE_TARGET,
               note=f"mix: {mix}; people asking at once stepped up, each asking again as soon as answered; "
                    f"load average {load_average:.1f} when it began; last search: {last}"),
        Result("busy morning: p95 latency at that rate", kind, "ms", p95, target=f"< {P95_TARGET_MS:g} ms",
               check=lambda r: r.ours_median < P95_TARGET_MS),
        Result("busy morning: download rows (baseline: PDFs served)", kind, "rows", [float(sum(recorded))],
               [float(sum(served))], target="= PDFs served", check=lambda r: recorded == served,
               note="every step, warm-up included: rows added to material_downloads against 200 PDF answers"),
        Result("busy morning: forms found in the database (baseline: sent)", kind, "forms", [float(sum(found))],
               [float(sum(sent))], target="= forms sent", check=lambda r: found == sent,
               note="each book or cancel flips that person's booking; each must be in the state its forms left it"),
        Result("busy morning: CPU a request (app + database + wrk)", kind, "ms", [sum(cpu.values())],
               note="app: gunicorn's master and workers; database: the PostgreSQL backends of the benchmark's "
                    "database (SQLite works inside the app); wrk: the load client. "
                    + ", ".join(f"{part} {ms:.1f} ms" for part, ms in cpu.items())),
    ]
