"""Helpers the tests share: a fresh database of their own, a real server on loopback, and a counter
of the SQL statements a piece of work runs.

Nothing here is a fixture; fixtures in the conftest files and tests call these.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(folder: Path, label: str):
    """A new, empty database for the duration: a SQLite file in ``folder``, or a new PostgreSQL
    database beside TEST_DATABASE_URL's when the suite runs on PostgreSQL. Yields its URL."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{label}.db'}"
        return
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'right_support'}_{label}_{os.getpid()}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        drop()


def flask_command(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run ``flask --app wsgi ARGS`` in the repository with ``env``; raise with its output if it fails."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    """Wait until ``url`` answers; fail with the server's log if it stops or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the server stopped:\n" + log.read_text())
            time.sleep(0.1)
    raise RuntimeError("the server did not answer:\n" + log.read_text())


@contextlib.contextmanager
def gunicorn_server(env: dict, folder: Path, workers: int = 2, extra: tuple[str, ...] = ()):
    """The app under gunicorn (with the project's gunicorn.conf.py) on a free loopback port, with
    ``env`` as its environment. Yields ``(base_url, process)``; stops it afterwards."""
    port = free_port()
    log_path = folder / f"gunicorn-{port}.log"
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra, "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/healthz", process, log_path)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def signed_in_opener(base: str, email: str, password: str) -> urllib.request.OpenerDirector:
    """A URL opener that keeps cookies, signed in through the real /login form (its CSRF token
    included), as a browser would be. Raises if the sign-in does not take."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "the sign-in page has no CSRF token"
    form = {"email": email, "password": password, "csrf_token": html.unescape(token.group(1) or token.group(2))}
    with opener.open(base + "/login", data=urllib.parse.urlencode(form).encode()) as response:
        landed = response.geturl()
    assert "/login" not in urllib.parse.urlsplit(landed).path, f"sign-in failed for {email}"
    return opener


class StatementCounter:
    """The SQL statements an engine runs while the counter is open: ``with StatementCounter(engine)
    as seen: ...``, then ``len(seen)`` or ``seen.statements`` (each ``(sql, parameters)``)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def _listen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters))

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()
