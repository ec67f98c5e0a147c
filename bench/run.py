"""``make bench``: national-scale benchmarks on SQLite and PostgreSQL, printed as one table.

    python -m bench.run [--scale 1.0] [--runs 5] [--databases sqlite,postgresql] [--only NAME,...] [--check]

``--check`` exits non-zero when a target is missed. CI runs ``--scale 0.01 --runs 1`` so the
benchmarks cannot rot; only the full scale is held to the targets.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.busy_morning import bench_busy_morning
from bench.generate import generate
from bench.harness import ROOT, Databases, format_table
from bench.imports import bench_import
from bench.pages import bench_pages
from bench.reminders import bench_reminders
from bench.report import bench_report

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def data_dir(scale: float, seed: int) -> Path:
    """Generated files are kept under instance/ and reused while scale and seed are unchanged."""
    folder = ROOT / "instance" / f"bench-data-{scale:g}-{seed}"
    if not (folder / "early-help.csv").exists():
        generate(folder, scale, seed)
    return folder


def benchmarks(scale: float):
    """Each benchmark: (name, function(databases, data, runs) -> [Result])."""
    yield "import", lambda dbs, data, runs: bench_import(
        dbs, data, "contacts", "contacts.csv", [("schools", "schools.csv"), ("dsls", "dsls.csv")], runs)
    yield "report", bench_report
    yield "pages", bench_pages
    yield "reminders", bench_reminders
    # A search steps the offered rate up through a dozen steps: three searches give a median.
    yield "busy-morning", lambda dbs, data, runs: bench_busy_morning(dbs, data, min(runs, 3), scale)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Right Support benchmarks")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--only", default="", help="run only these benchmarks (comma-separated): "
                        "import, report, pages, reminders, busy-morning")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    data = data_dir(args.scale, args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="rs-bench-") as workdir:
        for kind in args.databases.split(","):
            databases = Databases(kind, Path(workdir), os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
            try:
                for name, function in benchmarks(args.scale):
                    if args.only and name not in args.only.split(","):
                        continue
                    print(f"... {name} on {kind}", file=sys.stderr, flush=True)
                    results.extend(function(databases, data, args.runs))
            finally:
                databases.drop_all()
    if args.scale < 1:
        # Targets are set for the national-scale data; a small pass only proves the benchmarks run.
        for result in results:
            result.check = None
    print(f"Right Support benchmarks: scale {args.scale:g}, {args.runs} runs each, medians"
          + ("" if args.scale >= 1 else " (targets are judged at scale 1 only)"))
    print(format_table(results))
    missed = [r for r in results if r.met is False]
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
