"""Reminders benchmark: ``flask reminders send`` deciding who gets what over the national register
(60,000 DSLs and 120,000 attendances at scale 1) and queuing their messages, against the training
clock alone (what ``flask courses due`` computes: every DSL's status, nothing decided or written).

Each timed run decides and queues inside a transaction that is then rolled back, so every run starts
from the same empty outbox. After the timed runs one run is committed and the command's work is done
again: it must queue nothing, and no DSL may hold two reminders for one state and expiry date.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from bench.harness import Databases, Result, alternate, app_env, flask, make_app

# The generated sessions run from 2019 to 2023: on this day some DSLs are due, many expired, some never trained.
ON = date(2022, 6, 1)
TARGET_SECONDS = 10.0


def _build(databases: Databases, data: Path) -> str:
    url = databases.create("rs_bench_reminders")
    env = app_env(url)
    flask(env, "db", "upgrade")
    for kind, filename in (("schools", "schools.csv"), ("dsls", "dsls.csv"), ("attendance", "attendance.csv")):
        flask(env, "import", kind, str(data / filename))
    return url


def bench_reminders(databases: Databases, data: Path, runs: int) -> list[Result]:
    from core.extensions import db
    from core.mail.models import OutboxMessage
    from courses.models import Reminder
    from courses.reminders import send_training_reminders
    from courses.services import clock_for

    app = make_app(_build(databases, data))
    counts = {}

    def ours() -> float:
        with app.app_context():
            start = time.perf_counter()
            counts.update(send_training_reminders(ON))
            elapsed = time.perf_counter() - start
            db.session.rollback()
            db.session.remove()
        return elapsed

    def baseline() -> float:
        with app.app_context():
            start = time.perf_counter()
            clock_for(ON)
            elapsed = time.perf_counter() - start
            db.session.remove()
        return elapsed

    mine, theirs = alternate(runs, ours, baseline)
    with app.app_context():
        first = send_training_reminders(ON)
        db.session.commit()
        again = send_training_reminders(ON)
        db.session.commit()
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        pairs = db.session.execute(select(Reminder.dsl_id, Reminder.kind, Reminder.key)).all()
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    total = sum(first.values())
    duplicates = len(pairs) - len(set(pairs)) + sum(again.values()) + abs(queued - total)
    people = f"{total:,} reminders ({first['due']:,} due, {first['expired']:,} expired, {first['never']:,} never)"
    return [
        Result("reminders send: decide and queue", databases.kind, "s", mine, theirs,
               target=f"< {TARGET_SECONDS:g} s", check=lambda r: r.ours_median < TARGET_SECONDS,
               note=f"{people} on {ON.isoformat()}; the baseline is the training clock alone (courses due)"),
        Result("reminders send again: duplicates queued", databases.kind, "messages", [float(duplicates)],
               target="= 0", check=lambda r: r.ours_median == 0,
               note="a second run queues nothing; one reminder per DSL, state and expiry date; outbox = reminders"),
    ]
