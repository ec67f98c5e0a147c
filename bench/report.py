"""Outcome report benchmarks.

The first times our report of a national-scale cohort against a bare pandas computation of the
same findings table from the same tables. Its cohort takes every course and a window holding every
session, so ~all DSLs who attended anything are in treatment and the rest in comparison (~60,000
DSLs at scale 1), and an outcome window holding every MASH record (1,000,000 at scale 1).

The second times the full report with every model on a cohort with a pre-period, against an
absolute target: trained from November 2020 to February 2021, outcomes from March to August 2021
and September and October 2020 before them, so the pre-period, the days at risk (untrained DSLs
censored at their own later training), the weighting and the school-level comparison all have
data to work on, even in the small pass CI makes.
"""

from __future__ import annotations

import os
import time
import warnings
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from bench.harness import Databases, Result, alternate, app_env, flask, make_app, raw_connection

COHORT = "bench-all"
COURSES = "induction,refresher,kcsie-update"
EXPOSURE = "2019-01-01:2023-12-31"  # every generated session
OUTCOME = (date(2020, 9, 1), date(2021, 8, 31))  # every generated MASH record
FULL_COHORT = "bench-full"
FULL_WINDOWS = ("--exposure", "2020-11-01:2021-02-28", "--outcome", "2021-03-01:2021-08-31",
                "--pre", "2020-09-01:2020-10-31")
# Its own name, so benchmarks run at the same time by other people on one server do not drop it.
DATABASE = f"rs_bench_report_{os.getpid()}"
IMPORTS = [("schools", "schools.csv"), ("dsls", "dsls.csv"), ("attendance", "attendance.csv"),
           ("contacts", "contacts.csv"), ("early-help", "early-help.csv")]
COUNTS = ("n", "dsls_with_contact", "calls", "contacts", "referrals")


def _build(databases: Databases, data: Path) -> str:
    url = databases.create(DATABASE)
    env = app_env(url)
    flask(env, "db", "upgrade")
    for kind, filename in IMPORTS:
        flask(env, "import", kind, str(data / filename))
    flask(env, "cohorts", "create", COHORT, "--courses", COURSES, "--exposure", EXPOSURE,
          "--outcome", f"{OUTCOME[0]}:{OUTCOME[1]}")
    flask(env, "cohorts", "create", FULL_COHORT, "--courses", "induction,refresher", *FULL_WINDOWS)
    return url


def _our_report(app, name: str = COHORT) -> dict:
    """What ``flask cohorts report NAME --format json`` does, inside an app context."""
    from cohorts import exports, services
    from core.extensions import db

    with app.app_context():
        try:
            cohort = services.cohort_by_name(name)
            figures = services.cohort_report(cohort).figures
            exports.to_json(figures)
            return figures
        finally:
            db.session.remove()


def _utc(day: date) -> datetime:
    """Midnight starting ``day`` in London, as a naive UTC time stamp (how the app stores times)."""
    local = datetime.combine(day, clock(0), ZoneInfo("Europe/London"))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _baseline(database_url: str) -> dict:
    """The findings table by hand: read the members and the linked records in the window, group by."""
    sqlite = database_url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    low, high = _utc(OUTCOME[0]), _utc(OUTCOME[1] + timedelta(days=1))
    if sqlite:  # SQLAlchemy stores SQLite time stamps as ISO text
        low, high = str(low), str(high)
    with raw_connection(database_url) as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy over a psycopg connection
        members = pd.read_sql(
            f"SELECT m.dsl_id, m.group_name FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id "
            f"WHERE c.name = {mark}", connection, params=(COHORT,))
        records = pd.read_sql(
            f"SELECT dsl_id, classification FROM mash_records WHERE dsl_id IS NOT NULL "
            f"AND received_at >= {mark} AND received_at < {mark}", connection, params=(low, high))
    counts = pd.crosstab(records["dsl_id"], records["classification"]).reindex(
        columns=["contact", "referral"], fill_value=0)
    per_dsl = members.merge(counts, left_on="dsl_id", right_index=True, how="left").fillna(
        {"contact": 0, "referral": 0})
    per_dsl["called"] = per_dsl["contact"] > 0
    sums = per_dsl.groupby("group_name").agg(n=("dsl_id", "size"), dsls_with_contact=("called", "sum"),
                                             contacts=("contact", "sum"), referrals=("referral", "sum"))
    table = {}
    for group, row in sums.iterrows():
        n, contacts, referrals = int(row["n"]), int(row["contacts"]), int(row["referrals"])
        table[group] = {"n": n, "dsls_with_contact": int(row["dsls_with_contact"]),
                        "pct_with_contact": 100 * row["dsls_with_contact"] / n, "calls": contacts + referrals,
                        "contacts": contacts, "referrals": referrals, "mean_contacts": contacts / n,
                        "mean_referrals": referrals / n, "contact_referral_ratio": contacts / referrals}
    comparison, treatment = table["comparison"]["mean_contacts"], table["treatment"]["mean_contacts"]
    table["pct_decrease"] = 100 * (comparison - treatment) / comparison
    return table


