"""Import benchmark: our import of a file against pandas + a bare bulk insert of the same CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from bench.harness import ROOT, Databases, Result, alternate, app_env, flask, raw_connection

MEMORY_PROBE = """
import json, sys, time
from core.app import create_app
from core.extensions import db
from core.imports import apply_plan, import_kinds, plan_import
app = create_app()
with app.app_context():
    data = open(sys.argv[2], "rb").read()
    start = time.perf_counter()
    plan = plan_import(import_kinds()[sys.argv[1]], data, sys.argv[2].rsplit("/", 1)[-1])
    assert plan.ok, [str(e) for e in plan.errors[:5]]
    apply_plan(plan, None, "cli")
    db.session.commit()
    seconds = time.perf_counter() - start
# VmHWM is this process's own high-water mark; ru_maxrss would carry the parent's over from fork.
peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))
"""


def _our_import(env: dict, kind: str, path: Path) -> dict:
    """Run one import in a fresh process; returns its seconds (import only) and peak memory."""
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, kind, str(path)], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _baseline(database_url: str, path: Path, table: str) -> float:
    """The simplest way to get the same CSV into a table: pandas read, then executemany or COPY."""
    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = list(frame.columns)
    with raw_connection(database_url) as connection:
        cursor = connection.cursor()
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({', '.join(c + ' TEXT' for c in columns)})")
        if database_url.startswith("sqlite"):
            cursor.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})",
                               frame.itertuples(index=False, name=None))
        else:
            buffer = io.StringIO()
            frame.to_csv(buffer, header=False, index=False, quoting=csv.QUOTE_MINIMAL)
            with cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
        connection.commit()
    return time.perf_counter() - start


def bench_import(databases: Databases, data: Path, kind: str, filename: str, prerequisites: list[tuple[str, str]],
                 runs: int) -> list[Result]:
    """Time importing ``filename`` on a fresh copy of a database already holding ``prerequisites``."""
    template = f"rs_bench_{kind.replace('-', '_')}_base"
    url = databases.create(template)
    env = app_env(url)
    flask(env, "db", "upgrade")
    for prerequisite_kind, prerequisite_file in prerequisites:
        flask(env, "import", prerequisite_kind, str(data / prerequisite_file))
    rows = sum(1 for _ in open(data / filename, "rb")) - 1
    peaks = []

    def ours() -> float:
        fresh = databases.create(f"rs_bench_{kind.replace('-', '_')}_run", template)
        outcome = _our_import(app_env(fresh), kind, data / filename)
        peaks.append(outcome["peak_mib"])
        return outcome["seconds"]

    def baseline() -> float:
        fresh = databases.create(f"rs_bench_{kind.replace('-', '_')}_bare", template)
        return _baseline(fresh, data / filename, "bare_import")

    mine, theirs = alternate(runs, ours, baseline)
    limit = 1.5 if databases.kind == "postgresql" else 2.0
    import_result = Result(f"import {rows:,} {kind}", databases.kind, "s", mine, theirs,
                           target=f"<= {limit}x baseline and >= 100,000 rows/s",
                           check=lambda r: r.ratio <= limit and rows / r.ours_median >= 100_000,
                           note=f"{rows / (sum(mine) / len(mine)):,.0f} rows/s on average; "
                                f"baseline is pandas.read_csv + {'COPY' if databases.kind == 'postgresql' else 'executemany'} "
                                "into a bare table of text columns")
    memory = Result(f"import {rows:,} {kind}: peak memory", databases.kind, "MiB", peaks, [],
                    target="< 1536 MiB", check=lambda r: r.ours_median < 1536)
    return [import_result, memory]
