"""Poster download benchmark: a signed-in DSL fetching the poster from our app under gunicorn,
against a minimal Flask app sending the same bytes with send_file, both with 4 workers."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import ROOT, Databases, Result, alternate, app_env, flask
from bench.http import BASELINE_APP, gunicorn, requests_per_second

WORKERS = 4
# A browser sends the same User-Agent on every request, and the sign-in session is bound to it
# (Flask-Login's session protection); a load generator must do the same, or every response would
# carry a re-signed session cookie that no real visitor causes.
USER_AGENT = "right-support-bench"
ALLOW_PUBLIC_POSTER = """
from core.app import create_app
from core.extensions import db
from materials.services import set_poster_public
app = create_app()
with app.app_context():
    set_poster_public(True)
    db.session.commit()
"""


def _signed_in_cookie(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
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
    # The poster is also open without signing in when an admin allows it; that path is measured too.
    subprocess.run([sys.executable, "-c", ALLOW_PUBLIC_POSTER], cwd=ROOT, env=env, check=True, capture_output=True)
    baseline_env = {**env, "BASELINE_FILE": str(export / "poster.pdf"), "PYTHONPATH": str(BASELINE_APP.parent.parent)}

    with gunicorn("wsgi:app", env, WORKERS) as ours_base, \
            gunicorn("bench.baseline_app:app", baseline_env, WORKERS) as baseline_base:
        cookie = _signed_in_cookie(ours_base, "dsl@demo.test", "demo-password")
        signed = {"Cookie": cookie, "User-Agent": USER_AGENT}
        no_session = {"User-Agent": USER_AGENT}
        with urllib.request.urlopen(urllib.request.Request(ours_base + "/materials/poster.pdf", headers=signed)) as probe:
            body = probe.read()
            assert probe.headers.get("Set-Cookie") is None, "a steady session must not re-issue its cookie"
        assert body == (export / "poster.pdf").read_bytes(), "our app must send the same bytes as the baseline"

        def ours():
            return requests_per_second(ours_base + "/materials/poster.pdf", seconds, headers=signed)

        def public():
            return requests_per_second(ours_base + "/poster.pdf", seconds, headers=no_session)

        def baseline():
            return requests_per_second(baseline_base + "/poster.pdf", seconds, headers=no_session)

        assert urllib.request.urlopen(ours_base + "/poster.pdf").read() == body
        mine, theirs = alternate(runs, ours, baseline)
        anonymous, theirs_again = alternate(runs, public, baseline)
    size = f"{len(body):,} bytes"
    return [
        Result(f"poster download, signed in ({size}), {WORKERS} workers", databases.kind, "req/s", mine, theirs,
               target=">= 0.8x baseline req/s", check=lambda r: r.ratio >= 0.8,
               note="a signed-in DSL: session cookie verified (once per worker for the same cookie), the "
                    "session checked against the database at most every MATERIALS_SESSION_CHECK_SECONDS "
                    "per worker, download logged; baseline is Flask send_file of the same bytes, no sign-in"),
        Result(f"poster download, public ({size}), {WORKERS} workers", databases.kind, "req/s", anonymous,
               theirs_again, target=">= 0.8x baseline req/s", check=lambda r: r.ratio >= 0.8,
               note="the poster opened to everyone by the admin setting, no session; download logged"),
    ]