def _full_report(app, runs: int, kind: str) -> Result:
    """Time the report of the cohort with a pre-period, against an absolute target."""
    figures = _our_report(app, FULL_COHORT)  # untimed: warms the caches and checks every model ran
    for key in ("exposure_time", "pre_post", "weighted", "school_level"):
        assert figures[key] is not None, key
    members = figures["groups"]["comparison"]["n"] + figures["groups"]["treatment"]["n"]
    with app.app_context():
        from sqlalchemy import func, select

        from cohorts.models import MashRecord
        from core.extensions import db

        records = db.session.scalar(select(func.count(MashRecord.id)))
        db.session.remove()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        _our_report(app, FULL_COHORT)
        seconds.append(time.perf_counter() - start)
    postgresql = kind == "postgresql"
    return Result(f"full outcome report (every model, pre-period), {members:,} DSLs, {records:,} records", kind,
                  "s", seconds, [], target="< 5 s" if postgresql else "",
                  check=(lambda r: r.ours_median < 5) if postgresql else None,
                  note="services.cohort_report + the JSON export of a cohort with a pre-period: the days at risk, "
                       "the pre-period and the outcome window counted in one pass over every record, then the "
                       "exposure-time, difference-in-differences, propensity-weighted, school-level, Early Help "
                       "and first-version models; no baseline, an absolute target")


def bench_report(databases: Databases, data: Path, runs: int) -> list[Result]:
    """Time the outcome report of a cohort of every DSL over every MASH record."""
    url = _build(databases, data)
    app = make_app(url)  # the settings the CLI would be given
    # One untimed run of each warms imports (statsmodels) and caches, and checks they agree.
    ours_figures, table = _our_report(app), _baseline(url)
    for group in ("comparison", "treatment"):
        got = {key: ours_figures["groups"][group][key] for key in COUNTS}
        want = {key: table[group][key] for key in COUNTS}
        assert got == want, f"{group}: report {got} != baseline {want}"
    members = ours_figures["groups"]["comparison"]["n"] + ours_figures["groups"]["treatment"]["n"]
    records = ours_figures["linkage"]["records_in_window"]

    def ours() -> float:
        start = time.perf_counter()
        _our_report(app)
        return time.perf_counter() - start

    def baseline() -> float:
        start = time.perf_counter()
        _baseline(url)
        return time.perf_counter() - start

    mine, theirs = alternate(runs, ours, baseline)
    full = _full_report(app, runs, databases.kind)
    with app.app_context():
        from core.extensions import db

        db.engine.dispose()
    postgresql = databases.kind == "postgresql"
    return [Result(f"outcome report, {members:,} DSLs over {records:,} records", databases.kind, "s", mine, theirs,
                   target="<= 2x baseline and < 3 s" if postgresql else "<= 2x baseline",
                   check=(lambda r: r.ratio <= 2 and r.ours_median < 3) if postgresql else (lambda r: r.ratio <= 2),
                   note="ours is services.cohort_report + the JSON export as `cohorts report --format json` runs "
                        "them, in-process after one warm-up (process start not timed), with the statistics, models, "
                        "balance, Early Help and tracing; baseline is pd.read_sql of the members and of the linked "
                        "records in the window, then crosstab and groupby, for the findings table alone"
                        + ("" if postgresql else "; SQLite answers the baseline's window through the received_at "
                           "index, row by row, where ours reads the table in one pass")), full]
