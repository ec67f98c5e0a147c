"""Poster download benchmark: a signed-in DSL fetching the poster from our app under gunicorn,
against a minimal Flask app sending the same bytes with send_file, both with 4 workers."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import Databases, Result, alternate, app_env, flask
from bench.http import BASELINE_APP, gunicorn, requests_per_second

WORKERS = 4


def _signed_in_cookie(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    opener.open(base + "/login", data=form).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def bench_poster(databases: Databases, workdir: Path, runs: int, seconds: float) -> list[Result]:
    url = databases.create("rs_bench_poster")
    env = app_env(url)
    flask(env, "db", "upgrade")
    flask(env, "demo")
    export = workdir / "poster-export"
    flask(env, "materials", "export", str(export))
    baseline_env = {**env, "BASELINE_FILE": str(export / "poster.pdf"), "PYTHONPATH": str(BASELINE_APP.parent.parent)}

    with gunicorn("wsgi:app", env, WORKERS) as ours_base, \
            gunicorn("bench.baseline_app:app", baseline_env, WORKERS) as baseline_base:
        cookie = _signed_in_cookie(ours_base, "dsl@demo.test", "demo-password")
        probe = urllib.request.Request(ours_base + "/materials/poster.pdf", headers={"Cookie": cookie})
        body = urllib.request.urlopen(probe).read()
        assert body == (export / "poster.pdf").read_bytes(), "our app must send the same bytes as the baseline"

        def ours():
            return requests_per_second(ours_base + "/materials/poster.pdf", seconds, headers={"Cookie": cookie})

        def baseline():
            return requests_per_second(baseline_base + "/poster.pdf", seconds)

        mine, theirs = alternate(runs, ours, baseline)
    return [Result(f"poster download ({len(body):,} bytes), {WORKERS} workers", databases.kind, "req/s", mine, theirs,
                   target=">= 0.8x baseline req/s", check=lambda r: r.ratio >= 0.8,
                   note="signed-in DSL, every download logged; baseline is Flask send_file of the same bytes")]
