"""Timing, fresh databases and the results table for the benchmarks.

Every benchmark times our code and the simplest baseline that does the same work, in the same run,
on the same data, alternating the two; the table shows medians and the ratio of the medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    name: str
    database: str
    unit: str  # "s", "req/s", "queries", "MiB", "ms"
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    target: str = ""
    # Returns True when the medians meet the target.
    check: object = None
    note: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        if base in (None, 0):
            return None
        return self.ours_median / base

    @property
    def met(self) -> bool | None:
        return None if self.check is None else bool(self.check(self))


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def alternate(runs: int, ours, baseline) -> tuple[list[float], list[float]]:
    """Run ``ours()`` and ``baseline()`` alternately ``runs`` times each; each returns seconds."""
    mine, theirs = [], []
    for index in range(runs):
        order = (ours, baseline) if index % 2 == 0 else (baseline, ours)
        for function in order:
            (mine if function is ours else theirs).append(function())
    return mine, theirs


def format_table(results: list[Result]) -> str:
    header = ("benchmark", "db", "ours (median)", "baseline (median)", "ratio", "target", "met", "runs")
    rows = [header]
    for r in results:
        base = r.baseline_median
        rows.append((
            r.name, r.database, f"{r.ours_median:,.3f} {r.unit}",
            "" if base is None else f"{base:,.3f} {r.unit}",
            "" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target, {True: "yes", False: "NO", None: ""}[r.met], str(len(r.ours)),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    notes = [f"- {r.name} ({r.database}): {r.note}" for r in results if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))


# -- databases ----------------------------------------------------------------------------------


def flask(env: dict, *args: str, check=True, capture=True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          check=check, capture_output=capture, text=True)


def app_env(database_url: str) -> dict:
    # The key and public address also satisfy production, which the busy-morning server runs in.
    return {**os.environ, "RIGHT_SUPPORT_ENV": "development", "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-" + "x" * 32, "PUBLIC_URL": "http://127.0.0.1"}


def make_app(database_url: str):
    """The app in this process, with the settings the benchmark's ``flask`` commands are given."""
    from unittest import mock

    from core.app import create_app

    with mock.patch.dict(os.environ, app_env(database_url)):
        return create_app()


class Databases:
    """Makes a template database once (schema + prerequisites) and fresh copies of it per run."""

    def __init__(self, kind: str, workdir: Path, postgres_url: str):
        self.kind = kind
        self.workdir = workdir
        self.postgres_url = postgres_url
        self.made: list[str] = []

    def url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        parts = urlsplit(self.postgres_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def _admin(self):
        import psycopg

        parts = urlsplit(self.postgres_url)
        return psycopg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), autocommit=True)

    def create(self, name: str, template: str | None = None) -> str:
        if self.kind == "sqlite":
            path = self.workdir / f"{name}.db"
            path.unlink(missing_ok=True)
            if template:
                shutil.copyfile(self.workdir / f"{template}.db", path)
        else:
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            self.made.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        if self.kind == "postgresql" and self.made:
            with self._admin() as admin:
                for name in self.made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.made.clear()


@contextmanager
def raw_connection(database_url: str):
    """A plain DB-API connection for the baselines (no SQLAlchemy, no app)."""
    if database_url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(database_url.split("sqlite:///", 1)[1])
    else:
        import psycopg

        connection = psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql"))
    try:
        yield connection
    finally:
        connection.close()
